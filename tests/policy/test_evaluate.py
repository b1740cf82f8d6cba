"""Decisions, with cases translated by hand from AWS's documentation. Each case cites its page
under https://docs.aws.amazon.com/ (paraphrased; no text is copied)."""

from __future__ import annotations

from typing import Any

from iamlint.model import Unknown
from iamlint.policy.conditions import RequestContext
from iamlint.policy.document import Policy, PolicyKind, parse_policy
from iamlint.policy.evaluate import Authorization, Outcome, Request, decide

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/build-42"
USER = f"arn:aws:iam::{ACCOUNT}:user/carlossalazar"
BUCKET_OBJECT = "arn:aws:s3:::amzn-s3-demo-bucket/report.csv"

EVAL = "IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
DENY_ALLOW = "IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"
BOUNDARIES = "IAM/latest/UserGuide/access_policies_boundaries.html"
CROSS = "IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"
SCPS = "organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"
RCPS = "organizations/latest/userguide/orgs_manage_policies_rcps.html"
NOTACTION = "IAM/latest/UserGuide/reference_policies_elements_notaction.html"
VARIABLES = "IAM/latest/UserGuide/reference_policies_variables.html"
MFA = "IAM/latest/UserGuide/reference_policies_examples_aws_mfa-dates.html"


def policy(
    *statements: dict[str, Any], kind: PolicyKind = PolicyKind.IDENTITY, name: str = "p"
) -> Policy:
    return parse_policy(
        {"Version": "2012-10-17", "Statement": list(statements)}, name=name, kind=kind
    )


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def request(
    action: str, resource: str = BUCKET_OBJECT, principal: str = ROLE, **kw: Any
) -> Request:
    return Request(action=action, resource=resource, principal=principal, **kw)


def test_nothing_allowed_by_default() -> None:  # EVAL: implicit deny
    assert decide(request("s3:GetObject"), Authorization()).outcome is Outcome.IMPLICITLY_DENIED


def test_explicit_deny_overrides_any_allow() -> None:  # DENY_ALLOW
    identity = policy(allow("s3:*"), deny("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*"))
    decision = decide(request("s3:GetObject"), Authorization(identity=[identity]))
    assert decision.outcome is Outcome.EXPLICITLY_DENIED
    assert [ref.statement.index for ref in decision.denied_by] == [1]
    assert (
        decide(request("s3:PutObject"), Authorization(identity=[identity])).outcome
        is Outcome.ALLOWED
    )


def test_boundary_caps_identity_policy() -> None:  # BOUNDARIES: effective = identity ∩ boundary
    identity = policy(allow(["s3:*", "iam:*"]))
    boundary = policy(allow(["s3:*", "cloudwatch:*", "ec2:*"]), kind=PolicyKind.BOUNDARY, name="pb")
    both = Authorization(identity=[identity], boundary=boundary)
    assert decide(request("s3:GetObject"), both).outcome is Outcome.ALLOWED
    decision = decide(request("iam:CreateUser", "*"), both)
    assert decision.outcome is Outcome.IMPLICITLY_DENIED
    assert any("'pb'" in reason for reason in decision.blocked_by)
    # The boundary alone grants nothing.
    alone = decide(
        request("ec2:DescribeInstances", "*"), Authorization(identity=[identity], boundary=boundary)
    )
    assert alone.outcome is Outcome.IMPLICITLY_DENIED


