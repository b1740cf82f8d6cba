"""Condition operators, evaluated in three-valued logic against a request context.

AWS's rules (IAM User Guide, reference_policies_elements_condition_operators.html and
reference_policies_condition-single-vs-multi-valued-context-keys.html): clauses are ANDed, the
values of one clause are ORed, a negated operator must match none of them; a missing key makes a
plain operator false, a negated one true, an ``...IfExists`` one true, ``ForAllValues:`` true and
``ForAnyValue:`` false. A key the caller did not describe (an incomplete context) or a value
nobody knows makes the clause *unknown* instead of guessing.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from iamlint.model import Unknown
from iamlint.policy.document import ConditionClause, Values
from iamlint.policy.patterns import (
    Variable,
    resolve_variables,
    resource_tokens,
    tokenize,
    tokens_match,
)
from iamlint.policy.tri import Tri, all_of, any_of

NEGATED_OPERATORS = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
    }
)


@dataclass(frozen=True, slots=True)
class RequestContext:
    """The request's context keys (``aws:SourceIp``, ``s3:prefix``...), multi-valued.

    ``complete``: True means a key that is not listed is absent from the request (what the AWS
    simulator assumes); False means nobody knows whether it is present, so conditions on it come
    out unknown.
    """

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    complete: bool = True

    @staticmethod
    def of(
        values: Mapping[str, str | Sequence[str]] | None = None, *, complete: bool = True
    ) -> RequestContext:
        normalized = {
            key.lower(): (value,) if isinstance(value, str) else tuple(value)
            for key, value in (values or {}).items()
        }
        return RequestContext(normalized, complete)

    def lookup(self, key: str) -> tuple[str, ...] | Unknown | None:
        """The key's values, None when absent, or an `Unknown` when the context does not say."""
        found = self.values.get(key.lower())
        if found is not None:
            return found
        if self.complete:
            return None
        return Unknown(text=key, reason="not in the request context")


# --- value comparison per operator family -----------------------------------------------------

Matcher = Callable[[str, str], bool]  # (request value, policy value after variables) -> match


def _string_equals(request: str, policy: str) -> bool:
    return request == policy


def _string_equals_ignore_case(request: str, policy: str) -> bool:
    return request.casefold() == policy.casefold()


def _string_like(request: str, policy: str) -> bool:
    return tokens_match(tokenize(policy, variables=False), request)


def _arn_like(request: str, policy: str) -> bool:
    # ArnEquals and ArnLike both check the six ARN components separately, wildcards allowed.
    return tokens_match(resource_tokens(policy, variables=False), request)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    text = text.strip()
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _compare(
    parse: Callable[[str], object | None], test: Callable[[object, object], bool]
) -> Matcher:
    def matcher(request: str, policy: str) -> bool:
        left, right = parse(request), parse(policy)
        if left is None or right is None:
            return False  # a value of the wrong type never matches
        return test(left, right)

    return matcher


def _ip_address(request: str, policy: str) -> bool:
    try:
        network = ipaddress.ip_network(policy.strip(), strict=False)
        if "/" in request:
            return ipaddress.ip_network(request.strip(), strict=False).subnet_of(network)  # type: ignore[arg-type]
        return ipaddress.ip_address(request.strip()) in network
    except (ValueError, TypeError):
        return False


def _bool(request: str, policy: str) -> bool:
    return request.strip().lower() == policy.strip().lower()


def _binary(request: str, policy: str) -> bool:
    try:
        return base64.b64decode(request, validate=True) == base64.b64decode(policy, validate=True)
    except (binascii.Error, ValueError):
        return request == policy


_MATCHERS: dict[str, Matcher] = {
    "StringEquals": _string_equals,
    "StringNotEquals": _string_equals,
    "StringEqualsIgnoreCase": _string_equals_ignore_case,
    "StringNotEqualsIgnoreCase": _string_equals_ignore_case,
    "StringLike": _string_like,
    "StringNotLike": _string_like,
    "NumericEquals": _compare(_number, lambda a, b: a == b),
    "NumericNotEquals": _compare(_number, lambda a, b: a == b),
    "NumericLessThan": _compare(_number, lambda a, b: a < b),  # type: ignore[operator]
    "NumericLessThanEquals": _compare(_number, lambda a, b: a <= b),  # type: ignore[operator]
    "NumericGreaterThan": _compare(_number, lambda a, b: a > b),  # type: ignore[operator]
    "NumericGreaterThanEquals": _compare(_number, lambda a, b: a >= b),  # type: ignore[operator]
    "DateEquals": _compare(_date, lambda a, b: a == b),
    "DateNotEquals": _compare(_date, lambda a, b: a == b),
    "DateLessThan": _compare(_date, lambda a, b: a < b),  # type: ignore[operator]
    "DateLessThanEquals": _compare(_date, lambda a, b: a <= b),  # type: ignore[operator]
    "DateGreaterThan": _compare(_date, lambda a, b: a > b),  # type: ignore[operator]
    "DateGreaterThanEquals": _compare(_date, lambda a, b: a >= b),  # type: ignore[operator]
    "Bool": _bool,
    "BinaryEquals": _binary,
    "IpAddress": _ip_address,
    "NotIpAddress": _ip_address,
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "ArnNotEquals": _arn_like,
    "ArnNotLike": _arn_like,
}

