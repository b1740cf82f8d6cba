"""Can a principal do one action, and how sure is that? The question risk rules ask.

A probe is one `decide` over the principal's identity policies, boundary and SCPs, for a
request the principal could make. Without a resource, it asks about an *arbitrary* resource of
the action's type (one the principal has no reason to own, ``role/iamlint-any``): a grant that
reaches it is a grant "without resource constraint".

Risk is judged as *some request is allowed* (the research notes, §4: risk rules over-approximate):

- **definite**: an Allow applies for certain, the boundary and every SCP level allow for
  certain, and no Deny can apply for certain. A Deny that applies only under a condition the
  caller picks per request (``aws:RequestedRegion``, ``aws:SourceIp``, a resource tag...) does
  not lower it: the action stays available in every other request. Such Denies are named.
- **possible**: the Allow needs a condition or an unknown value, a cap is uncertain, a Deny
  depends on something fixed for the principal that the code does not say (its ARN, tags,
  MFA) or on an unknown value, the boundary's content is not in the code, or only SCPs of
  assumed scope block it.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from iamlint.checks.principals import PLACEHOLDER_ACCOUNT, PrincipalScope
from iamlint.model import Unknown
from iamlint.policy.catalog import Catalog
from iamlint.policy.conditions import RequestContext
from iamlint.policy.document import Effect, Policy, Statement, parse_policy
from iamlint.policy.evaluate import Authorization, Decision, Request, StatementRef, decide
from iamlint.policy.matching import match_action, match_resource
from iamlint.policy.tri import Tri

T = TypeVar("T")
ANY_NAME = "iamlint-any"
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_TEMPLATE_HOLE = re.compile(r"\$\{[^}]*\}|<[^>]*>")
# Condition keys fixed for a principal: a Deny on them applies to all its requests or none.
_FIXED_KEY = re.compile(
    r"^aws:(principal|userid$|username$|multifactorauth|sourceidentity)", re.IGNORECASE
)


class Reach(enum.Enum):
    NONE = "none"
    POSSIBLE = "possible"
    DEFINITE = "definite"


@dataclass(frozen=True, slots=True)
class Probe:
    action: str
    resource: str | Unknown
    reach: Reach
    allowed_by: tuple[StatementRef, ...]
    reasons: tuple[str, ...]  # what leaves a possible reach open
    except_when: tuple[str, ...]  # Denies the caller can avoid
    decision: Decision | None  # None: no identity statement could allow it (not evaluated)


def arbitrary_resource(catalog: Catalog, action: str, scope: PrincipalScope, region: str) -> str:
    """An ARN of the action's first resource type that no specific grant names."""
    types = catalog.resource_types(action)
    if not types or not types[0].arn_format:
        return "*"
    account = scope.account or PLACEHOLDER_ACCOUNT

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name == "partition":
            return "aws"
        if name == "region":
            return region
        if name == "account":
            return account
        return ANY_NAME

    return _PLACEHOLDER.sub(fill, types[0].arn_format)


def probe(
    scope: PrincipalScope,
    catalog: Catalog,
    action: str,
    *,
    resource: str | Unknown | None = None,
    context: RequestContext | None = None,
    region: str = "us-east-1",
) -> Probe:
    target = (
        resource if resource is not None else arbitrary_resource(catalog, action, scope, region)
    )
    base = context or scope.context()
    request = Request(action, target, context=settle(scope, catalog, action, base))
    if not _may_apply(scope, catalog, request):
        return Probe(action, target, Reach.NONE, (), (), (), None)
    # The principal's own policies first; the SCPs' answer (the same for every principal the
    # conditions do not tell apart) is cached across principals.
    own = Authorization(identity=relevant_identity(scope, catalog, action), boundary=scope.boundary)
    mine = decide(request, own, catalog=catalog)
    if not mine.outcome.possible:
        return Probe(action, target, Reach.NONE, (), (), (), mine)
    if not scope.scp_levels:
        return _classify(scope, request, mine, None)
    scps = scp_decision(scope, catalog, request, assumed=True)
    if scps.outcome.possible:
        return _classify(scope, request, mine, scps)
    if not scope.assumed_levels:
        return Probe(action, target, Reach.NONE, (), (), (), scps)
    sure = scp_decision(scope, catalog, request, assumed=False)
    if not sure.outcome.possible:
        return Probe(action, target, Reach.NONE, (), (), (), scps)
    targets = ", ".join(level.target for level in scope.assumed_levels)
    found = _classify(scope, request, mine, sure)
    reason = f"unless the SCPs attached to {targets} apply to this principal"
    return Probe(
        action,
        target,
        Reach.POSSIBLE,
        found.allowed_by,
        (reason, *found.reasons),
        found.except_when,
        scps,
    )


