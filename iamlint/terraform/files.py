"""Reading files exactly as written: BOM remembered, line endings kept, offsets in code points.

Also the one place that decides what iamlint may read and write (`Repository`): files inside
the repository being scanned, reached through symbolic links or not, and only regular files.
"""

from __future__ import annotations

import bisect
import errno
import os
import stat
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from iamlint.model import Location
from iamlint.terraform.errors import InputError

MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(slots=True)
class SourceFile:
    path: Path  # absolute
    display: str  # as shown to users: relative to the scan root when inside it
    text: str
    bom: bool = False
    _line_starts: list[int] = field(default_factory=list)

    def location(self, start: int, end: int) -> Location:
        # Hot: every literal the evaluator reads gets one, so both ends are found inline.
        starts = self._line_starts or self._index_lines()
        line = bisect.bisect_right(starts, start)
        if line == len(starts) or end < starts[line]:
            end_line = line  # most values sit on one line
        else:
            end_line = bisect.bisect_right(starts, end, line)
        return Location(self.display, start, end, line, start - starts[line - 1] + 1,
                        end_line, end - starts[end_line - 1] + 1)  # fmt: skip

    def line_column(self, offset: int) -> tuple[int, int]:
        starts = self._line_starts or self._index_lines()
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def _index_lines(self) -> list[int]:
        starts = [0]
        find = self.text.find
        pos = find("\n")
        while pos >= 0:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._line_starts = starts
        return starts

    def snippet(self, start: int, end: int) -> str:
        return self.text[start:end]


# Texts that stand in for files on disk while a patch is proven (`iamlint.fix`): the patched
# project is read exactly as the real one would be, without writing anything first.
OVERLAY: ContextVar[dict[Path, str] | None] = ContextVar("iamlint_overlay", default=None)


def read_text(path: Path, display: str) -> SourceFile:
    """Read a text file; a binary, undecodable, unreadable or not regular file is an
    `InputError`. No boundary: callers that read files the user did not name use
    `read_inside`."""
    overlay = OVERLAY.get()
    if overlay is not None:
        try:
            text = overlay.get(path.resolve())
        except (OSError, RuntimeError):  # a symbolic link loop: read below, and refused there
            text = None
        if text is not None:
            return SourceFile(path=path, display=display, text=text)
    return decode_text(path, display, read_regular(path, display))


def decode_text(path: Path, display: str, raw: bytes) -> SourceFile:
    """UTF-8 text (BOM remembered); binary or undecodable bytes are an `InputError`."""
    if b"\x00" in raw[:8192]:
        raise InputError(display, 1, 1, "binary file: expected UTF-8 text")
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        # newline="" semantics: decoding bytes directly keeps CRLF as two characters.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise InputError(display, line, column, "file is not valid UTF-8 text") from None
    return SourceFile(path=path, display=display, text=text, bom=bom)


# --- only regular files ----------------------------------------------------------------------

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def _not_regular(display: str, mode: int) -> InputError:
    return InputError(
        display, 1, 1, f"{_kind(mode)}, not a regular file: iamlint reads only regular files"
    )


