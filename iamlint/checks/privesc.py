"""P3xx: what a principal can turn its grants into, judged across all its policies.

Each role and user (and each group or identity policy that reaches no principal in the code)
is judged as AWS would judge it: its inline, attached and group policies together, cut by its
permissions boundary and the SCPs in scope, minus Deny statements (`iamlint.checks.probe`).

- P301 privilege escalation: every action of a documented method (`rules/privesc.json`) reaches
  an arbitrary resource; or a self-targeting IAM action reaches the principal itself (its own
  role, user, groups or attached policies); or PassRole reaches only named roles, one of which
  is defined in the code and can do more than the principal (possible: that role must trust
  the service). The finding names the methods and which statement grants each action.
- P302 data exfiltration, P303 credentials exposure, P304 permissions management: the
  family's actions reach an arbitrary resource. Actions that accept only ``"Resource": "*"``
  are left out: no resource constraint is possible for them, and those in the sets return the
  caller's own scope (``ecr:GetAuthorizationToken``, ``sts:GetSessionToken``).
- P305 ``iam:PassRole`` reaching an arbitrary role for an arbitrary service, i.e. not limited
  by an ``iam:PassedToService`` condition; reported on the statement.

A conditional Allow, an unknown value, a boundary whose content is not in the code, or an SCP
of assumed scope make a finding *possible* (one severity step lower, reasons named). Attached
policies whose content is not in the code (AWS-managed ARNs, unresolved attachments) are never
guessed at: a method they could complete is reported as possible, naming them. A policy
document nothing in the code uses (handed to a remote module) is judged as an identity policy,
only possibly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from iamlint.checks import principals
from iamlint.checks import support as s
from iamlint.checks.context import CheckContext
from iamlint.checks.finding import Certainty, Finding
from iamlint.checks.principals import Granting, PrincipalScope, scopes
from iamlint.checks.probe import Probe, Reach, named_actions, probe, settle
from iamlint.model import Location, Unknown
from iamlint.policy.approximate import FLIP, OVER, approx_values
from iamlint.policy.catalog import AccessLevel, Catalog
from iamlint.policy.conditions import RequestContext
from iamlint.policy.document import Effect, Statement, brief
from iamlint.policy.evaluate import StatementRef
from iamlint.policy.matching import match_action
from iamlint.policy.tri import Tri
from iamlint.terraform.project import PrincipalRecord

FAMILY = "privesc"
_SHOWN = 4  # methods or actions named in a message before "and N more"

# Self-targeting IAM actions: on the principal's own role, user, group or attached policy they
# are an escalation whatever else the grant is limited to (PMapper's "modify its own policies").
_SELF_ROLE = ("iam:PutRolePolicy", "iam:AttachRolePolicy")
_SELF_USER = ("iam:PutUserPolicy", "iam:AttachUserPolicy")
_SELF_GROUP = ("iam:PutGroupPolicy", "iam:AttachGroupPolicy")
_SELF_POLICY = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    description: str
    all_of: tuple[str, ...]
    any_of: tuple[str, ...] = ()


@dataclass(slots=True)
class Hit:
    """A method (or an action set) the principal reaches, and the probes that prove it."""

    name: str
    reach: Reach
    probes: list[Probe]
    reasons: list[str] = field(default_factory=list)
    detail: str = ""


# --- the action sets, as data --------------------------------------------------------------


def _action_set(ctx: CheckContext, name: str) -> dict[str, Any]:
    from iamlint.checks.registry import load_registry

    registry = load_registry([Path(p) for p in ctx.config.rule_packs])
    return registry.action_set(FAMILY, name)


def methods(ctx: CheckContext) -> list[Method]:
    raw = _action_set(ctx, "privilege-escalation").get("methods", [])
    return [
        Method(m["name"], m.get("description", ""), tuple(m["all_of"]), tuple(m.get("any_of", ())))
        for m in raw
    ]


def action_list(ctx: CheckContext, name: str) -> list[str]:
    return list(_action_set(ctx, name).get("actions", []))


# --- per principal --------------------------------------------------------------------------


@dataclass(slots=True)
class Judge:
    """Probes for one principal, cached per (action, resource)."""

    ctx: CheckContext
    scope: PrincipalScope
    _cache: dict[tuple[str, str, str], Probe] = field(default_factory=dict)
    _granted_cache: frozenset[str] | None = None
    _statement_cache: list[tuple[Statement, frozenset[str] | None]] | None = None
    _passable: list[Passable] | None = None

    @property
    def catalog(self) -> Catalog:
        return self.ctx.catalog  # type: ignore[no-any-return]

    def region(self) -> str:
        regions = self.ctx.config.approved_regions
        return regions[0] if regions else "us-east-1"

    def reach(
        self,
        action: str,
        resource: str | Unknown | None = None,
        context: RequestContext | None = None,
    ) -> Probe:
        key = (action.lower(), str(resource), repr(context))
        if key not in self._cache:
            self._cache[key] = probe(
                self.scope,
                self.catalog,
                action,
                resource=resource,
                context=context,
                region=self.region(),
            )
        return self._cache[key]

    def reach_many(self, actions: Sequence[str]) -> list[Probe]:
        """Probes on arbitrary resources for many actions, one decision per group of actions
        that every statement in play treats alike (same statements match, same resource
        type): a permissions-management sweep of ``*`` asks a few hundred questions, not
        thousands."""
        groups: dict[tuple[object, ...], list[str]] = {}
        for action in actions:  # (the same context as `reach` without one: the scope's)
            groups.setdefault(self._signature(action), []).append(action)
        out: list[Probe] = []
        for members in groups.values():
            found = self.reach(members[0])
            out += [found] + [replace(found, action=a) for a in members[1:]]
        return sorted(out, key=lambda p: p.action.lower())

    def _signature(self, action: str) -> tuple[object, ...]:
        info = self.catalog.action(action)
        types = self.catalog.resource_types(action)
        # Conditions on keys the action never carries are settled per action (`settle`).
        settled = settle(self.scope, self.catalog, action, self.scope.context())
        absent = getattr(settled, "absent", frozenset())
        head = (info.wildcard_only if info else None, types[0].arn_format if types else "*", absent)
        name = action.lower()
        bits = tuple(
            (name in names) if names is not None else match_action(statement, action)
            for statement, names in self._statements()
        )
        return (head, bits)

    def _statements(self) -> list[tuple[Statement, frozenset[str] | None]]:
        """Every statement that can decide a request of this principal, with the catalog
        actions it names (None when an unknown entry makes that inexact)."""
        if self._statement_cache is None:
            scope = self.scope
            policies = [g.policy for g in scope.identity]
            policies += [scope.boundary] if scope.boundary is not None else []
            policies += [p for level in scope.scp_levels for p in level.policies]
            self._statement_cache = [
                (st, named_actions(scope.shared, self.catalog, st))
                for policy in policies
                for st in policy.statements
            ]
        return self._statement_cache

    def passable_roles(self) -> list[Passable]:
        """Roles defined in the code that the principal may pass and that can do more."""
        if self._passable is None:
            self._passable = _find_passable(self) if self.may_allow("iam:PassRole") else []
        return self._passable

    def may_allow(self, action: str) -> bool:
        """Cheap pre-filter: could any identity Allow grant the action at all?"""
        return action.lower() in self.granted()

    def granted(self) -> frozenset[str]:
        """Lower-case names of the catalog actions some identity Allow may grant."""
        if self._granted_cache is None:
            names: set[str] = set()
            for granting in self.scope.identity:
                if granting.policy.unknown_statements:
                    names = set(every_action(self.catalog))
                    break
                for statement in granting.policy.statements:
                    if statement.effect is not Effect.DENY:
                        names |= statement_actions(self.catalog, statement)
            self._granted_cache = frozenset(names)
        return self._granted_cache


@functools.lru_cache(maxsize=4)
def every_action(catalog: Catalog) -> frozenset[str]:
    """Lower-case names of every catalog action (NotAction and unknown statements name them)."""
    return frozenset(a.full_name.lower() for a in catalog.all_actions())


def statement_actions(catalog: Catalog, statement: Statement) -> set[str]:
    """Lower-case names of the catalog actions a statement may name (unknowns widened)."""
    role = FLIP[OVER] if statement.not_action else OVER
    named = {
        a.full_name.lower()
        for p in approx_values(statement.actions, role)
        for a in catalog.expand(p)
    }
    if statement.not_action:
        return set(every_action(catalog) - named)
    return named


def _weakest(probes: Sequence[Probe]) -> Reach:
    if any(p.reach is Reach.NONE for p in probes):
        return Reach.NONE
    if any(p.reach is Reach.POSSIBLE for p in probes):
        return Reach.POSSIBLE
    return Reach.DEFINITE


def _best(probes: Sequence[Probe]) -> Probe | None:
    order = {Reach.DEFINITE: 0, Reach.POSSIBLE: 1, Reach.NONE: 2}
    return min(probes, key=lambda p: order[p.reach]) if probes else None


# --- P301 ----------------------------------------------------------------------------------


# The service a PassRole method hands the role to, for an iam:PassedToService condition.
_PASSED_TO = {
    "ec2": "ec2.amazonaws.com",
    "lambda": "lambda.amazonaws.com",
    "glue": "glue.amazonaws.com",
    "cloudformation": "cloudformation.amazonaws.com",
    "datapipeline": "datapipeline.amazonaws.com",
    "codebuild": "codebuild.amazonaws.com",
    "ecs": "ecs-tasks.amazonaws.com",
    "sagemaker": "sagemaker.amazonaws.com",
    "apprunner": "tasks.apprunner.amazonaws.com",
}


def _method_context(judge: Judge, method: Method, action: str) -> RequestContext | None:
    """For iam:PassRole, the request names the service the method passes the role to, so a
    PassedToService condition for another service rules the method out (as PMapper does)."""
    if action != "iam:PassRole":
        return None
    services = [a.split(":", 1)[0] for a in (*method.all_of, *method.any_of) if a != action]
    passed = next((_PASSED_TO[s] for s in services if s in _PASSED_TO), None)
    if passed is None:
        return None
    return _with(judge.scope.context(), {"iam:PassedToService": passed})


def _method_hit(judge: Judge, method: Method) -> Hit | None:
    if not all(judge.may_allow(a) for a in method.all_of):
        return _partial_hit(judge, method)
    probes = [judge.reach(a, context=_method_context(judge, method, a)) for a in method.all_of]
    if method.any_of:
        best = _best([judge.reach(a) for a in method.any_of if judge.may_allow(a)])
        if best is None:
            return None
        probes.append(best)
    reach = _weakest(probes)
    if reach is Reach.NONE:
        return (
            _self_hit(judge, method)
            or _passed_role_hit(judge, method, probes)
            or _partial_hit(judge, method)
        )
    reasons = [r for p in probes for r in p.reasons]
    return Hit(method.name, reach, probes, reasons, method.description)


# --- target-dependent PassRole paths ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Passable:
    """A role in the code the principal may pass, and what it can do that the principal cannot."""

    role: PrincipalRecord
    probe: Probe
    gains: tuple[str, ...]


def _passed_role_hit(judge: Judge, method: Method, probes: list[Probe]) -> Hit | None:
    """PassRole limited to named roles is an escalation when a named role (defined in the code)
    can do more than the principal: the method runs code as that role (anchors: cloudsplaining
    #585, target-dependent paths). Possible, not definite: the role must also trust the
    service, and what it gains is read from its grants before conditions."""
    if "iam:PassRole" not in method.all_of:
        return None
    others = [p for p in probes if p.action != "iam:PassRole"]
    if any(p.reach is Reach.NONE for p in others):
        return None
    roles = judge.passable_roles()
    if not roles:
        return None
    names = ", ".join(_role_name(r.role) for r in roles[:3])
    first = roles[0]
    shown = ", ".join(first.gains[:3])
    detail = (
        f"{method.description.rstrip('.')} (passing {names}; {_role_name(first.role)} can do "
        f"{len(first.gains)} actions this principal cannot, e.g. {shown})"
    )
    reasons = [f"if {names} trust{'s' if len(roles) == 1 else ''} the service"]
    reasons += [r for p in others for r in p.reasons]
    return Hit(method.name, Reach.POSSIBLE, [first.probe, *others], reasons, detail)


def _find_passable(judge: Judge) -> list[Passable]:
    scope = judge.scope
    account = scope.account or principals.PLACEHOLDER_ACCOUNT
    out: list[Passable] = []
    for role in judge.ctx.project.principals:
        if role.type != "role" or role is scope.principal:
            continue
        arn = role.arn
        target = principals.fill_unknown(arn, account) if isinstance(arn, Unknown) else arn
        if not isinstance(target, str):
            continue
        found = judge.reach("iam:PassRole", resource=target)
        if found.reach is Reach.NONE:
            continue
        other = Judge(judge.ctx, principals.scope_of(judge.ctx, role, scope.scp_levels))
        gains = [
            info for a in other.granted() - judge.granted() if (info := judge.catalog.action(a))
        ]
        if gains:
            # The riskiest first: permissions management, then write, ...
            gains.sort(key=lambda i: (-i.access_level.rank, i.full_name.lower()))
            out.append(Passable(role, found, tuple(i.full_name for i in gains)))
    return out


def _role_name(role: PrincipalRecord) -> str:
    return f"role {role.name}" if isinstance(role.name, str) else role.address


def _self_targets(judge: Judge, action: str) -> list[tuple[str, str | Unknown]]:
    """(what, ARN) of the principal's own resources a self-targeting action could change."""
    scope = judge.scope
    principal = scope.principal
    if principal is None:
        return []
    arn = scope.arn()
    targets: list[tuple[str, str | Unknown]] = []
    if action in _SELF_ROLE and principal.type == "role" and arn is not None:
        targets.append(("its own role", arn))
    if action in _SELF_USER and principal.type == "user" and arn is not None:
        targets.append(("itself", arn))
    if action in _SELF_GROUP:
        for group in judge.ctx.project.principals:
            if group.address in principal.groups and isinstance(group.arn, str | Unknown):
                targets.append((f"its group {group.address}", group.arn))
    if action in _SELF_POLICY:
        for granting in scope.identity:
            policy_arn = principals.policy_arn(granting.record, scope.account)
            if policy_arn is not None:
                targets.append((f"its policy {granting.record.address}", policy_arn))
    return targets


def _self_hit(judge: Judge, method: Method) -> Hit | None:
    if len(method.all_of) != 1 or method.any_of:
        return None
    action = method.all_of[0]
    for what, target in _self_targets(judge, action):
        found = reach_own(judge, action, target)
        if found.reach is not Reach.NONE:
            detail = f"{method.description.rstrip('.')} ({action} on {what})"
            return Hit(method.name, found.reach, [found], list(found.reasons), detail)
    return None


def reach_own(
    judge: Judge, action: str, target: str | Unknown, context: RequestContext | None = None
) -> Probe:
    """A probe on one of the principal's own ARNs. While only its account is unknown, a grant
    that matches it in a made-up account matches it in every account (an account wildcard);
    one that matches it only in an account the policies name is possible (if the principal is
    in that account). Any other unknown ARN is not guessed at."""
    if not isinstance(target, Unknown):
        return judge.reach(action, resource=target, context=context)
    nothing = Probe(action, target, Reach.NONE, (), (), (), None)
    filled = principals.fill_unknown(target, principals.PLACEHOLDER_ACCOUNT)
    if filled is None:
        return nothing
    found = judge.reach(action, resource=filled, context=context)
    if found.reach is not Reach.NONE:
        return found
    for account in principals.accounts_named(judge.scope):
        candidate = principals.fill_unknown(target, account)
        found = judge.reach(action, resource=candidate, context=context)
        if found.reach is not Reach.NONE:
            reason = f"if {brief(target.text)} is in account {account}"
            return replace(found, reach=Reach.POSSIBLE, reasons=(reason, *found.reasons))
    return nothing


def _partial_hit(judge: Judge, method: Method) -> Hit | None:
    """Some actions of a method reach; attachments of unknown content may supply the rest.

    Only when an IAM action of the method (PassRole, UpdateAssumeRolePolicy...) is among those
    that reach: the rest of most methods (RunInstances, StopInstances) is everyday access that
    an unknown attachment "may" grant to nearly every role, which would say nothing."""
    if not judge.scope.widening:
        return None
    reached = [judge.reach(a, context=_method_context(judge, method, a)) for a in method.all_of]
    reached = [p for p in reached if p.reach is not Reach.NONE]
    if not any(p.action.lower().startswith("iam:") for p in reached):
        return None
    missing = [a for a in method.all_of if a not in {p.action for p in reached}]
    if not missing:
        return None
    sources = "; ".join(judge.scope.widening)
    reason = f"{', '.join(missing)} would have to come from {sources}"
    return Hit(method.name, Reach.POSSIBLE, reached, [reason], method.description)


def _only_unresolved(hit: Hit) -> bool:
    """Granted by nothing but statements nobody can read (``policy = var.policy_json``).

    W202 already reports each such policy as possibly allowing any action, naming the
    expression; repeating that as every escalation method and action set would be one
    unknown told five times, not more knowledge."""
    return all(
        found.allowed_by and all(ref.statement.index < 0 for ref in found.allowed_by)
        for found in hit.probes
    )


def _p301(ctx: CheckContext, judge: Judge, known: list[Method]) -> Iterator[Finding]:
    hits = [h for h in (_method_hit(judge, m) for m in known) if h is not None]
    hits = [h for h in hits if not _only_unresolved(h)]
    for reach in (Reach.DEFINITE, Reach.POSSIBLE):
        group = [h for h in hits if h.reach is reach]
        if not group:
            continue
        sources = {_ref_text(found) for hit in group for found in hit.probes}
        if len(group) == 1:
            how = f"by {_method_text(group[0], describe=True)}"
        elif len(sources) == 1:
            # One statement grants them all (an admin grant): name it once.
            names = ", ".join(h.name for h in group[:_SHOWN])
            more = f" and {len(group) - _SHOWN} more" if len(group) > _SHOWN else ""
            how = f"by {len(group)} methods, all granted by {sources.pop()}: {names}{more}"
        else:
            shown = "; ".join(_method_text(h) for h in group[:_SHOWN])
            more = f"; and {len(group) - _SHOWN} more" if len(group) > _SHOWN else ""
            how = f"by {len(group)} methods, e.g. {shown}{more}"
        message = f"{judge.scope.label} can escalate its privileges {how}"
        yield principal_finding(ctx, "P301", judge.scope, group, message, [h.name for h in group])


def _method_text(hit: Hit, *, describe: bool = False) -> str:
    """``PassRoleToX (iam:PassRole from A statement 0; lambda:CreateFunction from B ...)``;
    actions granted by the same statement are named together."""
    by_source: dict[str, list[str]] = {}
    for found in hit.probes:
        by_source.setdefault(_ref_text(found), []).append(found.action)
    sources = "; ".join(f"{' + '.join(acts)} from {src}" for src, acts in by_source.items())
    detail = f": {hit.detail.rstrip('.')}" if describe and hit.detail else ""
    return f"{hit.name} ({sources}){detail}"


def _ref_text(found: Probe) -> str:
    certain = [r for r in found.allowed_by if r.applies is Tri.TRUE]
    refs = certain or list(found.allowed_by)
    if not refs:
        return "an unknown grant"
    ref = refs[0]
    if ref.statement.index < 0:
        return f"the unresolved statements of {ref.policy}"
    return f"{ref.policy} {ref.statement.label}"


# --- P302, P303, P304 --------------------------------------------------------------------------


def _set_hits(judge: Judge, actions: Iterable[str]) -> list[Hit]:
    names: list[str] = []
    for action in sorted(set(actions)):
        info = judge.catalog.action(action)
        if info is not None and not info.wildcard_only and judge.may_allow(action):
            names.append(info.full_name)
    hits: list[Hit] = []
    for found in judge.reach_many(names):
        if found.reach is not Reach.NONE:
            hits.append(Hit(found.action, found.reach, [found], list(found.reasons)))
    return [h for h in hits if not _only_unresolved(h)]


def _set_findings(
    ctx: CheckContext, rule: str, judge: Judge, hits: list[Hit], what: str
) -> Iterator[Finding]:
    for reach in (Reach.DEFINITE, Reach.POSSIBLE):
        group = [h for h in hits if h.reach is reach]
        if not group:
            continue
        names = sorted((h.name for h in group), key=_familiar_first)
        shown = ", ".join(names[:_SHOWN])
        more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
        sources = sorted({_ref_text(found) for hit in group for found in hit.probes})
        granted = f", granted by {sources[0]}" if len(sources) == 1 else ""
        message = (
            f"{judge.scope.label} can use {len(names)} {what} action"
            f"{'s' if len(names) != 1 else ''} on any resource ({shown}{more}{granted})"
        )
        yield principal_finding(ctx, rule, judge.scope, group, message, names)


# Services most readers know: their actions are named first in a long list.
_FAMILIAR = ("iam", "sts", "s3", "kms", "secretsmanager", "ssm", "ec2", "lambda", "rds", "ecr")


def _familiar_first(action: str) -> tuple[int, str]:
    service = action.split(":", 1)[0].lower()
    rank = _FAMILIAR.index(service) if service in _FAMILIAR else len(_FAMILIAR)
    return rank, action.lower()


def _permissions_management(judge: Judge) -> list[str]:
    """Catalog actions at the Permissions management level the principal may be granted."""
    shared = judge.scope.shared
    every = shared.get("permissions-management")
    if every is None:
        every = shared["permissions-management"] = frozenset(
            a.full_name.lower()
            for a in judge.catalog.all_actions()
            if a.access_level is AccessLevel.PERMISSIONS_MANAGEMENT
        )
    return sorted(every & judge.granted())


# --- P305 ----------------------------------------------------------------------------------

_ANY_SERVICE = "iamlint-any.amazonaws.com"


def _p305(
    ctx: CheckContext,
    judge: Judge,
    kept: dict[tuple[str, int], Finding],
    holders: dict[tuple[str, int], list[str]],
) -> None:
    """P305 findings go on the statement; a statement several principals share is reported
    once (naming them), definite if it is definite for any of them."""
    if not judge.may_allow("iam:PassRole"):
        return
    context = _with(judge.scope.context(), {"iam:PassedToService": _ANY_SERVICE})
    found = judge.reach("iam:PassRole", context=context)
    if found.reach is Reach.NONE:
        return
    for ref in found.allowed_by:
        granting = judge.scope.granting(ref.policy)
        if granting is None or ref.statement.index < 0:
            continue
        key = (granting.record.address, ref.statement.index)
        possible = found.reach is Reach.POSSIBLE or ref.applies is not Tri.TRUE
        possible = possible or judge.scope.document
        holders.setdefault(key, []).append(judge.scope.label)
        if key in kept and (possible or kept[key].certainty is Certainty.DEFINITE):
            continue
        reasons = list(found.reasons) + list(ref.open_reasons)
        if judge.scope.document:
            reasons.insert(0, "if the document is used as an identity policy")
        message = (
            "iam:PassRole on any role, for any service: name the roles and add an "
            "iam:PassedToService condition"
            + (f" (possible: {'; '.join(dict.fromkeys(reasons))})" if possible else "")
        )
        kept[key] = s.finding(
            ctx,
            "P305",
            granting.record,
            ref.statement,
            subject="iam:PassRole",
            message=message,
            location=_statement_location(granting, ref.statement, "iam:PassRole"),
            possible=possible,
        )


def _with(context: RequestContext, extra: dict[str, str]) -> RequestContext:
    values = {k: list(v) for k, v in context.values.items()}
    values.update({k.lower(): [v] for k, v in extra.items()})
    return RequestContext.of(values, complete=context.complete)


# --- findings --------------------------------------------------------------------------------


def _statement_location(granting: Granting, statement: Statement, action: str) -> Location:
    """The Action item that grants ``action``, else the statement, else the policy."""
    if statement.index < 0:
        return granting.record.location
    element = s.action_element(statement)
    if not statement.not_action:
        for entry in s.items(statement.actions):
            if (
                isinstance(entry.value, str)
                and match_action(Statement(effect=Effect.ALLOW, actions=(entry.value,)), action)
                is Tri.TRUE
            ):
                return s.element_location(granting.record, statement, element, entry.index)
    return s.element_location(granting.record, statement, element)


def _ref_location(scope: PrincipalScope, ref: StatementRef, action: str) -> Location | None:
    granting = scope.granting(ref.policy)
    if granting is None:
        return None
    return _statement_location(granting, ref.statement, action)


def principal_finding(
    ctx: CheckContext,
    rule: str,
    scope: PrincipalScope,
    hits: list[Hit],
    message: str,
    subjects: list[str],
) -> Finding:
    possible = hits[0].reach is Reach.POSSIBLE or scope.document
    locations: list[Location] = []
    for hit in hits:
        for found in hit.probes:
            refs = [r for r in found.allowed_by if r.applies is Tri.TRUE] or found.allowed_by
            for ref in refs:
                where = _ref_location(scope, ref, found.action)
                if where is not None and where not in locations:
                    locations.append(where)
    anchor = scope.principal.location if scope.principal else scope.identity[0].record.location
    location = locations[0] if locations else anchor
    reasons = list(dict.fromkeys(r for h in hits for r in h.reasons))
    excepts = list(dict.fromkeys(e for h in hits for p in h.probes for e in p.except_when))
    if scope.document:
        reasons.insert(0, "if the document is used as an identity policy")
    if possible and reasons:
        message += f"; possible: {'; '.join(reasons[:3])}"
        if len(reasons) > 3:
            message += f" (and {len(reasons) - 3} more)"
    if excepts:
        message += f"; except in requests denied by {'; '.join(excepts[:2])}"
    if scope.assumed_levels and (excepts or possible):
        targets = ", ".join(level.target for level in scope.assumed_levels)
        message += f" (SCPs attached to {targets} assumed to apply)"
    severity = s.lower(ctx.severity(rule), 1 if possible else 0)
    return Finding(
        rule=rule,
        severity=severity,
        message=message,
        location=location,
        address=scope.address,
        subject="possible" if possible else "definite",
        certainty=Certainty.POSSIBLE if possible else Certainty.DEFINITE,
        related=locations[1:],
        extra={
            "principal": scope.address,
            "items": [
                {
                    "name": h.name,
                    "certainty": h.reach.value,
                    "actions": [
                        {"action": p.action, "granted_by": [str(r) for r in p.allowed_by]}
                        for p in h.probes
                    ],
                    "reasons": h.reasons,
                }
                for h in hits
            ],
            "subjects": subjects,
            "notes": scope.notes(),
        },
    )


# --- the family --------------------------------------------------------------------------------


def run(ctx: CheckContext) -> Iterator[Finding]:
    known = methods(ctx)
    exfiltration = action_list(ctx, "data-exfiltration")
    credentials = action_list(ctx, "credentials-exposure")
    passrole: dict[tuple[str, int], Finding] = {}
    holders: dict[tuple[str, int], list[str]] = {}
    for scope in scopes(ctx):
        if not scope.identity and not scope.widening:
            continue
        judge = Judge(ctx, scope)
        yield from _p301(ctx, judge, known)
        yield from _set_findings(ctx, "P302", judge, _set_hits(judge, exfiltration), "data-reading")
        yield from _set_findings(
            ctx, "P303", judge, _set_hits(judge, credentials), "credential-returning"
        )
        yield from _set_findings(
            ctx,
            "P304",
            judge,
            _set_hits(judge, _permissions_management(judge)),
            "permissions-management",
        )
        _p305(ctx, judge, passrole, holders)
    for key, found in passrole.items():
        found.message += f" [{', '.join(dict.fromkeys(holders[key]))}]"
        yield found


__all__ = [
    "Hit",
    "Judge",
    "Method",
    "action_list",
    "methods",
    "principal_finding",
    "reach_own",
    "run",
    "statement_actions",
]
