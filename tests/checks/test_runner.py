from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from iamlint.checks import registry
from iamlint.checks.finding import Finding, Severity
from iamlint.checks.registry import SelectorError
from iamlint.checks.runner import CheckOptions, plan_scope, run_check

POLICY = """
data "aws_iam_policy_document" "d" {
  statement {
    sid       = "Wide"
    actions   = ["s3:*", "s3:GetObject"]
    resources = [local.bucket]
  }
}

resource "aws_iam_policy" "p" {
  name   = "p"
  policy = data.aws_iam_policy_document.d.json
}
"""

LOCALS = """
locals {
  bucket = "arn:aws:s3:::data"
}

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
def module(tmp_path: Path) -> Path:
    folder = tmp_path / "mod"
    folder.mkdir()
    (folder / "policy.tf").write_text(POLICY)
    (folder / "locals.tf").write_text(LOCALS)
    return folder


def check(paths, config, cwd, **kwargs):
    return run_check(CheckOptions(paths=paths, config=config, cwd=cwd, **kwargs))


def test_runs_family_and_sorts(module, testfam_config):
    result = check([module], testfam_config, module.parent)
    assert [(f.rule, f.location.file, f.subject) for f in result.findings] == [
        ("X102", "mod/locals.tf", ""),
        ("X101", "mod/policy.tf", "s3:*"),
    ]
    assert result.problems == []
    assert result.exit_code == 1
    assert result.files == 2 and result.policies >= 2


def test_fail_on_threshold(module, testfam_config):
    config = dataclasses.replace(testfam_config, fail_on="high")
    result = check([module], config, module.parent)
    assert result.findings and result.exit_code == 0


def test_severity_override(module, testfam_config):
    config = dataclasses.replace(testfam_config, severity={"X101": "critical"})
    result = check([module], config, module.parent)
    assert {f.rule: f.severity for f in result.findings}["X101"] is Severity.CRITICAL


def test_select_and_ignore(module, testfam_config):
    only = dataclasses.replace(testfam_config, select=["X101"])
    assert {f.rule for f in check([module], only, module.parent).findings} == {"X101"}
    ignored = dataclasses.replace(testfam_config, ignore=["test-trust-policy"])
    assert {f.rule for f in check([module], ignored, module.parent).findings} == {"X101"}
    by_prefix = dataclasses.replace(testfam_config, ignore=["X10"])
    assert check([module], by_prefix, module.parent).findings == []
    with pytest.raises(SelectorError, match="did you mean X101"):
        check([module], dataclasses.replace(testfam_config, ignore=["X1O1"]), module.parent)


def test_unknown_selector_is_an_error(module, testfam_config):
    with pytest.raises(SelectorError, match="names no rule"):
        check([module], dataclasses.replace(testfam_config, ignore=["Q999"]), module.parent)


def test_file_given_by_name_loads_its_module_but_reports_only_it(module, testfam_config):
    only_policy = check([module / "policy.tf"], testfam_config, module.parent)
    assert [f.rule for f in only_policy.findings] == ["X101"]
    # the local from the other file was resolved: the whole folder was read
    assert "arn:aws:s3:::data" in only_policy.findings[0].message
    only_locals = check([module / "locals.tf"], testfam_config, module.parent)
    assert [f.rule for f in only_locals.findings] == ["X102"]
    assert only_locals.files == 1


def test_plan_scope_ignores_other_files(tmp_path):
    (tmp_path / "README.md").write_text("x")
    (tmp_path / "main.tf").write_text("")
    scope = plan_scope([tmp_path / "README.md", tmp_path / "main.tf"])
    assert scope.load == [tmp_path.resolve()]
    assert scope.files == frozenset({(tmp_path / "main.tf").resolve()})


def test_missing_family_is_reported_and_others_still_run(
    module, testfam, testfam_config, monkeypatch
):
    pack = Path(testfam_config.rule_packs[0]).parent / "ghost.json"
    data = json.loads(json.dumps(testfam.PACK))
    data["family"] = "ghost"
    data["rules"] = [dict(data["rules"][0], id="Y101", name="ghost-rule")]
    pack.write_text(json.dumps(data))
    families = {"testfam": testfam.run, "ghost": "iamlint.checks.no_such_family"}
    monkeypatch.setattr(registry, "FAMILY_MODULES", families)
    config = dataclasses.replace(
        testfam_config, rule_packs=[*testfam_config.rule_packs, str(pack)], select=[]
    )
    result = check([module], config, module.parent)
    assert [p.kind for p in result.problems] == ["internal"]
    assert "'ghost' is not available" in result.problems[0].message
    assert {f.rule for f in result.findings} == {"X101", "X102"}
    assert result.exit_code == 2


def test_raising_family_is_reported_and_others_still_run(
    module, testfam, testfam_config, monkeypatch
):
    def broken(ctx):
        yield from ()
        raise ValueError("boom")

    monkeypatch.setattr(registry, "FAMILY_MODULES", {"testfam": testfam.run, "zzz": broken})
    pack = Path(testfam_config.rule_packs[0]).parent / "zzz.json"
    data = dict(testfam.PACK, family="zzz")
    data["rules"] = [dict(testfam.PACK["rules"][0], id="Z101", name="zzz-rule")]
    pack.write_text(json.dumps(data))
    config = dataclasses.replace(
        testfam_config, rule_packs=[*testfam_config.rule_packs, str(pack)], select=[]
    )
    result = check([module], config, module.parent)
    assert len(result.problems) == 1
    assert "'zzz' failed: ValueError: boom" in result.problems[0].message
    assert {f.rule for f in result.findings} == {"X101", "X102"}


def test_finding_of_unknown_rule_is_dropped_with_a_problem(
    module, testfam, testfam_config, monkeypatch
):
    def rogue(ctx):
        for finding in testfam.run(ctx):
            yield Finding(**{**_fields(finding), "rule": "X999"})

    monkeypatch.setattr(registry, "FAMILY_MODULES", {"testfam": rogue})
    result = check([module], testfam_config, module.parent)
    assert result.findings == []
    assert "'X999', which is not in the rule catalog" in result.problems[0].message


def _fields(finding: Finding) -> dict:
    return {f.name: getattr(finding, f.name) for f in dataclasses.fields(finding)}


def test_input_errors_are_problems(tmp_path, testfam_config):
    (tmp_path / "broken.tf").write_text('resource "aws_iam_policy" "p" {\n  policy = \n')
    result = check([tmp_path], testfam_config, tmp_path)
    assert result.problems and result.problems[0].kind == "input"
    assert result.problems[0].file == "broken.tf"
    assert result.exit_code == 2


def test_suppression_and_meta_findings(module, testfam_config):
    text = (module / "policy.tf").read_text()
    text = text.replace(
        '    actions   = ["s3:*"',
        "    # iamlint:ignore[X101] the test bucket is throwaway until=2999-01-01\n"
        '    actions   = ["s3:*"',
    )
    text += "# iamlint:ignore[X102] nothing here to suppress\nlocals {}\n"
    (module / "policy.tf").write_text(text)
    config = dataclasses.replace(testfam_config, select=["X", "S"])
    result = check([module], config, module.parent, today=dt.date(2026, 1, 1))
    assert result.suppressed == 1
    assert [(f.rule, f.location.file) for f in result.findings] == [
        ("X102", "mod/locals.tf"),
        ("S903", "mod/policy.tf"),
    ]
    expired = check([module], config, module.parent, today=dt.date(3000, 1, 1))
    assert {f.rule for f in expired.findings} == {"X101", "X102", "S902", "S903"}


def test_baseline_survives_reformatting(module, testfam_config, tmp_path):
    from iamlint.checks.baseline import render_baseline

    first = check([module], testfam_config, module.parent)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(render_baseline(first.findings))
    again = check([module], testfam_config, module.parent, baseline=baseline)
    assert again.findings == [] and again.baselined == 2 and again.exit_code == 0
    # reformat and move: blank lines on top, different spacing
    text = (module / "policy.tf").read_text()
    (module / "policy.tf").write_text("\n\n\n" + text.replace("actions   =", "actions="))
    moved = check([module], testfam_config, module.parent, baseline=baseline)
    assert moved.findings == []
    # a new wildcard is new
    (module / "policy.tf").write_text(text.replace('"s3:GetObject"', '"sqs:*"'))
    new = check([module], testfam_config, module.parent, baseline=baseline)
    assert [f.subject for f in new.findings] == ["sqs:*"]


def test_families_are_told_which_files_are_reported(module, testfam, testfam_config, monkeypatch):
    seen = {}

    def spy(ctx):
        seen["reported"] = ctx.reported
        return testfam.run(ctx)

    monkeypatch.setattr(registry, "FAMILY_MODULES", {"testfam": spy})
    check([module / "policy.tf"], testfam_config, module.parent)
    assert seen["reported"]("mod/policy.tf") and not seen["reported"]("mod/locals.tf")
    check([module], testfam_config, module.parent)
    assert seen["reported"] is None
