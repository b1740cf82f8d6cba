from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamlint.cli import main

POLICY = """\
resource "aws_iam_policy" "p" {
  name = "p"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:*"], Resource = "*" }]
  })
}
"""
TRUST = """\
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
      Principal = { Service = "ec2.amazonaws.com" } }]
  })
}
"""


@pytest.fixture
def repo(tmp_path: Path, testfam, monkeypatch: pytest.MonkeyPatch) -> Path:
    testfam.write_pack(tmp_path)
    # A repository: its configuration at the top applies to `check infra` below it (outside
    # git, the search would stop at the scanned folder).
    (tmp_path / ".git").mkdir()
    (tmp_path / ".iamlint.toml").write_text('select = ["X", "S"]\nrule-packs = ["testfam.json"]\n')
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "policy.tf").write_text(POLICY)
    (tmp_path / "infra" / "trust.tf").write_text(TRUST)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_text_and_exit_codes(repo):
    result = cli("check", "infra")
    assert result.exit_code == 1
    assert "infra/policy.tf:5:" in result.output and "X101" in result.output
    assert "Found 2 findings (1 medium, 1 low)" in result.output
    assert cli("check", "infra", "--fail-on", "high").exit_code == 0
    assert cli("check", "infra", "--ignore", "X101,X102").exit_code == 0
    only = cli("check", "infra", "--select", "X102")
    assert "X101" not in only.output and "X102" in only.output


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "junit"])
def test_formats_and_output_file(repo, fmt):
    result = cli("check", "infra", "--format", fmt, "--output", f"out.{fmt}")
    assert result.exit_code == 1
    text = (repo / f"out.{fmt}").read_text()
    assert "X101" in text
    if fmt in ("json", "sarif"):
        json.loads(text)


def test_statistics(repo):
    result = cli("check", "infra", "--statistics")
    assert result.output.splitlines() == [
        "1  X101   test-wildcard-action",
        "1  X102   test-trust-policy",
    ]
    assert cli("check", "infra", "--statistics", "--format", "sarif").exit_code == 2


def test_only_given_files_are_reported(repo):
    result = cli("check", "infra/trust.tf", "--format", "json")
    data = json.loads(result.output)
    assert [f["rule"] for f in data["findings"]] == ["X102"]


def test_usage_errors_exit_2_without_traceback(repo):
    bad_select = cli("check", "infra", "--select", "Q9")
    assert bad_select.exit_code == 2 and "'Q9' names no rule" in bad_select.output
    (repo / ".iamlint.toml").write_text('select = ["X"]\nfail_on = "high"\n')
    bad_config = cli("check", "infra")
    assert bad_config.exit_code == 2
    assert ".iamlint.toml:2: unknown key 'fail_on'; did you mean 'fail-on'?" in bad_config.output
    (repo / ".iamlint.toml").write_text('rule-packs = ["missing.json"]\n')
    assert "cannot read the rule pack" in cli("check", "infra").output
    (repo / "infra" / "broken.tf").write_text('resource "x" "y" {\n  a = \n')
    (repo / ".iamlint.toml").write_text('select = ["X"]\nrule-packs = ["testfam.json"]\n')
    broken = cli("check", "infra")
    assert broken.exit_code == 2 and "error: infra/broken.tf:" in broken.output
    assert "Traceback" not in broken.output


def test_baseline_create_then_check(repo):
    created = cli("baseline", "create", "infra", "-o", "base.json")
    assert created.exit_code == 0, created.output
    assert len(json.loads((repo / "base.json").read_text())["findings"]) == 2
    assert cli("check", "infra", "--baseline", "base.json").exit_code == 0
    (repo / "infra" / "policy.tf").write_text(POLICY.replace('"s3:*"', '"s3:*", "sqs:*"'))
    again = cli("check", "infra", "--baseline", "base.json")
    assert again.exit_code == 1 and "sqs:*" in again.output and "2 in the baseline" in again.output
    (repo / "bad.json").write_text("[]")
    assert cli("check", "infra", "--baseline", "bad.json").exit_code == 2


def test_since_reports_only_changed_lines(repo):
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    assert cli("check", "infra", "--since", "HEAD").exit_code == 0
    (repo / "infra" / "policy.tf").write_text(POLICY.replace('"s3:*"', '"sqs:*"'))
    changed = cli("check", "infra", "--since", "HEAD", "--format", "json")
    assert [f["subject"] for f in json.loads(changed.output)["findings"]] == ["sqs:*"]
    bad = cli("check", "infra", "--since", "nope")
    assert bad.exit_code == 2 and "--since nope" in bad.output


def test_rules_and_explain():
    listing = cli("rules")
    assert listing.exit_code == 0
    assert "  W203   service-wildcard" in listing.output
    data = json.loads(cli("rules", "--format", "json").output)
    assert len(data["rules"]) >= 44
    explained = cli("explain", "service-wildcard")
    assert explained.output.startswith("W203 service-wildcard (medium, wildcards)")
    assert "Fix: " in explained.output
    assert json.loads(cli("explain", "P305", "--format", "json").output)["id"] == "P305"
    missing = cli("explain", "W2O3")
    assert missing.exit_code == 2 and "did you mean W203" in missing.output
