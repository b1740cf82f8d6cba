"""Time ``iamlint check`` the way pre-commit runs it: one changed file of a large repository.

A benchmark, not a test: it prints numbers and never fails on them. The issue's target: one
file of a 100,000-line repository, whole module loaded, warm cache, well under a second.

    python bench/bench_check.py                          # 100k-line corpus, best of 3
    python bench/bench_check.py --lines 20000 --reps 5

Per corpus it reports, in a fresh process each time (as pre-commit starts one):

- one file: ``iamlint check FILE`` for a file of the largest module (warm parse cache);
- whole repository (``--whole``): ``iamlint check DIR``;

each also as a ratio to ``python -c pass`` measured in the same invocation (absolute times on a
shared machine are noise), and, in this process, where one file's run goes: reading the
project, the action catalog's index, each rule family, and the framework's own work (select,
suppressions, sorting).

The processes run with byte-compiled modules, as an installed package does: when
PYTHONDONTWRITEBYTECODE is set, they write them under bench/out/pycache instead
(``--as-is`` keeps the environment as it is).
"""

from __future__ import annotations

import argparse
import os
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


def bytecode_env(out: Path) -> dict[str, str]:
    """The environment with byte-compiled modules, kept out of the source tree."""
    env = dict(os.environ)
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        env["PYTHONPYCACHEPREFIX"] = str(out / "pycache")
    return env


def timed(
    args: list[str], cwd: Path, reps: int, env: dict[str, str] | None = None
) -> tuple[float, int]:
    best, code = float("inf"), 0
    for _ in range(reps):
        start = time.perf_counter()
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
        best = min(best, time.perf_counter() - start)
        code = done.returncode
    return best, code


def breakdown(root: Path, file: Path) -> list[tuple[str, float]]:
    from iamlint.checks import registry
    from iamlint.checks.runner import CheckOptions, run_check
    from iamlint.policy import catalog

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

    def stopwatch(label: str, fn):  # type: ignore[no-untyped-def]
        def run(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            result = fn(*args, **kwargs)
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - start
            return result

        return run

    registry.FAMILY_MODULES = {k: timer(k, v) for k, v in original.items()}
    import iamlint.checks.runner as runner

    load = runner.load_project_cached
    index = catalog.Catalog._actions_index
    runner.load_project_cached = stopwatch("read the project (cached)", load)  # type: ignore[assignment]
    # Built on first use, inside whichever family asks first: shown apart, not in that family.
    catalog.Catalog._actions_index = stopwatch("action catalog index (first use)", index)  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        run_check(CheckOptions(paths=[file], cwd=root))
        total = time.perf_counter() - start
    finally:
        registry.FAMILY_MODULES = original
        runner.load_project_cached = load  # type: ignore[assignment]
        catalog.Catalog._actions_index = index  # type: ignore[method-assign]
    first = [k for k in spent if k.startswith("family ")]
    if first and "action catalog index (first use)" in spent:
        # The index is built inside the first family that needs it: count it once, apart.
        for name in first:
            spent[name] = max(0.0, spent[name] - spent["action catalog index (first use)"])
            break
    spent["framework (config, select, suppressions, sort)"] = total - sum(spent.values())
    return sorted(spent.items(), key=lambda kv: -kv[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--whole", action="store_true", help="also time the whole repository")
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as the environment has it",
    )
    args = parser.parse_args(argv)
    root = corpus(args.lines, args.seed, args.out)
    file = one_file(root)
    exe = str(Path(sys.executable).with_name("iamlint"))
    rel = str(file.relative_to(root))
    env = None if args.as_is else bytecode_env(args.out)
    timed([exe, "check", rel], root, 1, env)  # warm the parse cache (and compile the modules)
    baseline, _ = timed([sys.executable, "-c", "pass"], root, args.reps, env)
    print(f"corpus: {root} ({args.lines} lines)", flush=True)
    print(f"  python -c pass{'':<35} {baseline:7.2f} s", flush=True)
    one, code_one = timed([exe, "check", rel], root, args.reps, env)
    ratio = f"{one / baseline:5.1f}x python -c pass"
    print(f"  iamlint check {rel:<35} {one:7.2f} s (exit {code_one}, {ratio})", flush=True)
    if args.whole:
        whole, code_whole = timed([exe, "check", "."], root, args.reps, env)
        ratio = f"{whole / baseline:5.1f}x python -c pass"
        label = "iamlint check . (whole repository)"
        print(f"  {label:<49} {whole:7.2f} s (exit {code_whole}, {ratio})")
    print("one file, in process:", flush=True)
    for name, seconds in breakdown(root, file):
        print(f"  {name:<48} {seconds:7.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
