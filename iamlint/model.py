"""The vocabulary every layer of iamlint shares: where a value sits, and values nobody can know.

Nothing here knows HCL or IAM. `terraform/` produces these, `policy/`, `checks/` and `fix/`
consume them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


class Location(NamedTuple):
    """An exact character range in a source file.

    Offsets count code points of the file's text as read with ``newline=""`` (so CRLF is two
    characters) after any BOM is removed; lines and columns are 1-based, ``end_column`` is
    exclusive. ``file`` is the path as shown to the user (relative to the scan root).

    A named tuple rather than a dataclass: a large repository holds hundreds of thousands of
    them, and the project cache unpickles tuples several times faster.
    """

    file: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value that cannot be known without running Terraform (``var.x``, ``aws_s3_bucket.b.arn``).

    It is never ``"*"`` and never empty: checks answer "possibly" for it and name ``text``.
    ``parts`` describes a template such as ``"${aws_s3_bucket.b.arn}/*"`` as its literal pieces,
    with ``None`` for each unknown piece, so a check can still see the literal ``/*`` suffix.
    """

    text: str
    location: Location | None = None
    reason: str = ""
    parts: tuple[str | None, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"$unknown": self.text}
        if self.reason:
            out["reason"] = self.reason
        if self.parts is not None:
            out["parts"] = list(self.parts)
        if self.location is not None:
            out["location"] = self.location.to_json()
        return out

    def __str__(self) -> str:
        return f"<unknown: {self.text}>"


def is_unknown(value: object) -> bool:
    return isinstance(value, Unknown)


def to_json(value: Any) -> Any:
    """Turn a document that may hold `Unknown`s anywhere into plain JSON data."""
    if isinstance(value, Unknown):
        return value.to_json()
    if isinstance(value, dict):
        return {
            str(k) if not isinstance(k, Unknown) else f"${{{k.text}}}": to_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    """The inverse of `to_json` for documents: ``{"$unknown": text}`` becomes an `Unknown`."""
    if isinstance(value, dict):
        if "$unknown" in value and isinstance(value["$unknown"], str):
            loc = value.get("location")
            parts = value.get("parts")
            return Unknown(
                text=value["$unknown"],
                location=Location(**loc) if isinstance(loc, dict) else None,
                reason=str(value.get("reason", "")),
                parts=tuple(parts) if isinstance(parts, list) else None,
            )
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value
