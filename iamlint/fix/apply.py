"""Applying edits to file texts, and showing them as a unified diff `git apply` accepts."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from itertools import pairwise

from iamlint.checks.finding import Edit


class OverlappingEdits(ValueError):
    pass


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply span replacements right to left on the original offsets."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for before, after in pairwise(ordered):
        if after.start < before.end:
            raise OverlappingEdits(f"edits overlap at {after.start} in {after.file}")
    for edit in reversed(ordered):
        if not 0 <= edit.start <= edit.end <= len(text):
            raise OverlappingEdits(f"edit {edit.start}-{edit.end} outside {edit.file}")
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


def unified_diff(display: str, old: str, new: str) -> str:
    """A git-style diff of one file (``a/`` and ``b/`` prefixes, so ``git apply`` takes it)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{display}",
        tofile=f"b/{display}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
