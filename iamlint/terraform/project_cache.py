"""A whole project's reading, cached: an unchanged repository is not read twice.

The key covers every discovered file's content, the var files, the working directory (paths in
the output are relative to it) and iamlint's version. The entry also lists what the reading
depended on beyond that (files read by ``file()``, tfvars, module folders outside the scanned
paths, with the names each folder held); any change there and the entry is ignored.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from iamlint import __version__
from iamlint.cache import code_fingerprint, open_cache
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import Repository, read_regular
from iamlint.terraform.loader import discover, is_terraform_file
from iamlint.terraform.project import Loader, Project, load_project

_FORMAT = "project-v2"  # v2: PrincipalRecord.attributes, Project.resources


def _digest(path: Path) -> str | None:
    """What a file's reading depends on. Through a symbolic link, where it leads and the
    target's identity, never its content: the link may point outside the repository, and
    iamlint reads nothing there, not even to hash it. Otherwise the content of a regular file
    (a FIFO or a device is never opened for reading)."""
    try:
        real = os.path.realpath(path, strict=True)
        if real != os.path.abspath(path):
            info = os.stat(real)
            return f"link:{real}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"
        return hashlib.sha256(read_regular(path, str(path))).hexdigest()
    except (OSError, InputError):
        return None


def _listing(folder: Path) -> list[str]:
    try:
        return sorted(
            n for n in os.listdir(folder) if is_terraform_file(n) or n.endswith(".tfvars")
        )
    except OSError:
        return []


def _key(paths: list[Path], var_files: list[Path], cwd: Path) -> str:
    digest = hashlib.sha256(f"{_FORMAT}\0{__version__}\0{code_fingerprint()}\0{cwd}\0".encode())
    for path in sorted(p.resolve() for p in paths):
        digest.update(f"arg\0{path}\0{_digest(path) if path.is_file() else ''}\0".encode())
    found = discover(paths, Repository.of(paths, cwd))
    for path in found:
        digest.update(f"tf\0{path}\0{found.refused.get(path) or _digest(path)}\0".encode())
    for path in var_files:
        digest.update(f"var\0{path.resolve()}\0{_digest(path)}\0".encode())
    return digest.hexdigest()


def _entry_name(key: str) -> str:
    return f"projects/{key}.pickle"


def _still_valid(entry: dict[str, Any]) -> bool:
    files: dict[str, str | None] = entry.get("files", {})
    folders: dict[str, list[str]] = entry.get("folders", {})
    if not isinstance(files, dict) or not isinstance(folders, dict):
        return False
    return all(_digest(Path(p)) == h for p, h in files.items()) and all(
        _listing(Path(f)) == names for f, names in folders.items()
    )


def load_project_cached(
    paths: list[Path], var_files: list[Path] | None = None, cwd: Path | None = None
) -> Project:
    cwd = (cwd or Path.cwd()).resolve()
    var_files = var_files or []
    key = _key(paths, var_files, cwd)
    cache = open_cache()
    entry = cache.load_object(_entry_name(key)) if cache is not None else None
    if isinstance(entry, dict) and _still_valid(entry):
        project = entry.get("project")
        if isinstance(project, Project):
            return project
    captured: list[Loader] = []
    project = load_project(paths, var_files, cwd, on_loader=captured.append)
    loader = captured[0]
    entry = {
        "files": {str(p): _digest(p) for p in sorted(loader.dependencies)},
        "folders": {str(f): _listing(f) for f in sorted(loader.dependency_dirs)},
        "project": project,
    }
    if cache is not None:
        cache.store_object(_entry_name(key), entry)  # a cache that cannot be written costs time
    return project
