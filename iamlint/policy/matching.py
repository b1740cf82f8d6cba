"""Does one statement apply to one request? Action, resource, principal and condition matching,
each three-valued so that unknown policy values and unknown request values stay visible."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

from iamlint.model import Unknown
from iamlint.policy.conditions import RequestContext, evaluate_clause, evaluate_conditions
from iamlint.policy.document import PrincipalSpec, Statement, Values, brief
from iamlint.policy.patterns import (
    Tok,
    Token,
    action_matches,
    compiled_tokens,
    glob_could_match,
    resource_matches,
    resource_tokens,
    tokenize,
)
from iamlint.policy.tri import Tri, any_of


def _unknown_item_could_match(item: Unknown, value: str, *, ignore_case: bool) -> Tri:
    if item.parts is not None and not glob_could_match(item.parts, value, ignore_case=ignore_case):
        return Tri.FALSE  # the known pieces already rule it out
    return Tri.UNKNOWN


def match_action(statement: Statement, action: str) -> Tri:
    values = statement.actions
    if isinstance(values, tuple) and len(values) > _INDEXED:
        hit = _indexed_match(values, action, _action_item, actions=True, variables=False)
    else:
        hit = _match_values(values, action, _action_item)
    return ~hit if statement.not_action else hit


def _action_item(pattern: str, action: str) -> Tri:
    return Tri.of(action_matches(pattern, action))


def _match_values(values: Values, request_value: str, match_one) -> Tri:  # type: ignore[no-untyped-def]
    if isinstance(values, Unknown):
        return Tri.UNKNOWN
    results = []
    for item in values:
        if isinstance(item, Unknown):
            ignore_case = match_one is _action_item
            results.append(_unknown_item_could_match(item, request_value, ignore_case=ignore_case))
        else:
            results.append(match_one(item, request_value))
    return any_of(results)


_INDEXED = 32  # longer Action and Resource lists are matched through a `_PatternIndex`


class _PatternIndex:
    """A long Action or Resource list (a template loop over hundreds of names), read once for
    the many requests asked about it: plain entries in a set, ``prefix*`` entries by prefix,
    other wildcard entries compiled once. Entries that need the request (policy variables)
    or are unknown stay in ``rest``, matched one by one as in a short list."""

    def __init__(self, values: tuple[str | Unknown, ...], *, actions: bool, variables: bool):
        self.actions = actions
        self.plain: set[str] = set()
        self.prefixes: dict[int, set[str]] = {}  # length -> the prefixes of that length
        self.globs: list[object] = []
        rest: list[str | Unknown] = []
        for item in values:
            if isinstance(item, Unknown) or (not actions and variables and "${" in item):
                rest.append(item)
                continue
            if actions:
                tokens = tokenize(item.lower(), variables=False)
            else:
                tokens = resource_tokens(item, variables=False)
            self._add(tokens)
        self.rest = tuple(rest)

    def _add(self, tokens: tuple[Token, ...]) -> None:
        literal = tokens[:-1] if tokens and tokens[-1] is Tok.STAR else tokens
        if not all(isinstance(t, str) for t in literal):
            self.globs.append(compiled_tokens(tokens))
        elif len(literal) == len(tokens):
            self.plain.add("".join(literal))  # type: ignore[arg-type]
        else:
            self.prefixes.setdefault(len(literal), set()).add("".join(literal))  # type: ignore[arg-type]

    def matches(self, value: str) -> bool:
        if self.actions:
            value = value.lower()
        if value in self.plain:
            return True
        for length, prefixes in self.prefixes.items():
            if value[:length] in prefixes and length <= len(value):
                return True
        return any(glob.fullmatch(value) is not None for glob in self.globs)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=256)
def _index(values: tuple[str | Unknown, ...], actions: bool, variables: bool) -> _PatternIndex:
    return _PatternIndex(values, actions=actions, variables=variables)


def _indexed_match(  # type: ignore[no-untyped-def]
    values: tuple[str | Unknown, ...],
    request_value: str,
    match_one,
    *,
    actions: bool,
    variables: bool,
) -> Tri:
    """`_match_values` over a long list: an indexed entry that matches decides (TRUE wins
    whatever the rest say); otherwise only the entries the index could not take are asked."""
    index = _index(values, actions, variables)
    if index.matches(request_value):
        return Tri.TRUE
    return _match_values(index.rest, request_value, match_one)


def match_resource(
    statement: Statement,
    resource: str | Unknown,
    context: RequestContext,
    *,
    variables: bool = True,
) -> Tri:
    """``resource`` is ``"*"`` for actions that take no resource (only ``"*"`` matches it)."""
    if statement.resources is None:
        return Tri.TRUE  # no Resource element (trust policies): the statement is about principals
    if isinstance(resource, Unknown):
        if isinstance(statement.resources, tuple) and "*" in statement.resources:
            hit = Tri.TRUE
        else:
            hit = Tri.UNKNOWN
        return ~hit if statement.not_resource else hit

    unresolved: list[Tri] = []

    def one(pattern: str, value: str) -> Tri:
        matched = resource_matches(pattern, value, context.values, variables=variables)
        if matched is None:  # a policy variable the request does not provide
            unresolved.append(Tri.FALSE if context.complete else Tri.UNKNOWN)
            return unresolved[-1]
        return Tri.of(matched)

    values = statement.resources
    if isinstance(values, tuple) and len(values) > _INDEXED:
        hit = _indexed_match(values, resource, one, actions=False, variables=variables)
    else:
        hit = _match_values(values, resource, one)
    if not statement.not_resource:
        return hit
    if unresolved and hit is not Tri.TRUE:
        # An unresolvable variable invalidates the statement rather than widening NotResource
        # to everything (AWS: "might cause the entire statement to be invalid").
        return Tri.FALSE if all(u is Tri.FALSE for u in unresolved) else Tri.UNKNOWN
    return ~hit


class PrincipalMatch(enum.Enum):
    """How a resource policy named the caller; AWS treats these differently within one account."""

    NONE = "none"
    DIRECT = "direct"  # the IAM user ARN, the role-session ARN, a service or federated principal
    ROLE = "role"  # the role ARN of a role session
    ACCOUNT = "account"  # the account (root ARN or bare account id): delegates to IAM policies
    EVERYONE = "everyone"  # "*" or NotPrincipal


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    """The principal making a request, described by its ARN (or a service principal name)."""

    arn: str
    account: str | None = None

    @property
    def account_id(self) -> str | None:
        if self.account is not None:
            return self.account
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 and parts[0] == "arn" else None

    @property
    def role_arn(self) -> str | None:
        """``arn:aws:iam::1:role/R`` for a session ``arn:aws:sts::1:assumed-role/R/session``."""
        parts = self.arn.split(":", 5)
        if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
            role_name = parts[5].split("/")[1]
            return f"arn:{parts[1]}:iam::{parts[4]}:role/{role_name}"
        return None

    @property
    def is_role(self) -> bool:
        parts = self.arn.split(":", 5)
        return len(parts) == 6 and parts[2] == "iam" and parts[5].startswith("role/")


def match_principal(
    statement: Statement, caller: CallerIdentity | None
) -> tuple[Tri, PrincipalMatch]:
    """How the statement's Principal/NotPrincipal names the caller (identity policies: always)."""
    spec = statement.principal
    if spec is None:
        return Tri.TRUE, PrincipalMatch.DIRECT
    if caller is None or isinstance(spec, Unknown):
        return Tri.UNKNOWN, PrincipalMatch.EVERYONE
    tri, kind = _principal_in(spec, caller)
    if statement.not_principal:
        return ~tri, PrincipalMatch.EVERYONE
    return tri, kind


