"""A small, position-keeping syntax tree for HCL, converted once from python-hcl2's Lark tree.

Why our own tree: Lark's tree is large and slow to walk and to cache; this one holds exactly what
the evaluator needs, every node keeps its ``(start, end)`` character offsets in the original
text, and it pickles compactly for the per-file cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from iamlint.terraform.errors import InputError

Span = tuple[int, int]


# --- expressions ----------------------------------------------------------------------------


@dataclass(slots=True)
class Expr:
    span: Span


@dataclass(slots=True)
class Literal(Expr):
    value: str | int | float | bool | None


@dataclass(slots=True)
class Template(Expr):
    """A string with interpolations: literal text pieces and expressions, in order."""

    parts: list[str | Expr]
    heredoc: bool = False
    has_directive: bool = False  # %{ if } / %{ for }: we do not evaluate those
    body_span: Span | None = None  # a heredoc's body in the file, between the marker lines


@dataclass(slots=True)
class Directive(Expr):
    """A template directive: ``%{ for k, v in coll }``, ``%{ if c }``, ``else``, ``endif``..."""

    kind: str  # for | if | else | endfor | endif
    expr: Expr | None = None
    names: tuple[str, ...] = ()


@dataclass(slots=True)
class TupleExpr(Expr):
    items: list[Expr]


@dataclass(slots=True)
class ObjectExpr(Expr):
    items: list[tuple[Expr, Expr]]


@dataclass(slots=True)
class Name(Expr):
    name: str


@dataclass(slots=True)
class GetAttr(Expr):
    target: Expr
    name: str


@dataclass(slots=True)
class Index(Expr):
    target: Expr
    key: Expr


@dataclass(slots=True)
class Splat(Expr):
    target: Expr
    steps: list[tuple[str, Any]] = field(default_factory=list)  # after [*]: ("attr", name)...


@dataclass(slots=True)
class Call(Expr):
    name: str
    args: list[Expr]
    expand_last: bool = False


@dataclass(slots=True)
class Conditional(Expr):
    test: Expr
    if_true: Expr
    if_false: Expr


@dataclass(slots=True)
class BinaryOp(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class UnaryOp(Expr):
    op: str
    operand: Expr


@dataclass(slots=True)
class ForExpr(Expr):
    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None  # set for `{ for ... : k => v }`
    value: Expr
    condition: Expr | None
    grouping: bool = False


# --- structure --------------------------------------------------------------------------------


@dataclass(slots=True)
class Attribute:
    name: str
    value: Expr
    span: Span


@dataclass(slots=True)
class Block:
    type: str
    labels: list[str]
    body: Body
    span: Span


@dataclass(slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, block_type: str) -> list[Block]:
        return [b for b in self.blocks if b.type == block_type]


class TemplateParser:
    """Splits template text (heredoc bodies, template files, JSON-syntax strings) into literal
    pieces, ``${...}`` expressions and ``%{...}`` directives. Needs the parser only for the
    expressions inside, and imports it only then."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file

    # structure

    def _template_parts(self, body: str, offset: int) -> list[str | Expr]:
        """Split a heredoc body into text and `${...}` expressions (escapes `$${`, `%%{`)."""
        parts: list[str | Expr] = []
        literal: list[str] = []
        strip_next = False  # a `~}` strips the whitespace that follows it
        i = 0
        while i < len(body):
            if body.startswith("$${", i) or body.startswith("%%{", i):
                literal.append(body[i + 1 : i + 3])
                i += 3
                continue
            if body.startswith("${", i) or body.startswith("%{", i):
                close = _matching_brace(body, i + 1)
                if close < 0:
                    literal.append(body[i:])
                    break
                inner_text = body[i + 2 : close]
                text = "".join(literal)
                if strip_next:
                    text = text.lstrip()
                if inner_text.startswith("~"):
                    text = text.rstrip()  # `${~` / `%{~` strips the whitespace before it
                if text:
                    parts.append(text)
                literal = []
                strip_next = inner_text.rstrip().endswith("~")
                span = (offset + i, offset + close + 1)
                if body[i] == "%":
                    parts.append(self._directive(inner_text, offset + i + 2, span))
                else:
                    parts.append(self._inner_expression(inner_text, offset + i + 2, span))
                i = close + 1
                continue
            literal.append(body[i])
            i += 1
        text = "".join(literal)
        if strip_next:
            text = text.lstrip()
        if text:
            parts.append(text)
        return parts

    def _directive(self, source: str, offset: int, span: Span) -> Expr:
        inner = source.strip().strip("~").strip()
        lead = source.find(inner) if inner else 0
        if inner in ("else", "endif", "endfor"):
            return Directive(span, inner)
        match = re.match(r"for\s+(\w+)(?:\s*,\s*(\w+))?\s+in\s+", inner)
        if match:
            names = tuple(n for n in match.groups() if n)
            rest = inner[match.end() :]
            expr = self._inner_expression(rest, offset + lead + match.end(), span)
            return Directive(span, "for", expr, names)
        if inner.startswith("if "):
            expr = self._inner_expression(inner[3:], offset + lead + 3, span)
            return Directive(span, "if", expr)
        return Call(span, "<directive>", [])

    def _inner_expression(self, source: str, offset: int, span: Span) -> Expr:
        from iamlint.terraform.parser import parse_hcl

        stripped = source.strip().strip("~").strip()
        try:
            tree = parse_hcl(f"x = {stripped}", self.file)
        except InputError:
            return Call(span, "<unparsed>", [])
        lead = source.find(stripped) if stripped else 0
        shift = offset + lead - len("x = ")
        attr = next(
            iter(_converter(self.text, self.file).body(tree.children[0]).attributes.values())
        )
        _shift_spans(attr.value, shift)
        return attr.value


