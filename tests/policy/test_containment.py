"""Containment: unit cases, then hypothesis properties checked against the evaluator."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamlint.model import Unknown
from iamlint.policy.catalog import default_catalog
from iamlint.policy.conditions import RequestContext
from iamlint.policy.containment import Grant, is_contained
from iamlint.policy.document import Policy, parse_policy
from iamlint.policy.evaluate import Authorization, Outcome, Request, decide


def policy(*statements: Any) -> Policy:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


VPC1 = {"StringEquals": {"aws:SourceVpc": ["vpc-1"]}}
VPC12 = {"StringEquals": {"aws:SourceVpc": ["vpc-1", "vpc-2"]}}


def test_narrower_action_is_contained_not_the_reverse() -> None:
    narrow = policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))
    wide = policy(allow("s3:Get*", "arn:aws:s3:::b/*"))
    assert is_contained(narrow, wide).contained
    result = is_contained(wide, narrow)
    assert not result.contained
    cx = result.counterexample
    assert cx is not None and cx.verified
    assert cx.action.startswith("s3:Get") and cx.action != "s3:GetObject"
    assert cx.resource.startswith("arn:aws:s3:::b/")


def test_resource_star_versus_arn_pattern() -> None:
    star = policy(allow("s3:GetObject", "*"))
    s3_only = policy(allow("s3:GetObject", "arn:*:s3:::*/*"))
    # The catalog's ARN formats for s3:GetObject include access points, which B misses.
    result = is_contained(star, s3_only)
    assert not result.contained and result.counterexample is not None
    assert is_contained(s3_only, star).contained


def test_conditions_are_compared_by_implication() -> None:
    strict = policy(allow("s3:GetObject", Condition=VPC1))
    loose = policy(allow("s3:GetObject", Condition=VPC12))
    unconditional = policy(allow("s3:GetObject"))
    assert is_contained(strict, loose).contained
    assert is_contained(strict, unconditional).contained
    result = is_contained(unconditional, loose)
    assert not result.contained and result.counterexample is not None
    assert result.counterexample.verified and result.counterexample.context == {}
    like = policy(allow("s3:GetObject", Condition={"StringLike": {"aws:SourceVpc": "vpc-*"}}))
    assert is_contained(strict, like).contained


def test_deny_in_b_must_be_matched_by_a() -> None:
    a = policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))
    b = policy(allow("s3:GetObject", "arn:aws:s3:::b/*"), deny("s3:*", "arn:aws:s3:::b/secret/*"))
    result = is_contained(a, b)
    assert not result.contained
    cx = result.counterexample
    assert (
        cx is not None
        and cx.resource.startswith("arn:aws:s3:::b/secret/")
        and "denied" in cx.reason
    )
    assert cx.verified
    a_with_deny = policy(
        allow("s3:GetObject", "arn:aws:s3:::b/*"), deny("s3:*", "arn:aws:s3:::b/secret*")
    )
    assert is_contained(a_with_deny, b).contained


def test_contradictory_deny_condition_is_harmless() -> None:
    a = policy(allow("s3:GetObject", Condition=VPC1))
    b = policy(
        allow("s3:GetObject"),
        deny("s3:GetObject", Condition={"StringEquals": {"aws:SourceVpc": "vpc-9"}}),
    )
    assert is_contained(a, b).contained


def test_disjoint_values_contradict_only_for_single_valued_keys() -> None:
    tags_a = {"StringEquals": {"aws:TagKeys": "a"}}
    tags_b = {"StringEquals": {"aws:TagKeys": "b"}}
    a = policy(allow("s3:GetObject", Condition=tags_a))
    b = policy(allow("s3:GetObject"), deny("s3:GetObject", Condition=tags_b))
    result = is_contained(a, b)  # a request tagged with both keys satisfies both conditions
    assert not result.contained


def test_deny_in_a_cancels_allow() -> None:
    a = policy(allow("s3:*"), deny("s3:*", "arn:aws:s3:::b/*"))
    b = policy(
        allow("s3:*", "arn:aws:s3:::other*"), allow("s3:*", "arn:aws:s3:::b/*", Condition=VPC1)
    )
    result = is_contained(a, b)
    assert not result.contained  # s3 on arn:aws:s3:::x is allowed by A only
    a2 = policy(allow("s3:GetObject", "arn:aws:s3:::b/*"), deny("s3:GetObject", "arn:aws:s3:::b/*"))
    assert is_contained(a2, policy()).contained  # A allows nothing at all


def test_not_action_and_star() -> None:
    everything_but_iam = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    admin = policy(allow("*"))
    assert is_contained(everything_but_iam, admin).contained
    result = is_contained(admin, everything_but_iam)
    assert not result.contained and result.counterexample is not None
    assert result.counterexample.action.lower().startswith("iam:")


def test_expected_extra_grants() -> None:
    a = policy(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*"))
    b = policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))
    assert not is_contained(a, b).contained
    assert is_contained(a, b, expected_extra=[Grant("s3:PutObject", "arn:aws:s3:::b/*")]).contained
    assert is_contained(a, b, expected_extra=[policy(allow("s3:PutObject"))]).contained


def test_future_actions_under_wildcards() -> None:
    every_get = [a.full_name for a in default_catalog().expand("s3:Get*")]
    explicit = policy(allow(every_get))
    wildcard = policy(allow("s3:Get*"))
    result = is_contained(wildcard, explicit)
    assert not result.contained and result.counterexample is not None
    assert result.counterexample.uncatalogued_action
    assert is_contained(wildcard, explicit, include_uncatalogued=False).contained
    assert is_contained(explicit, wildcard).contained


def test_uncatalogued_literal_actions_are_compared_too() -> None:
    a = policy(allow("s3:GetObjekt"))
    assert not is_contained(a, policy(allow("s3:GetObject"))).contained
    assert is_contained(a, policy(allow("s3:Get*"))).contained


def test_policy_variables() -> None:
    home = policy(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"))
    result = is_contained(home, home)
    assert result.contained and result.assumptions
    assert is_contained(home, policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))).contained
    alice = is_contained(home, policy(allow("s3:GetObject", "arn:aws:s3:::b/alice/*")))
    assert not alice.contained and alice.counterexample is not None
    assert alice.counterexample.verified and "aws:username" in alice.counterexample.context


def test_unknowns_are_approximated_safely() -> None:
    unknown_actions = policy(allow(Unknown("var.actions")))
    assert not is_contained(unknown_actions, policy(allow("s3:*"))).contained
    assert is_contained(unknown_actions, policy(allow("*"))).contained
    # A template whose literal part limits it.
    template = policy(allow("s3:GetObject", [Unknown("aws_s3_bucket.b.arn", parts=(None, "/*"))]))
    assert is_contained(template, policy(allow("s3:GetObject", "*"))).contained
    assert not is_contained(template, policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))).contained
    # B's unknown Allow is not relied on; B's unknown Deny may deny anything.
    b_unknown_allow = policy(allow("s3:GetObject", Unknown("var.resources")))
    assert not is_contained(policy(allow("s3:GetObject")), b_unknown_allow).contained
    b_unknown_deny = policy(allow("*"), deny(Unknown("var.denied")))
    assert not is_contained(policy(allow("s3:GetObject")), b_unknown_deny).contained
    # A's unknown Deny is not relied on either.
    a_unknown_deny = policy(allow("s3:*"), deny(Unknown("var.denied")))
    assert not is_contained(a_unknown_deny, policy(allow("s3:GetObject"))).contained
    # Unknown statements in A may allow anything.
    dynamic = parse_policy({"Version": "2012-10-17", "Statement": [Unknown("dynamic statement")]})
    assert not is_contained(dynamic, policy(allow("s3:*"))).contained
    # Unknown condition values: A's allow is widened, B's allow narrowed to the known values.
    a_cond = policy(
        allow(
            "s3:GetObject",
            Condition={"StringEquals": {"aws:SourceVpc": ["vpc-1", Unknown("var.vpc")]}},
        )
    )
    assert not is_contained(a_cond, policy(allow("s3:GetObject", Condition=VPC1))).contained
    assert is_contained(policy(allow("s3:GetObject", Condition=VPC1)), a_cond).contained


def test_empty_a_is_contained_in_anything() -> None:
    assert is_contained(policy(), policy()).contained
    assert is_contained(policy(deny("*")), policy()).contained


# --- properties ------------------------------------------------------------------------------

ACTIONS = [
    "s3:GetObject",
    "s3:Get*",
    "s3:PutObject",
    "s3:*Object",
    "s3:ListBucket",
    "s3:*",
    "ec2:DescribeInstances",
    "ec2:Describe*",
    "s3:?etObject",
]
RESOURCES = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/x/*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::*",
    "arn:aws:s3:::c*",
    "arn:aws:s3:::b/${aws:username}",
]
CONDITIONS = [
    VPC1,
    VPC12,
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"StringLike": {"aws:SourceVpc": "vpc-*"}},
    {"Null": {"aws:SourceVpc": "true"}},
]
REQUEST_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:GetObjectAcl",
    "ec2:DescribeInstances",
    "s3:DeleteObject",
    "s3:GetZzfuture",
]
REQUEST_RESOURCES = [
    "arn:aws:s3:::b/x/1",
    "arn:aws:s3:::b/y",
    "arn:aws:s3:::b",
    "arn:aws:s3:::c1/k",
    "arn:aws:s3:::b/alice",
    "*",
]
CONTEXTS = [
    {},
    {"aws:SourceVpc": "vpc-1"},
    {"aws:SourceVpc": "vpc-2"},
    {"aws:SourceVpc": "vpc-3"},
    {"aws:MultiFactorAuthPresent": "true", "aws:username": "alice"},
]


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": effect or draw(st.sampled_from(["Allow", "Allow", "Deny"]))
    }
    action_key = draw(st.sampled_from(["Action"] * 5 + ["NotAction"]))
    statement[action_key] = draw(
        st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True)
    )
    resource_key = draw(st.sampled_from(["Resource"] * 6 + ["NotResource"]))
    statement[resource_key] = draw(
        st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True)
    )
    if draw(st.booleans()):
        statement["Condition"] = draw(st.sampled_from(CONDITIONS))
    return statement


policies = st.lists(statements(), min_size=1, max_size=3).map(lambda s: policy(*s))
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def allowed(p: Policy, action: str, resource: str, context: dict[str, str]) -> bool:
    request = Request(action, resource, context=RequestContext.of(context))
    return decide(request, Authorization(identity=[p])).outcome is Outcome.ALLOWED


def _possible(action: str, resource: str) -> bool:
    """Could a request for this action name this resource? Containment reasons over the ARN
    formats of the action's resource types (s3:GetObject is only ever asked of an object ARN),
    so the oracle must not count requests AWS never makes, such as s3:GetObject on a bucket."""
    formats = default_catalog().arn_patterns(action)
    if formats is None or formats == ("*",):
        return True
    return any(fnmatch.fnmatchcase(resource, f) for f in formats)


def every_request():  # type: ignore[no-untyped-def]
    for action in REQUEST_ACTIONS:
        for resource in REQUEST_RESOURCES:
            if not _possible(action, resource):
                continue
            for context in CONTEXTS:
                yield action, resource, context


@FAST
@given(policies)
def test_reflexive(p: Policy) -> None:
    assert is_contained(p, p).contained


@FAST
@given(policies, statements(effect="Allow"))
def test_contained_in_itself_with_an_allow_added(p: Policy, extra: dict[str, Any]) -> None:
    bigger = parse_policy({"Version": "2012-10-17", "Statement": [*_raw(p), extra]})
    assert is_contained(p, bigger).contained


@FAST
@given(policies, st.data())
def test_removing_an_allow_never_widens(p: Policy, data: st.DataObject) -> None:
    raw = _raw(p)
    allows = [i for i, s in enumerate(raw) if s["Effect"] == "Allow"]
    if not allows:
        return
    drop = data.draw(st.sampled_from(allows))
    smaller = parse_policy(
        {"Version": "2012-10-17", "Statement": [s for i, s in enumerate(raw) if i != drop]}
    )
    assert is_contained(smaller, p).contained


@FAST
@given(policies, policies, policies)
def test_transitive(a: Policy, b: Policy, c: Policy) -> None:
    if is_contained(a, b).contained and is_contained(b, c).contained:
        assert is_contained(a, c).contained
    # A chain that always holds, so the implication above is not only vacuous.
    ab = parse_policy({"Version": "2012-10-17", "Statement": [*_raw(a), *_raw(b)]})
    abc = parse_policy({"Version": "2012-10-17", "Statement": [*_raw(ab), *_allows(c)]})
    if all(s["Effect"] == "Allow" for s in _raw(b)):
        assert is_contained(a, ab).contained and is_contained(ab, abc).contained
        assert is_contained(a, abc).contained


def test_an_action_on_a_resource_of_another_type_grants_nothing() -> None:
    """Found by the property below on a fresh machine: s3:GetObject on a bucket ARN allows no
    request AWS can make, so it is contained even in a conditional grant; on objects it is not."""
    on_bucket = policy(
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b"]}
    )
    on_objects = policy(
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
    )
    conditional = policy(
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": ["*"],
            "Condition": {"StringEquals": {"aws:SourceVpc": ["vpc-1"]}},
        }
    )
    assert is_contained(on_bucket, conditional).contained
    assert not is_contained(on_objects, conditional).contained


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies, policies)
def test_containment_agrees_with_the_evaluator(a: Policy, b: Policy) -> None:
    """Soundness: "contained" means no request that A allows is refused by B; a verified
    counterexample is one the evaluator confirms."""
    result = is_contained(a, b)
    if result.contained:
        for action, resource, context in every_request():
            if allowed(a, action, resource, context):
                assert allowed(b, action, resource, context), (action, resource, context)
    elif result.counterexample is not None and result.counterexample.verified:
        cx = result.counterexample
        context = {k: v[0] if len(v) == 1 else v for k, v in cx.context.items()}
        assert allowed(a, cx.action, cx.resource, context)  # type: ignore[arg-type]
        assert not allowed(b, cx.action, cx.resource, context)  # type: ignore[arg-type]


@FAST
@given(policies)
def test_expanding_wildcards_never_changes_a_decision(p: Policy) -> None:
    catalog = default_catalog()
    expanded = []
    for statement in _raw(p):
        statement = dict(statement)
        key = "Action" if "Action" in statement else "NotAction"
        names = sorted({a.full_name for pattern in statement[key] for a in catalog.expand(pattern)})
        statement[key] = names or ["nosuchservice:nothing"]
        expanded.append(statement)
    q = parse_policy({"Version": "2012-10-17", "Statement": expanded})
    for action, resource, context in every_request():
        if catalog.action(action) is None:
            continue  # expansion is over the catalog; an unknown action is another question
        request = Request(action, resource, context=RequestContext.of(context))
        assert (
            decide(request, Authorization(identity=[p])).outcome
            is decide(request, Authorization(identity=[q])).outcome
        )


def _raw(p: Policy) -> list[dict[str, Any]]:
    """Back to a document (the generated policies hold only known values)."""
    out = []
    for s in p.statements:
        raw: dict[str, Any] = {"Effect": s.effect.value}  # type: ignore[union-attr]
        raw["NotAction" if s.not_action else "Action"] = list(s.actions)  # type: ignore[arg-type]
        raw["NotResource" if s.not_resource else "Resource"] = list(s.resources)  # type: ignore[arg-type]
        if s.conditions:
            block: dict[str, dict[str, list[str]]] = {}
            for clause in s.conditions:  # type: ignore[union-attr]
                block.setdefault(clause.operator, {})[clause.key] = list(clause.values)  # type: ignore[arg-type]
            raw["Condition"] = block
        out.append(raw)
    return out


def _allows(p: Policy) -> list[dict[str, Any]]:
    return [s for s in _raw(p) if s["Effect"] == "Allow"]


@pytest.mark.parametrize("size", [50])
def test_many_statements_stay_fast(size: int) -> None:
    import time

    big = policy(
        *[allow(f"s3:Get{chr(65 + i % 26)}*", f"arn:aws:s3:::bucket-{i}/*") for i in range(size)]
    )
    start = time.perf_counter()
    assert is_contained(big, big).contained
    assert time.perf_counter() - start < 5
