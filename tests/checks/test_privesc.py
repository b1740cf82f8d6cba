"""P3xx rules over fixtures/checks/privesc: methods across policies, boundaries, SCPs, Deny
statements, conditions and unknown values."""

from __future__ import annotations

from pathlib import Path

import pytest
from check_helpers import family_findings  # beside this file (on the path: conftest.py)

from iamlint.checks import principals, privesc, probe
from iamlint.checks.context import CheckContext, Config
from iamlint.checks.finding import Certainty, Finding, Severity
from iamlint.checks.registry import builtin_registry
from iamlint.policy.catalog import default_catalog
from iamlint.terraform.project import load_project

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "checks" / "privesc"


def run(name: str, config: Config | None = None) -> list[Finding]:
    return family_findings(privesc, FIXTURES / name, config, severities=True)


def of(findings: list[Finding], rule: str, address: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule and f.address == address]


def methods(finding: Finding) -> set[str]:
    return {item["name"] for item in finding.extra["items"]}


def test_a_method_split_across_two_policies_of_one_role() -> None:
    findings = run("split.tf")
    (found,) = of(findings, "P301", "aws_iam_role.split")
    assert found.certainty is Certainty.DEFINITE
    assert found.severity is Severity.CRITICAL
    assert methods(found) == {"PassExistingRoleToNewLambdaThenInvoke"}
    # Both policies are named, and the finding points at the PassRole grant.
    assert "aws_iam_role_policy.split_pass" in found.message
    assert "aws_iam_policy.functions" in found.message
    assert found.location.line == 7
    assert {r.line for r in found.related} == {19}  # both Lambda actions, in the other policy


def test_the_same_method_blocked_by_a_boundary() -> None:
    findings = run("split.tf")
    assert not of(findings, "P301", "aws_iam_role.bounded")
    assert not of(findings, "P305", "aws_iam_role_policy.bounded_pass")


def test_a_single_attach_role_policy_is_an_escalation() -> None:
    findings = run("single.tf")
    (found,) = of(findings, "P301", "aws_iam_role.attacher")
    assert methods(found) == {"AttachRolePolicy"}
    assert found.certainty is Certainty.DEFINITE


def test_writing_its_own_role_policy_is_an_escalation() -> None:
    (found,) = of(run("single.tf"), "P301", "aws_iam_role.self_editor")
    assert methods(found) == {"PutRolePolicy"}
    assert "on its own role" in found.message
    assert found.certainty is Certainty.DEFINITE


def test_attach_to_one_other_named_role_is_not_reported() -> None:
    assert not [f for f in run("single.tf") if f.address == "aws_iam_role.narrow"]


def test_deny_statements_never_grant() -> None:
    findings = run("deny.tf")
    assert not [f for f in findings if f.address.startswith("aws_iam_role.denier")]
    assert not [f for f in findings if "aws_iam_role_policy.denier" in f.address]


def test_a_deny_on_iam_removes_the_iam_methods_only() -> None:
    findings = run("deny.tf")
    (found,) = of(findings, "P301", "aws_iam_role.admin_but_iam")
    names = methods(found)
    assert "EditExistingLambdaFunctionWithRole" in names
    assert not {n for n in names if n.startswith(("Attach", "Put", "Create", "PassExisting"))}
    assert not [f for f in findings if f.rule == "P305"]


def test_exfiltration_credentials_and_permissions_management() -> None:
    findings = run("sets.tf")
    p302 = of(findings, "P302", "aws_iam_role.reader")
    definite = [f for f in p302 if f.certainty is Certainty.DEFINITE]
    possible = [f for f in p302 if f.certainty is Certainty.POSSIBLE]
    assert [f.extra["subjects"] for f in definite] == [["s3:GetObject"]]
    # A resource-tag condition: possible, one step lower, the condition named.
    assert [f.extra["subjects"] for f in possible] == [["secretsmanager:GetSecretValue"]]
    assert possible[0].severity < definite[0].severity
    assert "aws:ResourceTag/team" in possible[0].message
    (p303,) = of(findings, "P303", "aws_iam_role.reader")
    # ecr:GetAuthorizationToken accepts only "*" and returns the caller's own access.
    assert p303.extra["subjects"] == ["iam:CreateAccessKey"]
    (p304,) = of(findings, "P304", "aws_iam_role.reader")
    assert p304.extra["subjects"] == ["s3:PutBucketPolicy"]  # not the scoped kms:CreateGrant


