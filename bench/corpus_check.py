"""Run ``iamlint policies`` over a folder of real public repositories and report how it fared.

A robustness check, not a test: the corpus is third-party code and is never committed. Each
folder directly under CORPUS is one repository (``owner__repo``) with its own file layout, so
local modules and ``file()`` paths resolve as they would in a checkout.

    python bench/corpus_check.py /work/corpus
    python bench/corpus_check.py /work/corpus --only terraform-aws-modules__terraform-aws-iam
    python bench/corpus_check.py /work/corpus --save /tmp/out   # keep each repo's JSON output

Per repository it prints: exit code, whether a traceback reached the user (that must never
happen), the number of policy records, of unknown values inside them, and of errors iamlint
reported; then a summary. The exit code is 1 when any repository produced a traceback or an
exit code other than 0/1/2, so the script can gate a manual release check.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Result:
    repo: str
    rc: int
    seconds: float
    traceback: str = ""
    records: int = 0
    unknowns: int = 0
    errors: list[str] = field(default_factory=list)
    json_ok: bool = True
    tf_files: int = 0


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def find_records(data: Any) -> list[Any]:
    """The list of policy records, whatever envelope the JSON output settles on."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("records", "policies", "sources", "policy_sources"):
            if isinstance(data.get(key), list):
                return data[key]
    return []


def find_errors(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return []
    errs = data.get("errors") or data.get("diagnostics") or []
    out: list[str] = []
    for e in errs if isinstance(errs, list) else []:
        if isinstance(e, dict):
            loc = e.get("location") or {}
            where = (
                f"{loc.get('file', e.get('file', '?'))}:{loc.get('line', e.get('line', '?'))}"
                if isinstance(loc, dict)
                else str(loc)
            )
            out.append(f"{where}: {e.get('message', e)}")
        else:
            out.append(str(e))
    return out


def count_unknowns(records: list[Any]) -> int:
    return sum(1 for r in records for v in walk(r) if isinstance(v, dict) and "$unknown" in v)


def run_repo(exe: list[str], repo: Path, save: Path | None, timeout: float) -> Result:
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [*exe, "policies", str(repo), "--format", "json"],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Result(repo.name, rc=-9, seconds=timeout, traceback=f"timeout after {timeout}s")
    res = Result(repo.name, rc=proc.returncode, seconds=time.perf_counter() - t0)
    res.tf_files = sum(1 for _ in repo.rglob("*.tf"))
    stderr = proc.stderr.decode(errors="replace")
    if "Traceback (most recent call last)" in stderr:
        res.traceback = stderr[stderr.index("Traceback (most recent call last)") :]
    stdout = proc.stdout.decode(errors="replace")
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        (save / f"{repo.name}.json").write_text(stdout)
        (save / f"{repo.name}.stderr").write_text(stderr)
    try:
        data = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        res.json_ok = False
        data = None
    records = find_records(data)
    res.records = len(records)
    res.unknowns = count_unknowns(records)
    res.errors = find_errors(data)
    if not res.errors and res.rc == 2:
        # Errors may be reported on stderr only; keep their first lines.
        res.errors = [ln for ln in stderr.splitlines() if ln.strip()][:20]
    return res


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--only", action="append", default=[], help="repository folder(s) to run")
    ap.add_argument(
        "--iamlint",
        default=str(Path(sys.executable).parent / "iamlint"),
        help="iamlint executable; '-' runs iamlint.cli:main with this Python",
    )
    ap.add_argument("--save", type=Path, help="write each repository's stdout/stderr here")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--verbose", "-v", action="store_true", help="print every error in full")
    args = ap.parse_args(argv)
    exe = (
        [sys.executable, "-c", "from iamlint.cli import main; main()"]
        if args.iamlint == "-"
        else [args.iamlint]
    )
    repos = sorted(p for p in args.corpus.iterdir() if p.is_dir() and not p.name.startswith("."))
    if args.only:
        repos = [p for p in repos if p.name in args.only]
    os.environ.pop("IAMLINT_CACHE_DIR", None)

    results = [run_repo(exe, r, args.save, args.timeout) for r in repos]
    width = max((len(r.repo) for r in results), default=10)
    print(f"{'repository':<{width}} {'rc':>3} {'tf':>4} {'records':>7} {'unknowns':>8} "
          f"{'errors':>6} {'secs':>6}  notes")  # fmt: skip
    for r in results:
        notes = []
        if r.traceback:
            notes.append("TRACEBACK")
        if not r.json_ok:
            notes.append("stdout is not JSON")
        if r.rc not in (0, 1, 2):
            notes.append(f"unexpected exit {r.rc}")
        print(
            f"{r.repo:<{width}} {r.rc:>3} {r.tf_files:>4} {r.records:>7} {r.unknowns:>8} "
            f"{len(r.errors):>6} {r.seconds:>6.2f}  {', '.join(notes)}"
        )
    for r in results:
        if r.traceback or r.errors:
            print(f"\n== {r.repo}")
        if r.traceback:
            print(r.traceback.rstrip()[-4000:])
        for e in r.errors if args.verbose else r.errors[:10]:
            print(f"  error: {e}")
        if not args.verbose and len(r.errors) > 10:
            print(f"  ... {len(r.errors) - 10} more (use -v)")
    bad = [r for r in results if r.traceback or r.rc not in (0, 1, 2) or not r.json_ok]
    print(
        f"\nsummary: {len(results)} repositories, {sum(r.records for r in results)} records, "
        f"{sum(r.unknowns for r in results)} unknowns, {sum(len(r.errors) for r in results)} "
        f"errors; {sum(1 for r in results if r.traceback)} tracebacks, "
        f"{sum(1 for r in results if r.rc == 2)} exited 2, {len(bad)} failed hard"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
