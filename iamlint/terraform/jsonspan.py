"""A JSON reader that keeps the span of every value (Python's `json` forgets them).

Policies written as JSON (heredocs, ``file()``, ``.tf.json``) need the same exact spans as HCL
values, so a later patch can replace one action inside them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from iamlint.model import Location
from iamlint.terraform.files import SourceFile
from iamlint.terraform.values import LDict, LList, LStr

_WS = re.compile(r"[ \t\r\n]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"', re.DOTALL)


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class _Reader:
    def __init__(self, text: str, file: SourceFile | None, base: int) -> None:
        self.text = text
        self.file = file
        self.base = base
        self.pos = 0

    def loc(self, start: int, end: int) -> Location | None:
        if self.file is None:
            return None
        return self.file.location(self.base + start, self.base + end)

    def skip(self) -> None:
        self.pos = _WS.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def fail(self, expected: str) -> JsonSyntaxError:
        found = self.text[self.pos : self.pos + 1] or "end of text"
        return JsonSyntaxError(f"invalid JSON: expected {expected}, found {found!r}", self.pos)

    def value(self) -> Any:
        self.skip()
        start = self.pos
        ch = self.text[start : start + 1]
        if ch == "{":
            return self.obj()
        if ch == "[":
            return self.arr()
        if ch == '"':
            raw = self.string()
            return LStr(raw, self.loc(start, self.pos))
        match = _NUMBER.match(self.text, start)
        if match and match.end() > start:
            self.pos = match.end()
            number = match.group(0)
            return float(number) if any(c in number for c in ".eE") else int(number)
        for word, result in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, start):
                self.pos = start + len(word)
                return result
        raise self.fail("a JSON value")

    def string(self) -> str:
        match = _STRING.match(self.text, self.pos)
        if not match:
            raise self.fail("a closed string")
        self.pos = match.end()
        try:
            return json.loads(match.group(0))  # type: ignore[no-any-return]
        except ValueError:
            raise JsonSyntaxError("invalid escape in JSON string", match.start()) from None

    def obj(self) -> LDict:
        start = self.pos
        self.pos += 1
        out = LDict()
        self.skip()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            out.loc = self.loc(start, self.pos)
            return out
        while True:
            self.skip()
            key_start = self.pos
            if not self.text.startswith('"', self.pos):
                raise self.fail("a quoted key")
            key = self.string()
            key_loc = self.loc(key_start, self.pos)
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("':'")
            self.pos += 1
            out[key] = self.value()
            if key_loc is not None:
                out.key_locs[key] = key_loc
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                self.pos += 1
                out.loc = self.loc(start, self.pos)
                return out
            raise self.fail("',' or '}'")

    def arr(self) -> LList:
        start = self.pos
        self.pos += 1
        out = LList()
        self.skip()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            out.loc = self.loc(start, self.pos)
            return out
        while True:
            out.append(self.value())
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                self.pos += 1
                out.loc = self.loc(start, self.pos)
                return out
            raise self.fail("',' or ']'")


def loads(text: str, file: SourceFile | None = None, base: int = 0) -> Any:
    """Parse JSON; with ``file``, values carry locations at ``base + offset`` in that file."""
    reader = _Reader(text, file, base)
    value = reader.value()
    reader.skip()
    if reader.pos != len(text):
        raise reader.fail("end of JSON")
    return value
