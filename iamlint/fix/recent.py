"""The recent-grant margin: a permission written in the last N days has had no time to show up
in the evidence, so a rewrite keeps it. Ages come from `git blame`; uncommitted lines are new.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from iamlint.model import Location

DEFAULT_DAYS = 14


class RecentlyWritten:
    def __init__(self, base: Path, days: int = DEFAULT_DAYS, now: float | None = None) -> None:
        self.base = base
        self.days = days
        self.now = now if now is not None else time.time()
        self._times: dict[str, dict[int, float] | None] = {}
        self.unavailable: set[str] = set()  # files without git history: the margin is off there

    def age_days(self, loc: Location) -> float | None:
        """Days since the line at ``loc`` was last written; None when git cannot say."""
        if self.days <= 0:
            return None
        times = self._blame(loc.file)
        if times is None or loc.line not in times:
            return None
        return max(0.0, (self.now - times[loc.line]) / 86400)

    def is_recent(self, loc: Location) -> float | None:
        age = self.age_days(loc)
        return age if age is not None and age < self.days else None

    def _blame(self, display: str) -> dict[int, float] | None:
        if display in self._times:
            return self._times[display]
        path = self.base / display
        try:
            out = subprocess.run(
                ["git", "blame", "--line-porcelain", "--", path.name],
                cwd=path.parent, capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            out = None
        if out is None or out.returncode != 0:
            self._times[display] = None
            self.unavailable.add(display)
            return None
        times: dict[int, float] = {}
        line = 0
        for row in out.stdout.splitlines():
            if row.startswith("\t"):
                continue
            parts = row.split(" ")
            if len(parts) >= 3 and len(parts[0]) == 40 and parts[2].isdigit():
                line = int(parts[2])
                if set(parts[0]) == {"0"}:
                    times[line] = self.now  # not committed yet: as new as it gets
            elif row.startswith("author-time ") and line not in times:
                times[line] = float(row.split(" ", 1)[1])
        self._times[display] = times
        return times
