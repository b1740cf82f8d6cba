"""W2xx wildcard rules over fixtures/checks/wildcards, with the peers' false positives."""

from __future__ import annotations

from pathlib import Path

import pytest
from check_helpers import family_findings  # beside this file (on the path: conftest.py)

from iamlint.checks import wildcards
from iamlint.checks.finding import Certainty, Finding, Severity

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "checks" / "wildcards"


def run(name: str) -> list[Finding]:
    return family_findings(wildcards, FIXTURES / name)


def by_statement(findings: list[Finding], address: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in findings:
        if f.address == address:
            out.setdefault(f.statement, set()).add(f.rule)
    return out


@pytest.fixture(scope="module")
def identity() -> list[Finding]:
    return run("identity.tf")


def test_admin_any_action_and_deny(identity: list[Finding]) -> None:
    assert by_statement(identity, "aws_iam_role_policy.admin") == {
        "Admin": {"W201"},  # not also W202: the stronger finding says it all
        "AdminWithMfa": {"W201"},
        "AnyActionOnBucket": {"W202"},
        # DenyAll and DenyNotAction: Deny never grants.
    }


def test_a_condition_lowers_admin(identity: list[Finding]) -> None:
    plain = next(f for f in identity if f.statement == "Admin")
    scoped = next(f for f in identity if f.statement == "AdminWithMfa")
    assert scoped.severity < plain.severity
    assert "aws:MultiFactorAuthPresent" in scoped.message


def test_wildcard_kinds(identity: list[Finding]) -> None:
    assert by_statement(identity, "aws_iam_role_policy.wildcards") == {
        "Service": {"W203"},
        "Name": {"W204"},
        "StarResource": {"W205"},
        "NotAction": {"W206"},
        "NotResource": {"W207"},
        "StarResourceFromIp": {"W205"},
    }


def test_name_wildcard_says_how_many_and_which_levels(identity: list[Finding]) -> None:
    found = next(f for f in identity if f.rule == "W204")
    assert "s3:Get* expands to 63 actions (Read 63)" in found.message
    text = (ROOT / found.location.file).read_text()
    assert text[found.location.start : found.location.end] == '"s3:Get*"'


def test_star_resource_counts_only_narrowable_actions(identity: list[Finding]) -> None:
    found = next(f for f in identity if f.statement == "StarResource")
    assert "s3:GetObject" in found.message
    assert "ListAllMyBuckets" not in found.message


def test_a_non_resource_condition_lowers_star_resource(identity: list[Finding]) -> None:
    plain = next(f for f in identity if f.statement == "StarResource")
    from_ip = next(f for f in identity if f.statement == "StarResourceFromIp")
    assert from_ip.severity < plain.severity


def test_peer_false_positives_stay_quiet(identity: list[Finding]) -> None:
    # "*"-only actions on "*", log-group:NAME:*, ABAC-scoped "*", `${arn}/*`.
    assert by_statement(identity, "aws_iam_role_policy.narrow") == {}


def test_unresolved_values_are_possible_not_passed(identity: list[Finding]) -> None:
    unresolved = [
        f
        for f in identity
        if f.address == "aws_iam_role_policy.unresolved" and f.statement != "AnyActionVarResource"
    ]
    assert {(f.statement, f.rule, f.subject) for f in unresolved} == {
        ("VarResource", "W205", "Resource var.bucket_arn"),
        ("VarActions", "W202", "var.actions"),
    }
    assert all(f.certainty is Certainty.POSSIBLE for f in unresolved)
    assert all("var." in f.message for f in unresolved)
    assert all(f.severity <= Severity.LOW for f in unresolved)


def test_every_action_on_an_unresolved_resource_is_definite(identity: list[Finding]) -> None:
    (found,) = [f for f in identity if f.statement == "AnyActionVarResource"]
    assert (found.rule, found.certainty) == ("W202", Certainty.DEFINITE)
    assert 'if the unresolved var.bucket_arn is "*", full administrator access' in found.message


def test_unresolved_dynamic_statements_are_possible(identity: list[Finding]) -> None:
    (found,) = [f for f in identity if f.address == "aws_iam_policy.dynamic"]
    assert found.rule == "W202" and found.certainty is Certainty.POSSIBLE
    assert "var.statements" in found.message


def test_attachment_context() -> None:
    findings = run("attached.tf")
    # Key policy, SCP FullAWSAccess and the boundary are not identity grants.
    assert {f.address for f in findings} == {"data.aws_iam_policy_document.loose"}
    (loose,) = findings
    assert loose.rule == "W203" and loose.certainty is Certainty.POSSIBLE


def test_broad_managed_policies() -> None:
    findings = run("managed.tf")
    assert {(f.rule, f.address, f.subject.rsplit("/", 1)[-1]) for f in findings} == {
        ("W208", "aws_iam_role.ops", "AmazonS3FullAccess"),
        ("W208", "aws_iam_role.ops", "AdministratorAccess"),
        ("W208", "aws_iam_group.admins", 'IAMFullAccess"'),
    }
    admin = next(f for f in findings if "AdministratorAccess" in f.subject)
    s3 = next(f for f in findings if "AmazonS3FullAccess" in f.subject)
    assert s3.severity < admin.severity
    # Located at the attachment, not at the role.
    assert admin.location.line == 15


def test_classify() -> None:
    assert wildcards.classify("*") == wildcards.ANY
    assert wildcards.classify("*:*") == wildcards.ANY
    assert wildcards.classify("s3:*") == wildcards.SERVICE
    assert wildcards.classify("s3:Get*") == wildcards.NAME
    assert wildcards.classify("*:Get*") == wildcards.NAME
    assert wildcards.classify("s3:GetObject") is None
