"""Condition operators. Expected results follow the IAM User Guide pages
reference_policies_elements_condition_operators.html and
reference_policies_condition-single-vs-multi-valued-context-keys.html."""

from __future__ import annotations

from typing import Any

import pytest

from iamlint.model import Unknown
from iamlint.policy.conditions import RequestContext, evaluate_clause, evaluate_conditions
from iamlint.policy.document import ConditionClause
from iamlint.policy.tri import Tri

T, F, U = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN


def clause(operator: str, key: str, *values: Any) -> ConditionClause:
    return ConditionClause(operator, key, tuple(values))


@pytest.mark.parametrize(
    ("operator", "policy_values", "context_value", "expected"),
    [
        ("StringEquals", ["a", "b"], "b", T),
        ("StringEquals", ["a"], "A", F),
        ("StringNotEquals", ["a", "b"], "c", T),
        ("StringNotEquals", ["a", "b"], "a", F),
        ("StringEqualsIgnoreCase", ["ABC"], "abc", T),
        ("StringNotEqualsIgnoreCase", ["ABC"], "abc", F),
        ("StringLike", ["home/*/x?"], "home/alice/x1", T),
        ("StringLike", ["home/*"], "Home/alice", F),
        ("StringNotLike", ["home/*"], "other", T),
        ("NumericLessThan", ["10"], "9.5", T),
        ("NumericLessThanEquals", ["10"], "10", T),
        ("NumericGreaterThan", ["10"], "10", F),
        ("NumericGreaterThanEquals", ["10"], "11", T),
        ("NumericEquals", ["10"], "10.0", T),
        ("NumericNotEquals", ["10"], "11", T),
        ("NumericEquals", ["10"], "ten", F),
        ("DateGreaterThan", ["2020-01-01T00:00:00Z"], "2021-06-01T12:00:00Z", T),
        ("DateLessThan", ["2020-01-01T00:00:00Z"], "1577836799", T),  # epoch seconds
        ("DateEquals", ["2020-01-01T00:00:00Z"], "2020-01-01T00:00:00+00:00", T),
        ("DateNotEquals", ["2020-01-01T00:00:00Z"], "2020-01-02T00:00:00Z", T),
        ("DateLessThanEquals", ["2020-01-01T00:00:00Z"], "2020-01-01T00:00:00Z", T),
        ("DateGreaterThanEquals", ["2020-01-01T00:00:00Z"], "2019-01-01T00:00:00Z", F),
        ("Bool", ["true"], "true", T),
        ("Bool", ["true"], "false", F),
        ("BinaryEquals", ["QmluYXJ5"], "QmluYXJ5", T),
        ("IpAddress", ["10.0.0.0/8"], "10.1.2.3", T),
        ("IpAddress", ["10.0.0.0/8", "2001:db8::/32"], "2001:db8::1", T),
        ("IpAddress", ["10.0.0.0/8"], "11.0.0.1", F),
        ("NotIpAddress", ["10.0.0.0/8"], "11.0.0.1", T),
        ("ArnLike", ["arn:aws:iam::*:role/app-*"], "arn:aws:iam::1:role/app-x", T),
        ("ArnEquals", ["arn:aws:iam::1:role/app"], "arn:aws:iam::1:role/App", F),
        ("ArnLike", ["arn:aws:iam::*:role/*"], "arn:aws:sts::1:assumed-role/x/y", F),
        ("ArnNotLike", ["arn:aws:iam::*:role/admin"], "arn:aws:iam::1:role/app", T),
        ("ArnNotEquals", ["arn:aws:iam::1:role/app"], "arn:aws:iam::1:role/app", F),
    ],
)
def test_operators_on_a_present_key(
    operator: str, policy_values: list[str], context_value: str, expected: Tri
) -> None:
    context = RequestContext.of({"k": context_value})
    assert evaluate_clause(clause(operator, "k", *policy_values), context) is expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", F),  # a plain operator on a missing key is false
        ("StringNotEquals", T),  # a negated one is true
        ("StringEqualsIfExists", T),
        ("NotIpAddress", T),
        ("ArnNotLike", T),
        ("Bool", F),
        ("BoolIfExists", T),
        ("ForAllValues:StringEquals", T),  # vacuously true
        ("ForAnyValue:StringEquals", F),
        ("ForAnyValue:StringNotEquals", F),
    ],
)
def test_missing_key(operator: str, expected: Tri) -> None:
    assert evaluate_clause(clause(operator, "k", "v"), RequestContext()) is expected


