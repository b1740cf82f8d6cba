"""Lines changed since a git revision, for `iamlint check --since REF` in pull requests.

Compares the working tree (committed or not) with REF; files git does not track yet count as
entirely changed. Paths are absolute so that they match findings' files however iamlint was
started.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
_FILE = re.compile(r"^\+\+\+ (?:b/)?(.*)$", re.MULTILINE)
ALL_LINES = range(1, 10**9)


class GitError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class ChangedLines:
    files: dict[Path, list[range]]

    def touches(self, file: Path, first: int, last: int) -> bool:
        for lines in self.files.get(file.resolve(), ()):
            if lines.start <= last and first < lines.stop:
                return True
        return False


def git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as err:
        raise GitError(f"cannot run git: {err.strerror}") from None
    if done.returncode != 0:
        raise GitError(done.stderr.strip() or f"git {' '.join(args)} failed")
    return done.stdout


def repo_root(cwd: Path) -> Path:
    return Path(git(["rev-parse", "--show-toplevel"], cwd).strip()).resolve()


def changed_lines(ref: str, cwd: Path) -> ChangedLines:
    root = repo_root(cwd)
    git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    diff = git(["diff", "--unified=0", "--no-color", "--no-ext-diff", ref, "--"], root)
    files: dict[Path, list[range]] = {}
    for section in re.split(r"^diff --git ", diff, flags=re.MULTILINE)[1:]:
        target = _FILE.search(section)
        if target is None or target.group(1) == "/dev/null":
            continue  # deleted files have no lines left to report on
        path = (root / target.group(1)).resolve()
        for hunk in _HUNK.finditer(section):
            start, count = int(hunk.group(1)), int(hunk.group(2) or "1")
            if count:
                files.setdefault(path, []).append(range(start, start + count))
    untracked = git(["ls-files", "--others", "--exclude-standard"], root)
    for name in untracked.splitlines():
        files[(root / name).resolve()] = [ALL_LINES]
    return ChangedLines(files)
