"""Import CloudTrail log files into a snapshot: streaming over files, one process per core.

The parent and ``jobs - 1`` forked workers claim files one at a time from a shared index. Each
keeps one builder for all the files it reads (so an event seen in every file is planned once
per process, not once per file) and reports each file's outcome as it goes, for the progress
bar; at the end a worker sends its principals back one by one and the parent merges them.
Merging is commutative, so the snapshot is the same whatever the scheduling.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlint.usage.builder import SnapshotBuilder, labels
from iamlint.usage.cloudtrail_events import CloudTrailCoverage, EventFolder
from iamlint.usage.cloudtrail_files import (
    discover,
    file_digest,
    parse_log_file,
    read_bytes,
)
from iamlint.usage.collector import collector_paused
from iamlint.usage.errors import UsageInputError
from iamlint.usage.progress import Progress
from iamlint.usage.source_ids import source_id_for

# While reading, rows need a source id; the content-derived one is known only once every
# file's digest is, and replaces this at the end.
PROVISIONAL_SOURCE = "cloudtrail-pending"


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What reading one file gave: its record count and digest, or why it could not be read."""

    records: int
    digest: str | None
    error: UsageInputError | None


class LogReader:
    """Reads log files into one builder (one per process)."""

    def __init__(self, source_id: str) -> None:
        self.builder = SnapshotBuilder()
        self.coverage = CloudTrailCoverage()
        self._folder = EventFolder(self.builder, self.coverage, source_id)

    def read(self, path: str) -> FileOutcome:
        try:
            raw = read_bytes(Path(path))
            records = parse_log_file(Path(path), raw)
        except UsageInputError as error:
            return FileOutcome(0, None, error.detached())
        self._folder.add_records(records)
        return FileOutcome(len(records), file_digest(raw), None)

    def finish(self) -> tuple[SnapshotBuilder, CloudTrailCoverage]:
        self._folder.finish()
        return self.builder, self.coverage


def _claim(files: Sequence[str], next_file: Any) -> Iterator[str]:
    """Files for this process, one at a time, from the index all processes share."""
    while True:
        with next_file.get_lock():
            index = next_file.value
            next_file.value = index + 1
        if index >= len(files):
            return
        yield files[index]


def _worker(files: Sequence[str], next_file: Any, results: Any, source_id: str) -> None:
    """A worker process: read files until none are left, then send the builder back.

    Principals are sent one at a time and dropped here once sent, so neither this process nor
    the parent ever holds two whole copies of the aggregate.
    """
    try:
        with collector_paused():
            reader = LogReader(source_id)
            for path in _claim(files, next_file):
                results.put(("file", reader.read(path)))
            builder, coverage = reader.finish()
            for arn in sorted(builder.principals):
                results.put(("principal", builder.principals.pop(arn)))
            results.put(("done", (builder, coverage)))
    except BaseException as error:  # report anything: the parent must not wait for a dead worker
        results.put(("failed", (f"{type(error).__name__}: {error}", traceback.format_exc())))


@dataclass(slots=True)
class CloudTrailImport:
    builder: SnapshotBuilder
    problems: list[UsageInputError] = field(default_factory=list)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class WorkerFailed(RuntimeError):
    """A worker process died or raised: the import cannot be complete. The message is one
    line; the worker's traceback is kept for IAMLINT_DEBUG."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


def _by_size(files: Sequence[str]) -> list[str]:
    # Largest first: the last files handed out are small, so workers finish together.
    def size(path: str) -> int:
        try:
            return os.path.getsize(path)
        except OSError:
            return 0

    return sorted(files, key=lambda path: (-size(path), path))


def _read_in_parallel(
    files: Sequence[str], jobs: int, on_file: Callable[[FileOutcome], None]
) -> tuple[SnapshotBuilder, CloudTrailCoverage]:
    """Read files in this process and ``jobs - 1`` forked workers, then merge their builders.

    The parent reads too, so only the workers' builders cross a process boundary (pickling a
    builder is serial work at the end). Files are claimed one at a time from a shared index,
    largest first, so all processes finish together.
    """
    files = _by_size(files)
    context = multiprocessing.get_context("fork")
    next_file = context.Value("q", 0)
    results = context.Queue()
    workers = [
        context.Process(
            target=_worker, args=(files, next_file, results, PROVISIONAL_SOURCE), daemon=True
        )
        for _ in range(jobs - 1)
    ]
    for worker in workers:
        worker.start()
    reader = LogReader(PROVISIONAL_SOURCE)
    parts: list[tuple[SnapshotBuilder, CloudTrailCoverage]] = []

    def receive(timeout: float | None) -> None:
        try:
            kind, payload = results.get(timeout=timeout) if timeout else results.get_nowait()
        except queue.Empty:
            if any(w.exitcode not in (None, 0) for w in workers):
                raise WorkerFailed("a CloudTrail worker process died") from None
            return
        if kind == "file":
            on_file(payload)
        elif kind == "principal":
            reader.builder.merge_principal(payload)
        elif kind == "done":
            parts.append(payload)
        else:
            summary, details = payload
            raise WorkerFailed(f"a CloudTrail worker failed: {summary}", details)

    try:
        for path in _claim(files, next_file):
            on_file(reader.read(path))
            while not results.empty():
                receive(None)
        builder, coverage = reader.finish()
        while len(parts) < len(workers):
            receive(1.0)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
    for part, part_coverage in parts:
        builder.merge(part)
        coverage.merge(part_coverage)
    return builder, coverage


def import_cloudtrail(
    sources: Sequence[str], jobs: int | None = None, show_progress: bool = True
) -> CloudTrailImport:
    discovery = discover(sources)
    problems = list(discovery.problems)
    files = [str(p) for p in discovery.files]
    jobs = max(1, min(jobs or default_jobs(), len(files) or 1))
    progress = Progress(len(files), "cloudtrail") if show_progress else None
    digests: list[str] = []

    def on_file(outcome: FileOutcome) -> None:
        if outcome.error is not None:
            problems.append(outcome.error)
        if outcome.digest is not None:
            digests.append(outcome.digest)
        if progress is not None:
            progress.advance(outcome.records)

    builder = SnapshotBuilder()
    coverage = CloudTrailCoverage()
    try:
        with collector_paused():
            if jobs == 1:
                reader = LogReader(PROVISIONAL_SOURCE)
                for path in files:
                    on_file(reader.read(path))
                builder, coverage = reader.finish()
            else:
                builder, coverage = _read_in_parallel(files, jobs, on_file)
    finally:
        if progress is not None:
            progress.close()
    if discovery.duplicates:
        coverage.skipped["duplicate files"] += discovery.duplicates
    source_id = source_id_for("cloudtrail", sorted(digests))
    rename_source(builder, PROVISIONAL_SOURCE, source_id)
    locator = ", ".join(sorted(sources))
    builder.add_source(
        cloudtrail_source(source_id, locator, "python", coverage, len(digests), problems)
    )
    return CloudTrailImport(builder, problems)


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


def rename_source(builder: SnapshotBuilder, old: str, new: str) -> None:
    for principal in builder.principals.values():
        for row in principal.rows.values():
            if old in row.sources:
                row.sources = labels((*(row.sources - {old}), new))
    for entry in builder.unmapped.values():
        if old in entry.sources:
            entry.sources.discard(old)
            entry.sources.add(new)
