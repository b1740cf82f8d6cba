"""Import CloudTrail log files into a snapshot: streaming over files, one process per core.

Each worker reads one file, groups its records by event key and folds the groups into a small
per-file builder; the parent merges builders as they arrive (in any order: merging is
commutative, so the snapshot is the same whatever the scheduling).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlint.usage.builder import SnapshotBuilder
from iamlint.usage.cloudtrail_events import CloudTrailCoverage, EventKey, event_key, fold_groups
from iamlint.usage.cloudtrail_files import (
    discover,
    file_digest,
    parse_log_file,
    read_bytes,
)
from iamlint.usage.errors import UsageInputError
from iamlint.usage.progress import Progress
from iamlint.usage.source_ids import source_id_for


@dataclass(slots=True)
class FileResult:
    path: str
    digest: str | None
    builder: SnapshotBuilder | None
    coverage: CloudTrailCoverage | None
    error: UsageInputError | None


def group_records(records: Sequence[Any]) -> dict[EventKey, list[Any]]:
    """Records → {key: [count, first_seen, last_seen]} (the hot loop of the importer)."""
    groups: dict[EventKey, list[Any]] = {}
    empty: dict[str, Any] = {}
    for record in records:
        if not isinstance(record, dict):
            record = empty
        key = event_key(record)
        when = record.get("eventTime")
        if not isinstance(when, str):
            when = None
        entry = groups.get(key)
        if entry is None:
            groups[key] = [1, when, when]
        else:
            entry[0] += 1
            if when is not None:
                if entry[1] is None or when < entry[1]:
                    entry[1] = when
                if entry[2] is None or when > entry[2]:
                    entry[2] = when
    return groups


def process_file(path: str, source_id: str) -> FileResult:
    try:
        raw = read_bytes(Path(path))
        digest = file_digest(raw)
        records = parse_log_file(Path(path), raw)
    except UsageInputError as error:
        return FileResult(path, None, None, None, error)
    groups = group_records(records)
    builder = SnapshotBuilder()
    coverage = CloudTrailCoverage()
    fold_groups(((k, v[0], v[1], v[2]) for k, v in groups.items()), builder, coverage, source_id)
    return FileResult(path, digest, builder, coverage, None)


def _process_file_args(args: tuple[str, str]) -> FileResult:
    return process_file(*args)


@dataclass(slots=True)
class CloudTrailImport:
    builder: SnapshotBuilder
    problems: list[UsageInputError] = field(default_factory=list)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cloudtrail_source(
    source_id: str,
    locator: str,
    engine: str,
    coverage: CloudTrailCoverage,
    files_read: int,
    problems: list[UsageInputError],
) -> dict[str, Any]:
    rendered = coverage.render()
    rendered["files_read"] = files_read
    rendered["files_failed"] = len([p for p in problems if p.file])
    return {
        "id": source_id,
        "kind": "cloudtrail",
        "locator": locator,
        "engine": engine,
        "window": {"start": coverage.first_seen, "end": coverage.last_seen},
        "granularity": "action",
        "coverage": rendered,
        "problems": [
            {"file": p.file, "line": p.line, "message": p.message}
            for p in sorted(problems, key=lambda p: (p.file, p.line or 0, p.message))
        ],
    }


def import_cloudtrail(
    sources: Sequence[str], jobs: int | None = None, show_progress: bool = True
) -> CloudTrailImport:
    discovery = discover(sources)
    problems = list(discovery.problems)
    files = [str(p) for p in discovery.files]
    # The id is provisional while reading (rows need one); it is replaced by the content-derived
    # id once every file's digest is known.
    provisional = "cloudtrail-pending"
    jobs = max(1, min(jobs or default_jobs(), len(files) or 1))
    progress = Progress(len(files), "cloudtrail") if show_progress else None
    builder = SnapshotBuilder()
    coverage = CloudTrailCoverage()
    digests: list[str] = []
    results: Any
    pool = None
    if jobs > 1:
        pool = multiprocessing.get_context("fork").Pool(jobs)
        results = pool.imap_unordered(_process_file_args, [(f, provisional) for f in files])
    else:
        results = (process_file(f, provisional) for f in files)
    try:
        for result in results:
            if result.error is not None:
                problems.append(result.error)
            else:
                assert result.builder is not None and result.coverage is not None
                builder.merge(result.builder)
                coverage.merge(result.coverage)
                digests.append(result.digest or "")
            if progress is not None:
                progress.advance(result.coverage.records_read if result.coverage else 0)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if progress is not None:
            progress.close()
    if discovery.duplicates:
        coverage.skipped["duplicate files"] += discovery.duplicates
    source_id = source_id_for("cloudtrail", sorted(digests))
    rename_source(builder, provisional, source_id)
    locator = ", ".join(sorted(sources))
    builder.add_source(
        cloudtrail_source(source_id, locator, "python", coverage, len(digests), problems)
    )
    return CloudTrailImport(builder, problems)


def rename_source(builder: SnapshotBuilder, old: str, new: str) -> None:
    for principal in builder.principals.values():
        for row in principal.rows.values():
            if old in row.sources:
                row.sources.discard(old)
                row.sources.add(new)
    for entry in builder.unmapped.values():
        if old in entry.sources:
            entry.sources.discard(old)
            entry.sources.add(new)
