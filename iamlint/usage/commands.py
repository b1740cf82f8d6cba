"""``iamlint usage``: import evidence into snapshots, print the engine SQL, merge and diff.

Every input problem is printed as ``file[:line]: message`` and the command exits 2, but one bad
file never stops the others: whatever could be read is still written.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence

import click

from iamlint.usage.access_analyzer import (
    import_generated_policy,
    import_recommendation,
    import_unused_findings,
)
from iamlint.usage.builder import SnapshotBuilder
from iamlint.usage.cloudtrail_import import import_cloudtrail
from iamlint.usage.diff import diff_snapshots
from iamlint.usage.errors import UsageInputError
from iamlint.usage.evidence_files import read_json
from iamlint.usage.iamlive import import_iamlive
from iamlint.usage.last_accessed import import_last_accessed
from iamlint.usage.merge import merge_snapshots
from iamlint.usage.snapshot import Snapshot, load_snapshot, write_snapshot
from iamlint.usage.sql import ENGINES, aggregate_sql, import_duckdb, import_result_csv

INPUT_ERROR_EXIT = 2
KINDS = ("cloudtrail", "access-analyzer", "last-accessed", "iamlive", "athena", "trino")


def _report(problems: Sequence[UsageInputError]) -> None:
    for problem in problems:
        click.echo(f"error: {problem}", err=True)


def _write(snapshot: Snapshot, output: str | None) -> None:
    try:
        write_snapshot(snapshot, output)
    except OSError as exc:
        _report([UsageInputError(str(output), f"cannot write: {exc.strerror or exc}")])
        sys.exit(INPUT_ERROR_EXIT)


def _import_access_analyzer(
    path: str, builder: SnapshotBuilder, principal: str | None
) -> list[UsageInputError]:
    """Recognise which Access Analyzer command produced the file."""
    data = read_json(path)
    if isinstance(data, dict) and "generatedPolicyResult" in data:
        import_generated_policy(path, builder)
        return []
    if isinstance(data, dict) and ("recommendedSteps" in data or "recommendationType" in data):
        import_recommendation(path, builder, principal)
        return []
    if isinstance(data, list) or (
        isinstance(data, dict) and ("findings" in data or "findingType" in data)
    ):
        return import_unused_findings(path, builder)
    raise UsageInputError(
        path,
        "expected the JSON output of get-generated-policy, list-findings-v2, get-finding-v2 "
        "or get-finding-recommendation",
    )


def _per_file(
    sources: Sequence[str],
    builder: SnapshotBuilder,
    load: Callable[[str, SnapshotBuilder], list[UsageInputError] | None],
) -> list[UsageInputError]:
    problems: list[UsageInputError] = []
    for source in sources:
        # Each file goes into its own builder first, so a file that fails half-way adds nothing.
        scratch = SnapshotBuilder()
        try:
            problems.extend(load(source, scratch) or [])
        except UsageInputError as error:
            problems.append(error)
            continue
        builder.merge(scratch)
    return problems


@click.group()
def usage() -> None:
    """Usage evidence: CloudTrail, Access Analyzer, last-accessed data, iamlive → snapshots."""


@usage.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output", help="Write the snapshot here (default: standard output).")
@click.option("--principal", help="Principal ARN, for evidence that does not name it.")
@click.option(
    "--engine",
    type=click.Choice(["python", "duckdb"]),
    default="python",
    show_default=True,
    help="CloudTrail only: the streaming importer or DuckDB (needs iamlint[duckdb]).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="CloudTrail: processes reading files, this one included (default: all cores).",
)
@click.option("--progress/--no-progress", default=True, help="Progress bar on a terminal.")
def import_command(
    kind: str,
    sources: tuple[str, ...],
    output: str | None,
    principal: str | None,
    engine: str,
    jobs: int | None,
    progress: bool,
) -> None:
    """Import evidence of KIND from SOURCES into one snapshot.

    \b
    cloudtrail       log files or directories (AWSLogs/..., .json.gz or .json)
    access-analyzer  get-generated-policy / list-findings-v2 / get-finding-v2 /
                     get-finding-recommendation output
    last-accessed    get-service-last-accessed-details output (needs --principal)
    iamlive          iamlive's policy output (needs --principal)
    athena, trino    CSV result of the query printed by `iamlint usage sql`
    """
    builder = SnapshotBuilder()
    problems: list[UsageInputError] = []
    if kind == "cloudtrail":
        try:
            if engine == "duckdb":
                result_builder, problems = import_duckdb(sources, threads=jobs)
            else:
                imported = import_cloudtrail(sources, jobs=jobs, show_progress=progress)
                result_builder, problems = imported.builder, imported.problems
        except UsageInputError as error:
            _report([error])
            sys.exit(INPUT_ERROR_EXIT)
        builder.merge(result_builder)
    elif kind == "access-analyzer":
        problems = _per_file(
            sources, builder, lambda p, b: _import_access_analyzer(p, b, principal)
        )
    elif kind == "last-accessed":
        problems = _per_file(sources, builder, lambda p, b: import_last_accessed(p, b, principal))
    elif kind == "iamlive":
        problems = _per_file(sources, builder, lambda p, b: import_iamlive(p, b, principal))
    else:

        def load_csv(path: str, target: SnapshotBuilder) -> None:
            target.merge(import_result_csv(path, kind))

        problems = _per_file(sources, builder, load_csv)
    _report(problems)
    if builder.sources:
        _write(builder.render(lazy=True), output)
    if problems:
        sys.exit(INPUT_ERROR_EXIT)


@usage.command("sql")
@click.option("--engine", type=click.Choice(ENGINES), required=True)
@click.option(
    "--table", default="cloudtrail_logs_pp", show_default=True, help="Athena/Trino table."
)
@click.option("--start", help="First day (YYYY-MM-DD): partition pruning on Athena.")
@click.option("--end", help="Last day (YYYY-MM-DD), inclusive.")
@click.argument("files", nargs=-1)
def sql_command(
    engine: str, table: str, start: str | None, end: str | None, files: tuple[str, ...]
) -> None:
    """Print the aggregate query for ENGINE.

    Run it on Athena/Trino and import the CSV result with `iamlint usage import athena`.
    For DuckDB, FILES are paths or globs (default AWSLogs/**/*.json.gz).
    """
    for day, name in ((start, "--start"), (end, "--end")):
        if day is not None and not _is_day(day):
            raise click.BadParameter(f"expected YYYY-MM-DD, got {day!r}", param_hint=name)
    click.echo(aggregate_sql(engine, files=files, table=table, start=start, end=end), nl=False)


def _is_day(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


def _load_all(paths: Sequence[str]) -> tuple[list[tuple[str, Snapshot]], list[UsageInputError]]:
    loaded: list[tuple[str, Snapshot]] = []
    problems: list[UsageInputError] = []
    for path in paths:
        try:
            loaded.append((path, load_snapshot(path)))
        except UsageInputError as error:
            problems.append(error)
    return loaded, problems


@usage.command("merge")
@click.argument("snapshots", nargs=-1, required=True)
@click.option("-o", "--output", help="Write the merged snapshot here (default: standard output).")
def merge_command(snapshots: tuple[str, ...], output: str | None) -> None:
    """Merge SNAPSHOTS (from different evidence) into one."""
    loaded, problems = _load_all(snapshots)
    _report(problems)
    if problems:
        sys.exit(INPUT_ERROR_EXIT)
    try:
        merged = merge_snapshots(loaded)
    except UsageInputError as error:
        _report([error])
        sys.exit(INPUT_ERROR_EXIT)
    _write(merged, output)


@usage.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the snapshots differ.")
def diff_command(old: str, new: str, output_format: str, exit_code: bool) -> None:
    """What changed in usage between OLD and NEW snapshots."""
    loaded, problems = _load_all([old, new])
    _report(problems)
    if problems:
        sys.exit(INPUT_ERROR_EXIT)
    result = diff_snapshots(loaded[0][1], loaded[1][1])
    if output_format == "json":
        click.echo(json.dumps(result.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(result.to_text())
    if exit_code and not result.is_empty():
        sys.exit(1)
