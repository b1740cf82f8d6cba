"""From Terraform values to normalized policy documents (see docs/documents.md), spans kept.

Two producers: a policy attribute's value (``jsonencode({...})``, a JSON string or heredoc, a
``file()``), and ``data "aws_iam_policy_document"`` blocks, which Terraform merges with
``source_policy_documents`` and ``override_policy_documents`` by Sid.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from iamlint.model import Location, Unknown
from iamlint.terraform import jsonspan
from iamlint.terraform.values import (
    Encoded,
    LDict,
    LList,
    LStr,
    PolicyDocumentValue,
    location_of,
)

LIST_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")
PRINCIPAL_ELEMENTS = ("Principal", "NotPrincipal")


@dataclass(slots=True)
class Document:
    """A normalized document, the span of each of its parts, and what could not be known."""

    document: Any  # dict, or Unknown for a wholly unknown policy
    spans: dict[str, Location] = field(default_factory=dict)
    unknowns: list[Unknown] = field(default_factory=list)
    problems: list[tuple[Location | None, str]] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)


class _Normalizer:
    def __init__(self) -> None:
        self.spans: dict[str, Location] = {}
        self.unknowns: list[Unknown] = []
        self.problems: list[tuple[Location | None, str]] = []

    def note(self, pointer: str, value: Any, written_at: Location | None = None) -> None:
        # Where the value is written in this policy wins over where the value came from
        # (a variable's default, a local): that is the text a patch of this policy replaces.
        loc = written_at or location_of(value)
        if loc is not None:
            self.spans.setdefault(pointer, loc)
        if isinstance(value, Unknown):
            self.unknowns.append(value)

    def document(self, data: Any, where: Location | None) -> Any:
        self.note("", data)
        if isinstance(data, Unknown):
            return data
        if not isinstance(data, dict):
            self.problems.append((location_of(data) or where, "a policy must be a JSON object"))
            return Unknown("<policy>", where, "not a JSON object")
        out: dict[str, Any] = {}
        for key, value in data.items():
            self.note(f"/{key}", value, _value_loc(data, key))
            if key == "Statement":
                out["Statement"] = self.statements(value, where)
            elif isinstance(value, str):
                out[str(key)] = str(value)
            else:
                out[str(key)] = self.plain(value, f"/{key}")
        if "Statement" not in out:
            out["Statement"] = []
        return out

    def statements(self, value: Any, where: Location | None) -> list[Any]:
        if isinstance(value, Unknown):
            return [value]
        items = value if isinstance(value, list) else [value]
        out = []
        for index, item in enumerate(items):
            pointer = f"/Statement/{index}"
            self.note(pointer, item, _item_loc(value, index))
            if isinstance(item, Unknown):
                out.append(item)
            elif isinstance(item, dict):
                out.append(self.statement(item, pointer))
            else:
                self.problems.append((location_of(item) or where, "a statement must be an object"))
        return out

    def statement(self, item: dict[Any, Any], pointer: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in item.items():
            at = f"{pointer}/{key}"
            self.note(at, value, _value_loc(item, key))
            if isinstance(key, Unknown):
                self.unknowns.append(key)
                continue
            if key in LIST_ELEMENTS:
                out[key] = self.string_list(value, at)
            elif key in PRINCIPAL_ELEMENTS:
                out[key] = self.principal(value, at)
            elif key == "Condition":
                out[key] = self.condition(value, at)
            else:
                out[str(key)] = self.plain(value, at)
        return out

    def string_list(self, value: Any, pointer: str) -> Any:
        if isinstance(value, Unknown):
            # A template always renders one string; anything else may be a whole list.
            return [value] if value.parts is not None else value
        items = value if isinstance(value, list) else [value]
        out: list[Any] = []
        for index, item in enumerate(items):
            if isinstance(value, list):
                self.note(f"{pointer}/{index}", item, _item_loc(value, index))
            if isinstance(item, Unknown):
                out.append(item)
            elif isinstance(item, bool):
                out.append("true" if item else "false")
            elif item is None:
                continue  # Terraform drops nulls from lists it renders
            else:
                out.append(str(item) if isinstance(item, str) else _scalar(item))
        return out

    def principal(self, value: Any, pointer: str) -> Any:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, str):
            return str(value)
        if not isinstance(value, dict):
            return self.plain(value, pointer)
        return {
            (k if isinstance(k, Unknown) else str(k)): self.string_list(v, f"{pointer}/{k}")
            for k, v in value.items()
            if not self.note(f"{pointer}/{k}", v, _value_loc(value, k))
        }

    def condition(self, value: Any, pointer: str) -> Any:
        if not isinstance(value, dict):
            return value if isinstance(value, Unknown) else self.plain(value, pointer)
        out: dict[Any, Any] = {}
        for operator, block in value.items():
            op_pointer = f"{pointer}/{operator}"
            self.note(op_pointer, block, _value_loc(value, operator))
            if not isinstance(block, dict):
                out[_key(operator)] = (
                    block if isinstance(block, Unknown) else self.plain(block, op_pointer)
                )
                continue
            out[_key(operator)] = {
                _key(k): self.string_list(v, f"{op_pointer}/{k}")
                for k, v in block.items()
                if not self.note(f"{op_pointer}/{k}", v, _value_loc(block, k))
            }
        return out

    def plain(self, value: Any, pointer: str) -> Any:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, dict):
            return {_key(k): self.plain(v, f"{pointer}/{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.plain(v, f"{pointer}/{i}") for i, v in enumerate(value)]
        if isinstance(value, str):
            return str(value)
        return value


def _value_loc(container: Any, key: Any) -> Location | None:
    return getattr(container, "value_locs", {}).get(key)


def _item_loc(container: Any, index: int) -> Location | None:
    locs = getattr(container, "item_locs", None)
    return locs[index] if locs and index < len(locs) else None


def _key(key: Any) -> Any:
    return key if isinstance(key, Unknown) else str(key)


def _scalar(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def normalize(data: Any, where: Location | None) -> Document:
    normalizer = _Normalizer()
    document = normalizer.document(data, where)
    return Document(document, normalizer.spans, _unique(normalizer.unknowns), normalizer.problems)


def _unique(unknowns: list[Unknown]) -> list[Unknown]:
    seen: set[tuple[str, Location | None]] = set()
    out = []
    for item in unknowns:
        key = (item.text, item.location)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


# --- a policy attribute's value ------------------------------------------------------------------


def from_value(value: Any, where: Location, exact_text: bool = False) -> Document:
    """The document a policy attribute holds.

    ``exact_text``: the string is exactly the file's text at its location (a ``file()`` or a
    heredoc without escapes), so JSON values inside get exact spans too.
    """
    if isinstance(value, PolicyDocumentValue):
        return Document(
            value.document,
            dict(value.spans),
            list(value.unknowns),
            [],
            [value.address, *value.origins],
        )
    if isinstance(value, Encoded):
        return normalize(value.data, value.loc or where)
    if isinstance(value, Unknown):
        if value.parts is not None and any(p and ("{" in p or '"' in p) for p in value.parts):
            return _from_partial_json(value, where)
        doc = Document(value, {"": value.location or where}, [value])
        return doc
    if isinstance(value, str):
        loc = location_of(value) or where
        exact = _heredoc_as_written(value)
        if exact is None:
            exact = _quoted_json_as_written(value)
        if exact is not None:
            doc = normalize(exact, loc)
            doc.spans[""] = loc
            return doc
        try:
            if exact_text or _is_exact(value):
                data = jsonspan.loads(str(value), _file_of(value), loc.start)
            else:
                data = jsonspan.loads(str(value))
        except jsonspan.JsonSyntaxError as err:
            where_err = _offset_location(value, loc, err.offset)
            return Document(
                Unknown("<policy>", loc, "invalid JSON"), {}, [], [(where_err, err.message)]
            )
        if isinstance(data, LDict) and data.loc is None:
            data.loc = loc
        doc = normalize(data, loc)
        doc.spans[""] = loc
        return doc
    if isinstance(value, dict):
        return normalize(value, where)
    return Document(
        Unknown("<policy>", where, "not a policy document"),
        {},
        [],
        [(where, "expected a policy document (JSON object or jsonencode())")],
    )


def _heredoc_as_written(value: Any) -> Any:
    """A heredoc's JSON read from the file itself, so values inside get exact spans.

    Only when that reads the same as the rendered text (no `$${` escapes inside strings, say);
    JSON does not care about the indentation `<<-` strips.
    """
    raw = getattr(value, "raw", None)
    if raw is None:
        return None
    file, start, end = raw
    try:
        as_written = jsonspan.loads(file.text[start:end], file, start)
        rendered = jsonspan.loads(str(value))
    except jsonspan.JsonSyntaxError:
        return None
    return as_written if _plain(as_written) == _plain(rendered) else None


class _QuotedOffsets:
    """Maps offsets in a quoted HCL string's value back to the file (escapes make the written
    text longer than the value)."""

    def __init__(self, file: Any, raw_positions: list[int]) -> None:
        self.file = file
        self.raw = raw_positions

    def location(self, start: int, end: int) -> Location:
        return self.file.location(self.raw[start], self.raw[end])


_HCL_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _quoted_json_as_written(value: Any) -> Any:
    """JSON written as a quoted HCL string, read with exact spans of every value inside."""
    file = getattr(value, "quoted_in", None)
    loc = location_of(value)
    if file is None or loc is None:
        return None
    raw = file.text[loc.start : loc.end]
    if not (raw.startswith('"') and raw.endswith('"')):
        return None
    decoded: list[str] = []
    positions: list[int] = []
    i = 1
    while i < len(raw) - 1:
        offset = loc.start + i
        ch = raw[i]
        if ch == "\\" and raw[i + 1] in _HCL_ESCAPES:
            decoded.append(_HCL_ESCAPES[raw[i + 1]])
            positions.append(offset)
            i += 2
        elif ch == "\\":
            return None  # \u escapes and the like: not worth mapping
        elif raw.startswith(("$${", "%%{"), i):
            decoded.append(raw[i + 1 : i + 3])
            positions.extend([offset, offset + 2])
            i += 3
        else:
            decoded.append(ch)
            positions.append(offset)
            i += 1
    positions.append(loc.start + len(raw) - 1)
    text = "".join(decoded)
    if text != str(value):
        return None
    try:
        return jsonspan.loads(text, _QuotedOffsets(file, positions), 0)
    except jsonspan.JsonSyntaxError:
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def _file_of(value: Any) -> Any:
    return getattr(value, "file", None)


def _is_exact(value: Any) -> bool:
    return getattr(value, "file", None) is not None


def _offset_location(value: Any, loc: Location, offset: int) -> Location:
    file = getattr(value, "file", None)
    if file is not None:
        return file.location(loc.start + offset, loc.start + offset)
    text = str(value)
    line_in_text = text.count("\n", 0, offset)
    body_line = getattr(value, "body_line", None)
    if body_line is not None:
        column = offset - text.rfind("\n", 0, offset)
        line = body_line + line_in_text
        return Location(loc.file, loc.start, loc.end, line, column, line, column)
    return Location(
        loc.file,
        loc.start,
        loc.end,
        loc.line + line_in_text,
        loc.column if line_in_text == 0 else offset - text.rfind("\n", 0, offset),
        loc.end_line,
        loc.end_column,
    )


_PLACEHOLDER = re.compile(r"__iamlint_unknown_[0-9a-f]{8}_(\d+)__")


def _from_partial_json(value: Unknown, where: Location) -> Document:
    """A JSON template with interpolations Terraform alone can fill (a heredoc with ``${...}``).

    Each unknown piece becomes a placeholder; inside a JSON string it stays part of that string
    (and the string becomes an `Unknown` with literal parts), outside one it stands for a whole
    JSON value.
    """
    assert value.parts is not None
    tag = uuid.uuid4().hex[:8]
    known = getattr(value, "pieces", ())
    pieces: list[str] = []
    in_string = False
    index = 0
    for part in value.parts:
        if part is None:
            token = f"__iamlint_unknown_{tag}_{index}__"
            pieces.append(token if in_string else f'"{token}"')
            index += 1
            continue
        pieces.append(part)
        in_string = _ends_inside_string(part, in_string)
    text = "".join(pieces)
    try:
        data = jsonspan.loads(text)
    except jsonspan.JsonSyntaxError as err:
        return Document(
            Unknown(value.text, value.location, "invalid JSON"),
            {},
            [],
            [(value.location or where, err.message)],
        )
    restored = _restore(data, value, known)
    doc = normalize(restored, value.location or where)
    doc.spans[""] = value.location or where
    return doc


def _ends_inside_string(text: str, in_string: bool) -> bool:
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and in_string:
            escaped = True
        elif ch == '"':
            in_string = not in_string
    return in_string


def _restore(data: Any, template: Unknown, known: tuple[Unknown, ...]) -> Any:
    """Put the unknowns back where their placeholders ended up."""
    if isinstance(data, str):
        if not _PLACEHOLDER.search(data):
            return data
        pieces = _PLACEHOLDER.split(data)
        parts: list[str | None] = []
        inner: list[Unknown] = []
        for i, piece in enumerate(pieces):
            if i % 2:
                parts.append(None)
                index = int(piece)
                if index < len(known):
                    inner.append(known[index])
            elif piece:
                parts.append(piece)
        first = inner[0] if inner else template
        if parts == [None]:
            # Inside JSON quotes the value is one string, whatever the expression is.
            return replace(first, parts=(None,)) if first.parts is None else first
        text = "".join(
            p if p is not None else "${" + (inner.pop(0).text if inner else "?") + "}"
            for p in parts
        )
        return Unknown(text, first.location, "interpolated by Terraform", tuple(parts))
    if isinstance(data, dict):
        out = LDict(loc=getattr(data, "loc", None))
        for k, v in data.items():
            out[_restore(k, template, known)] = _restore(v, template, known)
        return out
    if isinstance(data, list):
        return LList((_restore(v, template, known) for v in data), getattr(data, "loc", None))
    return data


__all__ = ["Document", "LStr", "from_value", "normalize"]
