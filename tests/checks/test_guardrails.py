"""G5xx rules over fixtures/checks/guardrails: required boundary, dead grants under a boundary
or an SCP, boundary escape, required SCP guardrails, unapproved regions."""

from __future__ import annotations

from pathlib import Path

from check_helpers import family_findings  # beside this file (on the path: conftest.py)

from iamlint.checks import guardrails
from iamlint.checks.context import CheckContext, Config
from iamlint.checks.finding import Certainty, Finding
from iamlint.checks.registry import builtin_registry
from iamlint.policy.catalog import default_catalog
from iamlint.terraform.project import load_project

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "checks" / "guardrails"
ORG = Config(
    required_boundary="arn:aws:iam::*:policy/workload-boundary",
    approved_regions=["eu-west-1", "eu-central-1"],
    admin_role_pattern="arn:aws:iam::*:role/platform-admin",
)


def run(name: str, config: Config | None = None) -> list[Finding]:
    return family_findings(guardrails, FIXTURES / name, config, severities=True)


def rules(findings: list[Finding], rule: str) -> list[tuple[str, str]]:
    return sorted((f.address, f.statement) for f in findings if f.rule == rule)


def test_required_boundary() -> None:
    findings = {f.address: f for f in run("boundary.tf", ORG) if f.rule == "G501"}
    # bounded (by reference) and literal (by ARN, matched to the policy's name) comply.
    # templated_ok names the required policy with an unresolved account: it complies too.
    assert set(findings) == {
        "aws_iam_role.unbounded",
        "aws_iam_user.other",
        "aws_iam_role.unresolved",
        "aws_iam_role.templated_other",
    }
    assert findings["aws_iam_role.unbounded"].certainty is Certainty.DEFINITE
    assert findings["aws_iam_role.templated_other"].certainty is Certainty.DEFINITE
    assert "some-other-boundary" in findings["aws_iam_user.other"].message
    unresolved = findings["aws_iam_role.unresolved"]
    assert unresolved.certainty is Certainty.POSSIBLE
    assert "var.boundary_arn" in unresolved.message


def test_no_required_boundary_configured() -> None:
    assert not rules(run("boundary.tf"), "G501")


def test_grants_above_the_boundary() -> None:
    findings = [f for f in run("boundary.tf") if f.rule == "G502"]
    by_statement = {f.statement: f for f in findings}
    # s3:GetObject is inside the boundary; ec2:RunInstances is not; s3:DeleteBucket is denied
    # by the boundary. Queues is dead too (the boundary has no sqs), and its own Deny is no grant.
    assert set(by_statement) == {"Objects", "Delete", "Queues"}
    assert "ec2:RunInstances" in by_statement["Objects"].message
    assert "s3:GetObject" not in by_statement["Objects"].message
    assert "NoDelete" in by_statement["Delete"].message
    assert all(f.certainty is Certainty.DEFINITE for f in findings)


def test_a_boundary_whose_content_is_unknown_kills_nothing() -> None:
    findings = run("boundary.tf")
    assert not [f for f in findings if f.address == "aws_iam_role_policy.unresolved"]


def test_grants_denied_by_scps() -> None:
    findings = {f.statement: f for f in run("scp.tf") if f.rule == "G503"}
    assert set(findings) == {"Compute", "Tables"}  # the region-conditional Deny kills nothing
    assert findings["Compute"].certainty is Certainty.DEFINITE  # attached to the root
    tables = findings["Tables"]
    assert tables.certainty is Certainty.POSSIBLE  # attached to an OU: assumed scope, said so
    assert tables.severity < findings["Compute"].severity
    assert "aws_organizations_organizational_unit.sandbox" in tables.message
    assert "SCP level" not in findings["Compute"].message  # levels named by their target


def test_boundary_escape() -> None:
    findings = {f.address: f for f in run("escape.tf") if f.rule == "G504"}
    assert set(findings) == {
        "aws_iam_role.creator",
        "aws_iam_role.unpinner",
        "aws_iam_role.rewriter",
    }
    rewriter = findings["aws_iam_role.rewriter"]
    assert "rewrite any managed policy" in rewriter.message
    # Its boundary's content is not in the code: possible, and it says why.
    assert rewriter.certainty is Certainty.POSSIBLE
    assert "iam:CreateRole" in findings["aws_iam_role.creator"].message
    assert "its own boundary" in findings["aws_iam_role.unpinner"].message
    # delegated pins iam:PermissionsBoundary; free has no boundary and none is required.


def test_boundary_escape_when_a_boundary_is_required() -> None:
    findings = {f.address for f in run("escape.tf", ORG) if f.rule == "G504"}
    assert "aws_iam_role.free" in findings
    assert "aws_iam_role.delegated" not in findings


def test_required_guardrails_present() -> None:
    assert not rules(run("guardrails_present.tf", ORG), "G505")


def test_required_guardrail_missing() -> None:
    findings = [f for f in run("guardrails_missing.tf", ORG) if f.rule == "G505"]
    assert len(findings) == 1
    assert "platform-admin" in findings[0].message
    assert findings[0].address == "aws_organizations_policy.regions"


def test_guardrails_only_when_configured() -> None:
    assert not rules(run("guardrails_missing.tf"), "G505")


def test_unapproved_regions() -> None:
    findings = run("regions.tf", ORG)
    assert rules(findings, "G506") == [
        ("aws_iam_role_policy.app", "Elsewhere"),
        ("aws_iam_role_policy.app", "RequestedRegion"),
    ]
    assert not rules(run("regions.tf"), "G506")


def test_a_shared_dead_grant_is_one_finding() -> None:
    (found,) = [f for f in run("shared.tf") if f.rule == "G502"]
    assert found.address == "aws_iam_policy.shared"
    assert found.message.startswith("for role a, role b, the whole statement")


def test_both_required_guardrails_missing() -> None:
    project = load_project([ROOT / "fixtures" / "checks" / "privesc" / "scp.tf"], cwd=ROOT)
    ctx = CheckContext(project, ORG, default_catalog(), builtin_registry().severities())
    findings = [f for f in guardrails.run(ctx) if f.rule == "G505"]
    subjects = sorted(f.subject for f in findings)
    assert subjects == [
        "deny IAM changes",
        "deny requests outside the approved regions",
    ]
    assert all(f.certainty is Certainty.DEFINITE for f in findings)


def test_grants_outside_an_allow_list_scp() -> None:
    (found,) = [f for f in run("allowlist.tf") if f.rule == "G503"]
    assert found.statement == "Instances"
    assert found.certainty is Certainty.DEFINITE
    assert "the SCPs attached to aws_organizations_organization.org allow it on none" in (
        found.message
    )