def test_boundary_and_resource_policy_within_one_account() -> None:  # BOUNDARIES, resource-based
    boundary = policy(allow("ec2:*"), kind=PolicyKind.BOUNDARY, name="pb")

    def bucket_policy(principal: str) -> Policy:
        statement = allow(
            "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*", Principal={"AWS": principal}
        )
        return policy(statement, kind=PolicyKind.RESOURCE, name="bucket")

    # Naming the IAM user ARN: the boundary's implicit deny does not limit it.
    user = Authorization(boundary=boundary, resource_policy=bucket_policy(USER))
    assert decide(request("s3:GetObject", principal=USER), user).outcome is Outcome.ALLOWED
    # Naming the role ARN: the boundary does limit it.
    role = Authorization(boundary=boundary, resource_policy=bucket_policy(ROLE))
    assert (
        decide(request("s3:GetObject", principal=SESSION), role).outcome
        is Outcome.IMPLICITLY_DENIED
    )
    # Naming the role session ARN: not limited.
    session = Authorization(boundary=boundary, resource_policy=bucket_policy(SESSION))
    assert decide(request("s3:GetObject", principal=SESSION), session).outcome is Outcome.ALLOWED
    # "*" names everyone, this session included (read as iam-simulate does).
    everyone = Authorization(boundary=boundary, resource_policy=bucket_policy("*"))
    assert decide(request("s3:GetObject", principal=SESSION), everyone).outcome is Outcome.ALLOWED
    # An explicit Deny in the boundary always wins.
    denying = policy(allow("*"), deny("s3:*"), kind=PolicyKind.BOUNDARY, name="pb")
    user_denied = Authorization(boundary=denying, resource_policy=bucket_policy(USER))
    assert (
        decide(request("s3:GetObject", principal=USER), user_denied).outcome
        is Outcome.EXPLICITLY_DENIED
    )


def test_same_account_resource_policy_alone_is_enough() -> None:  # EVAL, same account
    bucket = policy(
        allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*", Principal={"AWS": ROLE}),
        kind=PolicyKind.RESOURCE,
    )
    decision = decide(request("s3:GetObject"), Authorization(resource_policy=bucket))
    assert decision.outcome is Outcome.ALLOWED
    # Naming only the account delegates to IAM: the identity policy must allow.
    account_only = policy(
        allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*", Principal={"AWS": ACCOUNT}),
        kind=PolicyKind.RESOURCE,
    )
    assert (
        decide(request("s3:GetObject"), Authorization(resource_policy=account_only)).outcome
        is Outcome.IMPLICITLY_DENIED
    )


def test_cross_account_needs_both_sides() -> None:  # CROSS
    other = "444455556666"
    identity = policy(allow("s3:GetObject", "arn:aws:s3:::shared/*"))
    bucket = policy(
        allow(
            "s3:GetObject",
            "arn:aws:s3:::shared/*",
            Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        ),
        kind=PolicyKind.RESOURCE,
    )
    shared = request("s3:GetObject", "arn:aws:s3:::shared/x", resource_account=other)
    assert decide(shared, Authorization(identity=[identity])).outcome is Outcome.IMPLICITLY_DENIED
    assert (
        decide(shared, Authorization(resource_policy=bucket)).outcome is Outcome.IMPLICITLY_DENIED
    )
    both = decide(shared, Authorization(identity=[identity], resource_policy=bucket))
    assert both.outcome is Outcome.ALLOWED and both.notes


def test_scp_must_allow_at_every_level() -> None:  # SCPS
    identity = policy(allow("*"))
    full = policy(allow("*"), kind=PolicyKind.SCP, name="FullAWSAccess")
    only_ec2 = policy(allow("ec2:*"), kind=PolicyKind.SCP, name="ec2-only")
    levels = Authorization(identity=[identity], scps=[[full], [only_ec2], [full]])
    assert decide(request("ec2:DescribeInstances", "*"), levels).outcome is Outcome.ALLOWED
    decision = decide(request("s3:GetObject"), levels)
    assert decision.outcome is Outcome.IMPLICITLY_DENIED
    assert any("level 1" in reason and "ec2-only" in reason for reason in decision.blocked_by)
    # An SCP grants nothing by itself.
    assert (
        decide(request("ec2:DescribeInstances", "*"), Authorization(scps=[[full]])).outcome
        is Outcome.IMPLICITLY_DENIED
    )


