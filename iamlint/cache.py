"""The user cache folder: grammar tables and per-file parse results, never in site-packages."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path


@functools.cache
def cache_dir() -> Path:
    """``$IAMLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/iamlint``, else ``~/.cache/iamlint``.

    Falls back to a per-user temporary folder when none of those can be written, so a
    read-only home never turns into an error.
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