def not_regular(path: Path) -> str | None:
    """Why ``path`` is not a regular file ("a named pipe (FIFO)"...), or None if it is one or
    cannot be looked at (its reader then says why)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return None if stat.S_ISREG(mode) else _kind(mode)


def read_regular(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file, at most ``limit`` of them.

    A FIFO would block forever and ``/dev/zero`` never ends: anything but a regular file is an
    `InputError` naming it, checked before opening (opening some devices has effects) and again
    on the open file (it may have been swapped in between). The size is not trusted either
    (files in /proc say 0): the read itself stops after ``limit`` bytes.
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(display, info.st_mode)
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
        handle = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise _unreadable(display, err) from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(display, info.st_mode)
        if info.st_size > limit:
            raise _too_big(display, info.st_size, limit)
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(handle, min(1 << 20, limit + 1 - total) or 1):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise _too_big(display, total, limit)
        return b"".join(chunks)
    except OSError as err:
        raise _unreadable(display, err) from None
    finally:
        os.close(handle)


def _too_big(display: str, size: int, limit: int) -> InputError:
    shown = f"{size} bytes" if size <= limit else f"more than {limit} bytes"
    return InputError(display, 1, 1, f"file is {shown}; iamlint reads files up to {limit} bytes")


def _unreadable(display: str, err: OSError) -> InputError:
    if err.errno == errno.ELOOP:
        return InputError(display, 1, 1, "symlink loop: the link never reaches a file")
    return InputError(display, 1, 1, f"cannot read file: {err.strerror or err}")


# --- staying inside the repository -----------------------------------------------------------


def repository_root(path: Path) -> Path:
    """The folder a scan of ``path`` must stay inside: the enclosing git work tree, else the
    scanned folder itself (for a single file, its folder). Not the working directory: run
    from ``/`` or from a shared temporary folder, it would let in everything below it.

    A ``.git`` counts only if it belongs to this user, to the owner of the scanned folder or to
    root: in a shared folder such as /tmp, another user could otherwise plant one above the
    scan and widen what it may read (git itself refuses such repositories for the same
    reason).
    """
    path = resolved(path)
    start = path if path.is_dir() else path.parent
    owners = {os.getuid(), 0, _owner(start)}
    for folder in (start, *start.parents):
        if _owner(folder / ".git") in owners:
            return folder
    return start


def _owner(path: Path) -> int | None:
    try:
        return os.lstat(path).st_uid
    except OSError:
        return None


def resolved(path: Path) -> Path:
    """``path.resolve()``, except that a symbolic link loop gives the path as written (made
    absolute) instead of an exception: it is reported where it is read."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: Python 3.11's way of saying "loop"
        return Path(os.path.abspath(path))


@dataclass(frozen=True, slots=True)
class Repository:
    """Where iamlint may read and write: the repositories of the scanned paths.

    Paths the user names (scanned paths, ``--var-file``, ``--config``...) are the user's
    choice. Everything iamlint finds by itself (files in scanned folders, local modules,
    ``file()`` and ``templatefile()`` targets, automatic tfvars, configuration found by
    searching, files ``fix --write`` replaces) must be inside, symbolic links resolved.
    """

    roots: tuple[Path, ...]

    @classmethod
    def of(cls, paths: Iterable[Path], cwd: Path) -> Repository:
        given = list(paths) or [cwd]
        roots = dict.fromkeys(repository_root(cwd / p) for p in given)  # cwd / absolute: absolute
        return cls(tuple(roots))

    @property
    def root(self) -> Path:
        return self.roots[0]

    def contains(self, path: Path) -> bool:
        """Whether ``path``, symbolic links resolved, is inside the repository."""
        return self._inside(resolved(path))

    def _inside(self, real: Path) -> bool:
        return any(real.is_relative_to(root) for root in self.roots)

    def check(self, path: Path, display: str) -> Path:
        """The real path of ``path``, or an `InputError` naming it if it is a symbolic link
        loop or it (through a link or not) leaves the repository."""
        try:
            real = Path(os.path.realpath(path, strict=True))
        except FileNotFoundError:
            real = Path(os.path.realpath(path))
            if self._inside(real):
                missing = "cannot read file: No such file or directory"
                if os.path.islink(path):
                    missing = f"symlink points to nothing: {os.readlink(path)}"
                raise InputError(display, 1, 1, missing) from None
        except OSError as err:
            raise _unreadable(display, err) from None
        if self._inside(real):
            return real
        shown = " or ".join(str(root) for root in self.roots)
        if self._inside(Path(os.path.normpath(os.path.abspath(path)))):
            message = (
                f"symlink points outside the repository: {display} -> {real}; "
                f"iamlint reads only files inside it ({shown})"
            )
        else:
            message = f"file is outside the repository ({shown}): iamlint reads only files in it"
        raise InputError(display, 1, 1, message)


def read_inside(path: Path, display: str, repository: Repository | None) -> SourceFile:
    """`read_text`, refusing a file outside ``repository`` (None: a file the user named)."""
    if repository is not None:
        repository.check(path, display)
    return read_text(path, display)
