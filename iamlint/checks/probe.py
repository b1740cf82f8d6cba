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
import re
from dataclasses import dataclass

from iamlint.checks.principals import PLACEHOLDER_ACCOUNT, PrincipalScope
from iamlint.model import Unknown
from iamlint.policy.catalog import Catalog
from iamlint.policy.conditions import RequestContext
from iamlint.policy.document import Statement
from iamlint.policy.evaluate import Decision, Request, StatementRef, decide
from iamlint.policy.tri import Tri

ANY_NAME = "iamlint-any"
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
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
    decision: Decision


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
    request = Request(action, target, context=context or scope.context())
    decision = decide(request, scope.authorization(), catalog=catalog)
    if not decision.outcome.possible:
        return _blocked_by_assumed(scope, catalog, request, decision)
    reasons: list[str] = []
    except_when: list[str] = []
    if not any(ref.applies is Tri.TRUE for ref in decision.allowed_by):
        reasons += [str(ref) for ref in decision.allowed_by if ref.applies is Tri.UNKNOWN]
    reasons += [q for q in decision.open_questions if q.startswith("may be blocked")]
    for ref in decision.denied_by:
        if ref.applies is not Tri.UNKNOWN:
            continue
        if _avoidable(ref.statement):
            except_when.append(_deny_text(ref))
        else:
            reasons.append(f"may be denied by {ref}")
    reach = Reach.POSSIBLE if reasons else Reach.DEFINITE
    return Probe(
        action,
        target,
        reach,
        decision.allowed_by,
        tuple(dict.fromkeys(reasons)),
        tuple(dict.fromkeys(except_when)),
        decision,
    )


def _blocked_by_assumed(
    scope: PrincipalScope, catalog: Catalog, request: Request, decision: Decision
) -> Probe:
    """Denied with every SCP; if only SCPs of assumed scope deny it, it is still possible."""
    nothing = Probe(request.action, request.resource, Reach.NONE, (), (), (), decision)
    if not scope.assumed_levels:
        return nothing
    sure = decide(request, scope.authorization(assumed_scps=False), catalog=catalog)
    if not sure.outcome.possible:
        return nothing
    targets = ", ".join(level.target for level in scope.assumed_levels)
    reason = f"unless the SCPs attached to {targets} apply to this principal"
    return Probe(
        request.action, request.resource, Reach.POSSIBLE, sure.allowed_by, (reason,), (), sure
    )


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


__all__ = ["ANY_NAME", "Probe", "Reach", "arbitrary_resource", "probe"]