# Policy variables are substituted only in string and ARN operators.
_VARIABLE_OPERATORS = frozenset(op for op in _MATCHERS if op.startswith(("String", "Arn")))

KNOWN_OPERATORS = frozenset([*_MATCHERS, "Null"])


def is_known_operator(operator: str) -> bool:
    clause = ConditionClause(operator, "", ())
    qualifier = clause.set_qualifier
    if qualifier not in (None, "ForAnyValue", "ForAllValues"):
        return False
    if clause.base_operator == "Null":
        return not clause.if_exists
    return clause.base_operator in _MATCHERS


# --- evaluation -------------------------------------------------------------------------------


def evaluate_conditions(
    conditions: Iterable[ConditionClause] | Unknown,
    context: RequestContext,
    *,
    variables: bool = True,
) -> Tri:
    """All clauses ANDed. ``variables``: whether policy variables are live (Version 2012-10-17)."""
    if isinstance(conditions, Unknown):
        return Tri.UNKNOWN
    return all_of(evaluate_clause(c, context, variables=variables) for c in conditions)


def evaluate_clause(
    clause: ConditionClause, context: RequestContext, *, variables: bool = True
) -> Tri:
    if not is_known_operator(clause.operator):
        return Tri.UNKNOWN  # AWS rejects the policy; claim nothing about it
    if clause.key.startswith("<") and isinstance(clause.values, Unknown):
        return Tri.UNKNOWN  # a whole operator block with unknown keys
    present = context.lookup(clause.key)
    if clause.base_operator == "Null":
        return _null(clause.values, present)
    if isinstance(present, Unknown):
        return Tri.UNKNOWN
    negated = clause.base_operator in NEGATED_OPERATORS
    qualifier = clause.set_qualifier
    if not present:  # absent, or present with no values
        if clause.if_exists or qualifier == "ForAllValues":
            return Tri.TRUE
        if qualifier == "ForAnyValue":
            return Tri.FALSE
        return Tri.of(negated)
    matcher = _MATCHERS[clause.base_operator]
    use_variables = variables and clause.base_operator in _VARIABLE_OPERATORS
    policy_values = _policy_values(clause.values, context, use_variables)

    def matches_some(request_value: str) -> Tri:
        return _matches_some(matcher, request_value, policy_values)

    if qualifier == "ForAllValues":
        if negated:
            return all_of(~matches_some(v) for v in present)
        return all_of(matches_some(v) for v in present)
    if qualifier == "ForAnyValue":
        if negated:
            return any_of(~matches_some(v) for v in present)
        return any_of(matches_some(v) for v in present)
    hit = any_of(matches_some(v) for v in present)
    return ~hit if negated else hit


def _null(values: Values, present: tuple[str, ...] | Unknown | None) -> Tri:
    if isinstance(present, Unknown):
        return Tri.UNKNOWN
    if isinstance(values, Unknown):
        return Tri.UNKNOWN
    absent = not present
    results = []
    for value in values:
        if isinstance(value, Unknown):
            results.append(Tri.UNKNOWN)
        else:
            results.append(Tri.of(absent if value.strip().lower() == "true" else not absent))
    return any_of(results)


_UNRESOLVED = object()  # a variable without a value: the policy value matches nothing


def _policy_values(
    values: Values, context: RequestContext, use_variables: bool
) -> list[str | Unknown] | Unknown:
    if isinstance(values, Unknown):
        return values
    out: list[str | Unknown] = []
    for value in values:
        if isinstance(value, Unknown) or not use_variables or "${" not in value:
            out.append(value)
            continue
        tokens = tokenize(value, variables=True)
        variables_used = [t for t in tokens if isinstance(t, Variable)]
        lookups = [context.lookup(v.key) for v in variables_used]
        if any(isinstance(found, Unknown) for found in lookups):
            out.append(Unknown(text=value, reason="policy variable not in the request context"))
            continue
        resolved = resolve_variables(tokens, context.values)
        if resolved is None:
            continue
        # A substituted value is literal text; wildcards in it came from the policy.
        out.append("".join(t if isinstance(t, str) else t.value for t in resolved))
    return out


def _matches_some(
    matcher: Matcher, request_value: str, policy_values: list[str | Unknown] | Unknown
) -> Tri:
    if isinstance(policy_values, Unknown):
        return Tri.UNKNOWN
    result = Tri.FALSE
    for policy_value in policy_values:
        if isinstance(policy_value, Unknown):
            result = Tri.UNKNOWN
        elif matcher(request_value, policy_value):
            return Tri.TRUE
    return result
