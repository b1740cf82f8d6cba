"""Finding Terraform files and parsing each once: cached by content, both cores when cold."""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from iamlint import __version__
from iamlint.cache import code_fingerprint, open_cache
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import Repository, SourceFile, read_text, resolved
from iamlint.terraform.syntax import Body

SKIP_DIRS = {".git", ".terraform", "node_modules", ".venv", "__pycache__", ".terragrunt-cache"}
# Below this much uncached text, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 256 * 1024

ParseResult = tuple[SourceFile, Body] | InputError


def is_terraform_file(name: str) -> bool:
    return name.endswith(".tf") or name.endswith(".tf.json")


class Discovery(list[Path]):
    """The files found, sorted, each once: a symbolic link where it is written (its folder is
    its module), every other file by its real path. ``refused`` says, for those that may not
    be read, why: a link out of the repository or a link loop, a folder that cannot be
    listed. They are listed too, so that each is reported as an input error where it is."""

    def __init__(self, paths: Iterable[Path] = (), refused: dict[Path, str] | None = None):
        super().__init__(paths)
        self.refused: dict[Path, str] = refused or {}


def discover(
    paths: Iterable[Path], repository: Repository | None = None, recursive: bool = True
) -> Discovery:
    """Every `.tf` / `.tf.json` file under the given files and folders (only in the folders
    themselves unless ``recursive``).

    Files in the given folders must be inside ``repository`` (default: the repositories of
    ``paths``); a file given by name is the user's choice. Folders reached through symbolic
    links are not walked: inside the repository they are walked where they really are.
    """
    paths = [Path(p) for p in paths]
    repository = repository or Repository.of(paths, Path.cwd())
    found: set[Path] = set()
    refused: dict[Path, str] = {}
    for given in paths:
        path = resolved(given)
        if path.is_dir():
            _walk(path, repository, recursive, found, refused)
        elif is_terraform_file(given.name):
            found.add(path)
    return Discovery(sorted(found), refused)


def _walk(
    top: Path, repository: Repository, recursive: bool, found: set[Path], refused: dict[Path, str]
) -> None:
    def unreadable(err: OSError) -> None:
        # Fail closed: an unlisted folder may hold the one policy that matters.
        folder = Path(err.filename or top)
        refused[folder] = (
            f"cannot read this folder ({err.strerror or err}): the Terraform files in it "
            "are not read"
        )
        found.add(folder)

    for folder, dirs, files in os.walk(top, onerror=unreadable):
        if recursive:
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        else:
            dirs.clear()
        for name in files:
            if not is_terraform_file(name):
                continue
            path = Path(folder) / name  # the folder is real: os.walk does not follow links
            found.add(path)
            if os.path.islink(path):
                try:
                    repository.check(path, name)
                except InputError as err:
                    refused[path] = err.message


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _cache_key(raw: bytes, kind: str) -> str:
    digest = hashlib.sha256(raw)
    digest.update(f"\0{kind}\0{__version__}\0{code_fingerprint()}".encode())
    return digest.hexdigest()


def _cache_name(key: str) -> str:
    return f"parse/{key[:2]}/{key}.pickle"


def _load_cached(key: str) -> Any:
    """A result stored by `_store_cached`, verified (`iamlint.cache`); None if absent."""
    cache = open_cache()
    return cache.load_object(_cache_name(key)) if cache is not None else None


def cached_by_content(text: str, kind: str, compute: Callable[[], Any]) -> Any:
    """``compute()``'s result for this text, from the user cache when it was computed before."""
    key = _cache_key(text.encode("utf-8"), kind)
    found = _load_cached(key)
    if found is None:
        found = compute()
        _store_cached(key, found)
    return found


def _store_cached(key: str, body: Any) -> None:
    cache = open_cache()
    if cache is not None:
        cache.store_object(_cache_name(key), body)  # a cache that cannot be written costs time


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
    refused = paths.refused if isinstance(paths, Discovery) else {}
    for path in paths:
        display = display_path(path, cwd)
        if path in refused:
            results[path] = InputError(display, 1, 1, refused[path])
            continue
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
