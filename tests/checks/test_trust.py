"""T4xx trust rules over fixtures/checks/trust, with the peers' false positives."""

from __future__ import annotations

from pathlib import Path

import pytest
from check_helpers import family_findings  # beside this file (on the path: conftest.py)

from iamlint.checks import trust
from iamlint.checks.context import Config
from iamlint.checks.finding import Applicability, Certainty, Finding, Severity
from iamlint.policy.document import ConditionClause
from iamlint.policy.tri import Tri

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "checks" / "trust"
OWN_ACCOUNT = "111122223333"


def run(name: str, config: Config | None = None) -> list[Finding]:
    return family_findings(trust, FIXTURES / name, config or Config(account_id=OWN_ACCOUNT))


def keys(findings: list[Finding], rule: str) -> set[tuple[str, str, str]]:
    return {(f.address, f.statement, f.subject) for f in findings if f.rule == rule}


@pytest.fixture(scope="module")
def resource() -> list[Finding]:
    return run("resource.tf")


@pytest.fixture(scope="module")
def roles() -> list[Finding]:
    return run("roles.tf")


def test_open_resource_policies(resource: list[Finding]) -> None:
    assert keys(resource, "T401") == {
        ("aws_s3_bucket_policy.public", "PublicRead", "*"),
        ("aws_s3_bucket_policy.public", "NotOrg", "*"),  # a negated check restricts nothing
        ("aws_s3_bucket_policy.public", "AnyArn", "*"),  # StringLike "*" matches everyone
        ("aws_s3_bucket_policy.public", "Unresolved", "var.reader_arn"),
        ("aws_sqs_queue_policy.from_variable", "", "unresolved var.queue_policy"),
    }
    unresolved = next(f for f in resource if f.statement == "Unresolved")
    assert unresolved.certainty is Certainty.POSSIBLE
    assert "var.reader_arn" in unresolved.message


def test_org_restricted_and_deny_are_not_open(resource: list[Finding]) -> None:
    assert not [f for f in resource if f.address == "aws_s3_bucket_policy.org"]


def test_key_policy_patterns_are_not_open(resource: list[Finding]) -> None:
    # Principal "*" with kms:CallerAccount; a logs service principal tied by encryption context.
    assert not [f for f in resource if f.address == "aws_kms_key.ebs"]


def test_a_wholly_unresolved_policy_is_a_quiet_possibility(resource: list[Finding]) -> None:
    found = next(f for f in resource if f.address == "aws_sqs_queue_policy.from_variable")
    assert found.certainty is Certainty.POSSIBLE
    assert found.severity <= Severity.MEDIUM


def test_confused_deputy(resource: list[Finding]) -> None:
    assert keys(resource, "T408") == {
        ("aws_sns_topic_policy.events", "Events", "events.amazonaws.com"),
        ("aws_lambda_permission.from_any_bucket", "#0", "s3.amazonaws.com"),
    }


def test_open_trust_policy(roles: list[Finding]) -> None:
    # aws_iam_role.by_arn: Principal "*" narrowed by aws:PrincipalArn is not open; a role
    # name in any account (any_account_arn) narrows nothing.
    assert keys(roles, "T401") == {
        ("aws_iam_role.anyone", "#0", "*"),
        ("aws_iam_role.any_account_arn", "#0", "*"),
        ("aws_iam_role.for_expression", "#0", "*"),
    }
    built = next(f for f in roles if f.address == "aws_iam_role.for_expression")
    plain = next(f for f in roles if f.address == "aws_iam_role.anyone")
    assert built.certainty is Certainty.POSSIBLE
    assert built.severity <= plain.severity - 2


def test_oidc_without_sub(roles: list[Finding]) -> None:
    # github_module: claim keys built from a variable still name aud and sub.
    assert keys(roles, "T402") == {("aws_iam_role.github_weak", "NoSub", "sub")}


def test_oidc_sub_too_broad(roles: list[Finding]) -> None:
    assert keys(roles, "T403") == {
        ("aws_iam_role.github_weak", "OrgWide", "repo:acme/*"),
        ("aws_iam_role.github_weak", "OrgWide", "*"),
        ("aws_iam_role.github_weak", "Unresolved", "var.github_sub"),
        (
            "aws_iam_role.github_module",
            "GithubOidcAuth",
            '[for subject in var.subjects : "repo:${subject}"]',
        ),
    }
    unresolved = next(f for f in roles if f.subject == "var.github_sub")
    assert unresolved.certainty is Certainty.POSSIBLE
    org = next(f for f in roles if f.subject == "repo:acme/*")
    text = (ROOT / org.location.file).read_text()
    assert text[org.location.start : org.location.end] == '"repo:acme/*"'


