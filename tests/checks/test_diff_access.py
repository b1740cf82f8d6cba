from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamlint.checks.diff_access import diff_projects, load_at_ref
from iamlint.cli import main

BASE = """\
resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
      Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

data "aws_iam_policy_document" "app" {
  statement {
    sid       = "Objects"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::acme-invoices/*"]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:*:*:log-group:/ecs/app:*"]
  }
}

resource "aws_iam_role_policy" "app" {
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
}
"""

REORDERED_AND_SPLIT = BASE.replace(
    """  statement {
    sid       = "Objects"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::acme-invoices/*"]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:*:*:log-group:/ecs/app:*"]
  }""",
    """  statement {
    actions   = ["logs:PutLogEvents", "logs:CreateLogStream"]
    resources = ["arn:aws:logs:*:*:log-group:/ecs/app:*"]
  }
  statement {
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::acme-invoices/*"]
  }
  statement {
    sid       = "Renamed"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::acme-invoices/*"]
  }""",
)

NEW_ROLE = """
resource "aws_iam_role" "extra" {
  name               = "extra"
  assume_role_policy = aws_iam_role.app.assume_role_policy
  inline_policy {
    name   = "read"
    policy = jsonencode({ Version = "2012-10-17",
      Statement = [{ Effect = "Allow", Action = "sqs:ReceiveMessage", Resource = "*" }] })
  }
}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "main.tf").write_text(BASE)
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "base"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def diff(repo: Path, text: str):
    (repo / "main.tf").write_text(text)
    before, after = load_at_ref("HEAD", [], [], repo)
    return diff_projects(before, after)


def test_reordering_and_splitting_adds_nothing(repo):
    assert diff(repo, REORDERED_AND_SPLIT) == []


def test_gained_and_lost_actions(repo):
    (change,) = diff(repo, BASE.replace('"s3:PutObject"', '"s3:DeleteObject"'))
    assert change.address == "aws_iam_role.app" and change.status == "changed"
    assert change.gained == ["s3:DeleteObject"]
    assert change.lost == ["s3:PutObject"]
    assert change.widened == [] and change.narrowed == []


def test_wider_resource_is_found_without_new_actions(repo):
    (change,) = diff(repo, BASE.replace("acme-invoices/*", "acme-*/*"))
    assert change.gained == [] and change.lost == []
    assert sorted(w.action for w in change.widened) == ["s3:GetObject", "s3:PutObject"]
    assert all("Objects" in w.allowed_by for w in change.widened)
    (back,) = diff(repo, BASE.replace("acme-invoices/*", "acme-invoices/2026/*"))
    assert sorted(w.action for w in back.narrowed) == ["s3:GetObject", "s3:PutObject"]
    assert back.widened == []


def test_new_and_deleted_principals(repo):
    changes = diff(repo, BASE + NEW_ROLE)
    assert [(c.address, c.status, c.gained) for c in changes] == [
        ("aws_iam_role.extra", "added", ["sqs:ReceiveMessage"])
    ]


def test_command_text_json_and_bad_ref(repo):
    (repo / "main.tf").write_text(BASE.replace('"s3:PutObject"', '"s3:DeleteObject"'))
    runner = CliRunner()
    text = runner.invoke(main, ["diff-access", "HEAD"])
    assert text.exit_code == 0
    assert "aws_iam_role.app [role]\n  + s3:DeleteObject\n  - s3:PutObject" in text.output
    data = json.loads(runner.invoke(main, ["diff-access", "HEAD", "--format", "json"]).output)
    assert data["principals"][0]["gained"] == ["s3:DeleteObject"]
    bad = runner.invoke(main, ["diff-access", "no-such-ref"])
    assert bad.exit_code == 2 and "error: no-such-ref:" in bad.output


def test_managed_policy_attachment_is_noted(repo):
    attach = (
        '\nresource "aws_iam_role_policy_attachment" "admin" {\n'
        "  role       = aws_iam_role.app.name\n"
        '  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"\n}\n'
    )
    (change,) = diff(repo, BASE + attach)
    assert change.gained == [] and change.status == "changed"
    assert any("AdministratorAccess" in note and note.startswith("added:") for note in change.notes)


def test_committed_symlinks_out_of_the_tree_are_reported_not_followed(repo):
    (repo / "passwd.tf").symlink_to("/etc/passwd")
    (repo / "up.tf").symlink_to("../../secret.tf")
    (repo / "inside.tf").symlink_to("main.tf")
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m",
                    "links"], cwd=repo, check=True, capture_output=True)  # fmt: skip
    before, after = load_at_ref("HEAD", [], [], repo)  # an internal error before
    for project in (before, after):
        refused = {e.file.rsplit("/", 1)[-1]: e.message for e in project.errors}
        assert refused["passwd.tf"].startswith("symlink points outside the repository")
        assert refused["up.tf"].startswith("symlink points outside the repository")
        assert "inside.tf" not in refused  # a link inside the tree is read
    assert diff_projects(before, after) == []
    result = CliRunner().invoke(main, ["diff-access", "HEAD"])
    assert result.exit_code == 2 and "internal error" not in result.output


def test_extraction_never_writes_through_a_link(tmp_path):
    import io
    import tarfile

    from iamlint.checks.diff_access import extract

    outside = tmp_path / "outside"
    outside.mkdir()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        link = tarfile.TarInfo("escape")
        link.type, link.linkname = tarfile.SYMTYPE, str(outside)
        tar.addfile(link)
        data = b"resource {}\n"
        member = tarfile.TarInfo("escape/planted.tf")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    tree = tmp_path / "tree"
    tree.mkdir()
    extract(buffer.getvalue(), tree)
    assert list(outside.iterdir()) == []
    assert (tree / "escape" / "planted.tf").is_file() and (tree / ".git").is_dir()
