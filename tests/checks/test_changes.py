from __future__ import annotations

from pathlib import Path

import pytest
from check_helpers import git  # beside this file (on the path: conftest.py)

from iamlint.checks.changes import GitError, changed_lines


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.tf").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    (tmp_path / "gone.tf").write_text("x\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_changed_added_untracked_and_deleted(repo):
    lines = (repo / "a.tf").read_text().splitlines(keepends=True)
    lines[2] = "changed 3\n"
    lines.insert(7, "new after 7\n")
    (repo / "a.tf").write_text("".join(lines))
    (repo / "gone.tf").unlink()
    (repo / "new.tf").write_text("a\nb\n")
    changes = changed_lines("HEAD", repo)
    a = (repo / "a.tf").resolve()
    assert changes.touches(a, 3, 3)
    assert changes.touches(a, 8, 8)
    assert not changes.touches(a, 1, 2)
    assert changes.touches(a, 1, 5)  # a finding spanning a changed line
    assert changes.touches((repo / "new.tf").resolve(), 2, 2)
    assert (repo / "gone.tf").resolve() not in changes.files


def test_bad_ref(repo):
    with pytest.raises(GitError):
        changed_lines("no-such-ref", repo)


def test_not_a_repository(tmp_path):
    with pytest.raises(GitError):
        changed_lines("HEAD", tmp_path)
