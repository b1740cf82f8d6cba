"""AWS's authorization decision for one request, over every kind of policy that applies.

Order of evaluation (IAM User Guide, reference_policies_evaluation-logic.html and
reference_policies_evaluation-logic-cross-account.html):

1. An explicit Deny in any applicable policy decides.
2. Every SCP level (root, each OU, the account) must allow. RCPs only deny: AWS attaches
   RCPFullAWSAccess at every level and it cannot be detached.
3. Within one account, an Allow in the identity policies (cut by the permissions boundary and
   the session policy) or in the resource policy is enough. A resource-policy Allow that names
   the IAM user or the role *session* directly is not cut by the boundary or session policy;
   ``"*"`` is not cut by the boundary (as iam-simulate reads it; AWS's pages do not say) but is
   by the session policy; one that names the role ARN is cut by both; one that names the account
   only delegates to IAM.
4. Across accounts, both the identity side and the resource policy must allow.

Every step is three-valued, so the answer is allowed, possibly allowed (naming what leaves it
open), explicitly denied or implicitly denied, with the statements that decide it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from iamlint.model import Unknown
from iamlint.policy.catalog import Catalog, default_catalog
from iamlint.policy.conditions import RequestContext
from iamlint.policy.document import Effect, Policy, PolicyKind, Statement, brief
from iamlint.policy.matching import CallerIdentity, PrincipalMatch, match_statement
from iamlint.policy.tri import Tri, all_of, any_of


class Outcome(enum.Enum):
    ALLOWED = "allowed"
    POSSIBLY_ALLOWED = "possibly allowed"
    EXPLICITLY_DENIED = "explicitly denied"
    IMPLICITLY_DENIED = "implicitly denied"

    @property
    def possible(self) -> bool:
        return self in (Outcome.ALLOWED, Outcome.POSSIBLY_ALLOWED)


@dataclass(frozen=True, slots=True)
class Request:
    """One API call. ``resource`` is ``"*"`` for actions that take no resource ARN.

    ``principal``: the caller's ARN; needed for resource policies and the account rules.
    ``resource_account``: the account that owns the resource (S3 ARNs do not carry it); None
    means the caller's own account.
    """

    action: str
    resource: str | Unknown = "*"
    principal: str | None = None
    resource_account: str | None = None
    context: RequestContext = field(default_factory=RequestContext)


@dataclass(frozen=True, slots=True)
class Authorization:
    """Every policy that governs a principal's request to a resource.

    ``scps`` and ``rcps`` are levels from the organization root down to the account; each level
    is the list of policies attached there. An empty list of levels means "not under an
    organization" (nothing to pass); a level with no policies allows nothing.
    """

    identity: Sequence[Policy] = ()
    boundary: Policy | None = None
    session: Policy | None = None
    scps: Sequence[Sequence[Policy]] = ()
    rcps: Sequence[Sequence[Policy]] = ()
    resource_policy: Policy | None = None


@dataclass(frozen=True, slots=True)
class StatementRef:
    """A statement that matched (``applies`` TRUE) or may match (UNKNOWN), and where it lives."""

    policy: str
    kind: PolicyKind
    statement: Statement
    applies: Tri
    open_reasons: tuple[str, ...] = ()

    def __str__(self) -> str:
        how = (
            "" if self.applies is Tri.TRUE else " (possibly: " + "; ".join(self.open_reasons) + ")"
        )
        return f"{self.kind.value} {self.policy!r} {self.statement.label}{how}"


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    allowed_by: tuple[StatementRef, ...] = ()
    denied_by: tuple[StatementRef, ...] = ()
    blocked_by: tuple[str, ...] = ()  # why an Allow does not take effect
    open_questions: tuple[str, ...] = ()  # what leaves a "possibly" open
    notes: tuple[str, ...] = ()

    def explain(self) -> str:
        lines = [self.outcome.value]
        lines += [f"  allowed by {ref}" for ref in self.allowed_by]
        lines += [f"  denied by {ref}" for ref in self.denied_by]
        lines += [f"  blocked: {reason}" for reason in self.blocked_by]
        lines += [f"  open: {question}" for question in self.open_questions]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass(slots=True)
class _PolicyVerdict:
    allow: Tri = Tri.FALSE
    deny: Tri = Tri.FALSE
    allows: list[StatementRef] = field(default_factory=list)
    denies: list[StatementRef] = field(default_factory=list)
    # Resource policies only: the Allow split by how the Principal named the caller.
    allow_by_principal: dict[PrincipalMatch, Tri] = field(default_factory=dict)


def evaluate_policy(
    policy: Policy,
    request: Request,
    *,
    caller: CallerIdentity | None = None,
    resource: str | Unknown | None = None,
) -> _PolicyVerdict:
    verdict = _PolicyVerdict()
    target = request.resource if resource is None else resource
    for statement in policy.statements:
        if statement.effect is None:
            continue  # invalid statement: AWS would reject the policy; `problems` says so
        match = match_statement(
            statement,
            request.action,
            target,
            request.context,
            variables=policy.variables_enabled,
            caller=caller,
        )
        if match.applies is Tri.FALSE:
            continue
        ref = StatementRef(policy.name, policy.kind, statement, match.applies, match.open_reasons)
        effects = (
            [Effect.ALLOW, Effect.DENY]
            if isinstance(statement.effect, Unknown)
            else [statement.effect]
        )
        if Effect.DENY in effects:
            verdict.deny = verdict.deny | match.applies
            verdict.denies.append(ref)
        if Effect.ALLOW in effects:
            verdict.allow = verdict.allow | match.applies
            verdict.allows.append(ref)
            prior = verdict.allow_by_principal.get(match.principal, Tri.FALSE)
            verdict.allow_by_principal[match.principal] = prior | match.applies
    for unknown in policy.unknown_statements:
        # Statements nobody can know may allow or deny anything.
        reason = f"unknown statements ({brief(unknown.text)})"
        placeholder = Statement(effect=unknown, index=-1)
        ref = StatementRef(policy.name, policy.kind, placeholder, Tri.UNKNOWN, (reason,))
        verdict.allow = verdict.allow | Tri.UNKNOWN
        verdict.deny = verdict.deny | Tri.UNKNOWN
        verdict.allows.append(ref)
        verdict.denies.append(ref)
        prior = verdict.allow_by_principal.get(PrincipalMatch.EVERYONE, Tri.FALSE)
        verdict.allow_by_principal[PrincipalMatch.EVERYONE] = prior | Tri.UNKNOWN
    return verdict


def _request_resource(request: Request, catalog: Catalog | None) -> str | Unknown:
    """Actions that take no resource are requested on ``*``, whatever the caller passed."""
    if catalog is not None and catalog.accepts_only_wildcard_resource(request.action):
        return "*"
    return request.resource


def decide(
    request: Request, policies: Authorization, *, catalog: Catalog | None = None
) -> Decision:
    """The decision for one request. ``catalog`` (default: the pinned one) tells which actions
    take no resource ARN; `decide_raw` skips that."""
    return _decide(request, policies, catalog if catalog is not None else default_catalog())


def decide_raw(request: Request, policies: Authorization) -> Decision:
    """`decide` without the catalog: the request resource is used exactly as given."""
    return _decide(request, policies, None)


def _decide(request: Request, policies: Authorization, catalog: Catalog | None) -> Decision:
    caller = CallerIdentity(request.principal) if request.principal else None
    resource = _request_resource(request, catalog)
    principal_account = caller.account_id if caller else None
    resource_account = request.resource_account or principal_account
    same_account = principal_account is None or principal_account == resource_account

    def verdict(policy: Policy) -> _PolicyVerdict:
        return evaluate_policy(policy, request, caller=caller, resource=resource)

    identity = [verdict(p) for p in policies.identity]
    boundary = verdict(policies.boundary) if policies.boundary is not None else None
    session = verdict(policies.session) if policies.session is not None else None
    scp_levels = [[verdict(p) for p in level] for level in policies.scps]
    rcp_levels = [[verdict(p) for p in level] for level in policies.rcps]
    resource_verdict = (
        verdict(policies.resource_policy) if policies.resource_policy is not None else None
    )

    everything: list[_PolicyVerdict] = [*identity]
    everything += [v for v in (boundary, session, resource_verdict) if v is not None]
    everything += [v for level in scp_levels for v in level]
    everything += [v for level in rcp_levels for v in level]

    deny = any_of(v.deny for v in everything)
    identity_allow = any_of(v.allow for v in identity)
    boundary_allow = boundary.allow if boundary is not None else Tri.TRUE
    session_allow = session.allow if session is not None else Tri.TRUE
    scp_allow = all_of(any_of(v.allow for v in level) for level in scp_levels)
    # RCPFullAWSAccess is attached at every level and cannot be detached: RCPs only deny.
    rcp_allow = Tri.TRUE

    by_principal = resource_verdict.allow_by_principal if resource_verdict else {}

    def named(*kinds: PrincipalMatch) -> Tri:
        return any_of(by_principal.get(kind, Tri.FALSE) for kind in kinds)

    identity_path = identity_allow & boundary_allow & session_allow
    if same_account:
        grant = (
            identity_path
            | named(PrincipalMatch.DIRECT)
            # "*" escapes the boundary (as iam-simulate reads it) but not the session policy,
            # which spares only grants to the session's own ARN (access_policies.html).
            | (named(PrincipalMatch.EVERYONE) & session_allow)
            | (named(PrincipalMatch.ROLE) & boundary_allow & session_allow)
        )
    else:
        resource_allow = named(
            PrincipalMatch.DIRECT,
            PrincipalMatch.ROLE,
            PrincipalMatch.EVERYONE,
            PrincipalMatch.ACCOUNT,
        )
        grant = identity_path & resource_allow
    total = grant & scp_allow & rcp_allow

    allowed_by = tuple(
        ref
        for v in [*identity, *([resource_verdict] if resource_verdict else [])]
        for ref in v.allows
    )
    denied_by = tuple(ref for v in everything for ref in v.denies)
    blocked = _blocked_reasons(
        policies,
        identity_allow,
        boundary,
        session,
        scp_levels,
        same_account,
        resource_verdict,
    )
    notes: list[str] = []
    if not same_account:
        notes.append(
            f"cross-account request (principal account {principal_account}, resource account "
            f"{resource_account}): both the identity side and the resource policy must allow"
        )

    if deny is Tri.TRUE:
        outcome = Outcome.EXPLICITLY_DENIED
        denied_by = tuple(ref for ref in denied_by if ref.applies is Tri.TRUE)
    elif total is Tri.FALSE:
        outcome = Outcome.IMPLICITLY_DENIED
        if deny is Tri.UNKNOWN:
            notes.append("a Deny may also apply: " + "; ".join(str(r) for r in denied_by))
    elif total is Tri.TRUE and deny is Tri.FALSE:
        outcome = Outcome.ALLOWED
    else:
        outcome = Outcome.POSSIBLY_ALLOWED
    open_questions: list[str] = []
    if outcome is Outcome.POSSIBLY_ALLOWED:
        for ref in [*allowed_by, *denied_by]:
            if ref.applies is Tri.UNKNOWN:
                open_questions.append(str(ref))
        for reason in blocked:
            open_questions.append(f"may be blocked: {reason}")
        blocked = ()
    return Decision(
        outcome=outcome,
        allowed_by=tuple(r for r in allowed_by if outcome is not Outcome.IMPLICITLY_DENIED),
        denied_by=denied_by if outcome is not Outcome.ALLOWED else (),
        blocked_by=tuple(blocked) if outcome is Outcome.IMPLICITLY_DENIED else (),
        open_questions=tuple(dict.fromkeys(open_questions)),
        notes=tuple(notes),
    )


def _blocked_reasons(
    policies: Authorization,
    identity_allow: Tri,
    boundary: _PolicyVerdict | None,
    session: _PolicyVerdict | None,
    scp_levels: list[list[_PolicyVerdict]],
    same_account: bool,
    resource_verdict: _PolicyVerdict | None,
) -> list[str]:
    """Plain-language reasons why no Allow takes effect (or might not)."""
    reasons: list[str] = []
    if identity_allow is Tri.FALSE and (
        resource_verdict is None or resource_verdict.allow is Tri.FALSE
    ):
        reasons.append("no identity-policy or resource-policy statement allows it")
    if boundary is not None and boundary.allow is not Tri.TRUE:
        assert policies.boundary is not None
        reasons.append(f"permissions boundary {policies.boundary.name!r} does not allow it")
    if session is not None and session.allow is not Tri.TRUE:
        assert policies.session is not None
        reasons.append(f"session policy {policies.session.name!r} does not allow it")
    for label, levels, raw in (("SCP", scp_levels, policies.scps),):
        for depth, level in enumerate(levels):
            if any_of(v.allow for v in level) is not Tri.TRUE:
                names = ", ".join(repr(p.name) for p in raw[depth]) or "no policies"
                reasons.append(f"no {label} at level {depth} ({names}) allows it")
    if not same_account and (resource_verdict is None or resource_verdict.allow is not Tri.TRUE):
        reasons.append("cross-account access needs an Allow in the resource policy too")
    return reasons
