"""Values the evaluator produces: plain Python data that remembers where it was written.

A string, list or object that comes straight from the source carries its `Location` in ``.loc``
(lists and objects also carry the locations of their items), so a document built from them knows
the exact span of every piece a patch may replace. Values computed by functions carry no
location: there is no single place to patch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iamlint.model import Location, Unknown


class LStr(str):
    """A string written literally in the source."""

    loc: Location | None

    def __new__(cls, value: str, loc: Location | None) -> LStr:
        obj = super().__new__(cls, value)
        obj.loc = loc
        return obj


class LList(list):  # type: ignore[type-arg]
    """A list; ``item_locs`` are where each item's expression is written in this list."""

    loc: Location | None
    item_locs: list[Location | None]

    def __init__(self, items: Any = (), loc: Location | None = None) -> None:
        super().__init__(items)
        self.loc = loc
        self.item_locs = []


class LDict(dict):  # type: ignore[type-arg]
    loc: Location | None
    key_locs: dict[Any, Location]
    value_locs: dict[Any, Location]  # where each value's expression is written in this object

    def __init__(self, items: Any = (), loc: Location | None = None) -> None:
        super().__init__(items)
        self.loc = loc
        self.key_locs = {}
        self.value_locs = {}


class Encoded(str):
    """The result of ``jsonencode(x)``: JSON text that still knows the data and its spans."""

    data: Any
    loc: Location | None

    def __new__(cls, text: str, data: Any, loc: Location | None) -> Encoded:
        obj = super().__new__(cls, text)
        obj.data = data
        obj.loc = loc
        return obj


@dataclass(frozen=True, slots=True)
class Reference(Unknown):
    """An unknown that is an attribute of something Terraform manages (``aws_iam_policy.p.arn``).

    The attachment graph follows these: the value is unknown, the thing it points at is not.
    """

    address: str = ""
    attribute: str = ""


@dataclass(frozen=True, slots=True)
class TemplateUnknown(Unknown):
    """A template with unknown pieces; ``pieces`` are those unknowns, one per ``None`` part."""

    pieces: tuple[Unknown, ...] = ()


@dataclass(slots=True)
class PolicyDocumentValue:
    """``data.aws_iam_policy_document.X.json``: a document built by Terraform from HCL blocks."""

    address: str
    document: Any  # normalized document dict, or Unknown
    spans: dict[str, Location] = field(default_factory=dict)
    unknowns: list[Unknown] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    location: Location | None = None


def location_of(value: object) -> Location | None:
    if isinstance(value, Unknown):
        return value.location
    if isinstance(value, PolicyDocumentValue):
        return value.location
    return getattr(value, "loc", None)


def contains_unknown(value: object) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(k) or contains_unknown(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return isinstance(value, PolicyDocumentValue)


def plain(value: Any) -> Any:
    """Strip location wrappers (for hashing, JSON output, comparisons)."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class FileText(LStr):
    """The whole text of a file read by ``file()``: JSON inside it gets exact spans."""

    file: Any

    def __new__(cls, value: str, loc: Location | None, file: Any) -> FileText:
        obj = super().__new__(cls, value, loc)
        obj.file = file
        return obj


class HeredocText(LStr):
    """A heredoc's text: its JSON errors are reported from the line after ``<<EOF``."""

    body_line: int
    raw: Any  # (file, start, end) of the body as written, for exact spans inside its JSON

    def __new__(
        cls, value: str, loc: Location | None, body_line: int, raw: Any = None
    ) -> HeredocText:
        obj = super().__new__(cls, value, loc)
        obj.body_line = body_line
        obj.raw = raw
        return obj
