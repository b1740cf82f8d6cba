"""Time ``iamlint policies DIR --format json`` on synthetic repositories of several sizes.

A benchmark, not a test: it prints numbers and never fails on them. Every figure is the best of
``--reps`` runs of the real console script in a fresh process (the way pre-commit and CI run
it), and a baseline is measured in the same invocation, so results can be quoted as ratios that
survive a slower or busier machine:

    python bench/bench_policies.py                      # 2k, 20k, 100k lines, best of 3
    python bench/bench_policies.py --sizes 2000 --reps 5

What is measured, per corpus size:

- cold:  an empty cache folder (``XDG_CACHE_HOME`` pointed at a new temp dir): the first run
         on a new machine, grammar tables included;
- cold*: grammar tables cached, per-file results not: the first run on a changed checkout;
- warm:  the same repository again, unchanged: the pre-commit re-run case.

Plus one small file in a fresh process (cold and warm cache), and the baselines
``python -c pass`` and ``python -c "import hcl2"``. The issue's targets (2-core machine):
small file < 0.5 s; 100k lines cold < 10 s; warm <= cold / 10.

Corpora come from ``bench/gen_terraform.py`` and are reused from ``--out`` when present with
the same size and seed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import gen_terraform  # noqa: E402  (a sibling script, not a package)

SMALL_FILE = """\
# One role with an inline policy: the size of a typical pre-commit hook run on one change.
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fn" {
  name               = "fn"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "fn" {
  role = aws_iam_role.fn.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = "arn:aws:s3:::bucket/*"
    }]
  })
}
"""


@dataclass
class Run:
    wall: float  # seconds, best of the repetitions
    cpu: float  # user+sys seconds of the child in that best run
    rc: int
    out_bytes: int
    stderr: str


def _env(cache_home: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    # IAMLINT_CACHE_DIR wins over XDG_CACHE_HOME in iamlint.cache; drop it so the bench controls
    # exactly which cache folder the child sees.
    env.pop("IAMLINT_CACHE_DIR", None)
    if cache_home is not None:
        env["XDG_CACHE_HOME"] = str(cache_home)
    return env


def run_once(cmd: Sequence[str], env: dict[str, str]) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Children's CPU includes worker processes iamlint may fork, which shows whether both
    # cores were used (cpu / wall > 1).
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, proc.returncode, len(proc.stdout), proc.stderr.decode(errors="replace"))


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.wall)


def iamlint_cmd(exe: str, target: Path) -> list[str]:
    if exe == "-":
        # No console script installed (editable install not done yet): run the entry point.
        exe_argv = [sys.executable, "-c", "from iamlint.cli import main; main()"]
    else:
        exe_argv = [exe]
    return [*exe_argv, "policies", str(target), "--format", "json"]


def ensure_corpus(out: Path, lines: int, seed: int) -> Path:
    """Generate the corpus unless an identical one is already there."""
    target = out / f"corpus-{lines}-s{seed}"
    stamp = target / ".gen-params.json"
    want = {"lines": lines, "seed": seed, "generator": _generator_digest()}
    if stamp.exists() and json.loads(stamp.read_text()) == want:
        return target
    gen_terraform.write(gen_terraform.generate(lines, seed), target)
    stamp.write_text(json.dumps(want))
    return target


def _generator_digest() -> str:
    import hashlib

    return hashlib.sha256((HERE / "gen_terraform.py").read_bytes()).hexdigest()[:16]


def measure_cold_warm(exe: str, target: Path, reps: int) -> tuple[Run, Run, Run]:
    """(cold, cold with grammar cached, warm): each the best of ``reps`` fresh processes."""
    cold: list[Run] = []
    cold_grammar: list[Run] = []
    warm: list[Run] = []
    prime = Path(tempfile.mkdtemp(prefix="iamlint-bench-prime-"))
    (prime / "main.tf").write_text(SMALL_FILE)
    for _ in range(reps):
        home = Path(tempfile.mkdtemp(prefix="iamlint-bench-cache-"))
        try:
            cold.append(run_once(iamlint_cmd(exe, target), _env(home)))
            warm.append(run_once(iamlint_cmd(exe, target), _env(home)))
        finally:
            shutil.rmtree(home, ignore_errors=True)
        # Grammar cached, per-file results not: prime a fresh cache on an unrelated tiny repo.
        home = Path(tempfile.mkdtemp(prefix="iamlint-bench-cache-"))
        try:
            run_once(iamlint_cmd(exe, prime), _env(home))
            cold_grammar.append(run_once(iamlint_cmd(exe, target), _env(home)))
        finally:
            shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(prime, ignore_errors=True)
    return best(cold), best(cold_grammar), best(warm)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="2000,20000,100000", help="comma-separated line counts")
    ap.add_argument("--reps", type=int, default=3, help="repetitions; the best is reported")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE / "out", help="where corpora are kept")
    ap.add_argument(
        "--iamlint",
        default=str(Path(sys.executable).parent / "iamlint"),
        help="the iamlint executable (default: the one beside this Python; '-' runs "
        "iamlint.cli:main with this Python)",
    )
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    exe = args.iamlint
    if exe != "-" and not Path(exe).exists() and shutil.which(exe) is None:
        print(f"iamlint executable not found: {exe}", file=sys.stderr)
        return 2
    py = sys.executable
    results: dict[str, object] = {"reps": args.reps, "cpus": os.cpu_count()}

    # Baselines, measured now so the figures below can be read as multiples of them.
    base_py = best([run_once([py, "-c", "pass"], _env(None)) for _ in range(args.reps)])
    base_hcl2 = best([run_once([py, "-c", "import hcl2"], _env(None)) for _ in range(args.reps)])
    print(f"machine: {os.cpu_count()} cpus; best of {args.reps}")
    print(f"baseline  python -c pass          {base_py.wall:7.3f} s")
    print(f"baseline  python -c 'import hcl2' {base_hcl2.wall:7.3f} s")
    results["baseline_python"] = base_py.wall
    results["baseline_import_hcl2"] = base_hcl2.wall

    small = Path(tempfile.mkdtemp(prefix="iamlint-bench-small-"))
    (small / "main.tf").write_text(SMALL_FILE)
    s_cold, _, s_warm = measure_cold_warm(exe, small, args.reps)
    shutil.rmtree(small, ignore_errors=True)
    print(
        f"small file (1 file, {SMALL_FILE.count(chr(10))} lines): cold cache {s_cold.wall:.3f} s, "
        f"warm cache {s_warm.wall:.3f} s (target < 0.5 s) = {s_warm.wall / base_py.wall:.1f}x "
        f"python startup, rc={s_warm.rc}"
    )
    results["small_cold"] = s_cold.wall
    results["small_warm"] = s_warm.wall
    failures = [r for r in (s_cold, s_warm) if r.rc not in (0, 1)]

    header = (
        f"{'lines':>8} {'files':>6} {'cold s':>8} {'cold* s':>8} {'warm s':>8} "
        f"{'lines/s':>9} {'cpu/wall':>8} {'warm/cold':>9} {'warm/cold*':>10} {'rc':>3}"
    )
    print("\ncold = empty cache folder; cold* = grammar cached only; warm = unchanged re-run")
    print(header)
    per_size: list[dict[str, float | int]] = []
    for n in sizes:
        target = ensure_corpus(args.out, n, args.seed)
        lines = gen_terraform.count_lines(target)
        files = sum(1 for p in target.rglob("*.tf"))
        cold, cold_g, warm = measure_cold_warm(exe, target, args.reps)
        for r in (cold, cold_g, warm):
            if r.rc not in (0, 1):
                failures.append(r)
        print(
            f"{lines:>8} {files:>6} {cold.wall:>8.2f} {cold_g.wall:>8.2f} {warm.wall:>8.2f} "
            f"{lines / cold_g.wall:>9.0f} {cold_g.cpu / cold_g.wall:>8.2f} "
            f"{warm.wall / cold.wall:>9.3f} {warm.wall / cold_g.wall:>10.3f} {cold.rc:>3}"
        )
        per_size.append(
            {
                "lines": lines,
                "files": files,
                "cold": cold.wall,
                "cold_grammar_cached": cold_g.wall,
                "warm": warm.wall,
                "lines_per_s": lines / cold_g.wall,
                "cpu_over_wall": cold_g.cpu / cold_g.wall,
                "warm_over_cold": warm.wall / cold.wall,
                "warm_over_cold_grammar_cached": warm.wall / cold_g.wall,
                "json_bytes": cold.out_bytes,
                "rc": cold.rc,
            }
        )
    results["sizes"] = per_size
    print("lines/s and cpu/wall are taken from cold* (the usual first run on a changed checkout).")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    for r in failures:
        # Exit codes other than 0/1 mean iamlint failed on generated input: show why.
        print(f"\niamlint exited {r.rc}:\n{r.stderr[-3000:]}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
