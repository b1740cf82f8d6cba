"""A patch as GitHub pull-request review suggestions: JSON a CI job can post as comments.

Each changed run of lines becomes one comment on the new side of the diff whose body is a
``suggestion`` block; a pure insertion is anchored on the line above it, which the suggestion
repeats, since GitHub suggests replacements of existing lines only.
"""

from __future__ import annotations

import difflib
from typing import Any


def suggestions(display: str, old: str, new: str) -> list[dict[str, Any]]:
    old_lines = old.splitlines()
    new_lines = new.splitlines()
    out: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start, end = i1, i2  # 0-based, end exclusive, in the old file
        replacement = new_lines[j1:j2]
        if start == end:  # an insertion: anchor on the line before it
            start = max(start - 1, 0)
            end = start + 1
            replacement = [old_lines[start], *replacement] if old_lines else replacement
        comment: dict[str, Any] = {
            "path": display,
            "line": end,
            "side": "RIGHT",
            "body": "```suggestion\n" + "\n".join(replacement) + ("\n" if replacement else "")
            + "```",
        }  # fmt: skip
        if end - start > 1:
            comment["start_line"] = start + 1
            comment["start_side"] = "RIGHT"
        out.append(comment)
    return out
