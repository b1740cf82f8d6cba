"""What iamlint may read: files inside the repository, symbolic links resolved; only regular
files; an unreadable folder is an error, never silently skipped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from iamlint.terraform import files
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import Repository, read_regular, repository_root
from iamlint.terraform.loader import discover
from iamlint.terraform.project import load_project

ADMIN = """\
resource "aws_iam_policy" "secret" {
  name   = "secret"
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = "*", Resource = "*" } ] })
}
"""
FROM_FILE = """\
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = file("${path.module}/policy.json")
}
"""
POLICY_JSON = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",'
    ' "Resource": "*"}]}'
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree beside a folder outside it."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.tf").write_text(ADMIN)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A separate process with a time limit: a regression (a FIFO read) must fail, not hang.
    return subprocess.run(
        [sys.executable, "-m", "iamlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "IAMLINT_CACHE_DIR": str(cwd.parent / "cache")},
    )


def messages(project) -> dict[str, str]:
    return {e.file: e.message for e in project.errors}


# --- 1. stay inside the repository -------------------------------------------------------------


def test_a_tf_symlink_out_of_the_repository_is_refused_not_read(repo):
    (repo / "link.tf").symlink_to("../outside/secret.tf")
    project = load_project([repo], cwd=repo)
    assert project.records == []  # aws_iam_policy.secret used to be listed
    message = messages(project)["link.tf"]
    assert message.startswith("symlink points outside the repository: link.tf -> ")
    assert "iamlint reads only files inside it" in message


def test_check_fails_on_it_instead_of_reporting_no_findings(repo):
    (repo / "link.tf").symlink_to("../outside/secret.tf")
    done = cli("check", ".", cwd=repo)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "link.tf:1:1: symlink points outside the repository" in done.stderr


def test_a_symlink_inside_the_repository_is_read_as_part_of_its_folder(repo):
    (repo / "shared").mkdir()
    (repo / "shared" / "iam.tf").write_text(ADMIN)
    (repo / "env").mkdir()
    (repo / "env" / "iam.tf").symlink_to("../shared/iam.tf")
    project = load_project([repo / "env"], cwd=repo)
    assert project.errors == []
    (record,) = project.records
    assert record.location.file == "env/iam.tf"  # the module it is linked into


def test_symlink_loops_are_errors_not_hangs(repo):
    (repo / "a.tf").symlink_to("b.tf")
    (repo / "b.tf").symlink_to("a.tf")
    (repo / "main.tf").write_text(FROM_FILE)
    (repo / "policy.json").symlink_to("policy.json")
    (repo / "mod").symlink_to("mod")
    (repo / "call.tf").write_text('module "m" {\n  source = "./mod"\n}\n')
    project = load_project([repo], cwd=repo)
    found = messages(project)
    assert found["a.tf"] == found["b.tf"] == "symlink loop: the link never reaches a file"
    assert "symlink loop" in found["main.tf"]  # file() through the loop


def test_file_through_a_symlink_out_of_the_repository_is_refused(repo):
    (repo / "main.tf").write_text(FROM_FILE)
    (repo.parent / "outside" / "policy.json").write_text(POLICY_JSON)
    (repo / "policy.json").symlink_to("../outside/policy.json")
    project = load_project([repo], cwd=repo)
    assert "symlink points outside the repository" in messages(project)["main.tf"]


def test_automatic_tfvars_out_of_the_repository_is_refused(repo):
    (repo.parent / "outside" / "terraform.tfvars").write_text('action = "iam:*"\n')
    (repo / "terraform.tfvars").symlink_to("../outside/terraform.tfvars")
    (repo / "main.tf").write_text('variable "action" {\n  default = "s3:GetObject"\n}\n')
    project = load_project([repo], cwd=repo)
    assert "symlink points outside the repository" in messages(project)["terraform.tfvars"]


def test_a_var_file_the_user_names_may_be_outside(repo):
    var_file = repo.parent / "outside" / "prod.tfvars"
    var_file.write_text('action = "s3:PutObject"\n')
    (repo / "main.tf").write_text(
        'variable "action" {}\nresource "aws_iam_policy" "p" {\n  name = "p"\n  policy = '
        'jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = '
        'var.action, Resource = "*"}]})\n}\n'
    )
    project = load_project([repo], [var_file], cwd=repo)
    assert project.errors == []
    assert project.records[0].document["Statement"][0]["Action"] == ["s3:PutObject"]


def test_repository_root_is_the_work_tree_else_the_scanned_folder(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    # Outside git: the scanned folder itself, not a parent (nor the working directory).
    assert repository_root(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    (tmp_path / "a" / "b" / "x.tf").write_text("")
    assert repository_root(tmp_path / "a" / "b" / "x.tf") == tmp_path / "a" / "b"
    (tmp_path / ".git").mkdir()
    assert repository_root(tmp_path / "a" / "b") == tmp_path


def test_a_dot_git_another_user_planted_does_not_widen_the_repository(tmp_path, monkeypatch):
    (tmp_path / "scan").mkdir()
    (tmp_path / ".git").mkdir()
    real_lstat = os.lstat

    def planted(path, *args, **kwargs):
        info = real_lstat(path, *args, **kwargs)
        if str(path).endswith(os.sep + ".git"):
            return os.stat_result((info.st_mode, 0, 0, 0, 4242, *tuple(info)[5:]))
        return info

    monkeypatch.setattr(files.os, "lstat", planted)
    assert repository_root(tmp_path / "scan") == tmp_path / "scan"


def test_check_names_the_escape_and_the_loop_and_dangling_link(repo):
    repository = Repository.of([repo], repo)
    (repo / "up.tf").symlink_to("../../nowhere.tf")
    with pytest.raises(InputError, match="symlink points outside the repository"):
        repository.check(repo / "up.tf", "up.tf")
    (repo / "gone.tf").symlink_to("missing.tf")
    with pytest.raises(InputError, match=r"symlink points to nothing: missing\.tf"):
        repository.check(repo / "gone.tf", "gone.tf")
    with pytest.raises(InputError, match="file is outside the repository"):
        repository.check(repo / ".." / "outside" / "secret.tf", "secret.tf")


# --- 2. only regular files ---------------------------------------------------------------------


def test_a_fifo_tf_file_is_an_error_not_a_hang(repo):
    (repo / "main.tf").write_text(ADMIN)
    os.mkfifo(repo / "pipe.tf")
    done = cli("check", ".", cwd=repo)
    assert done.returncode in (1, 2)
    assert "pipe.tf:1:1: a named pipe (FIFO), not a regular file" in done.stderr
    assert "W201" in done.stdout  # the rest is still read


def test_a_fifo_file_target_is_an_error(repo):
    (repo / "main.tf").write_text(FROM_FILE)
    os.mkfifo(repo / "policy.json")
    done = cli("policies", ".", cwd=repo)
    assert done.returncode == 2
    assert "named pipe (FIFO), not a regular file" in done.stderr


def test_a_fifo_or_device_var_file_is_a_usage_error(repo):
    (repo / "main.tf").write_text(ADMIN)
    os.mkfifo(repo / "vars.tfvars")
    for given, kind in (("vars.tfvars", "named pipe (FIFO)"), ("/dev/zero", "character device")):
        done = cli("check", ".", "--var-file", given, cwd=repo)
        assert done.returncode == 2
        assert f"is a {kind}, not a regular file" in done.stderr


def test_read_regular_refuses_sockets_devices_and_folders(tmp_path):
    place = tmp_path / "s.tf"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(place))
        with pytest.raises(InputError, match="a socket, not a regular file"):
            read_regular(place, "s.tf")
    finally:
        server.close()
    with pytest.raises(InputError, match="a character device, not a regular file"):
        read_regular(Path("/dev/zero"), "/dev/zero")
    with pytest.raises(InputError, match="a folder, not a regular file"):
        read_regular(tmp_path, "here")


def test_the_read_stops_at_the_limit_whatever_the_size_says(tmp_path, monkeypatch):
    path = tmp_path / "big.tf"
    path.write_text("x" * 100)
    real_fstat = os.fstat
    # A file whose size says 0 (as /proc files do) is still read only up to the limit.
    monkeypatch.setattr(
        files.os,
        "fstat",
        lambda fd: os.stat_result((*tuple(real_fstat(fd))[:6], 0, *tuple(real_fstat(fd))[7:])),
    )
    with pytest.raises(InputError, match="more than 10 bytes"):
        read_regular(path, "big.tf", limit=10)
    assert read_regular(path, "big.tf", limit=100) == b"x" * 100


# --- 3. an unreadable folder fails closed -----------------------------------------------------


def test_an_unreadable_folder_is_an_input_error_and_the_rest_is_read(repo, monkeypatch):
    (repo / "main.tf").write_text(ADMIN.replace("secret", "visible"))
    (repo / "locked").mkdir()
    (repo / "locked" / "admin.tf").write_text(ADMIN)
    real_scandir = os.scandir

    def denied(path="."):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", denied)  # as root, chmod would not stop the read
    found = discover([repo])
    assert found.refused[repo / "locked"].startswith("cannot read this folder (Permission denied)")
    project = load_project([repo], cwd=repo)
    assert [r.address for r in project.records] == ["aws_iam_policy.visible"]
    assert "cannot read this folder" in messages(project)["locked"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their permissions")
def test_check_exits_2_on_a_folder_it_cannot_list(repo):
    (repo / "locked").mkdir()
    (repo / "locked" / "admin.tf").write_text(ADMIN)
    (repo / "locked").chmod(0)
    try:
        done = cli("check", ".", cwd=repo)
    finally:
        (repo / "locked").chmod(0o755)
    assert done.returncode == 2
    assert "locked:1:1: cannot read this folder" in done.stderr


def test_named_evidence_and_baseline_files_must_be_regular(repo):
    (repo / "main.tf").write_text(ADMIN)
    os.mkfifo(repo / "usage.json")
    for option in ("--usage", "--baseline"):
        done = cli("check", ".", option, "usage.json", cwd=repo)
        assert done.returncode == 2
        assert "usage.json is a named pipe (FIFO), not a regular file" in done.stderr
    done = cli("fix", ".", "--usage", "/dev/zero", "--stage", "action", cwd=repo)
    assert done.returncode == 2 and "is a character device, not a regular file" in done.stderr
