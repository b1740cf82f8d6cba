"""`fix --write`: writes only inside the repository, never over an edit made since it read the
file, and a failed write leaves the original whole (an input error, not an internal one)."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamlint.cli import main
from iamlint.fix import apply, commands
from iamlint.fix.apply import write_patch, write_patched
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import Repository

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "fix" / "basic"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(FIXTURE, target)
    (target / ".git").mkdir()
    monkeypatch.chdir(target)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    return target


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_cmd(*extra: str) -> list[str]:
    return ["fix", ".", "--usage", "usage.json", "--stage", "service", "--write", *extra]


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".iamlint")]


def test_a_symlink_out_of_the_repository_is_not_written_through(repo):
    outside = repo.parent / "outside"
    outside.mkdir()
    (repo / "main.tf").rename(outside / "main.tf")
    (repo / "main.tf").symlink_to("../outside/main.tf")
    before = digest(outside / "main.tf")
    done = subprocess.run([sys.executable, "-m", "iamlint", *write_cmd()], capture_output=True,
                          text=True, cwd=repo, timeout=300)  # fmt: skip
    assert digest(outside / "main.tf") == before  # it used to be rewritten
    assert done.returncode == 2
    assert "main.tf:1:1: symlink points outside the repository" in done.stderr


def test_the_write_refuses_a_file_outside_the_repository(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (tmp_path / "x.tf").write_text("a = 1\n")
    (repo / "x.tf").symlink_to("../x.tf")
    with pytest.raises(InputError, match="symlink points outside the repository"):
        write_patch(repo / "x.tf", "x.tf", "a = 1\n", "a = 2\n", Repository((repo,)))
    assert (tmp_path / "x.tf").read_text() == "a = 1\n"


def test_a_symlink_inside_is_written_through_and_stays_a_link(tmp_path):
    repo = tmp_path / "repo"
    (repo / "shared").mkdir(parents=True)
    (repo / "shared" / "x.tf").write_text("\ufeffa = 1\r\n")
    (repo / "shared" / "x.tf").chmod(0o640)
    (repo / "x.tf").symlink_to("shared/x.tf")
    write_patch(repo / "x.tf", "x.tf", "a = 1\r\n", "a = 2\r\n", Repository((repo,)))
    assert (repo / "x.tf").is_symlink()
    assert (repo / "shared" / "x.tf").read_bytes() == b"\xef\xbb\xbfa = 2\r\n"  # BOM kept
    assert stat.S_IMODE((repo / "shared" / "x.tf").stat().st_mode) == 0o640  # mode kept


def test_a_file_edited_since_it_was_read_is_not_written_the_others_are(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.tf").write_text("a = 1\n")
    (repo / "b.tf").write_text("b = 1\n# the user's edit, made while iamlint was planning\n")
    changes = [("a.tf", "a = 1\n", "a = 2\n"), ("b.tf", "b = 1\n", "b = 2\n")]
    errors = write_patched(changes, repo, Repository((repo,)))
    assert (repo / "a.tf").read_text() == "a = 2\n"
    assert "the user's edit" in (repo / "b.tf").read_text()
    (error,) = errors
    assert error.file == "b.tf" and "changed since iamlint read it: not written" in error.message


def test_fix_write_keeps_an_edit_made_during_planning(repo, monkeypatch):
    real_fix = commands.run_fix

    def edit_meanwhile(*args, **kwargs):
        result = real_fix(*args, **kwargs)
        with open(repo / "main.tf", "a") as out:
            out.write("# added by the user meanwhile\n")
        return result

    monkeypatch.setattr(commands, "run_fix", edit_meanwhile)
    result = CliRunner().invoke(main, write_cmd())
    assert result.exit_code == 2
    assert "main.tf:1:1: changed since iamlint read it" in result.output
    assert "changes to 0 files (1 not written" in result.output
    assert (repo / "main.tf").read_text().endswith("# added by the user meanwhile\n")


def test_a_full_disk_is_an_input_error_and_the_original_is_intact(repo, monkeypatch):
    before = digest(repo / "main.tf")

    def full(handle: int, data: bytes) -> None:
        os.write(handle, data[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(apply, "_write_fully", full)
    result = CliRunner().invoke(main, write_cmd())
    assert result.exit_code == 2
    assert "main.tf:1:1: cannot write the patched file (No space left on device); it is " \
           "unchanged" in result.output  # fmt: skip
    assert "internal error" not in result.output
    assert digest(repo / "main.tf") == before
    assert leftovers(repo) == []


def test_a_read_only_folder_is_an_input_error(repo, monkeypatch):
    before = digest(repo / "main.tf")

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "mkstemp", denied)  # as root, chmod would not stop it
    result = CliRunner().invoke(main, write_cmd())
    assert result.exit_code == 2
    assert "cannot write the patched file (Permission denied); it is unchanged" in result.output
    assert digest(repo / "main.tf") == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_folder(repo):
    before = digest(repo / "main.tf")
    repo.chmod(0o555)
    try:
        result = CliRunner().invoke(main, write_cmd())
    finally:
        repo.chmod(0o755)
    assert result.exit_code == 2 and "cannot write the patched file" in result.output
    assert digest(repo / "main.tf") == before