def test_null() -> None:
    absent, present = RequestContext(), RequestContext.of({"k": "x"})
    assert evaluate_clause(clause("Null", "k", "true"), absent) is T
    assert evaluate_clause(clause("Null", "k", "true"), present) is F
    assert evaluate_clause(clause("Null", "k", "false"), present) is T


def test_multivalued_keys() -> None:
    tags = RequestContext.of({"aws:TagKeys": ["env", "owner"]})
    assert evaluate_clause(clause("ForAnyValue:StringEquals", "aws:TagKeys", "env"), tags) is T
    assert evaluate_clause(clause("ForAllValues:StringEquals", "aws:TagKeys", "env"), tags) is F
    assert (
        evaluate_clause(clause("ForAllValues:StringEquals", "aws:TagKeys", "env", "owner"), tags)
        is T
    )
    assert evaluate_clause(clause("ForAllValues:StringNotEquals", "aws:TagKeys", "x"), tags) is T
    assert evaluate_clause(clause("ForAnyValue:StringNotEquals", "aws:TagKeys", "env"), tags) is T


def test_key_names_are_case_insensitive_and_clauses_are_anded() -> None:
    context = RequestContext.of({"AWS:SourceVpc": "vpc-1", "aws:securetransport": "true"})
    both = (
        clause("StringEquals", "aws:sourcevpc", "vpc-1"),
        clause("Bool", "aws:SecureTransport", "true"),
    )
    assert evaluate_conditions(both, context) is T
    one_fails = (*both, clause("StringEquals", "aws:SourceVpc", "vpc-2"))
    assert evaluate_conditions(one_fails, context) is F


def test_policy_variables_in_values() -> None:
    context = RequestContext.of({"aws:username": "alice", "s3:prefix": "home/alice/"})
    like = clause("StringLike", "s3:prefix", "home/${aws:username}/*")
    assert evaluate_clause(like, context) is T
    assert evaluate_clause(like, context, variables=False) is F  # Version 2008-10-17: literal
    no_user = RequestContext.of({"s3:prefix": "home/alice/"})
    assert evaluate_clause(like, no_user) is F


def test_unknown_context_gives_unknown() -> None:
    open_context = RequestContext.of({"known": "x"}, complete=False)
    assert evaluate_clause(clause("StringEquals", "aws:SourceVpc", "vpc-1"), open_context) is U
    assert evaluate_clause(clause("Null", "aws:SourceVpc", "true"), open_context) is U
    assert evaluate_clause(clause("StringEquals", "known", "x"), open_context) is T


def test_unknown_policy_values() -> None:
    context = RequestContext.of({"k": "a"})
    partly = ConditionClause("StringEquals", "k", ("b", Unknown("var.x")))
    assert evaluate_clause(partly, context) is U
    matched = ConditionClause("StringEquals", "k", ("a", Unknown("var.x")))
    assert evaluate_clause(matched, context) is T
    negated = ConditionClause("StringNotEquals", "k", ("a", Unknown("var.x")))
    assert evaluate_clause(negated, context) is F
    assert evaluate_conditions(Unknown("var.condition"), context) is U


def test_unknown_operator_is_not_guessed() -> None:
    assert evaluate_clause(clause("StringEqualz", "k", "a"), RequestContext.of({"k": "a"})) is U
