"""Benchmark the CloudTrail usage importer against DuckDB on the same files.

    python bench/bench_usage.py [--sizes 25,100,1000] [--jobs 1,2] [--out bench/out/usage]

For each size (MB of uncompressed CloudTrail) it generates synthetic logs once
(bench/gen_cloudtrail.py, cached under --out), then runs each method in a fresh subprocess so
peak RSS is per run (the largest of the process and its workers): the streaming importer as
`iamlint usage import cloudtrail -o FILE` runs it (import, render, write), the DuckDB importer
(same SQL + the same Python fold, not written), DuckDB's scan with iamlint's aggregate query
alone (duckdb-scan), and DuckDB's minimal scan: every record read and grouped by principal and
event only (duckdb-min), the least any DuckDB import must do and the fair yardstick. Prints
records/s, records/s per core, MB/s, peak RSS, the snapshot's usage rows (memory follows them,
not the input size), and the importer/DuckDB ratios per core.
A benchmark, not a test: numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
RECORDS_PER_FILE = 700
BYTES_PER_RECORD = 1700  # what gen_cloudtrail.py produces, measured


def _dataset(out: Path, megabytes: int) -> tuple[Path, int, int]:
    files = max(1, round(megabytes * 1e6 / (RECORDS_PER_FILE * BYTES_PER_RECORD)))
    folder = out / f"ct-{megabytes}mb"
    # Not *.json: the importer would read it as a (bad) log file.
    marker = folder / "DONE.txt"
    if not marker.exists():
        from bench.gen_cloudtrail import generate

        paths = generate(folder, files, RECORDS_PER_FILE, seed=megabytes)
        raw = sum(len(gzip.decompress(p.read_bytes())) for p in paths)
        marker.write_text(json.dumps({"files": files, "bytes": raw}))
    info = json.loads(marker.read_text())
    return folder, info["files"] * RECORDS_PER_FILE, info["bytes"]


def _repeated(out: Path, megabytes: int, times: int) -> tuple[Path, int, int]:
    """The ``megabytes`` dataset read ``times`` over (hard links under new delivered names):
    more input, the same evidence diversity, so the snapshot keeps its size and memory
    should not move."""
    base, records, raw = _dataset(out, megabytes)
    folder = out / f"ct-{megabytes}mb-x{times}"
    marker = folder / "DONE.txt"
    if not marker.exists():
        for copy in range(times):
            for path in base.rglob("*.json.gz"):
                stem = path.name.removesuffix(".json.gz")
                target = folder / f"copy{copy}" / path.relative_to(base).parent
                target.mkdir(parents=True, exist_ok=True)
                os.link(path, target / f"{stem}{copy}.json.gz")
        marker.write_text("done")
    return folder, records * times, raw * times


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # ru_maxrss is KiB on Linux


def _worker(method: str, folder: str, jobs: int) -> None:
    start = time.perf_counter()
    rows = 0
    if method == "python":
        import tempfile

        from iamlint.usage.cloudtrail_import import import_cloudtrail
        from iamlint.usage.snapshot import write_snapshot

        result = import_cloudtrail([folder], jobs=jobs, show_progress=False)
        rows = sum(len(p.rows) for p in result.builder.principals.values())
        with tempfile.TemporaryDirectory() as scratch:
            write_snapshot(result.builder.render(lazy=True), Path(scratch) / "snapshot.json")
    elif method == "duckdb":
        from iamlint.usage.sql import import_duckdb

        builder, _ = import_duckdb([folder], threads=jobs)
        builder.render()
    else:  # duckdb-scan / duckdb-min: the engine's own work only
        import duckdb

        from iamlint.usage.cloudtrail_files import discover
        from iamlint.usage.sql import aggregate_sql

        files = [str(p) for p in discover([folder]).files]
        connection = duckdb.connect()
        connection.execute(f"SET threads = {jobs}")
        query = aggregate_sql("duckdb", files=files) if method == "duckdb-scan" else _minimal(files)
        connection.execute(query).fetchall()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "rows": rows}))


def _minimal(files: list[str]) -> str:
    """The least any DuckDB import must do: read every record and group by who called what
    (the research notes' fastest form: read_json_objects, json_extract, ->>)."""
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"""SELECT e->>'$.userIdentity.arn' AS principal, e->>'$.eventSource' AS source,
  e->>'$.eventName' AS name, count(*), min(e->>'$.eventTime'), max(e->>'$.eventTime')
FROM (SELECT unnest(json_extract(json, '$.Records[*]')) AS e
      FROM read_json_objects([{listed}], maximum_object_size = 1073741824))
GROUP BY 1, 2, 3"""


def _run(method: str, folder: Path, jobs: int) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--worker", method, str(folder), str(jobs)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="25,100", help="MB of uncompressed logs, comma-separated"
    )
    parser.add_argument("--jobs", default="1,2", help="worker processes / DuckDB threads")
    parser.add_argument(
        "--repeat",
        type=int,
        default=0,
        help="also read the first size N times over (same diversity, N times the input)",
    )
    parser.add_argument("--out", default=str(HERE / "out" / "usage"))
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker[0], args.worker[1], int(args.worker[2]))
        return
    try:
        import duckdb  # noqa: F401

        methods = ["python", "duckdb", "duckdb-scan", "duckdb-min"]
    except ImportError:
        methods = ["python"]
        print("duckdb not installed: measuring the streaming importer only")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"cpus available: {len(os.sched_getaffinity(0))}; load average: {os.getloadavg()[0]:.2f}")
    print(
        f"{'size':>7} {'method':<12} {'jobs':>4} {'s':>7} {'rec/s':>9} "
        f"{'rec/s/core':>10} {'MB/s':>6} {'RSS MB':>7} {'rows':>7}"
    )
    sizes = [int(s) for s in args.sizes.split(",")]
    datasets = [(f"{m}M", *_dataset(out, m)) for m in sizes]
    if args.repeat > 1:
        datasets.append((f"{sizes[0]}Mx{args.repeat}", *_repeated(out, sizes[0], args.repeat)))
    # One discarded run per method: the first process after a change pays for cold caches
    # (the catalog index, the page cache), which is not what is being compared.
    for method in methods:
        _run(method, datasets[0][1], 1)
    for label, folder, records, raw in datasets:
        per_core: dict[tuple[str, int], float] = {}
        for jobs in (int(j) for j in args.jobs.split(",")):
            for method in methods:
                result = _run(method, folder, jobs)
                rate = records / result["seconds"]
                per_core[(method, jobs)] = rate / jobs
                print(
                    f"{label:>7} {method:<12} {jobs:>4} {result['seconds']:>7.2f} "
                    f"{rate:>9,.0f} {rate / jobs:>10,.0f} {raw / 1e6 / result['seconds']:>6.1f} "
                    f"{result['peak_rss_mb']:>7.0f} {result['rows'] or '':>7}"
                )
            for other in ("duckdb", "duckdb-scan", "duckdb-min"):
                if (other, jobs) in per_core:
                    ratio = per_core[("python", jobs)] / per_core[(other, jobs)]
                    print(f"{'':>8}python/{other} per core at {jobs} jobs: {ratio:.2f}")


if __name__ == "__main__":
    main()
