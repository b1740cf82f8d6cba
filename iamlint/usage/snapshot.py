"""The usage snapshot: load (always schema-validated), canonical dump, and empty construction.

A snapshot is plain JSON data (dicts and lists) so it can be committed, reviewed and diffed.
``dump_snapshot`` is the only writer: sorted keys, sorted collections, fixed separators and a
trailing newline, so the same evidence always gives the same bytes.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from iamlint import __version__
from iamlint.usage.catalog import catalog_version
from iamlint.usage.collector import collector_paused
from iamlint.usage.errors import UsageInputError

if TYPE_CHECKING:
    import jsonschema

SCHEMA_ID = "iamlint.usage/v1"
Snapshot = dict[str, Any]


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    # Imported here: writing a snapshot (the importers) never needs it, and it costs a
    # noticeable part of a short command's start-up.
    import jsonschema

    return jsonschema.Draft202012Validator(snapshot_schema())


@lru_cache(maxsize=1)
def snapshot_schema() -> dict[str, Any]:
    text = resources.files("iamlint.usage").joinpath("snapshot.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def empty_snapshot() -> Snapshot:
    return {
        "schema": SCHEMA_ID,
        "generator": {"name": "iamlint", "version": __version__, "catalog": catalog_version()},
        "window": {"start": None, "end": None},
        "sources": [],
        "principals": [],
        "unmapped": [],
    }


def _json_path(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_snapshot(data: Any, file: str = "<snapshot>") -> Snapshot:
    """Raise `UsageInputError` naming the JSON path of the first (deepest-first) problem."""
    validator = _validator()
    if validator.is_valid(data):
        return data  # type: ignore[no-any-return]
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.path)), e.message))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise UsageInputError(
            file, f"not a valid usage snapshot at {_json_path(first.path)}: {first.message}{more}"
        )
    return data  # type: ignore[no-any-return]


def load_snapshot(path: str | Path) -> Snapshot:
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageInputError(file, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageInputError(file, "expected a UTF-8 JSON usage snapshot") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageInputError(
            file, f"expected a JSON usage snapshot: {exc.msg} (column {exc.colno})", exc.lineno
        ) from None
    return validate_snapshot(data, file)


def _encoded(value: Any, depth: int) -> bytes:
    text = msgspec.json.format(msgspec.json.encode(value, order="sorted"), indent=2)
    # JSON strings never hold a raw newline, so every newline is a line of the layout.
    return text.replace(b"\n", b"\n" + b"  " * depth) if depth else text


def snapshot_chunks(snapshot: Snapshot) -> Iterator[bytes]:
    """The canonical text, piece by piece: the same bytes as
    ``json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\\n"``.

    A top-level list may be given as an iterator (the builder renders principals lazily), so
    a large snapshot is written without ever being whole in memory, as objects or as text.
    """
    yield b"{"
    for index, key in enumerate(sorted(snapshot)):
        value = snapshot[key]
        yield (b"\n  " if index == 0 else b",\n  ") + _encoded(key, 0) + b": "
        if isinstance(value, list | Iterator):
            written = 0
            for item in value:
                yield (b"[\n    " if written == 0 else b",\n    ") + _encoded(item, 2)
                written += 1
            yield b"\n  ]" if written else b"[]"
        else:
            yield _encoded(value, 1)
    yield b"\n}\n" if snapshot else b"}\n"


def dump_snapshot(snapshot: Snapshot) -> str:
    """Canonical text. The builder produces valid, sorted snapshots by construction (the tests
    load every one they write), so large snapshots are not re-validated here."""
    return b"".join(snapshot_chunks(snapshot)).decode("utf-8")


def write_snapshot(snapshot: Snapshot, path: str | Path | None) -> None:
    """Write the canonical text to stdout, or to a file: atomically (all of it or nothing)
    when it is a regular file or a new one, keeping an existing file's permissions and any
    symbolic link to it; straight through for anything else (``/dev/stdout``, a pipe)."""
    if path in (None, "-"):
        _write_chunks(sys.stdout.buffer, snapshot)
        return
    given = Path(path)  # type: ignore[arg-type]
    target = given.resolve() if given.is_symlink() else given
    if target.exists() and not target.is_file():
        with open(target, "wb") as stream:
            _write_chunks(stream, snapshot)
        return
    if target.exists():
        mode = target.stat().st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed or removed below
        "wb", dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            _write_chunks(handle, snapshot)
        os.chmod(handle.name, mode)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _write_chunks(stream: Any, snapshot: Snapshot) -> None:
    with collector_paused():  # rendering allocates a row's worth of dicts at a time
        for chunk in snapshot_chunks(snapshot):
            stream.write(chunk)
        stream.flush()
