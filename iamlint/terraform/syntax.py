"""A small, position-keeping syntax tree for HCL, converted once from python-hcl2's Lark tree.

Why our own tree: Lark's tree is large and slow to walk and to cache; this one holds exactly what
the evaluator needs, every node keeps its ``(start, end)`` character offsets in the original
text, and it pickles compactly for the per-file cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lark import Token, Tree

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


# --- conversion from the Lark tree ---------------------------------------------------------------

_SKIP = {"new_line_or_comment"}


def _span(node: Tree | Token) -> Span:
    if isinstance(node, Token):
        return (node.start_pos or 0, node.end_pos or 0)
    meta = node.meta
    if getattr(meta, "empty", True):
        return (0, 0)
    return (meta.start_pos, meta.end_pos)


def _trees(node: Tree) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree) and c.data not in _SKIP]


class Converter:
    """Turns one file's Lark tree into a `Body`; `text` is needed for heredoc bodies."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file

    # structure

    def body(self, node: Tree) -> Body:
        out = Body()
        for child in _trees(node):
            if child.data == "attribute":
                attr = self.attribute(child)
                out.attributes[attr.name] = attr
            elif child.data == "block":
                out.blocks.append(self.block(child))
        return out

    def attribute(self, node: Tree) -> Attribute:
        name_node = node.children[0]
        value_node = node.children[-1]
        return Attribute(self._name(name_node), self.expr(value_node), _span(node))

    def block(self, node: Tree) -> Block:
        parts = [c for c in node.children if isinstance(c, Tree)]
        body_node = next(c for c in parts if c.data == "body")
        head = [c for c in parts if c.data not in ("body", *_SKIP)]
        block_type = self._name(head[0])
        labels = [self._label(c) for c in head[1:]]
        return Block(block_type, labels, self.body(body_node), _span(node))

    def _name(self, node: Tree | Token) -> str:
        if isinstance(node, Token):
            return str(node)
        if node.data == "string":
            return self._label(node)
        return str(node.children[0])

    def _label(self, node: Tree) -> str:
        if node.data == "string":
            return "".join(
                str(p.children[0]) for p in _trees(node) if isinstance(p.children[0], Token)
            )
        return self._name(node)

    # expressions

    def expr(self, node: Tree | Token) -> Expr:
        if isinstance(node, Token):
            return Literal(_span(node), str(node))
        handler = getattr(self, f"_x_{node.data}", None)
        if handler is None:
            # A construct we do not model still gets a span, so it reads as an unknown.
            return Call(_span(node), f"<{node.data}>", [])
        return handler(node)

    def _x_expr_term(self, node: Tree) -> Expr:
        kids = _trees(node)
        if any(isinstance(c, Token) and c.type == "LPAR" for c in node.children):
            inner = self.expr(kids[0])
            inner.span = _span(node)
            return inner
        return self.expr(kids[0])

    def _x_identifier(self, node: Tree) -> Expr:
        return Name(_span(node), str(node.children[0]))

    def _x_keyword(self, node: Tree) -> Expr:
        return Name(_span(node), str(node.children[0]))

    def _x_literal_value(self, node: Tree) -> Expr:
        word = str(node.children[0])
        return Literal(_span(node), {"true": True, "false": False, "null": None}[word])

    def _x_int_lit(self, node: Tree) -> Expr:
        return Literal(_span(node), int(str(node.children[0])))

    def _x_float_lit(self, node: Tree) -> Expr:
        return Literal(_span(node), float(str(node.children[0])))

    def _x_string(self, node: Tree) -> Expr:
        parts: list[str | Expr] = []
        directive = False
        for part in _trees(node):
            inner = part.children[0]
            if isinstance(inner, Token):
                if inner.type == "ESCAPED_INTERPOLATION":
                    parts.append("${" + str(inner)[3:])
                elif inner.type == "ESCAPED_DIRECTIVE":
                    parts.append("%{" + str(inner)[3:])
                else:
                    parts.append(unescape(str(inner)))
            elif inner.data == "interpolation":
                parts.append(self.expr(_trees(inner)[0]))
            else:
                directive = True
                parts.append(Call(_span(inner), "<directive>", []))
        return _template(_span(node), parts, heredoc=False, directive=directive)

    def _x_template_string(self, node: Tree) -> Expr:
        return Literal(_span(node), str(node.children[0]).strip('\\"'))

    def _x_heredoc_template(self, node: Tree) -> Expr:
        return self._heredoc(node, trim=False)

    def _x_heredoc_template_trim(self, node: Tree) -> Expr:
        return self._heredoc(node, trim=True)

    def _heredoc(self, node: Tree, trim: bool) -> Expr:
        token = node.children[0]
        start = token.start_pos or 0
        raw = str(token)
        first_nl = raw.index("\n") + 1
        # The closing marker is the last line; the body is everything between.
        body_end = raw.rstrip("\r\n").rfind("\n") + 1
        body_start = start + first_nl
        body = raw[first_nl:body_end]
        # The token ends with the newline after the closing marker; the value does not.
        end = min(start + len(raw.rstrip("\r\n")), len(self.text))
        parts = self._template_parts(body, body_start)
        if trim:
            parts = _dedent(parts)
        directive = any(isinstance(p, Call) and p.name == "<directive>" for p in parts)
        return _template((start, end), parts, heredoc=True, directive=directive)

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
            iter(Converter(self.text, self.file).body(tree.children[0]).attributes.values())
        )
        _shift_spans(attr.value, shift)
        return attr.value

    def _x_tuple(self, node: Tree) -> Expr:
        return TupleExpr(_span(node), [self.expr(c) for c in _trees(node)])

    def _x_object(self, node: Tree) -> Expr:
        items: list[tuple[Expr, Expr]] = []
        for elem in _trees(node):
            key_node, value_node = _trees(elem)[0], _trees(elem)[-1]
            key = self.expr(_trees(key_node)[0]) if _trees(key_node) else self.expr(key_node)
            items.append((key, self.expr(value_node)))
        return ObjectExpr(_span(node), items)

    def _x_function_call(self, node: Tree) -> Expr:
        names = [c for c in node.children if isinstance(c, Tree) and c.data == "identifier"]
        name = "::".join(str(n.children[0]) for n in names)
        args: list[Expr] = []
        expand = False
        for c in node.children:
            if isinstance(c, Tree) and c.data == "arguments":
                args = [self.expr(a) for a in _trees(c)]
                expand = any(isinstance(t, Token) and t.type == "ELLIPSIS" for t in c.children)
        return Call(_span(node), name, args, expand)

    def _x_get_attr_expr_term(self, node: Tree) -> Expr:
        target, get_attr = _trees(node)
        return GetAttr(_span(node), self.expr(target), self._attr_name(get_attr))

    def _attr_name(self, get_attr: Tree) -> str:
        return str(_trees(get_attr)[0].children[0])

    def _x_index_expr_term(self, node: Tree) -> Expr:
        target, index = _trees(node)
        if index.data == "short_index":
            key: Expr = Literal(_span(index), int(str(index.children[-1])))
        else:
            key = self.expr(_trees(index)[0])
        return Index(_span(node), self.expr(target), key)

    def _x_attr_splat_expr_term(self, node: Tree) -> Expr:
        return Splat(_span(node), self.expr(_trees(node)[0]))

    def _x_full_splat_expr_term(self, node: Tree) -> Expr:
        return Splat(_span(node), self.expr(_trees(node)[0]))

    def _x_conditional(self, node: Tree) -> Expr:
        test, yes, no = _trees(node)
        return Conditional(_span(node), self.expr(test), self.expr(yes), self.expr(no))

    def _x_binary_op(self, node: Tree) -> Expr:
        left, term = _trees(node)[:2]
        op_node, right = _trees(term)[:2]
        op = str(op_node.children[0]).strip()
        lhs, rhs = self.expr(left), self.expr(right)
        # The Lark node swallows a trailing newline; the value ends where its right side ends.
        return BinaryOp((lhs.span[0], rhs.span[1]), op, lhs, rhs)

    def _x_unary_op(self, node: Tree) -> Expr:
        op = str(node.children[0]).strip()
        return UnaryOp(_span(node), op, self.expr(_trees(node)[0]))

    def _x_for_tuple_expr(self, node: Tree) -> Expr:
        return self._for(node, is_object=False)

    def _x_for_object_expr(self, node: Tree) -> Expr:
        return self._for(node, is_object=True)

    def _for(self, node: Tree, is_object: bool) -> Expr:
        kids = _trees(node)
        intro = kids[0]
        names = [str(c.children[0]) for c in _trees(intro) if c.data == "identifier"]
        collection = self.expr(_trees(intro)[-1])
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        cond_nodes = [c for c in kids if c.data == "for_cond"]
        condition = self.expr(_trees(cond_nodes[0])[0]) if cond_nodes else None
        exprs = [c for c in kids[1:] if c.data != "for_cond"]
        grouping = any(isinstance(t, Token) and t.type == "ELLIPSIS" for t in node.children)
        if is_object:
            return ForExpr(
                _span(node),
                key_var,
                value_var,
                collection,
                self.expr(exprs[0]),
                self.expr(exprs[1]),
                condition,
                grouping,
            )
        return ForExpr(
            _span(node), key_var, value_var, collection, None, self.expr(exprs[0]), condition
        )


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


def convert(tree: Tree, text: str, file: str) -> Body:
    return Converter(text, file).body(tree.children[0])
