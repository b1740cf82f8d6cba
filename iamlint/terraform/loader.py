"""Finding Terraform files and parsing each once: cached by content, both cores when cold."""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from iamlint import __version__
from iamlint.cache import cache_dir, code_fingerprint
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import SourceFile, read_text
from iamlint.terraform.syntax import Body

SKIP_DIRS = {".git", ".terraform", "node_modules", ".venv", "__pycache__", ".terragrunt-cache"}
# Below this much uncached text, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 256 * 1024

ParseResult = tuple[SourceFile, Body] | InputError


def is_terraform_file(name: str) -> bool:
    return name.endswith(".tf") or name.endswith(".tf.json")


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every `.tf` / `.tf.json` file under the given files and folders, sorted, each once."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                found.update(Path(folder) / f for f in files if is_terraform_file(f))
        elif is_terraform_file(path.name):
            found.add(path)
    return sorted(p.resolve() for p in found)


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _cache_key(raw: bytes, kind: str) -> str:
    digest = hashlib.sha256(raw)
    digest.update(f"\0{kind}\0{__version__}\0{code_fingerprint()}".encode())
    return digest.hexdigest()


def _cache_path(key: str) -> Path:
    return cache_dir() / "parse" / key[:2] / f"{key}.pickle"


def _load_cached(key: str) -> Any:
    try:
        with _cache_path(key).open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError):
        return None


def cached_by_content(text: str, kind: str, compute: Callable[[], Any]) -> Any:
    """``compute()``'s result for this text, from the user cache when it was computed before."""
    key = _cache_key(text.encode("utf-8"), kind)
    found = _load_cached(key)
    if found is None:
        found = compute()
        _store_cached(key, found)
    return found


def _store_cached(key: str, body: Any) -> None:
    target = _cache_path(key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_suffix(f".{os.getpid()}.tmp")
        with temp.open("wb") as handle:
            pickle.dump(body, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temp.replace(target)
    except OSError:
        pass  # a cache that cannot be written only costs time


def parse_text(file: SourceFile) -> Body:
    if file.display.endswith(".json"):
        from iamlint.terraform.tfjson import convert_json

        return convert_json(file)
    # Imported here: a run served from the cache never loads the parser.
    from iamlint.terraform.convert import convert
    from iamlint.terraform.parser import parse_hcl

    return convert(parse_hcl(file.text, file.display), file.text, file.display)


def _parse_job(job: tuple[str, str, str]) -> Body | InputError:
    gc.disable()  # workers too: see load_project
    path, display, text = job
    try:
        return parse_text(SourceFile(Path(path), display, text))
    except InputError as err:
        return err


def load_files(paths: list[Path], cwd: Path) -> dict[Path, ParseResult]:
    """Read and parse every file; errors are returned per file, never raised."""
    results: dict[Path, ParseResult] = {}
    pending: list[tuple[SourceFile, str]] = []
    for path in paths:
        display = display_path(path, cwd)
        try:
            file = read_text(path, display)
        except InputError as err:
            results[path] = err
            continue
        key = _cache_key(file.text.encode("utf-8"), "json" if display.endswith(".json") else "hcl")
        cached = _load_cached(key)
        if isinstance(cached, Body):
            results[path] = (file, cached)
        else:
            pending.append((file, key))
    for (file, key), parsed in zip(pending, _parse_all([f for f, _ in pending]), strict=True):
        if isinstance(parsed, InputError):
            results[file.path] = parsed
        else:
            _store_cached(key, parsed)
            results[file.path] = (file, parsed)
    return results


def _parse_all(files: list[SourceFile]) -> list[Body | InputError]:
    total = sum(len(f.text) for f in files)
    workers = min(os.cpu_count() or 1, 4)
    if total < PARALLEL_MIN_BYTES or len(files) < 4 or workers < 2:
        return [_parse_job((str(f.path), f.display, f.text)) for f in files]
    jobs = [(str(f.path), f.display, f.text) for f in files]
    # Largest first, so one big file does not finish last on an otherwise idle pool.
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][2]))
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        done = list(pool.map(_parse_job, [jobs[i] for i in order], chunksize=4))
    out: list[Body | InputError] = [InputError("", 0, 0, "")] * len(jobs)
    for position, index in enumerate(order):
        out[index] = done[position]
    return out