def _principal_in(spec: PrincipalSpec, caller: CallerIdentity) -> tuple[Tri, PrincipalMatch]:
    if spec.everyone:
        return Tri.TRUE, PrincipalMatch.EVERYONE
    best: tuple[Tri, PrincipalMatch] = (Tri.FALSE, PrincipalMatch.NONE)
    rank = [
        PrincipalMatch.NONE,
        PrincipalMatch.ACCOUNT,
        PrincipalMatch.EVERYONE,
        PrincipalMatch.ROLE,
        PrincipalMatch.DIRECT,
    ]
    for kind, values in spec.identifiers:
        if isinstance(values, Unknown):
            if best[0] is Tri.FALSE:
                best = (Tri.UNKNOWN, PrincipalMatch.EVERYONE)
            continue
        for value in values:
            if isinstance(value, Unknown):
                if best[0] is Tri.FALSE:
                    best = (Tri.UNKNOWN, PrincipalMatch.EVERYONE)
                continue
            how = _identifier_match(kind, value, caller)
            if how is not PrincipalMatch.NONE and (
                best[0] is not Tri.TRUE or rank.index(how) > rank.index(best[1])
            ):
                best = (Tri.TRUE, how)
    return best


def _identifier_match(kind: str, value: str, caller: CallerIdentity) -> PrincipalMatch:
    if kind.upper() != "AWS":
        return PrincipalMatch.DIRECT if value == caller.arn else PrincipalMatch.NONE
    if value == "*":
        return PrincipalMatch.EVERYONE
    if value == caller.arn:
        return PrincipalMatch.ROLE if caller.is_role else PrincipalMatch.DIRECT
    if caller.role_arn is not None and value == caller.role_arn:
        return PrincipalMatch.ROLE
    account = caller.account_id
    if account is not None and value in (account, f"arn:aws:iam::{account}:root"):
        return PrincipalMatch.ACCOUNT
    return PrincipalMatch.NONE


