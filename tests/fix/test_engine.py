"""`iamlint fix` end to end: patches are minimal, proven, idempotent, and git-apply-able."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pygohcl
import pytest

from iamlint.fix import engine
from iamlint.fix.apply import unified_diff
from iamlint.fix.engine import fix
from iamlint.policy.catalog import default_catalog
from iamlint.usage.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "fix" / "basic"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    target = tmp_path / "repo"
    shutil.copytree(FIXTURE, target)
    monkeypatch.chdir(target)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    return target


def run(stage: str, **kwargs):
    return fix([Path(".")], load_snapshot("usage.json"), stage, default_catalog(), **kwargs)


def test_service_stage_drops_unused_services_and_keeps_the_invisible(repo):
    result = run("service")
    assert result.changed_files == ["main.tf"]
    new = result.patched["main.tf"]
    assert '{ Effect = "Allow", Action = ["iam:PassRole"], Resource = "*" }' in new
    # logs:* stays: some logs actions are data events, and the trail logged none.
    assert '"logs:*",' in new and '"kms:*"' in new
    assert '"s3:*",       # the whole bucket API, for now' in new  # used service, kept as is
    assert 'effect    = "Deny"' in new and '"s3:DeleteBucket"' in new  # Deny untouched
    (plan,) = [p for r in result.reports for p in r.plans if "etl_extra" in p.label]
    assert "iam:PassRole" in plan.kept
    (heredoc,) = [p for r in result.reports for p in r.plans if "etl_heredoc" in p.label]
    assert "data event" in heredoc.kept["logs:*"]


def test_action_stage_lists_exactly_the_used_actions(repo):
    result = run("action")
    new = result.patched["main.tf"]
    assert '"s3:GetObject",' in new and '"s3:PutObject",' in new
    assert '"s3:*"' not in new
    assert 'actions   = ["kms:Decrypt"]' in new  # the condition block stays, kms:Encrypt goes
    assert 'variable = "kms:ViaService"' in new


def test_patch_applies_with_git_and_parses_with_hashicorp_hcl(repo):
    result = run("action")
    diff = unified_diff("main.tf", result.originals["main.tf"], result.patched["main.tf"])
    subprocess.run(["git", "init", "-q"], check=True)
    (repo / "change.patch").write_text(diff)
    subprocess.run(["git", "apply", "change.patch"], check=True)
    assert (repo / "main.tf").read_text() == result.patched["main.tf"]
    pygohcl.loads(result.patched["main.tf"])


def test_a_second_run_changes_nothing(repo):
    first = run("action")
    (repo / "main.tf").write_text(first.patched["main.tf"])
    again = run("action")
    assert again.changed_files == []


def test_a_plan_that_would_widen_is_dropped(repo, monkeypatch):
    real = engine.plan_statement

    def widening(record, statement, usage, stage, catalog, texts, keep, recent=None):
        plan = real(record, statement, usage, stage, catalog, texts, keep, recent)
        if plan is not None and plan.edits and "etl_extra" in plan.label:
            from iamlint.checks.finding import Edit

            edit = plan.edits[0]
            plan.edits = [Edit(edit.file, edit.start, edit.end, '["iam:*"]')]
        return plan

    monkeypatch.setattr(engine, "plan_statement", widening)
    result = run("service")
    (plan,) = [p for r in result.reports for p in r.plans if "etl_extra" in p.label]
    assert plan.edits == []
    assert plan.skipped.startswith("patch not proven: it would allow more")
    # The only change of this stage was refused, so nothing is proposed at all.
    assert result.changed_files == []


def test_cli_diff_and_write(repo):
    cmd = [sys.executable, "-m", "iamlint", "fix", ".", "--usage", "usage.json", "--stage"]
    shown = subprocess.run([*cmd, "service"], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("--- a/main.tf")
    assert "proven not to widen" in shown.stderr
    before = (repo / "main.tf").read_text()
    written = subprocess.run([*cmd, "service", "--write"], capture_output=True, text=True)
    assert written.returncode == 0
    assert (repo / "main.tf").read_text() != before
    assert "Traceback" not in written.stderr


def test_grant_denied_adds_one_line_and_reports_guardrails(tmp_path, monkeypatch):
    target = tmp_path / "grant"
    shutil.copytree(ROOT / "fixtures" / "fix" / "grant", target)
    monkeypatch.chdir(target)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    result = fix([Path(".")], load_snapshot("usage.json"), "grant", default_catalog(),
                 grant_denied=True)  # fmt: skip
    diff = unified_diff("main.tf", result.originals["main.tf"], result.patched["main.tf"])
    added = [
        line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")
    ]
    assert added == ['+      "s3:PutObject",']
    (plan,) = [p for r in result.reports for p in r.plans if p.edits]
    # The action reaches every resource the statement names, and the label says so.
    assert plan.grants == [
        ("s3:PutObject", "arn:aws:s3:::example-data-bucket"),
        ("s3:PutObject", "arn:aws:s3:::example-data-bucket/*"),
    ]
    deployer = next(r for r in result.reports if r.principal.address == "aws_iam_role.deployer")
    assert any("by unknown scp" in p and "not widened" in p for p in deployer.problems)
    assert any("implicit boundary" in p for p in deployer.problems)
    # Granted once, the same evidence asks for nothing more.
    (target / "main.tf").write_text(result.patched["main.tf"])
    again = fix([Path(".")], load_snapshot("usage.json"), "grant", default_catalog(),
                grant_denied=True)  # fmt: skip
    assert again.changed_files == []


def test_text_shared_by_two_module_instances_changes_only_if_both_want_it(tmp_path, monkeypatch):
    target = tmp_path / "demo"
    shutil.copytree(ROOT / "fixtures" / "demo", target)
    monkeypatch.chdir(target)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    snapshot = load_snapshot(ROOT / "fixtures" / "usage" / "demo-snapshot.json")
    result = fix([Path(".")], snapshot, "action", default_catalog())
    # The Logs statement lives once in the module, for billing and reports alike.
    assert "modules/service-role/main.tf" not in result.changed_files
    plans = [p for r in result.reports for p in r.plans if "Logs" in p.label and p.skipped]
    assert plans and all("written once for 2 policies" in p.skipped for p in plans)
    # The reports-only list in the root's locals is narrowed.
    assert 'actions = ["s3:GetObject"] }' in result.patched["main.tf"]


def test_a_rewrite_that_outgrows_the_aws_size_limit_is_refused(tmp_path, monkeypatch):
    from iamlint.checks import validity

    target = tmp_path / "demo"
    shutil.copytree(ROOT / "fixtures" / "demo", target)
    monkeypatch.chdir(target)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(validity.INLINE_LIMITS, "role", 300)
    snapshot = load_snapshot(ROOT / "fixtures" / "usage" / "demo-snapshot.json")
    result = fix([Path(".")], snapshot, "service", default_catalog())
    (plan,) = [
        p for r in result.reports for p in r.plans if p.record.address == "aws_iam_role_policy.ci"
    ]
    assert plan.edits == []
    assert "over the 300 of a role's inline policies" in plan.skipped


def test_resource_stage_narrows_to_the_resources_seen(repo):
    (repo / "main.tf").write_text(run("action").patched["main.tf"])
    result = run("resource")
    new = result.patched["main.tf"]
    key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert f'resources = ["{key}"]' in new
    skipped = {p.label: p.skipped for r in result.reports for p in r.plans if p.skipped}
    assert any("iam:PassRole was not seen call by call" in why for why in skipped.values())


def test_recently_written_grants_are_kept(repo):
    env = {"GIT_AUTHOR_DATE": "2020-01-01T00:00:00", "GIT_COMMITTER_DATE": "2020-01-01T00:00:00",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    import os

    git = {**os.environ, **env}
    subprocess.run(["git", "init", "-q"], check=True, env=git)
    subprocess.run(["git", "add", "main.tf"], check=True, env=git)
    subprocess.run(["git", "commit", "-qm", "old"], check=True, env=git)
    # ec2:* is old (committed in 2020); logs:* is added now, not committed: too new to judge.
    text = (repo / "main.tf").read_text().replace('"logs:*",', '"logs:*", "sns:*",')
    (repo / "main.tf").write_text(text)
    result = run("service", recent_days=14)
    (extra,) = [p for r in result.reports for p in r.plans if "etl_extra" in p.label]
    assert "ec2:*" not in extra.after  # old and unused: removed
    (heredoc,) = [p for r in result.reports for p in r.plans if "etl_heredoc" in p.label]
    assert "sns:*" in heredoc.after
    assert "14-day margin" in heredoc.kept["sns:*"]


def test_an_unreadable_file_is_reported_and_exits_2_while_the_rest_is_patched(repo):
    (repo / "broken.tf").write_text('resource "x" {\n')
    cmd = [sys.executable, "-m", "iamlint", "fix", ".", "--usage", "usage.json", "--stage"]
    out = subprocess.run([*cmd, "service"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "error: broken.tf:2:1:" in out.stderr
    assert out.stdout.startswith("--- a/main.tf")


def test_resource_stage_splits_a_statement_whose_actions_were_seen_on_different_resources(
    tmp_path, monkeypatch
):
    target = tmp_path / "split"
    shutil.copytree(ROOT / "fixtures" / "fix" / "split", target)
    monkeypatch.chdir(target)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    result = fix([Path(".")], load_snapshot("usage.json"), "resource", default_catalog())
    new = result.patched["main.tf"]
    pygohcl.loads(new)
    assert new.count("  statement {") == 3
    assert 'sid = "Data2"' in new and 'sid = "Data3"' in new
    assert 'resources = ["arn:aws:s3:::example-data-bucket"]' in new
    assert 'Resource = "arn:aws:s3:::example-data-bucket/*"' in new  # the jsonencode copy
    assert all(p.split for r in result.reports for p in r.plans if p.edits)
    (target / "main.tf").write_text(new)
    again = fix([Path(".")], load_snapshot("usage.json"), "resource", default_catalog())
    assert again.changed_files == []


def test_json_written_as_a_quoted_hcl_string_is_patched_in_place(tmp_path, monkeypatch):
    target = tmp_path / "string"
    target.mkdir()
    shutil.copy(FIXTURE / "usage.json", target / "usage.json")
    (target / "main.tf").write_text(
        'resource "aws_iam_role" "etl" {\n  name = "app-etl"\n  assume_role_policy = "{}"\n}\n'
        'resource "aws_iam_role_policy" "s" {\n  role = aws_iam_role.etl.id\n'
        '  policy = "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": '
        '\\"Allow\\", \\"Action\\": [\\"s3:*\\", \\"ec2:*\\"], \\"Resource\\": \\"*\\"}]}"\n}\n'
    )
    monkeypatch.chdir(target)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    result = fix([Path(".")], load_snapshot("usage.json"), "service", default_catalog())
    new = result.patched["main.tf"]
    assert '\\"Action\\": [\\"s3:*\\"]' in new
    pygohcl.loads(new)
