"""Time ``iamlint check`` the way pre-commit runs it: one changed file of a large repository.

A benchmark, not a test: it prints numbers and never fails on them. The issue's target: one
file of a 100,000-line repository, whole module loaded, warm cache, well under a second.

    python bench/bench_check.py                          # 100k-line corpus, best of 3
    python bench/bench_check.py --lines 20000 --reps 5

Per corpus it reports, in a fresh process each time (as pre-commit starts one):

- one file: ``iamlint check FILE`` for a file of the largest module (warm parse cache);
- whole repository (``--whole``): ``iamlint check DIR``;

and, in this process, where one file's run goes: reading the project, each rule family, and
the framework's own work (select, suppressions, sorting).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import gen_terraform  # noqa: E402  (a sibling script, not a package)


def corpus(lines: int, seed: int, out: Path) -> Path:
    target = out / f"corpus-{lines}-s{seed}"
    if not target.is_dir():
        gen_terraform.main(["--lines", str(lines), "--out", str(target), "--seed", str(seed)])
    return target


def one_file(root: Path) -> Path:
    """A file of the folder holding the most Terraform: the worst case for one change."""
    sizes: Counter[Path] = Counter()
    for path in root.rglob("*.tf"):
        sizes[path.parent] += path.stat().st_size
    folder = sizes.most_common(1)[0][0]
    return sorted(folder.glob("*.tf"))[0]


def timed(args: list[str], cwd: Path, reps: int) -> tuple[float, int]:
    best, code = float("inf"), 0
    for _ in range(reps):
        start = time.perf_counter()
        done = subprocess.run(args, cwd=cwd, capture_output=True, check=False)
        best = min(best, time.perf_counter() - start)
        code = done.returncode
    return best, code


def breakdown(root: Path, file: Path) -> list[tuple[str, float]]:
    from iamlint.checks import registry
    from iamlint.checks.runner import CheckOptions, run_check

    spent: dict[str, float] = {}
    original = dict(registry.FAMILY_MODULES)

    def timer(name: str, target: object):
        def run(ctx):  # type: ignore[no-untyped-def]
            import importlib

            fn = target if callable(target) else importlib.import_module(str(target)).run
            start = time.perf_counter()
            out = list(fn(ctx))
            spent[f"family {name}"] = time.perf_counter() - start
            return out

        return run

    registry.FAMILY_MODULES = {k: timer(k, v) for k, v in original.items()}
    try:
        import iamlint.checks.runner as runner

        load = runner.load_project_cached

        def timed_load(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            result = load(*args, **kwargs)
            spent["read the project (cached)"] = time.perf_counter() - start
            return result

        runner.load_project_cached = timed_load  # type: ignore[assignment]
        start = time.perf_counter()
        run_check(CheckOptions(paths=[file], cwd=root))
        total = time.perf_counter() - start
    finally:
        registry.FAMILY_MODULES = original
    spent["framework (config, select, suppressions, sort)"] = total - sum(spent.values())
    return sorted(spent.items(), key=lambda kv: -kv[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--whole", action="store_true", help="also time the whole repository")
    args = parser.parse_args(argv)
    root = corpus(args.lines, args.seed, args.out)
    file = one_file(root)
    exe = str(Path(sys.executable).with_name("iamlint"))
    rel = str(file.relative_to(root))
    timed([exe, "check", rel], root, 1)  # warm the parse cache
    baseline, _ = timed([sys.executable, "-c", "pass"], root, args.reps)
    print(f"corpus: {root} ({args.lines} lines)", flush=True)
    print(f"  python -c pass{'':<35} {baseline:7.2f} s", flush=True)
    one, code_one = timed([exe, "check", rel], root, args.reps)
    print(f"  iamlint check {rel:<35} {one:7.2f} s (exit {code_one})", flush=True)
    if args.whole:
        whole, code_whole = timed([exe, "check", "."], root, args.reps)
        print(f"  iamlint check . (whole repository){'':<15} {whole:7.2f} s (exit {code_whole})")
    print("one file, in process:", flush=True)
    for name, seconds in breakdown(root, file):
        print(f"  {name:<48} {seconds:7.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
