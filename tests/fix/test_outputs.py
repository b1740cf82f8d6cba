"""Where users see patches: SARIF fixes on usage findings, review suggestions, JSON plans."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from iamlint.fix.suggestions import suggestions

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = str(ROOT / "fixtures" / "usage" / "demo-snapshot.json")


def _demo(tmp_path, monkeypatch) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(ROOT / "fixtures" / "demo", target)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    return target


def iamlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iamlint", *args], cwd=cwd, capture_output=True,
                          text=True)  # fmt: skip


def test_sarif_usage_findings_carry_the_proven_patch(tmp_path, monkeypatch):
    demo = _demo(tmp_path, monkeypatch)
    out = iamlint("check", ".", "--usage", SNAPSHOT, "--format", "sarif", cwd=demo)
    results = json.loads(out.stdout)["runs"][0]["results"]
    fixed = [r for r in results if r["ruleId"] == "U601" and "fixes" in r]
    assert fixed
    change = fixed[0]["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "main.tf"
    assert change["replacements"][0]["insertedContent"]["text"] == '["s3:GetObject"]'


def test_github_suggestions_and_json_plans(tmp_path, monkeypatch):
    demo = _demo(tmp_path, monkeypatch)
    base = ["fix", ".", "--usage", SNAPSHOT, "--stage", "action", "--format"]
    (comment,) = json.loads(iamlint(*base, "github-suggestions", cwd=demo).stdout)
    assert comment["path"] == "main.tf" and comment["line"] == 7
    assert (
        comment["body"].startswith("```suggestion\n")
        and 'actions = ["s3:GetObject"]' in comment["body"]
    )
    plans = json.loads(iamlint(*base, "json", cwd=demo).stdout)
    assert plans["stage"] == "action" and plans["files"][0]["path"] == "main.tf"
    reports = {p["address"]: p for p in plans["principals"]}
    objects = reports['module.service["reports"].aws_iam_role.this']["statements"][0]
    assert objects["before"] == ["s3:Get*"] and objects["after"] == ["s3:GetObject"]


def test_an_insertion_is_suggested_on_the_line_above():
    old = 'a = [\n  "x",\n]\n'
    new = 'a = [\n  "x",\n  "y",\n]\n'
    (comment,) = suggestions("f.tf", old, new)
    assert comment["line"] == 2
    assert comment["body"] == '```suggestion\n  "x",\n  "y",\n```'