def test_scp_deny_list_strategy() -> None:  # SCPS: FullAWSAccess plus a Deny
    identity = policy(allow("*"))
    deny_leave = policy(
        deny("organizations:LeaveOrganization"), kind=PolicyKind.SCP, name="no-leave"
    )
    full = policy(allow("*"), kind=PolicyKind.SCP, name="FullAWSAccess")
    authorization = Authorization(identity=[identity], scps=[[full, deny_leave]])
    assert (
        decide(request("organizations:LeaveOrganization", "*"), authorization).outcome
        is Outcome.EXPLICITLY_DENIED
    )
    assert decide(request("s3:GetObject"), authorization).outcome is Outcome.ALLOWED


def test_rcp_deny_applies_to_resources() -> None:  # RCPS: RCPFullAWSAccess is always attached
    identity = policy(allow("s3:*"))
    rcp = policy(
        deny("s3:*", "*", Principal="*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
        kind=PolicyKind.RCP,
        name="tls-only",
    )
    authorization = Authorization(identity=[identity], rcps=[[rcp]])
    insecure = request("s3:GetObject", context=RequestContext.of({"aws:SecureTransport": "false"}))
    secure = request("s3:GetObject", context=RequestContext.of({"aws:SecureTransport": "true"}))
    assert decide(insecure, authorization).outcome is Outcome.EXPLICITLY_DENIED
    assert decide(secure, authorization).outcome is Outcome.ALLOWED


def test_not_action_allows_everything_else() -> None:  # NOTACTION
    identity = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert (
        decide(request("s3:GetObject"), Authorization(identity=[identity])).outcome
        is Outcome.ALLOWED
    )
    assert (
        decide(request("iam:CreateUser", "*"), Authorization(identity=[identity])).outcome
        is Outcome.IMPLICITLY_DENIED
    )


def test_deny_not_resource() -> None:  # reference_policies_elements_notresource.html
    identity = policy(
        allow("s3:*"),
        {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::amzn-s3-demo-bucket/*"},
    )
    assert (
        decide(request("s3:GetObject"), Authorization(identity=[identity])).outcome
        is Outcome.ALLOWED
    )
    other = request("s3:GetObject", "arn:aws:s3:::other/x")
    assert decide(other, Authorization(identity=[identity])).outcome is Outcome.EXPLICITLY_DENIED


def test_policy_variable_home_folder() -> None:  # VARIABLES: the per-user home folder example
    identity = policy(allow("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"))
    context = RequestContext.of({"aws:username": "carlossalazar"})
    own = request(
        "s3:PutObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/home/carlossalazar/a",
        USER,
        context=context,
    )
    theirs = request(
        "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/someone/a", USER, context=context
    )
    assert decide(own, Authorization(identity=[identity])).outcome is Outcome.ALLOWED
    assert decide(theirs, Authorization(identity=[identity])).outcome is Outcome.IMPLICITLY_DENIED


def test_mfa_deny_with_bool_if_exists() -> None:  # MFA
    identity = policy(
        allow("ec2:*"),
        deny(
            "ec2:StopInstances", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
        ),
    )
    without = request("ec2:StopInstances", "arn:aws:ec2:us-east-1:111122223333:instance/i-1")
    with_mfa = Request(
        "ec2:StopInstances",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
        ROLE,
        context=RequestContext.of({"aws:MultiFactorAuthPresent": "true"}),
    )
    assert decide(without, Authorization(identity=[identity])).outcome is Outcome.EXPLICITLY_DENIED
    assert decide(with_mfa, Authorization(identity=[identity])).outcome is Outcome.ALLOWED


def test_wildcard_only_actions_match_only_star() -> (
    None
):  # reference_policies_elements_resource.html
    scoped = policy(allow("s3:ListAllMyBuckets", "arn:aws:s3:::amzn-s3-demo-bucket"))
    star = policy(allow("s3:ListAllMyBuckets", "*"))
    ask = request("s3:ListAllMyBuckets", "arn:aws:s3:::amzn-s3-demo-bucket")
    assert decide(ask, Authorization(identity=[scoped])).outcome is Outcome.IMPLICITLY_DENIED
    assert decide(ask, Authorization(identity=[star])).outcome is Outcome.ALLOWED


def test_possibly_allowed_names_what_is_open() -> None:
    identity = policy(allow("s3:GetObject", Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}}))
    open_context = request("s3:GetObject", context=RequestContext(complete=False))
    decision = decide(open_context, Authorization(identity=[identity]))
    assert decision.outcome is Outcome.POSSIBLY_ALLOWED
    assert any("aws:SourceVpc" in q for q in decision.open_questions)
    unknown_resource = policy(
        allow("s3:GetObject", [Unknown("aws_s3_bucket.b.arn", parts=(None, "/*"))])
    )
    maybe = decide(request("s3:GetObject"), Authorization(identity=[unknown_resource]))
    assert maybe.outcome is Outcome.POSSIBLY_ALLOWED
    assert any("aws_s3_bucket.b.arn" in q for q in maybe.open_questions)
    # The literal "/*" of the unknown template already rules out a bucket ARN.
    bucket = decide(
        request("s3:GetObject", "arn:aws:s3:::bucket"), Authorization(identity=[unknown_resource])
    )
    assert bucket.outcome is Outcome.IMPLICITLY_DENIED


def test_unknown_deny_keeps_allow_open_and_unknown_statements_count() -> None:
    identity = policy(allow("s3:*"), deny(Unknown("var.denied_actions")))
    decision = decide(request("s3:GetObject"), Authorization(identity=[identity]))
    assert decision.outcome is Outcome.POSSIBLY_ALLOWED
    dynamic = parse_policy({"Version": "2012-10-17", "Statement": [Unknown("dynamic statement")]})
    assert (
        decide(request("s3:GetObject"), Authorization(identity=[dynamic])).outcome
        is Outcome.POSSIBLY_ALLOWED
    )
    scp_unknown = parse_policy(Unknown("var.scp"), kind=PolicyKind.SCP)
    allowed = Authorization(identity=[policy(allow("s3:*"))], scps=[[scp_unknown]])
    assert decide(request("s3:GetObject"), allowed).outcome is Outcome.POSSIBLY_ALLOWED


def test_explanations_name_the_statements() -> None:
    identity = policy(allow("s3:GetObject", Sid="Read"), name="aws_iam_policy.reader")
    decision = decide(request("s3:GetObject"), Authorization(identity=[identity]))
    assert "aws_iam_policy.reader" in decision.explain() and "(Read)" in decision.explain()


def test_session_policy_caps_but_not_grants_to_the_session_arn() -> None:
    # IAM/latest/UserGuide/access_policies.html#policies_session
    identity = policy(allow("s3:*"))
    session = policy(allow("s3:GetObject"), kind=PolicyKind.SESSION, name="session")
    capped = Authorization(identity=[identity], session=session)
    assert decide(request("s3:GetObject", principal=SESSION), capped).outcome is Outcome.ALLOWED
    assert (
        decide(request("s3:PutObject", principal=SESSION), capped).outcome
        is Outcome.IMPLICITLY_DENIED
    )
    to_session = policy(
        allow("s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket/*", Principal={"AWS": SESSION}),
        kind=PolicyKind.RESOURCE,
    )
    to_role = policy(
        allow("s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket/*", Principal={"AWS": ROLE}),
        kind=PolicyKind.RESOURCE,
    )
    put = request("s3:PutObject", principal=SESSION)
    assert (
        decide(put, Authorization(session=session, resource_policy=to_session)).outcome
        is Outcome.ALLOWED
    )
    assert (
        decide(put, Authorization(session=session, resource_policy=to_role)).outcome
        is Outcome.IMPLICITLY_DENIED
    )