def test_cross_account(roles: list[Finding]) -> None:
    assert keys(roles, "T404") == {
        ("aws_iam_role.vendor", "NoExternalId", "arn:aws:iam::999988887777:root"),
        ("aws_iam_role.vendor", "OtherAccountRole", "arn:aws:iam::999988887777:role/ci"),
    }
    root = next(f for f in roles if f.statement == "NoExternalId")
    one_role = next(f for f in roles if f.statement == "OtherAccountRole")
    assert one_role.severity < root.severity


def test_cross_account_without_own_account_is_possible() -> None:
    findings = [f for f in run("roles.tf", Config()) if f.rule == "T404"]
    assert {f.statement for f in findings} == {"NoExternalId", "SameAccount", "OtherAccountRole"}
    assert all(f.certainty is Certainty.POSSIBLE for f in findings)
    assert all("account-id" in f.message for f in findings)


def test_session_duration(roles: list[Finding]) -> None:
    found = {f.address: f for f in roles if f.rule == "T405"}
    assert set(found) == {
        "aws_iam_role.sessions",
        "aws_iam_role.from_variable",
        "aws_iam_role.from_default",
    }
    assert found["aws_iam_role.from_variable"].certainty is Certainty.POSSIBLE
    where = found["aws_iam_role.sessions"].location
    assert (ROOT / where.file).read_text()[where.start : where.end] == "43200"
    fix = found["aws_iam_role.sessions"].fix
    assert fix is not None and fix.applicability is Applicability.UNSAFE
    (edit,) = fix.edits
    assert (edit.start, edit.end, edit.replacement) == (where.start, where.end, "3600")
    # A value from a variable's default is not rewritten in place.
    assert found["aws_iam_role.from_default"].fix is None


def test_session_limit_is_configurable() -> None:
    findings = run("roles.tf", Config(account_id=OWN_ACCOUNT, max_session_duration=43200))
    assert {f.address for f in findings if f.rule == "T405"} == {"aws_iam_role.from_variable"}


def test_confused_deputy_in_trust_only_for_services_that_send_source_keys(
    roles: list[Finding], resource: list[Finding]
) -> None:
    # lambda.amazonaws.com (aws_iam_role.sessions) sends no aws:SourceAccount: not reported.
    assert keys(roles, "T408") == {
        ("aws_iam_role.scheduler", "Scheduler", "scheduler.amazonaws.com")
    }
    in_trust = next(f for f in roles if f.rule == "T408")
    in_resource = next(f for f in resource if f.rule == "T408")
    assert in_trust.severity < in_resource.severity


def test_access_keys_and_user_policies() -> None:
    findings = run("users.tf")
    keys406 = keys(findings, "T406")
    assert keys406 == {("aws_iam_access_key.ci", "", "ci"), ("aws_iam_access_key.old", "", "ci")}
    inactive = next(f for f in findings if f.address == "aws_iam_access_key.old")
    active = next(f for f in findings if f.address == "aws_iam_access_key.ci")
    assert inactive.severity < active.severity
    assert {f.address for f in findings if f.rule == "T407"} == {
        "aws_iam_user_policy.ci",
        "aws_iam_user_policy_attachment.ci",
        "aws_iam_policy_attachment.everyone",
    }


@pytest.mark.parametrize(
    ("value", "broad"),
    [
        ("*", True),
        ("repo:*", True),
        ("repo:acme/*", True),
        ("repo:acme/app*", True),
        ("repo:*/app:ref:refs/heads/main", True),
        ("project_path:acme/*:ref_type:branch:ref:main", True),
        ("repo:acme/app:ref:refs/heads/main", False),
        ("repo:acme/app:environment:*", False),
        ("system:serviceaccount:app:web", False),
        ("", False),
    ],
)
def test_broad_subject(value: str, broad: bool) -> None:
    assert (trust.broad_subject(value) is not None) is broad


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("StringEquals", ("o-1",), Tri.TRUE),
        ("StringNotEquals", ("o-1",), Tri.FALSE),
        ("StringEqualsIfExists", ("o-1",), Tri.FALSE),
        ("ForAllValues:StringLike", ("o-1/*",), Tri.FALSE),
        ("StringLike", ("*",), Tri.FALSE),
        ("ArnLike", ("arn:aws:iam::1:role/x-*",), Tri.TRUE),
    ],
)
def test_restricts(operator: str, values: tuple[str, ...], expected: Tri) -> None:
    assert trust.restricts(ConditionClause(operator, "aws:PrincipalOrgID", values)) is expected
