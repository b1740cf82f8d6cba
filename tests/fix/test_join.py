"""`fix` joins evidence to principals as `check --usage` does, configuration included."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from iamlint.cli import main

ROOT = Path(__file__).resolve().parents[2]
USAGE = ROOT / "fixtures" / "fix" / "basic" / "usage.json"  # role app-etl

PREFIXED = """resource "aws_iam_role" "etl" {
  name_prefix        = "app-"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "etl" {
  role   = aws_iam_role.etl.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:*", "ec2:*"], Resource = "*" }]
  })
}
"""


def _repo(tmp_path: Path, monkeypatch, config: str | None) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(USAGE, repo / "usage.json")
    (repo / "main.tf").write_text(PREFIXED)
    if config is not None:
        (repo / ".iamlint.toml").write_text(config)
    monkeypatch.chdir(repo)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    return repo


def test_a_role_the_code_cannot_name_is_left_with_the_way_to_map_it(tmp_path, monkeypatch):
    _repo(tmp_path, monkeypatch, None)
    result = CliRunner().invoke(main, ["fix", ".", "--usage", "usage.json", "--stage", "service"])
    assert result.exit_code == 0
    assert "its name is not known from the code" in result.output
    assert "[tool.iamlint.principals]" in result.output and "role/app-etl" in result.output
    assert "+++" not in result.output


def test_the_configured_mapping_joins_it_as_for_check(tmp_path, monkeypatch):
    _repo(tmp_path, monkeypatch, '[principals]\n"aws_iam_role.etl" = '
                                 '"arn:aws:iam::111122223333:role/app-etl"\n')  # fmt: skip
    result = CliRunner().invoke(main, ["fix", ".", "--usage", "usage.json", "--stage", "service"])
    assert result.exit_code == 0, result.output
    assert '-    Statement = [{ Effect = "Allow", Action = ["s3:*", "ec2:*"]' in result.output
    assert "role/app-etl" in result.output
    # The join's caveats are said, as check says them on every finding.
    assert "  evidence: mapped in [tool.iamlint.principals]" in result.output
