"""A one-line progress display on a terminal; silent otherwise (CI logs, pipes)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = total
        self.label = label
        self.done = 0
        self.records = 0
        self.started = time.monotonic()
        self._last_draw = 0.0

    def advance(self, records: int, files: int = 1) -> None:
        self.done += files
        self.records += records
        now = time.monotonic()
        if self.enabled and (now - self._last_draw > 0.1 or self.done == self.total):
            self._last_draw = now
            rate = self.records / max(now - self.started, 1e-6)
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(
                f"\r{self.label} [{bar}] {self.done}/{self.total} files, "
                f"{self.records:,} records, {rate:,.0f} records/s"
            )
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
