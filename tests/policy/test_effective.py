"""Effective permissions and dead grants (IAM User Guide, access_policies_boundaries.html:
effective permissions are the intersection of identity policies, boundary and SCPs)."""

from __future__ import annotations

from typing import Any

from iamlint.model import Unknown
from iamlint.policy.document import Policy, PolicyKind, parse_policy
from iamlint.policy.effective import GrantStatus, PrincipalPolicies, effective_permissions


def policy(*statements: Any, kind: PolicyKind = PolicyKind.IDENTITY, name: str = "p") -> Policy:
    return parse_policy(
        {"Version": "2012-10-17", "Statement": list(statements)}, kind=kind, name=name
    )


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_identity_only_summary_per_service_and_level() -> None:
    result = effective_permissions(
        PrincipalPolicies("r", [policy(allow(["s3:GetObject", "s3:PutObject", "iam:PassRole"]))])
    )
    assert result.by_service() == {
        "iam": {"Write": ["iam:PassRole"]},
        "s3": {"Read": ["s3:GetObject"], "Write": ["s3:PutObject"]},
    }
    assert result.summary()["s3"] == {"Read": 1, "Write": 1}
    assert all(g.status is GrantStatus.ALLOWED for g in result.grants)
    assert not result.dead_grants


def test_boundary_makes_part_of_a_statement_dead() -> None:
    identity = policy(allow(["s3:GetObject", "iam:CreateUser"]), name="app")
    boundary = policy(allow("s3:*"), kind=PolicyKind.BOUNDARY, name="pb")
    result = effective_permissions(PrincipalPolicies("r", [identity], boundary))
    assert [g.action.full_name for g in result.grants] == ["s3:GetObject"]
    (dead,) = result.dead_grants
    assert dead.actions == ("iam:CreateUser",) and not dead.whole_statement
    assert "permissions boundary 'pb'" in dead.parts[0].blocked_by and "'app'" in str(dead)


def test_scp_level_and_scp_deny_block() -> None:
    identity = policy(allow("ec2:RunInstances"), allow("s3:GetObject"), name="app")
    full = policy(allow("*"), deny("ec2:RunInstances"), kind=PolicyKind.SCP, name="guard")
    s3_only = policy(allow("s3:*"), kind=PolicyKind.SCP, name="s3-only")
    by_deny = effective_permissions(PrincipalPolicies("r", [identity], scps=[[full]]))
    (dead,) = by_deny.dead_grants
    assert (
        dead.whole_statement
        and "explicit Deny in service control policy 'guard'" in dead.parts[0].blocked_by
    )
    by_level = effective_permissions(PrincipalPolicies("r", [identity], scps=[[full], [s3_only]]))
    assert any(
        "SCP level 1 ('s3-only')" in p.blocked_by for d in by_level.dead_grants for p in d.parts
    )


def test_resources_matter_for_deadness() -> None:
    identity = policy(
        allow("s3:GetObject", "arn:aws:s3:::logs/*"), allow("s3:PutObject", "arn:aws:s3:::data/*")
    )
    boundary = policy(allow("s3:*", "arn:aws:s3:::data/*"), kind=PolicyKind.BOUNDARY, name="pb")
    result = effective_permissions(PrincipalPolicies("r", [identity], boundary))
    assert [d.statement.index for d in result.dead_grants] == [0]
    # A deny that covers only part of the resources does not kill the grant.
    partial = policy(
        allow("s3:GetObject", "arn:aws:s3:::logs/*"), deny("s3:*", "arn:aws:s3:::logs/secret/*")
    )
    alive = effective_permissions(PrincipalPolicies("r", [partial]))
    assert not alive.dead_grants
    (grant,) = alive.grants
    assert grant.status is GrantStatus.POSSIBLY_ALLOWED and any(
        "may be denied" in n for n in grant.notes
    )


def test_wildcard_only_actions_need_star() -> None:
    result = effective_permissions(
        PrincipalPolicies("r", [policy(allow("s3:ListAllMyBuckets", "arn:aws:s3:::b"))])
    )
    (dead,) = result.dead_grants
    assert "accepts only" in dead.parts[0].blocked_by and not result.grants


def test_conditions_keep_grants_alive_but_possible() -> None:
    identity = policy(
        allow("s3:GetObject", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    )
    boundary = policy(
        allow("s3:*", Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}}),
        kind=PolicyKind.BOUNDARY,
    )
    result = effective_permissions(PrincipalPolicies("r", [identity], boundary))
    (grant,) = result.grants
    assert (
        grant.status is GrantStatus.POSSIBLY_ALLOWED and grant.conditions and not result.dead_grants
    )
    conditional_deny = policy(
        allow("s3:GetObject"), deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    )
    assert not effective_permissions(PrincipalPolicies("r", [conditional_deny])).dead_grants


def test_unknowns_never_make_a_grant_dead() -> None:
    identity = policy(allow(["s3:GetObject", "iam:CreateUser"]))
    unknown_boundary = policy(allow(Unknown("var.boundary_actions")), kind=PolicyKind.BOUNDARY)
    result = effective_permissions(PrincipalPolicies("r", [identity], unknown_boundary))
    assert not result.dead_grants
    assert any("var.boundary_actions" in q for q in result.open_questions)
    unknown_scp = parse_policy(Unknown("var.scp"), kind=PolicyKind.SCP)
    assert not effective_permissions(
        PrincipalPolicies("r", [identity], scps=[[unknown_scp]])
    ).dead_grants
    unknown_deny = policy(allow("s3:GetObject"), deny(Unknown("var.denied")))
    result = effective_permissions(PrincipalPolicies("r", [unknown_deny]))
    assert not result.dead_grants and result.grants[0].status is GrantStatus.POSSIBLY_ALLOWED


def test_not_action_and_uncatalogued_patterns() -> None:
    identity = policy(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, allow("s3:GetObjekt")
    )
    result = effective_permissions(PrincipalPolicies("r", [identity]))
    services = result.by_service()
    assert "iam" not in services and "s3" in services and "ec2" in services
    assert result.uncatalogued == ("s3:GetObjekt",)