def test_passrole_needs_passed_to_service_and_named_roles() -> None:
    findings = [f for f in run("sets.tf") if f.rule == "P305"]
    assert [(f.address, f.statement) for f in findings] == [
        ("aws_iam_role_policy.passer", "AnyRole")
    ]


def test_unknown_values_make_findings_possible_and_named() -> None:
    findings = run("unknown.tf")
    (found,) = of(findings, "P301", "aws_iam_role.unsure")
    assert found.certainty is Certainty.POSSIBLE
    assert found.severity is Severity.HIGH  # one step below critical
    assert "var.pass_roles" in found.message
    (passrole,) = [f for f in findings if f.rule == "P305" and "unsure" in f.address]
    assert passrole.certainty is Certainty.POSSIBLE


def test_aws_managed_policies_may_widen_but_are_never_guessed() -> None:
    findings = run("unknown.tf")
    (found,) = of(findings, "P301", "aws_iam_role.managed")
    assert found.certainty is Certainty.POSSIBLE
    assert "AWSLambda_FullAccess" in found.message
    assert "PassExistingRoleToNewLambdaThenInvoke" in methods(found)


def test_group_policies_count_for_their_members() -> None:
    findings = run("groups.tf")
    (found,) = of(findings, "P301", "aws_iam_user.alice")
    assert methods(found) == {"PassExistingRoleToNewEC2"}
    assert "aws_iam_group_policy.ops" in found.message
    assert not of(findings, "P301", "aws_iam_group.ops")  # judged through its member


def test_scps_at_the_root_block_and_assumed_ones_leave_it_possible() -> None:
    (found,) = of(run("scp.tf"), "P301", "aws_iam_role.worker")
    # iam:AttachRolePolicy is denied by the root SCP; Lambda only by an OU SCP (assumed scope).
    assert methods(found) == {"EditExistingLambdaFunctionWithRole"}
    assert found.certainty is Certainty.POSSIBLE
    assert "aws_organizations_organizational_unit.workloads" in found.message


def test_action_sets_come_from_the_rule_catalog() -> None:
    ctx = CheckContext(load_project([FIXTURES / "deny.tf"], cwd=ROOT), Config(), default_catalog())
    names = {m.name for m in privesc.methods(ctx)}
    assert {"AttachRolePolicy", "PassExistingRoleToNewLambdaThenInvoke"} <= names
    assert "s3:GetObject" in privesc.action_list(ctx, "data-exfiltration")


def test_a_condition_on_a_key_the_action_never_carries_never_holds() -> None:
    assert not [f for f in run("sets.tf") if "odd_passer" in f.address]


def test_passing_a_named_more_privileged_role_is_a_possible_escalation() -> None:
    findings = run("passed_role.tf")
    (found,) = of(findings, "P301", "aws_iam_role.deployer")
    assert methods(found) == {"PassExistingRoleToNewLambdaThenInvoke"}
    assert found.certainty is Certainty.POSSIBLE
    assert "passing role app-admin" in found.message
    assert "if role app-admin trusts the service" in found.message
    assert "iam:" in found.message.split("e.g. ")[1]  # its riskiest extra grants are named


def test_passing_a_role_that_can_do_no_more_is_not_an_escalation() -> None:
    assert not of(run("passed_role.tf"), "P301", "aws_iam_role.reader_deployer")


def test_a_shared_passrole_statement_is_reported_once() -> None:
    (found,) = [f for f in run("shared.tf") if f.rule == "P305"]
    assert found.address == "aws_iam_policy.shared_pass"
    assert found.certainty is Certainty.DEFINITE
    assert "[role capped, role open]" in found.message


