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
class ChunkResult:
    """What one worker task returns for a chunk of files."""

    builder: SnapshotBuilder
    coverage: CloudTrailCoverage
    digests: list[str]
    errors: list[UsageInputError]
    files: int


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


def process_files(paths: Sequence[str], source_id: str) -> ChunkResult:
    """Read a chunk of files into one builder.

    Chunks (rather than single files) keep the per-task result small relative to the work:
    pickling a builder back to the parent and merging it there is serial work.
    """
    builder = SnapshotBuilder()
    coverage = CloudTrailCoverage()
    digests: list[str] = []
    errors: list[UsageInputError] = []
    for path in paths:
        try:
            raw = read_bytes(Path(path))
            records = parse_log_file(Path(path), raw)
        except UsageInputError as error:
            errors.append(error)
            continue
        digests.append(file_digest(raw))
        groups = group_records(records)
        fold_groups(
            ((k, v[0], v[1], v[2]) for k, v in groups.items()), builder, coverage, source_id
        )
    return ChunkResult(builder, coverage, digests, errors, len(paths))


def _process_files_args(args: tuple[list[str], str]) -> ChunkResult:
    return process_files(*args)


def chunked(files: Sequence[str], jobs: int) -> list[list[str]]:
    # About eight tasks per worker: enough to balance uneven files and to move the progress
    # bar, few enough that merging results in the parent stays cheap.
    size = max(1, -(-len(files) // (jobs * 8)))
    return [list(files[i : i + size]) for i in range(0, len(files), size)]


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
    tasks = [(chunk, provisional) for chunk in chunked(files, jobs)]
    if jobs > 1:
        pool = multiprocessing.get_context("fork").Pool(jobs)
        results = pool.imap_unordered(_process_files_args, tasks)
    else:
        results = (process_files(*task) for task in tasks)
    try:
        for result in results:
            problems.extend(result.errors)
            builder.merge(result.builder)
            coverage.merge(result.coverage)
            digests.extend(result.digests)
            if progress is not None:
                progress.advance(result.coverage.records_read, files=result.files)
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
