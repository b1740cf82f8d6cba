"""A whole project's reading, cached: an unchanged repository is not read twice.

The key covers every discovered file's content, the var files, the working directory (paths in
the output are relative to it) and iamlint's version. The entry also lists what the reading
depended on beyond that (files read by ``file()``, tfvars, module folders outside the scanned
paths, with the names each folder held); any change there and the entry is ignored.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from iamlint import __version__
from iamlint.cache import cache_dir, code_fingerprint
from iamlint.terraform.loader import discover, is_terraform_file
from iamlint.terraform.project import Loader, Project, load_project

_FORMAT = "project-v2"  # v2: PrincipalRecord.attributes, Project.resources


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
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
    for path in discover(paths):
        digest.update(f"tf\0{path}\0{_digest(path)}\0".encode())
    for path in var_files:
        digest.update(f"var\0{path.resolve()}\0{_digest(path)}\0".encode())
    return digest.hexdigest()


def _entry_path(key: str) -> Path:
    return cache_dir() / "projects" / f"{key}.pickle"


def _still_valid(entry: dict[str, Any]) -> bool:
    files: dict[str, str | None] = entry.get("files", {})
    folders: dict[str, list[str]] = entry.get("folders", {})
    return all(_digest(Path(p)) == h for p, h in files.items()) and all(
        _listing(Path(f)) == names for f, names in folders.items()
    )


def load_project_cached(
    paths: list[Path], var_files: list[Path] | None = None, cwd: Path | None = None
) -> Project:
    cwd = (cwd or Path.cwd()).resolve()
    var_files = var_files or []
    key = _key(paths, var_files, cwd)
    target = _entry_path(key)
    try:
        with target.open("rb") as handle:
            entry = pickle.load(handle)
        if isinstance(entry, dict) and _still_valid(entry):
            project = entry["project"]
            if isinstance(project, Project):
                return project
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError):
        pass
    captured: list[Loader] = []
    project = load_project(paths, var_files, cwd, on_loader=captured.append)
    loader = captured[0]
    entry = {
        "files": {str(p): _digest(p) for p in sorted(loader.dependencies)},
        "folders": {str(f): _listing(f) for f in sorted(loader.dependency_dirs)},
        "project": project,
    }
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_suffix(f".{os.getpid()}.tmp")
        with temp.open("wb") as handle:
            pickle.dump(entry, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temp.replace(target)
    except (OSError, pickle.PickleError, TypeError, AttributeError):
        pass  # a cache that cannot be written only costs time
    return project