def _template(span: Span, parts: list[str | Expr], heredoc: bool, directive: bool) -> Expr:
    merged: list[str | Expr] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    if not merged:
        return Literal(span, "") if not heredoc else Template(span, [""], heredoc=True)
    if len(merged) == 1 and isinstance(merged[0], str) and not heredoc:
        return Literal(span, merged[0])
    return Template(span, merged, heredoc=heredoc, has_directive=directive)


def _dedent(parts: list[str | Expr]) -> list[str | Expr]:
    """`<<-` strips the smallest indentation of the body's lines, as Terraform does."""
    flat = "".join(p if isinstance(p, str) else "X" for p in parts)
    indents = [len(x) - len(x.lstrip(" \t")) for x in flat.split("\n") if x.strip()]
    strip = min(indents, default=0)
    if strip == 0:
        return parts
    out: list[str | Expr] = []
    column = 0  # how far into the current line's indentation we are
    for part in parts:
        if not isinstance(part, str):
            out.append(part)
            column = strip
            continue
        kept: list[str] = []
        for ch in part:
            if ch == "\n":
                column = 0
                kept.append(ch)
            elif column < strip and ch in " \t":
                column += 1
            else:
                column = strip
                kept.append(ch)
        out.append("".join(kept))
    return out


def _matching_brace(text: str, open_at: int) -> int:
    """Index of the `}` closing the `{` at ``open_at``, skipping quoted strings; -1 if none."""
    depth = 0
    i = open_at
    in_string = False
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _shift_spans(expr: object, shift: int) -> None:
    if isinstance(expr, Expr):
        expr.span = (expr.span[0] + shift, expr.span[1] + shift)
        for name in expr.__slots__:  # type: ignore[attr-defined]
            if name != "span":
                _shift_spans(getattr(expr, name), shift)
    elif isinstance(expr, (list, tuple)):
        for item in expr:
            _shift_spans(item, shift)


_ESCAPES = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def unescape(raw: str) -> str:
    """HCL quoted-string escapes (``\\n``, ``\\"``, ``\\uXXXX``...)."""
    if "\\" not in raw:
        return raw

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE.get(code, "\\" + code)

    return _ESCAPES.sub(one, raw)


def _converter(text: str, file: str) -> TemplateParser:
    from iamlint.terraform.convert import Converter

    return Converter(text, file)
