"""Content-derived source ids: the same evidence always gets the same id (and snapshot bytes)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def source_id_for(kind: str, content_parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in content_parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    short_kind = kind.replace("_", "-").replace(".", "-")
    return f"{short_kind}-{digest.hexdigest()[:12]}"
