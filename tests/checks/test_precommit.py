"""Drive the real pre-commit framework: `pre-commit try-repo` installs this repository's hook
into a fresh virtualenv (with pip, from the package index) and runs it on a throwaway repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from check_helpers import git  # beside this file (on the path: conftest.py)

ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
NETWORK_SIGNS = ("Could not find a version", "NewConnectionError", "Temporary failure in name")

WIDE = """\
resource "aws_iam_policy" "wide" {
  name   = "wide"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
"""
# Another file of the same module: pre-commit passes only main.tf, so nothing here is reported.
OTHER = WIDE.replace('"wide"', '"other"')


@pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed (dev extra)")
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_hook_runs_through_pre_commit(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "infra").mkdir(parents=True)
    (work / "infra" / "main.tf").write_text(WIDE)
    (work / "infra" / "other.tf").write_text(OTHER)
    (work / "infra" / "clean.tf").write_text('locals {\n  name = "x"\n}\n')
    # Only the wildcard rules, so that the outcome does not depend on other rule families.
    (work / ".iamlint.toml").write_text('select = ["W201"]\n')
    git(work, "init", "-q", "-b", "main")
    git(work, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def try_repo(*files: str) -> subprocess.CompletedProcess[str]:
        args = [str(PRE_COMMIT), "try-repo", str(ROOT), "iamlint", "--verbose"]
        for name in files:
            args += ["--files", name]
        return subprocess.run(args, cwd=work, env=env, capture_output=True, text=True)

    failing = try_repo("infra/main.tf")
    output = failing.stdout + failing.stderr
    if failing.returncode != 0 and any(sign in output for sign in NETWORK_SIGNS):
        pytest.skip("pre-commit could not install the hook: the package index is unreachable")
    assert failing.returncode == 1, output
    assert "infra/main.tf:5:" in output and "W201" in output
    assert "aws_iam_policy.wide" in output
    assert "aws_iam_policy.other" not in output  # same module, but not a file pre-commit passed

    passing = try_repo("infra/clean.tf")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout
