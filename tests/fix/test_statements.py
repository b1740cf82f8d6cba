"""`fix` removes statements that nothing used, whole, in every written form it can edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pygohcl
import pytest

from iamlint.fix.engine import fix
from iamlint.policy.catalog import default_catalog
from iamlint.usage.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
USAGE = ROOT / "fixtures" / "fix" / "basic" / "usage.json"  # role app-etl: s3, kms, dynamodb
ROLE = (
    'resource "aws_iam_role" "etl" {\n  name               = "app-etl"\n'
    '  assume_role_policy = "{}"\n}\n\n'
)

JSONENCODE = """resource "aws_iam_role_policy" "etl" {
  role = aws_iam_role.etl.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Read"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "*"
      },
      {
        Sid      = "Compute"
        Effect   = "Allow"
        Action   = ["ec2:RunInstances", "ec2:TerminateInstances"]
        Resource = "*"
      },
      {
        Sid      = "Network"
        Effect   = "Allow"
        Action   = ["ec2:CreateVpc"]
        Resource = "*"
      }
    ]
  })
}
"""

HEREDOC = """resource "aws_iam_role_policy" "etl" {
  role   = aws_iam_role.etl.id
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Keys",
      "Effect": "Allow",
      "Action": ["kms:Decrypt"],
      "Resource": "*"
    },
    {
      "Sid": "Compute",
      "Effect": "Allow",
      "Action": ["ec2:RunInstances"],
      "Resource": "*"
    }
  ]
}
EOF
}
"""

DOCUMENT = """data "aws_iam_policy_document" "etl" {
  statement {
    sid       = "Describe"
    actions   = ["dynamodb:DescribeTable"]
    resources = ["*"]
  }

  statement {
    sid       = "Network"
    actions   = ["ec2:CreateVpc"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "etl" {
  role   = aws_iam_role.etl.id
  policy = data.aws_iam_policy_document.etl.json
}
"""

DYNAMIC = """data "aws_iam_policy_document" "etl" {
  statement {
    actions   = ["dynamodb:DescribeTable"]
    resources = ["*"]
  }
  dynamic "statement" {
    for_each = ["ec2:CreateVpc", "ec2:CreateSubnet"]
    content {
      actions   = [statement.value]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "etl" {
  role   = aws_iam_role.etl.id
  policy = data.aws_iam_policy_document.etl.json
}
"""


@pytest.fixture
def write_repo(tmp_path, monkeypatch):
    def make(main: str) -> Path:
        target = tmp_path / "repo"
        target.mkdir()
        shutil.copy(USAGE, target / "usage.json")
        (target / "main.tf").write_text(ROLE + main)
        monkeypatch.chdir(target)
        monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
        return target

    return make


def _fix(stage: str = "service"):
    return fix([Path(".")], load_snapshot("usage.json"), stage, default_catalog())


def _plans(result):
    return [p for r in result.reports for p in r.plans]


def test_unused_statements_of_a_jsonencode_list_go_together_with_their_commas(write_repo):
    write_repo(JSONENCODE)
    result = _fix()
    new = result.patched["main.tf"]
    assert '"Compute"' not in new and '"Network"' not in new
    assert new.count("Sid ") == 1 and '        Resource = "*"\n      }\n    ]' in new
    pygohcl.loads(new)
    (plan,) = [p for p in _plans(result) if p.edits]
    assert plan.deletes == (1, 2)
    assert plan.label == "aws_iam_role_policy.etl statement 1 (Compute), statement 2 (Network)"


def test_the_last_statement_of_heredoc_json_goes_and_the_comma_before_it(write_repo):
    write_repo(HEREDOC)
    new = _fix().patched["main.tf"]
    assert "ec2:RunInstances" not in new
    assert '      "Resource": "*"\n    }\n  ]\n}\nEOF' in new  # no comma left behind
    pygohcl.loads(new)


def test_a_statement_block_goes_with_its_lines(write_repo):
    write_repo(DOCUMENT)
    new = _fix().patched["main.tf"]
    assert "ec2:CreateVpc" not in new
    assert '    resources = ["*"]\n  }\n}\n\nresource "aws_iam_role_policy"' in new
    pygohcl.loads(new)


def test_a_second_run_removes_nothing_more(write_repo):
    repo = write_repo(DOCUMENT)
    (repo / "main.tf").write_text(_fix().patched["main.tf"])
    assert _fix().changed_files == []


def test_a_policy_whose_every_statement_is_unused_is_left_with_the_reason(write_repo):
    write_repo(DOCUMENT.replace('"dynamodb:DescribeTable"', '"ec2:CreateSubnet"'))
    result = _fix()
    assert result.changed_files == []
    plans = [p for p in _plans(result) if p.record.address == "aws_iam_role_policy.etl"]
    assert len(plans) == 2 and all("remove the policy itself" in p.skipped for p in plans)


def test_statements_from_a_dynamic_block_are_not_removed(write_repo):
    write_repo(DYNAMIC)
    result = _fix()
    assert "main.tf" not in result.changed_files
    reasons = {p.skipped for p in _plans(result) if p.skipped}
    assert any("cannot be removed automatically" in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("action", "removed"),
    [("ec2:CreateVpc", True), ("logs:CreateLogStream", False)],  # billing uses the latter
)
def test_a_statement_shared_by_module_instances_goes_only_if_every_instance_wants_it(
    tmp_path, monkeypatch, action, removed
):
    target = tmp_path / "demo"
    shutil.copytree(ROOT / "fixtures" / "demo", target)
    module = target / "modules" / "service-role" / "main.tf"
    text = module.read_text()
    marker = 'data "aws_iam_policy_document" "access" {\n'
    assert marker in text
    # A statement neither service uses, in the text both module instances share.
    unused = f'  statement {{\n    actions   = ["{action}"]\n    resources = ["*"]\n  }}\n'
    module.write_text(text.replace(marker, marker + unused, 1))
    monkeypatch.chdir(target)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    snapshot = load_snapshot(ROOT / "fixtures" / "usage" / "demo-snapshot.json")
    result = fix([Path(".")], snapshot, "service", default_catalog())
    module_text = result.patched.get("modules/service-role/main.tf", "")
    if removed:
        assert module_text and f'"{action}"' not in module_text
        assert len([p for p in _plans(result) if p.deletes and p.edits]) == 1
        assert [p for p in _plans(result) if p.deletes and p.skipped.startswith("same change")]
    else:
        assert f'"{action}"' in module_text or not module_text
        kept = [p for p in _plans(result) if "statement is written once for 2" in p.skipped]
        assert kept and not [p for p in _plans(result) if p.deletes and p.edits]


ONE_LINE = """resource "aws_iam_role_policy" "etl" {
  role   = aws_iam_role.etl.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "s3:DeleteObject"], Resource = "*" }, { Effect = "Allow", Action = ["ec2:RunInstances"], Resource = "*" }] })
}

resource "aws_iam_role_policy" "other" {
  role   = aws_iam_role.etl.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["kms:Decrypt", "kms:Encrypt"], Resource = "*" }] })
}
"""  # noqa: E501 - one-line lists are the point


def test_a_removal_that_collides_with_a_narrowing_waits_and_the_rest_is_patched(write_repo):
    write_repo(ONE_LINE)
    result = _fix("action")
    new = result.patched["main.tf"]
    assert '"s3:DeleteObject"' not in new and '"kms:Encrypt"' not in new  # both narrowed
    assert '"ec2:RunInstances"' in new  # its removal waits for the next run
    (waiting,) = [p for p in _plans(result) if p.deletes]
    assert "apply that one, then run again" in waiting.skipped


MERGED = """data "aws_iam_policy_document" "base" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
  statement {
    actions   = ["ec2:RunInstances"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "merged" {
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  statement {
    actions   = ["kms:Decrypt"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "base" {
  role   = aws_iam_role.etl.id
  policy = data.aws_iam_policy_document.base.json
}

resource "aws_iam_role_policy" "merged" {
  role   = aws_iam_role.etl.id
  policy = data.aws_iam_policy_document.merged.json
}
"""


def test_a_statement_merged_into_another_document_is_removed_once_for_both(write_repo):
    write_repo(MERGED)
    result = _fix()
    assert '"ec2:RunInstances"' not in result.patched["main.tf"]
    removed = [p for p in _plans(result) if p.deletes and p.edits]
    same = [p for p in _plans(result) if p.deletes and p.skipped.startswith("same change")]
    assert len(removed) == 1 and len(same) == 1


def test_the_comment_about_a_removed_statement_goes_with_it(write_repo):
    write_repo(DOCUMENT.replace("\n  statement {\n    sid       = \"Network\"",
                                "\n  # network, for the migration\n  statement {\n"
                                "    sid       = \"Network\""))  # fmt: skip
    new = _fix().patched["main.tf"]
    assert "for the migration" not in new and "ec2:CreateVpc" not in new
    pygohcl.loads(new)