def test_an_unused_document_is_judged_only_possibly() -> None:
    findings = run("document.tf")
    assert {(f.rule, f.address) for f in findings} == {
        ("P301", "data.aws_iam_policy_document.deployer"),
        ("P304", "data.aws_iam_policy_document.deployer"),
    }  # the bucket document names a Principal: a resource policy, not judged here
    assert all(f.certainty is Certainty.POSSIBLE for f in findings)
    assert "if the document is used as an identity policy" in findings[0].message


def test_a_policy_no_principal_uses_is_judged_for_whoever_holds_it() -> None:
    (found,) = of(run("standalone.tf"), "P301", "aws_iam_policy.helpdesk")
    assert found.message.startswith("a principal with policy aws_iam_policy.helpdesk can escalate")
    assert found.certainty is Certainty.DEFINITE
    assert methods(found) == {"PutUserPolicy"}
    assert not of(run("split.tf"), "P301", "aws_iam_policy.functions")  # judged via its roles


@pytest.mark.parametrize(
    ("path", "address"),
    [
        (ROOT / "fixtures" / "demo", "aws_iam_role.ci"),
        (FIXTURES / "sets.tf", "aws_iam_role.reader"),
        (FIXTURES / "scp.tf", "aws_iam_role.worker"),
    ],
)
def test_grouped_probes_answer_as_single_ones(path: Path, address: str) -> None:
    """`reach_many` decides once per group of alike actions: the same answers as one by one."""
    project = load_project([path], cwd=ROOT)
    ctx = CheckContext(project, Config(), default_catalog())
    principal = next(p for p in project.principals if p.address == address)
    scope = principals.scope_of(ctx, principal)
    judge = privesc.Judge(ctx, scope)
    granted = sorted(judge.granted())
    actions = granted[:: max(1, len(granted) // 150)]  # a spread over every service
    grouped = {p.action.lower(): p for p in judge.reach_many(actions)}
    for action in actions:
        single = privesc.Judge(ctx, scope).reach(action)
        assert (grouped[action].reach, grouped[action].reasons) == (single.reach, single.reasons)


def test_passed_to_service_decides_which_methods_apply() -> None:
    (found,) = of(run("passed_to.tf"), "P301", "aws_iam_role.lambda_deployer")
    assert found.certainty is Certainty.DEFINITE
    assert "PassExistingRoleToNewLambdaThenInvoke" in methods(found)
    assert "PassExistingRoleToNewEC2" not in methods(found)
    assert not [f for f in run("passed_to.tf") if f.rule == "P305"]


def test_a_cached_answer_about_a_freed_principal_is_never_read_for_the_next() -> None:
    shared: dict[object, object] = {}
    probe.memo(shared, "tag", object(), lambda: "first")  # its object is freed at once...
    # ...unless the entry holds it: a new object could otherwise take its id, and its answer.
    assert probe.memo(shared, "tag", object(), lambda: "second") == "second"


def test_keys_settled_for_one_principal_do_not_leak_into_the_next() -> None:
    """Each action of the statement lacks the other's tag key, so it never applies; this held
    only while no earlier principal's condition keys were read by mistake."""
    project = load_project([ROOT / "fixtures" / "checks" / "validity"], cwd=ROOT)
    ctx = CheckContext(project, Config(), default_catalog(), builtin_registry().severities())
    assert not of(list(privesc.run(ctx)), "P302", "aws_iam_policy.good_conditions")


def test_a_policy_attached_to_a_principal_outside_the_code_is_judged_on_its_own() -> None:
    # `role = var.role_name`: the holder is not in the code, its grants are.
    findings = run("outside.tf")
    (p301,) = of(findings, "P301", "aws_iam_role_policy.inline")
    assert p301.certainty is Certainty.DEFINITE
    assert {"CreateNewPolicyVersion", "CreateAccessKey"} <= methods(p301)