def _classify(
    scope: PrincipalScope, request: Request, mine: Decision, scps: Decision | None
) -> Probe:
    """Definite or possible (see the module's docstring), from the principal's own decision
    and the SCPs' decision."""
    reasons: list[str] = []
    except_when: list[str] = []
    if not any(ref.applies is Tri.TRUE for ref in mine.allowed_by):
        reasons += [ref_text(ref) for ref in mine.allowed_by if ref.applies is Tri.UNKNOWN]
    own_reasons, own_excepts = _open_parts(mine)
    reasons += own_reasons
    except_when += own_excepts
    if scps is not None:
        # The SCPs' decision is shared by many probes: read it once.
        key = ("open-parts", id(scps))
        parts = scope.shared.get(key)
        if parts is None:
            parts = scope.shared[key] = (scps, _open_parts(scps))
        scp_reasons, scp_excepts = parts[1]
        reasons += scp_reasons
        except_when += scp_excepts
    return Probe(
        request.action,
        request.resource,
        Reach.POSSIBLE if reasons else Reach.DEFINITE,
        mine.allowed_by,
        tuple(dict.fromkeys(reasons)),
        tuple(dict.fromkeys(except_when)),
        mine,
    )


def _open_parts(decision: Decision) -> tuple[list[str], list[str]]:
    """What leaves a decision open: (reasons that make it possible, Denies the caller avoids)."""
    reasons = [q for q in decision.open_questions if q.startswith("may be blocked")]
    except_when: list[str] = []
    for ref in decision.denied_by:
        if ref.applies is not Tri.UNKNOWN:
            continue
        if _avoidable(ref.statement):
            except_when.append(_deny_text(ref))
        else:
            reasons.append(f"may be denied by {ref_text(ref)}")
    return reasons, except_when


@dataclass(frozen=True, slots=True)
class SettledContext(RequestContext):
    """A request context in which some keys are known to be absent, the others unknown."""

    absent: frozenset[str] = frozenset()

    def lookup(self, key: str) -> tuple[str, ...] | Unknown | None:
        if key.lower() in self.absent and key.lower() not in self.values:
            return None
        return RequestContext.lookup(self, key)


def settle(
    scope: PrincipalScope, catalog: Catalog, action: str, context: RequestContext
) -> RequestContext:
    """The research notes' static settlement (§4): a service condition key the action never
    provides (neither its own nor its resource types') is absent from every request for it,
    so a condition on it is decided, not left open. ``aws:`` keys stay as the context says."""
    if context.complete or catalog.action(action) is None:
        return context
    provided = _provided(catalog, action)
    absent = frozenset(
        key
        for key in _condition_keys(scope)
        if not key.startswith("aws:") and not any(p.fullmatch(key) for p in provided)
    )
    if not absent:
        return context
    return SettledContext(context.values, context.complete, absent)


