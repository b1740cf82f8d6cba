"""Finding and reading CloudTrail log files as AWS delivers them.

A delivered file is one gzip-compressed JSON object ``{"Records": [...]}`` under
``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`` (organization trails add ``<o-id>/``).
A file is parsed whole: CloudTrail caps delivered files at tens of MB, so memory is bounded by
the largest file plus the aggregate, never by the total input size.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from iamlint.usage.cloudtrail_records import NotTyped, Record, decode_typed, record_from_object
from iamlint.usage.errors import UsageInputError

# <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz: unique per delivered object.
_DELIVERED_NAME = re.compile(
    r"^\d{12}_CloudTrail_[a-z0-9-]+_\d{8}T\d{4}Z_[A-Za-z0-9]+\.json(\.gz)?$"
)


@dataclass(frozen=True, slots=True)
class Discovery:
    files: list[Path]
    problems: list[UsageInputError]
    duplicates: int


def _is_log_file(path: Path) -> bool:
    name = path.name
    if not (name.endswith(".json.gz") or name.endswith(".json")):
        return False
    # Digest files describe log files; they hold no events.
    return "CloudTrail-Digest" not in path.parts and "_CloudTrail-Digest_" not in name


def discover(sources: Iterable[str]) -> Discovery:
    """Expand directories (recursively) into log files, in a stable order."""
    found: list[Path] = []
    problems: list[UsageInputError] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and _is_log_file(p)))
        elif path.is_file():
            found.append(path)
        else:
            problems.append(UsageInputError(source, "no such file or directory"))
    files: list[Path] = []
    seen_names: set[str] = set()
    seen_paths: set[Path] = set()
    duplicates = 0
    for path in found:
        resolved = path.resolve()
        # The same delivered object reached twice (overlapping arguments, a copied prefix)
        # would double every count.
        if resolved in seen_paths or (_DELIVERED_NAME.match(path.name) and path.name in seen_names):
            duplicates += 1
            continue
        seen_paths.add(resolved)
        seen_names.add(path.name)
        files.append(path)
    return Discovery(files, problems, duplicates)


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageInputError(str(path), f"cannot read: {exc.strerror or exc}") from None


def file_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse_log_file(path: Path, raw: bytes) -> list[Record]:
    """The records of one log file, or a `UsageInputError` saying what was expected."""
    file = str(path)
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise UsageInputError(
                file, f"expected a gzip-compressed CloudTrail log: {exc}"
            ) from None
    try:
        return decode_typed(raw)
    except NotTyped:
        pass
    # Not the usual shape: the standard library reads it, tolerantly, and names what is wrong.
    try:
        document = json.loads(raw)
    except UnicodeDecodeError:
        raise UsageInputError(file, "expected UTF-8 JSON (a CloudTrail log file)") from None
    except RecursionError:
        raise UsageInputError(file, "expected CloudTrail JSON: nested too deeply", 1) from None
    except json.JSONDecodeError as exc:
        raise UsageInputError(
            file, f"expected CloudTrail JSON: {exc.msg} (column {exc.colno})", exc.lineno
        ) from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise UsageInputError(file, f"expected CloudTrail JSON: {exc}", 1) from None
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        return [record_from_object(record) for record in document["Records"]]
    if isinstance(document, dict) and "logFiles" in document:
        raise UsageInputError(file, "this is a CloudTrail digest file, not a log file", 1)
    raise UsageInputError(
        file, 'expected a CloudTrail log file: a JSON object with a "Records" list', 1
    )
