"""Terraform's JSON syntax (`.tf.json`) read into the same syntax tree as HCL files."""

from __future__ import annotations

from typing import Any

from iamlint.terraform import jsonspan
from iamlint.terraform import syntax as s
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import SourceFile

# Keys that are nested blocks, not attributes, inside the bodies iamlint reads.
NESTED_BLOCKS = {
    "statement",
    "principals",
    "not_principals",
    "condition",
    "inline_policy",
    "content",
    "lifecycle",
}
LABELLED = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1}


def convert_json(file: SourceFile) -> s.Body:
    try:
        data = jsonspan.loads(file.text, file, 0)
    except jsonspan.JsonSyntaxError as err:
        line, column = file.line_column(err.offset)
        raise InputError(file.display, line, column, err.message) from None
    if not isinstance(data, dict):
        raise InputError(file.display, 1, 1, "a .tf.json file must hold a JSON object")
    return _Converter(file).top(data)


class _Converter:
    def __init__(self, file: SourceFile) -> None:
        self.file = file

    def span(self, value: Any) -> s.Span:
        loc = getattr(value, "loc", None)
        return (loc.start, loc.end) if loc is not None else (0, 0)

    def top(self, data: dict[str, Any]) -> s.Body:
        body = s.Body()
        for key, value in data.items():
            if key == "locals":
                for item in _as_list(value):
                    body.blocks.append(s.Block("locals", [], self.body(item), self.span(item)))
            elif key in LABELLED:
                self._labelled(body, key, value, LABELLED[key], [])
        return body

    def _labelled(self, body: s.Body, kind: str, value: Any, depth: int, labels: list[str]) -> None:
        if depth == 0:
            for item in _as_list(value):
                if isinstance(item, dict):
                    body.blocks.append(s.Block(kind, labels, self.body(item), self.span(item)))
            return
        if isinstance(value, dict):
            for label, inner in value.items():
                self._labelled(body, kind, inner, depth - 1, [*labels, str(label)])

    def body(self, data: Any) -> s.Body:
        body = s.Body()
        if not isinstance(data, dict):
            return body
        for key, value in data.items():
            if key in NESTED_BLOCKS:
                for item in _as_list(value):
                    body.blocks.append(s.Block(key, [], self.body(item), self.span(item)))
            elif key == "dynamic" and isinstance(value, dict):
                for label, inner in value.items():
                    for item in _as_list(inner):
                        block = s.Block("dynamic", [str(label)], self.body(item), self.span(item))
                        body.blocks.append(block)
            else:
                key_loc = getattr(data, "key_locs", {}).get(key)
                start = key_loc.start if key_loc else self.span(value)[0]
                expr = self.expr(value)
                body.attributes[key] = s.Attribute(key, expr, (start, expr.span[1]))
        return body

    def expr(self, value: Any) -> s.Expr:
        span = self.span(value)
        if isinstance(value, dict):
            items = [(s.Literal(span, str(k)), self.expr(v)) for k, v in value.items()]
            return s.ObjectExpr(span, items)
        if isinstance(value, list):
            return s.TupleExpr(span, [self.expr(v) for v in value])
        if isinstance(value, str) and ("${" in value or "%{" in value):
            converter = s.TemplateParser(self.file.text, self.file.display)
            parts = converter._template_parts(str(value), span[0] + 1)
            if self.file.text[span[0] + 1 : span[1] - 1] != str(value):
                # JSON escapes (\" and friends) make the decoded text shorter than the written
                # one: positions inside it do not map back, so every piece gets the string's.
                for part in parts:
                    if not isinstance(part, str):
                        _pin_spans(part, span)
            directive = any(isinstance(p, s.Call) and p.name == "<directive>" for p in parts)
            if len(parts) == 1 and not isinstance(parts[0], str):
                return parts[0]  # type: ignore[return-value]
            return s.Template(span, parts, has_directive=directive)
        return s.Literal(span, str(value) if isinstance(value, str) else value)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _pin_spans(expr: object, span: s.Span) -> None:
    if isinstance(expr, s.Expr):
        expr.span = span
        for name in expr.__slots__:  # type: ignore[attr-defined]
            if name != "span":
                _pin_spans(getattr(expr, name), span)
    elif isinstance(expr, list | tuple):
        for item in expr:
            _pin_spans(item, span)