@functools.lru_cache(maxsize=8192)
def _provided_patterns(keys: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Catalog keys are templates (``s3:existingobjecttag/${tagkey}``): a placeholder matches
    any text."""
    return tuple(
        re.compile(".+".join(re.escape(piece) for piece in _TEMPLATE_HOLE.split(k))) for k in keys
    )


@functools.lru_cache(maxsize=16384)
def _provided(catalog: Catalog, action: str) -> tuple[re.Pattern[str], ...]:
    return _provided_patterns(tuple(k.lower() for k in catalog.condition_keys(action)))


def memo(shared: dict[Any, Any], tag: str, owner: object, compute: Callable[[], T]) -> T:
    """A run-wide cache entry about ``owner``, keyed by its id. The entry holds ``owner`` too:
    an id is unique only while its object lives, and an answer cached for a scope that was then
    freed must not be read for the next scope built at the same address."""
    key = (tag, id(owner))
    found = shared.get(key)
    if found is None:
        found = shared[key] = (owner, compute())
    return found[1]  # type: ignore[no-any-return]


def _condition_keys(scope: PrincipalScope) -> frozenset[str]:
    """Lower-case condition keys of every statement that can decide for the principal."""

    def compute() -> frozenset[str]:
        policies = [g.policy for g in scope.identity]
        policies += [scope.boundary] if scope.boundary is not None else []
        policies += [p for level in scope.scp_levels for p in level.policies]
        return frozenset(
            c.key.lower()
            for policy in policies
            for st in policy.statements
            if isinstance(st.conditions, tuple)
            for c in st.conditions
        )

    return memo(scope.shared, "condition-keys", scope, compute)


_EVERYTHING = parse_policy(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    name="(any identity grant)",
)


def scp_decision(
    scope: PrincipalScope, catalog: Catalog, request: Request, *, assumed: bool
) -> Decision:
    """The SCPs' own answer to a request (as if the identity side allowed everything), cached
    in the scope's shared cache on the context keys the SCPs look at."""
    levels = [lvl for lvl in scope.scp_levels if assumed or not lvl.assumed]
    keys = _scp_keys(scope)
    values = request.context.values
    if keys is not None:
        values = {k: v for k, v in values.items() if k in keys}
    absent = getattr(request.context, "absent", frozenset())
    if keys is not None:
        absent = absent & keys
    cache_key = (
        "scp",
        assumed,
        request.action.lower(),
        str(request.resource),
        tuple(sorted(values.items())),
        request.context.complete,
        absent,
    )
    found = scope.shared.get(cache_key)
    if found is None:
        context = SettledContext(values, request.context.complete, absent)
        reduced = Request(request.action, request.resource, context=context)
        authorization = Authorization(identity=[_EVERYTHING], scps=[lvl.policies for lvl in levels])
        found = scope.shared[cache_key] = decide(reduced, authorization, catalog=catalog)
    return found  # type: ignore[no-any-return]


def _scp_keys(scope: PrincipalScope) -> frozenset[str] | None:
    """Lower-case context keys the SCPs' conditions name; None when it cannot be told (an
    unknown Condition block, or policy variables in a Resource)."""
    cached = scope.shared.get("scp-keys", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    keys: set[str] | None = set()
    for level in scope.scp_levels:
        for policy in level.policies:
            for statement in policy.statements:
                if isinstance(statement.conditions, Unknown) or _has_variables(statement):
                    keys = None
                    break
                assert keys is not None
                keys |= {c.key.lower() for c in statement.conditions}
            if keys is None:
                break
        if keys is None:
            break
    result = frozenset(keys) if keys is not None else None
    scope.shared["scp-keys"] = result
    return result


def _has_variables(statement: Statement) -> bool:
    values = statement.resources
    return isinstance(values, tuple) and any(isinstance(v, str) and "${" in v for v in values)


def named_actions(
    shared: dict[Any, Any], catalog: Catalog, statement: Statement
) -> frozenset[str] | None:
    """Lower-case names of the catalog actions `match_action` matches for the statement,
    cached for the run. None when the catalog cannot tell: an unknown entry, or a pattern
    without a service prefix (``s3*``), which the matcher reads as a glob over the whole name
    and the catalog's expansion does not."""

    def compute() -> frozenset[str] | None:
        values = statement.actions
        if isinstance(values, Unknown) or not all(
            isinstance(v, str) and (":" in v or v.strip("*") == "") for v in values
        ):
            return None
        named = frozenset().union(*(catalog.expand_names(v) for v in values))
        return catalog.all_action_names() - named if statement.not_action else named

    return memo(shared, "named-actions", statement, compute)


def relevant_identity(scope: PrincipalScope, catalog: Catalog, action: str) -> list[Policy]:
    """The scope's identity policies that can decide a request for the action, in order.

    A policy none of whose statements names the action adds nothing to a decision (no Allow,
    no Deny, no open question), so leaving it out gives the same `Decision` at a fraction of
    the cost: a principal with fifty attached policies is asked hundreds of questions."""

    def compute() -> list[Policy]:
        return [g.policy for g in scope.identity if _names(scope.shared, catalog, g.policy, action)]

    return memo(scope.shared, f"relevant {action.lower()}", scope, compute)


def _names(shared: dict[Any, Any], catalog: Catalog, policy: Policy, action: str) -> bool:
    """Could the policy say anything about the action (Allow, Deny or unknown)?"""

    def compute() -> bool:
        return bool(policy.unknown_statements) or any(
            _statement_names(shared, catalog, st, action) for st in policy.statements
        )

    return memo(shared, f"names {action.lower()}", policy, compute)


def _statement_names(shared: dict[Any, Any], catalog: Catalog, st: Statement, action: str) -> bool:
    """`match_action` is not FALSE, read from the catalog sets where they are exact."""
    names = named_actions(shared, catalog, st) if catalog.action(action) is not None else None
    if names is not None:
        return action.lower() in names
    return match_action(st, action) is not Tri.FALSE


def _may_apply(scope: PrincipalScope, catalog: Catalog, request: Request) -> bool:
    """Could any identity Allow match the action and resource? Most probes of a narrow
    principal end here, without a full decision over every policy and SCP level."""
    resource = request.resource
    if catalog.accepts_only_wildcard_resource(request.action):
        resource = "*"  # as `decide` does
    for policy in relevant_identity(scope, catalog, request.action):
        if policy.unknown_statements:
            return True
        for statement in policy.statements:
            if statement.effect is Effect.DENY or statement.effect is None:
                continue
            if not _statement_names(scope.shared, catalog, statement, request.action):
                continue
            variables = policy.variables_enabled
            if (
                match_resource(statement, resource, request.context, variables=variables)
                is not Tri.FALSE
            ):
                return True
    return False


def ref_text(ref: StatementRef) -> str:
    """A statement reference as a reason; statements nobody can know are named by their source."""
    if ref.statement.index < 0:
        return f"{ref.kind.value} {ref.policy!r}: {'; '.join(ref.open_reasons)}"
    return str(ref)


def _deny_text(ref: StatementRef) -> str:
    """``service control policy 'x' statement 0 (Sid) under StringNotEquals aws:Requested...``."""
    conditions = ", ".join(r.removeprefix("condition ") for r in ref.open_reasons)
    where = f"{ref.kind.value} {ref.policy!r} {ref.statement.label}"
    return f"{where} under {conditions}" if conditions else where


def _avoidable(statement: Statement) -> bool:
    """A conditional Deny the caller escapes by choosing its request (region, source IP...)."""
    if isinstance(statement.conditions, Unknown) or not statement.conditions:
        return False
    if any(True for _ in statement.unknowns()):
        return False
    return not any(_FIXED_KEY.match(clause.key) for clause in statement.conditions)


__all__ = ["ANY_NAME", "Probe", "Reach", "arbitrary_resource", "probe", "ref_text", "settle"]
