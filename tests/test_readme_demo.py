"""The README's demo loop, run as a user runs it: lint, import, two stages, a denial."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def iamlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iamlint", *args], cwd=cwd, capture_output=True,
                          text=True)  # fmt: skip


def test_the_loop_on_the_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    demo = tmp_path / "demo"
    shutil.copytree(ROOT / "fixtures" / "demo", demo)

    lint = iamlint("check", ".", cwd=demo)
    assert lint.returncode == 1
    assert "W201" in lint.stdout and "T403" in lint.stdout

    imported = iamlint("usage", "import", "cloudtrail",
                       str(ROOT / "fixtures" / "usage" / "demo-cloudtrail"), "-o", "usage.json",
                       cwd=demo)  # fmt: skip
    assert imported.returncode == 0, imported.stderr

    usage = iamlint("check", ".", "--usage", "usage.json", cwd=demo)
    assert "U601" in usage.stdout and "U606" in usage.stdout

    stage1 = iamlint("fix", ".", "--usage", "usage.json", "--stage", "service", cwd=demo)
    assert stage1.returncode == 0, stage1.stderr
    assert '-      { Effect = "Allow", Action = "*", Resource = "*" },' in stage1.stdout
    assert "iam:PassRole" not in stage1.stdout or "keeps" in stage1.stderr
    assert iamlint("fix", ".", "--usage", "usage.json", "--stage", "service", "--write",
                   cwd=demo).returncode == 0  # fmt: skip

    stage2 = iamlint("fix", ".", "--usage", "usage.json", "--stage", "action", "--write", cwd=demo)
    assert stage2.returncode == 0, stage2.stderr
    main_tf = (demo / "main.tf").read_text()
    assert 'actions = ["s3:GetObject"] }' in main_tf
    assert "written once for 2 policies" in stage2.stderr

    grant = iamlint("fix", ".", "--usage", "usage.json", "--grant-denied", cwd=demo)
    added = [line for line in grant.stdout.splitlines()
             if line.startswith("+") and not line.startswith("+++")]  # fmt: skip
    assert len(added) == 1 and '"s3:GetObjectTagging"' in added[0]
    assert "WIDENS" in grant.stderr and "a guardrail at work, not widened" in grant.stderr
