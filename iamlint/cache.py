"""The user cache: grammar tables, parse results, whole projects and the catalog index.

Every cache entry is read and written here, and only here, under two rules:

- the folder is the user's own: created with mode 0700, and an existing one is used only if
  the user owns it and nobody else may write to it. A folder another local user could write
  to (a planted ``$TMPDIR/iamlint-<uid>``, a group-writable one) is refused, and iamlint runs
  without a cache rather than read what someone else put there;
- no entry is trusted for its bytes alone: each carries an HMAC-SHA256 over its name and
  content with a random per-user key kept in the folder (mode 0600), checked before anything
  is decoded. Entries are pickles, and a pickle can run code when loaded: only bytes this
  user wrote are ever unpickled. An entry that fails the check, or fails to load for any
  reason, is deleted so that it is rebuilt, never read again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import pickle
import secrets
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_MAGIC = b"iamlint-cache-v1\n"
_MAC_BYTES = 32
_KEY_FILE = "key"
_KEY_BYTES = 32
# A project of many thousands of files pickles to tens of megabytes; an entry larger than this
# is damaged (or not ours) and is not read into memory.
MAX_ENTRY_BYTES = 1 << 30


def _candidates() -> tuple[Path, ...]:
    """``$IAMLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/iamlint``, else ``~/.cache/iamlint``;
    then a per-user temporary folder, so a read-only home never turns into an error."""
    found: list[Path] = []
    if explicit := os.environ.get("IAMLINT_CACHE_DIR"):
        found.append(Path(explicit))
    xdg = os.environ.get("XDG_CACHE_HOME")
    found.append(Path(xdg) / "iamlint" if xdg else Path.home() / ".cache" / "iamlint")
    found.append(Path(tempfile.gettempdir()) / f"iamlint-{os.getuid()}")
    return tuple(found)


def own_folder(folder: Path) -> Path | None:
    """``folder`` (resolved) if it is usable as this user's cache: created 0700 when missing;
    an existing one must be a folder this user owns that group and others cannot write to."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Resolved once here and used from then on: a symbolic link someone else owns (in a
        # shared temporary folder) cannot be re-pointed after the check.
        real = Path(os.path.realpath(folder))
        info = os.stat(real)
    except (OSError, RuntimeError):
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return None
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    if not os.access(real, os.W_OK | os.X_OK):
        return None
    return real


@dataclass(frozen=True, slots=True)
class Cache:
    """One verified cache folder and its key. Names are relative paths inside the folder."""

    folder: Path
    key: bytes

    # --- bytes -------------------------------------------------------------------------------

    def load(self, name: str) -> bytes | None:
        """The content stored under ``name``, if this user stored it; None otherwise (a damaged
        or foreign entry is deleted)."""
        path = self.folder / name
        try:
            raw = _read_entry(path)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, MemoryError):
            self.drop(name)
            return None
        header = len(_MAGIC) + _MAC_BYTES
        if len(raw) < header or not raw.startswith(_MAGIC):
            self.drop(name)
            return None
        mac, content = raw[len(_MAGIC) : header], raw[header:]
        if not hmac.compare_digest(mac, self._mac(name, content)):
            self.drop(name)
            return None
        return content

    def store(self, name: str, content: bytes) -> None:
        """Store ``content`` under ``name`` atomically; a cache that cannot be written only
        costs time."""
        path = self.folder / name
        temp = ""
        try:
            if not self.folder.is_dir():
                return  # removed since it was checked: never re-created with other modes
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(_MAGIC + self._mac(name, content) + content)
            os.replace(temp, path)
        except OSError:
            if temp:
                Path(temp).unlink(missing_ok=True)

    def drop(self, name: str) -> None:
        # A folder in its place, or no permission: it is never loaded either way.
        with contextlib.suppress(OSError):
            (self.folder / name).unlink(missing_ok=True)

    # --- objects -----------------------------------------------------------------------------

    def load_object(self, name: str) -> Any:
        """The object stored under ``name`` with `store_object`; None if there is none or it
        cannot be loaded (then it is deleted)."""
        content = self.load(name)
        if content is None:
            return None
        try:
            return pickle.loads(content)
        except Exception:
            # Written by this user, yet unloadable: classes changed shape, or a write was cut
            # short in a way the MAC did not see. Whatever the cause, rebuild it.
            self.drop(name)
            return None

    def store_object(self, name: str, value: Any) -> None:
        try:
            content = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return  # not picklable (or too deep): computed again next time
        self.store(name, content)

    def _mac(self, name: str, content: bytes) -> bytes:
        # The name is covered too: a valid entry copied under another name is refused.
        digest = hmac.new(self.key, name.encode("utf-8") + b"\0", hashlib.sha256)
        digest.update(content)
        return digest.digest()


def _read_entry(path: Path) -> bytes:
    """An entry's bytes: a regular file, not followed through a symbolic link, bounded."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    handle = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(handle, "rb") as entry:
        info = os.fstat(entry.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            raise ValueError("not a cache entry")
        return entry.read(MAX_ENTRY_BYTES + 1)


def _user_key(folder: Path) -> bytes | None:
    """The key in ``folder``, made on first use. A key file another user owns, or one others
    may read, means the folder cannot be trusted: no cache."""
    path = folder / _KEY_FILE
    for _attempt in range(3):
        try:
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            if _create_key(path):
                continue
            return None
        except OSError:
            return None
        with os.fdopen(handle, "rb") as key_file:
            info = os.fstat(key_file.fileno())
            key = key_file.read(_KEY_BYTES + 1)
        if info.st_uid != os.getuid() or not stat.S_ISREG(info.st_mode):
            return None
        if info.st_mode & 0o077 or len(key) != _KEY_BYTES:
            # Ours but damaged (or once made readable to others): replace it. Entries made
            # with the old key no longer verify and are rebuilt.
            path.unlink(missing_ok=True)
            continue
        return key
    return None


def _create_key(path: Path) -> bool:
    """Write a new key; False if the folder cannot be written. Linked into place whole, so a
    concurrent run never reads half a key, and the first writer's key wins."""
    temp = ""
    try:
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".key.")  # mode 0600
        with os.fdopen(handle, "wb") as out:
            out.write(secrets.token_bytes(_KEY_BYTES))
        os.link(temp, path)
    except FileExistsError:
        pass  # another run made it first: use theirs
    except OSError:
        return False
    finally:
        if temp:
            Path(temp).unlink(missing_ok=True)
    return True


@functools.lru_cache(maxsize=8)
def _open(candidates: tuple[Path, ...]) -> Cache | None:
    for candidate in candidates:
        folder = own_folder(candidate)
        if folder is None:
            continue
        key = _user_key(folder)
        if key is not None:
            return Cache(folder, key)
    return None


def open_cache(folder: Path | None = None) -> Cache | None:
    """The user's cache (``folder`` if given, else the first usable candidate), or None when
    no folder passes the checks: then nothing is cached. Checked once per process and folder:
    the environment may point elsewhere at any time, so the choice is not fixed at import."""
    return _open((folder,) if folder is not None else _candidates())


def cache_dir() -> Path | None:
    """The verified cache folder, or None."""
    cache = open_cache()
    return cache.folder if cache is not None else None


@functools.cache
def code_fingerprint() -> str:
    """A hash of the reader's own code: cached parse trees and projects are pickled objects of
    its classes, so any change to that code must miss the cache, not load stale shapes."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*(package / "terraform").glob("*.py"), package / "model.py"]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