@dataclass(frozen=True, slots=True)
class StatementMatch:
    """Whether a statement applies, and, when it is unknown, what leaves it open."""

    applies: Tri
    principal: PrincipalMatch
    open_reasons: tuple[str, ...] = ()


def match_statement(
    statement: Statement,
    action: str,
    resource: str | Unknown,
    context: RequestContext,
    *,
    variables: bool = True,
    caller: CallerIdentity | None = None,
) -> StatementMatch:
    action_hit = match_action(statement, action)
    if action_hit is Tri.FALSE:
        return StatementMatch(Tri.FALSE, PrincipalMatch.NONE)
    resource_hit = match_resource(statement, resource, context, variables=variables)
    if resource_hit is Tri.FALSE:
        return StatementMatch(Tri.FALSE, PrincipalMatch.NONE)
    principal_hit, how = match_principal(statement, caller)
    if principal_hit is Tri.FALSE:
        return StatementMatch(Tri.FALSE, PrincipalMatch.NONE)
    condition_hit = evaluate_conditions(statement.conditions, context, variables=variables)
    applies = action_hit & resource_hit & principal_hit & condition_hit
    if isinstance(statement.effect, Unknown) and applies is Tri.TRUE:
        applies = Tri.UNKNOWN  # it applies, but nobody knows whether it allows or denies
    reasons: list[str] = []
    if applies is Tri.UNKNOWN:
        reasons = _open_reasons(
            statement, action_hit, resource_hit, principal_hit, context, variables, resource
        )
    return StatementMatch(applies, how, tuple(reasons))


def _open_reasons(
    statement: Statement,
    action_hit: Tri,
    resource_hit: Tri,
    principal_hit: Tri,
    context: RequestContext,
    variables: bool,
    resource: str | Unknown,
) -> list[str]:
    reasons: list[str] = []
    if isinstance(statement.effect, Unknown):
        reasons.append(f"Effect is unknown ({brief(statement.effect.text)})")
    if action_hit is Tri.UNKNOWN:
        reasons.append(f"action list holds unknown values ({_unknown_texts(statement.actions)})")
    if resource_hit is Tri.UNKNOWN:
        if isinstance(resource, Unknown):
            reasons.append(f"the request's resource is unknown ({brief(resource.text)})")
        else:
            reasons.append(
                f"resource list holds unknown values ({_unknown_texts(statement.resources)})"
            )
    if principal_hit is Tri.UNKNOWN:
        reasons.append("the principal is unknown")
    if isinstance(statement.conditions, Unknown):
        reasons.append(f"the Condition block is unknown ({brief(statement.conditions.text)})")
    else:
        for clause in statement.conditions:
            if evaluate_clause(clause, context, variables=variables) is Tri.UNKNOWN:
                reasons.append(f"condition {clause.operator} {brief(clause.key)}")
    return reasons


def _unknown_texts(values: Values | None) -> str:
    if isinstance(values, Unknown):
        return brief(values.text)
    if not values:
        return "a policy variable"
    texts = [v.text for v in values if isinstance(v, Unknown)]
    return brief(", ".join(texts)) if texts else "a policy variable"
