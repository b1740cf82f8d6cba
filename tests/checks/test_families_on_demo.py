"""The validity, wildcard and trust families together on the README's demo repository."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from iamlint.checks import families
from iamlint.checks.context import CheckContext, Config
from iamlint.checks.finding import Finding
from iamlint.policy.catalog import default_catalog
from iamlint.terraform.project import load_project

ROOT = Path(__file__).resolve().parents[2]
MINE = ("iamlint.checks.validity", "iamlint.checks.wildcards", "iamlint.checks.trust")


def demo_findings(reported: Callable[[str], bool] | None = None) -> list[Finding]:
    project = load_project([ROOT / "fixtures" / "demo"], cwd=ROOT)
    ctx = CheckContext(project, Config(), default_catalog(), reported=reported)
    found: list[Finding] = []
    for name in MINE:
        found.extend(importlib.import_module(name).run(ctx))
    return sorted(found, key=Finding.sort_key)


def test_families_are_registered() -> None:
    assert set(MINE) <= set(families.FAMILIES)
    for name in families.FAMILIES:
        if name in MINE:
            assert callable(importlib.import_module(name).run)


def test_demo_findings() -> None:
    assert [(f.rule, f.address, f.subject) for f in demo_findings()] == [
        ("W204", 'module.service["reports"].aws_iam_role_policy.access', "s3:Get*"),
        ("T402", "aws_iam_role.ci", "aud"),
        ("T403", "aws_iam_role.ci", "repo:acme/*"),
        ("T405", "aws_iam_role.ci", "max_session_duration"),
        ("W201", "aws_iam_role_policy.ci", "*:*"),
    ]


def test_demo_findings_point_at_the_offending_text() -> None:
    texts = {}
    for f in demo_findings():
        source = (ROOT / f.location.file).read_text()
        texts[f.rule] = source[f.location.start : f.location.end]
    assert texts["W204"] == '"s3:Get*"'  # in the module call's input, where a patch would go
    assert texts["T403"] == '"repo:acme/*"'
    assert texts["T405"] == "43200"
    assert texts["W201"] == '"*"'


def test_skipping_unreported_files_keeps_findings_written_there() -> None:
    # Only main.tf is reported (pre-commit): the module's policy is still judged, because the
    # offending "s3:Get*" is written in main.tf's module call.
    main = "fixtures/demo/main.tf"
    only_main = demo_findings(lambda f: f == main)
    assert [f for f in demo_findings() if f.location.file == main] == only_main
    assert any(f.rule == "W204" for f in only_main)
    module = "fixtures/demo/modules/service-role/main.tf"
    assert not [f for f in demo_findings(lambda f: f == module) if f.rule == "W201"]
