"""The user cache folder: grammar tables and per-file parse results, never in site-packages."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """``$IAMLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/iamlint``, else ``~/.cache/iamlint``.

    Falls back to a per-user temporary folder when none of those can be written, so a
    read-only home never turns into an error. Not memoized: tests and callers may point
    ``IAMLINT_CACHE_DIR`` elsewhere at any time, and the check costs two system calls.
    """
    candidates: list[Path] = []
    if explicit := os.environ.get("IAMLINT_CACHE_DIR"):
        candidates.append(Path(explicit))
    xdg = os.environ.get("XDG_CACHE_HOME")
    candidates.append(Path(xdg) / "iamlint" if xdg else Path.home() / ".cache" / "iamlint")
    candidates.append(Path(tempfile.gettempdir()) / f"iamlint-{os.getuid()}")
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    return candidates[-1]


@functools.cache
def code_fingerprint() -> str:
    """A hash of the reader's own code: cached parse trees and projects are pickled objects of
    its classes, so any change to that code must miss the cache, not load stale shapes."""
    import hashlib

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*(package / "terraform").glob("*.py"), package / "model.py"]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
