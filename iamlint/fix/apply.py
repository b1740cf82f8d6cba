"""Applying edits to file texts, showing them as a unified diff `git apply` accepts, and
writing them (`fix --write`) safely."""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

from iamlint.checks.finding import Edit
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import Repository, read_regular


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


# --- writing: `fix --write` --------------------------------------------------------------------


def write_patched(
    changes: list[tuple[str, str, str]], cwd: Path, repository: Repository
) -> list[InputError]:
    """Write each ``(display path, text planned from, patched text)``; what could not be
    written, each file's error (the others are written all the same)."""
    errors: list[InputError] = []
    for display, original, patched in changes:
        try:
            write_patch(cwd / display, display, original, patched, repository)
        except InputError as err:
            errors.append(err)
    return errors


def write_patch(path: Path, display: str, original: str, patched: str, repo: Repository) -> None:
    """Replace the file with ``patched`` in one step, if it still holds ``original``.

    The file must be inside the repository (a symbolic link is written through to its
    target, which must be inside too). A file edited since it was read is left alone: the
    patch was planned on the old text and would overwrite the edit. The BOM and the file's
    mode are kept; on any failure (a read-only folder, a full disk) the original is intact
    and no temporary file is left behind.
    """
    real = repo.check(path, display)
    raw = read_regular(real, display)
    if _planned_text(raw) != original:
        raise InputError(
            display, 1, 1, "changed since iamlint read it: not written (run iamlint fix again)"
        )
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    temp = ""
    try:
        mode = os.stat(real).st_mode & 0o7777
        handle, temp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".iamlint")
        try:
            _write_fully(handle, bom + patched.encode("utf-8"))
            os.fsync(handle)
        finally:
            os.close(handle)
        os.chmod(temp, mode)
        os.replace(temp, real)
        temp = ""
    except OSError as err:
        raise InputError(
            display, 1, 1, f"cannot write the patched file ({err.strerror or err}); it is unchanged"
        ) from None
    finally:
        if temp:
            Path(temp).unlink(missing_ok=True)


def _planned_text(raw: bytes) -> str | None:
    """The text as the planner reads it (BOM removed, line endings kept); None if it is no
    longer UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _write_fully(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]
