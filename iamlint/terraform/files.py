"""Reading files exactly as written: BOM remembered, line endings kept, offsets in code points."""

from __future__ import annotations

import bisect
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from iamlint.model import Location
from iamlint.terraform.errors import InputError

MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(slots=True)
class SourceFile:
    path: Path  # absolute
    display: str  # as shown to users: relative to the scan root when inside it
    text: str
    bom: bool = False
    _line_starts: list[int] = field(default_factory=list)

    def location(self, start: int, end: int) -> Location:
        # Hot: every literal the evaluator reads gets one, so both ends are found inline.
        starts = self._line_starts or self._index_lines()
        line = bisect.bisect_right(starts, start)
        if line == len(starts) or end < starts[line]:
            end_line = line  # most values sit on one line
        else:
            end_line = bisect.bisect_right(starts, end, line)
        return Location(self.display, start, end, line, start - starts[line - 1] + 1,
                        end_line, end - starts[end_line - 1] + 1)  # fmt: skip

    def line_column(self, offset: int) -> tuple[int, int]:
        starts = self._line_starts or self._index_lines()
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def _index_lines(self) -> list[int]:
        starts = [0]
        find = self.text.find
        pos = find("\n")
        while pos >= 0:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._line_starts = starts
        return starts

    def snippet(self, start: int, end: int) -> str:
        return self.text[start:end]


# Texts that stand in for files on disk while a patch is proven (`iamlint.fix`): the patched
# project is read exactly as the real one would be, without writing anything first.
OVERLAY: ContextVar[dict[Path, str] | None] = ContextVar("iamlint_overlay", default=None)


def read_text(path: Path, display: str) -> SourceFile:
    """Read a text file; a binary, undecodable or unreadable file is an `InputError`."""
    overlay = OVERLAY.get()
    if overlay is not None and path.resolve() in overlay:
        return SourceFile(path=path, display=display, text=overlay[path.resolve()])
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                display,
                1,
                1,
                f"file is {size} bytes; iamlint reads files up to {MAX_FILE_BYTES} bytes",
            )
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(display, 1, 1, f"cannot read file: {err.strerror or err}") from None
    if b"\x00" in raw[:8192]:
        raise InputError(display, 1, 1, "binary file: expected UTF-8 text")
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        # newline="" semantics: decoding bytes directly keeps CRLF as two characters.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise InputError(display, line, column, "file is not valid UTF-8 text") from None
    return SourceFile(path=path, display=display, text=text, bom=bom)
