"""G5xx: the caps on principals (permissions boundaries, SCPs) and whether they hold.

- G501 a role or user without the boundary `required-boundary` names (an ARN or a glob).
- G502 / G503 grants that can never take effect: the engine's dead grants
  (`iamlint.policy.effective`), blamed on the boundary (G502) or on an SCP (G503). A dead grant
  caused only by SCPs attached to an OU, an account or an unresolved target is *possible*: the
  code does not say that the principal sits below that target.
- G504 boundary escape, for principals that carry a boundary (or must): creating a role or user,
  setting or removing a boundary, or attaching or writing policies, when no
  ``iam:PermissionsBoundary`` condition pins the boundary; rewriting any managed policy (its
  boundary is one); or changing its own boundary policy or boundary. Probed with a request
  that names some other boundary.
- G505 a guardrail the configuration asks for (``admin-role-pattern``: IAM changes denied to
  every other principal; ``approved-regions``: requests elsewhere denied) that no attached SCP
  in the repository implements. Only when configured, and only in repositories that define
  SCPs (elsewhere the organization's guardrails live in another repository).
- G506 an Allow on a resource ARN, or an ``aws:RequestedRegion`` condition, naming a region
  outside ``approved-regions``. Region pieces that are unresolved, or wildcards, are not judged.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from iamlint.checks import support as s
from iamlint.checks.context import CheckContext
from iamlint.checks.finding import Certainty, Finding
from iamlint.checks.principals import (
    FULL_AWS_ACCESS,
    PLACEHOLDER_ACCOUNT,
    PrincipalScope,
    fill_unknown,
    policy_arn,
    principal_label,
    scopes,
    scp_levels,
)
from iamlint.checks.privesc import Hit, Judge, principal_finding, reach_own, statement_actions
from iamlint.checks.probe import Reach, memo
from iamlint.model import Unknown
from iamlint.policy.conditions import RequestContext
from iamlint.policy.document import Effect, Policy, Statement
from iamlint.policy.effective import DeadGrant, PrincipalPolicies, effective_permissions
from iamlint.policy.evaluate import Authorization, Outcome, Request, decide
from iamlint.terraform.project import PolicyRecord, PrincipalRecord

# --- G501 ------------------------------------------------------------------------------------


def _boundary_arn(ctx: CheckContext, value: str, required: str) -> str | None:
    """The boundary's ARN; a policy defined in the code takes the required pattern's account."""
    if value.startswith("arn:"):
        return value
    for record in ctx.project.records:
        if record.address == value and isinstance(record.name, str):
            account = ctx.config.account_id or _account_of(required) or PLACEHOLDER_ACCOUNT
            return f"arn:aws:iam::{account}:policy/{record.name}"
    return None


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def _matches_required(arn: str, required: str) -> bool:
    if any(ch in required for ch in "*?["):
        return fnmatch.fnmatchcase(arn, required)
    return arn == required


def _g501(ctx: CheckContext, principal: PrincipalRecord, required: str) -> Finding | None:
    label = principal_label(principal)
    value = principal.permissions_boundary
    attribute = principal.attributes.get("permissions_boundary")
    where = attribute.location if attribute is not None else principal.location
    possible = False
    if value is None:
        message = f"{label} has no permissions boundary; the configuration requires {required}"
    elif isinstance(value, Unknown):
        # `arn:aws:iam::${account}:policy/name`: only the account is unknown, the name decides.
        filled = fill_unknown(value, _account_of(required) or PLACEHOLDER_ACCOUNT)
        if filled is not None and _matches_required(filled, required):
            return None
        possible = filled is None
        message = (
            f"{label}'s permissions boundary is unresolved ({value.text}): it may not be the "
            f"required {required}"
            if possible
            else f"{label}'s permissions boundary {value.text} is not the required {required}"
        )
    else:
        arn = _boundary_arn(ctx, str(value), required)
        if arn is not None and _matches_required(arn, required):
            return None
        message = f"{label}'s permissions boundary {arn or value} is not the required {required}"
    return Finding(
        rule="G501",
        severity=s.lower(ctx.severity("G501"), 1 if possible else 0),
        message=message,
        location=where,
        address=principal.address,
        subject=required,
        certainty=Certainty.POSSIBLE if possible else Certainty.DEFINITE,
    )


# --- G502, G503 ---------------------------------------------------------------------------------


def _rule_of(reason: str) -> str | None:
    if reason.startswith(("permissions boundary", "explicit Deny in permissions boundary")):
        return "G502"
    if reason.startswith(("SCP level", "explicit Deny in service control policy")):
        return "G503"
    return None


_LEVEL = re.compile(r"^SCP level (\d+) ")


def _readable(targets: list[str], reason: str) -> str:
    """``SCP level 0 ('a', 'b', ...) allows ...`` as ``the SCPs attached to ou-x allow ...``."""
    match = re.match(r"^SCP level (\d+) \(.*?\) allows (.*)$", reason)
    if match is None or int(match.group(1)) >= len(targets):
        return reason
    return f"the SCPs attached to {targets[int(match.group(1))]} allow {match.group(2)}"


def _assumed(scope: PrincipalScope, reason: str) -> bool:
    """Does this SCP reason rest only on SCPs of assumed scope?"""
    if match := _LEVEL.match(reason):
        index = int(match.group(1))
        return index < len(scope.scp_levels) and scope.scp_levels[index].assumed
    levels = [lvl for lvl in scope.scp_levels if any(repr(p.name) in reason for p in lvl.policies)]
    return bool(levels) and all(lvl.assumed for lvl in levels)


@dataclass(slots=True)
class _Dead:
    """One dead part of a statement, and every principal for which it is dead."""

    rule: str
    record: PolicyRecord
    statement: Statement
    actions: tuple[str, ...]
    reasons: tuple[str, ...]
    whole: bool
    holders: list[str] = field(default_factory=list)
    assumed_only: bool = True  # dead only through SCPs of assumed scope, for every holder
    targets: set[str] = field(default_factory=set)
    scope_levels: list[str] = field(default_factory=list)  # level targets, for messages


def _dead_grants(
    ctx: CheckContext, scope: PrincipalScope, found: dict[tuple[object, ...], _Dead]
) -> None:
    """Collect the scope's dead grants; a statement several principals share is one entry."""
    if scope.boundary is None and not _scps_can_kill(ctx, scope):
        return
    result = effective_permissions(_caps_view(ctx, scope), catalog=ctx.catalog)
    for dead in result.dead_grants:
        if dead.statement.resources == ():
            continue  # an empty Resource list matches nothing: no cap is to blame (V1xx's)
        granting = scope.granting(dead.policy)
        if granting is not None:
            _collect(scope, granting.record, dead, found)


def _caps_view(ctx: CheckContext, scope: PrincipalScope) -> PrincipalPolicies:
    """The scope's policies as the dead-grant analysis needs them. When only some files are
    reported, the Allow statements of policies in other files are left out: whether a grant is
    dead depends on that grant, the caps and every Deny (all kept, in order), never on the
    principal's other Allows, and their own dead grants would land in files not reported."""
    policies = scope.policies()
    if ctx.reported is None:
        return policies
    identity = [
        g.policy if ctx.reports(g.record) else _denies_only(g.policy) for g in scope.identity
    ]
    return replace(policies, identity=identity)


def _denies_only(policy: Policy) -> Policy:
    """What of a policy can deny: statements whose Effect is not a known Allow."""
    kept = tuple(st for st in policy.statements if st.effect is not Effect.ALLOW)
    return replace(policy, statements=kept, unknown_statements=())


def _scps_can_kill(ctx: CheckContext, scope: PrincipalScope) -> bool:
    """Could the SCPs make any of the principal's grants dead? Not when every level allows
    everything and no unconditional Deny names an action it is granted: the engine claims a
    grant dead only on certain grounds, and this spares the full analysis on most principals."""
    levels = scope.scp_levels
    if not levels:
        return False
    if not all(any(_allows_everything(p) for p in level.policies) for level in levels):
        return True
    denied: set[str] = set()
    for level in levels:
        for policy in level.policies:
            for statement in policy.statements:
                if statement.effect is Effect.DENY and not statement.has_conditions:
                    denied |= _scp_deny_actions(ctx, scope, statement)
    return bool(denied) and bool(denied & Judge(ctx, scope).granted())


def _allows_everything(policy: Policy) -> bool:
    return any(
        st.effect is Effect.ALLOW
        and not st.not_action
        and st.actions == ("*",)
        and not st.not_resource
        and st.resources == ("*",)
        and not st.has_conditions
        for st in policy.statements
    )


def _scp_deny_actions(ctx: CheckContext, scope: PrincipalScope, statement: Statement) -> set[str]:
    def compute() -> frozenset[str]:
        return frozenset(statement_actions(ctx.catalog, statement))

    return set(memo(scope.shared, "deny-actions", statement, compute))


def _collect(
    scope: PrincipalScope,
    record: PolicyRecord,
    dead: DeadGrant,
    found: dict[tuple[object, ...], _Dead],
) -> None:
    by_rule: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for part in dead.parts:
        rule = _rule_of(part.blocked_by)
        if rule is not None:
            by_rule.setdefault(rule, []).append((part.actions, part.blocked_by))
    for rule, parts in sorted(by_rule.items()):
        actions = tuple(sorted({a for acts, _ in parts for a in acts}))
        reasons = tuple(sorted({reason for _, reason in parts}))
        key = (rule, record.address, dead.statement.index, actions, reasons)
        whole = dead.whole_statement and len(by_rule) == 1
        entry = found.setdefault(key, _Dead(rule, record, dead.statement, actions, reasons, whole))
        entry.scope_levels = [level.target for level in scope.scp_levels]
        entry.holders.append(scope.label)
        if rule == "G503" and all(_assumed(scope, r) for r in reasons):
            entry.targets |= {lvl.target for lvl in scope.assumed_levels}
        else:
            entry.assumed_only = False


def _dead_finding(ctx: CheckContext, dead: _Dead) -> Finding:
    actions = dead.actions
    shown = ", ".join(actions[:4]) + (f" and {len(actions) - 4} more" if len(actions) > 4 else "")
    what = "the whole statement" if dead.whole else f"{len(actions)} action(s) ({shown})"
    holders = ", ".join(dict.fromkeys(dead.holders))
    reasons = "; ".join(_readable(dead.scope_levels, r) for r in dead.reasons)
    message = f"for {holders}, {what} can never take effect: {reasons}"
    possible = dead.rule == "G503" and dead.assumed_only
    if possible:
        message += (
            f" (if the SCPs attached to {', '.join(sorted(dead.targets))} apply: the code does "
            "not say which account or OU the principal is in)"
        )
    statement = dead.statement
    return s.finding(
        ctx,
        dead.rule,
        dead.record,
        statement,
        subject=",".join(actions),
        message=message,
        location=s.element_location(dead.record, statement, s.action_element(statement)),
        possible=possible,
    )


# --- G504 ------------------------------------------------------------------------------------

_CREATE = ("iam:CreateRole", "iam:CreateUser")
_SET_BOUNDARY = (
    "iam:PutRolePermissionsBoundary",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
)
_CHANGE_POLICIES = (
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
)
_EDIT_POLICY = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy")


def _other_boundary(judge: Judge) -> RequestContext:
    """The principal's request context, naming a boundary nobody requires."""
    account = judge.scope.account or PLACEHOLDER_ACCOUNT
    values = {k: list(v) for k, v in judge.scope.context().values.items()}
    values["iam:permissionsboundary"] = [f"arn:aws:iam::{account}:policy/iamlint-any"]
    return RequestContext.of(values, complete=False)


def _escape_hits(judge: Judge) -> list[Hit]:
    context = _other_boundary(judge)
    hits: list[Hit] = []
    for group, what in (
        (_CREATE, "create a principal without the boundary"),
        (_SET_BOUNDARY, "set or remove any principal's boundary"),
        (_CHANGE_POLICIES, "change a principal's policies without a boundary condition"),
        (_EDIT_POLICY[:2], "rewrite any managed policy, its own boundary included"),
    ):
        for action in group:
            if not judge.may_allow(action):
                continue
            found = judge.reach(action, context=context)
            if found.reach is not Reach.NONE:
                hits.append(Hit(action, found.reach, [found], list(found.reasons), what))
    hits += _own_boundary_hits(judge)
    return hits


def _own_boundary_hits(judge: Judge) -> list[Hit]:
    scope = judge.scope
    out: list[Hit] = []
    targets: list[tuple[str, str | Unknown]] = []
    record = scope.boundary_record
    arn = policy_arn(record, scope.account) if record is not None else None
    if arn is not None:
        targets += [(a, arn) for a in _EDIT_POLICY]
    own = scope.arn()
    if own is not None and scope.principal is not None:
        kind = "Role" if scope.principal.type == "role" else "User"
        targets += [
            (f"iam:Put{kind}PermissionsBoundary", own),
            (f"iam:Delete{kind}PermissionsBoundary", own),
        ]
    for action, target in targets:
        if not judge.may_allow(action):
            continue
        found = reach_own(judge, action, target, _other_boundary(judge))
        if found.reach is not Reach.NONE:
            out.append(
                Hit(action, found.reach, [found], list(found.reasons), "change its own boundary")
            )
    return out


def _g504(ctx: CheckContext, scope: PrincipalScope) -> Iterator[Finding]:
    judge = Judge(ctx, scope)
    hits = _escape_hits(judge)
    seen: set[str] = set()
    unique = [h for h in hits if not (h.name in seen or seen.add(h.name))]  # type: ignore[func-returns-value]
    for reach in (Reach.DEFINITE, Reach.POSSIBLE):
        group = [h for h in unique if h.reach is reach]
        if not group:
            continue
        ways: dict[str, list[str]] = {}
        for hit in group:
            ways.setdefault(hit.detail, []).append(hit.name)
        text = "; ".join(f"{what} ({', '.join(acts)})" for what, acts in ways.items())
        boundary = "its boundary" if scope.has_boundary else "the required boundary"
        message = f"{scope.label} can escape {boundary}: it can {text}"
        yield principal_finding(ctx, "G504", scope, group, message, [h.name for h in group])


# --- G505 ------------------------------------------------------------------------------------

_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1", "sa-east-1", "af-south-1")


def _admin_example(pattern: str, account: str) -> str:
    filled = pattern.replace("*", "x").replace("?", "x")
    return filled if filled.startswith("arn:") else f"arn:aws:iam::{account}:role/{filled}"


def _guardrail_state(scps: list[list[Policy]], action: str, values: dict[str, str]) -> Outcome:
    """The SCPs' answer for a request from an otherwise all-powerful principal."""
    everything = FULL_AWS_ACCESS
    request = Request(action, "*", context=RequestContext.of(values, complete=True))
    return decide(request, Authorization(identity=[everything], scps=scps)).outcome


def _g505(ctx: CheckContext) -> Iterator[Finding]:
    config = ctx.config
    records = [r for r in ctx.project.records if r.kind == "scp"]
    if not records or not (config.admin_role_pattern or config.approved_regions):
        return
    if ctx.reported is not None and not ctx.reported(records[0].location.file):
        return  # the finding would land in a file not reported
    levels = scp_levels(ctx)
    scps = [list(level.policies) for level in levels]
    account = config.account_id or PLACEHOLDER_ACCOUNT
    names = ", ".join(r.address for r in records)
    other = f"arn:aws:iam::{account}:role/iamlint-not-admin"
    checks: list[tuple[str, str, dict[str, str]]] = []
    if config.admin_role_pattern:
        for action in ("iam:CreateUser", "iam:AttachRolePolicy"):
            checks.append(
                (
                    f"deny IAM changes ({action}) to principals other than "
                    f"{config.admin_role_pattern}",
                    action,
                    {"aws:PrincipalArn": other, "aws:PrincipalAccount": account},
                )
            )
    if config.approved_regions:
        region = next((r for r in _REGIONS if r not in config.approved_regions), "xx-none-1")
        checks.append(
            (
                f"deny requests outside the approved regions ({', '.join(config.approved_regions)})"
                f", e.g. ec2:RunInstances in {region}",
                "ec2:RunInstances",
                {"aws:RequestedRegion": region, "aws:PrincipalArn": other},
            )
        )
    reported: set[str] = set()
    for what, action, values in checks:
        outcome = _guardrail_state(scps, action, values)
        if outcome is Outcome.EXPLICITLY_DENIED or what.split(" (")[0] in reported:
            continue
        reported.add(what.split(" (")[0])
        possible = outcome is Outcome.POSSIBLY_ALLOWED
        attached = "attached " if levels else ""
        yield Finding(
            rule="G505",
            severity=s.lower(ctx.severity("G505"), 1 if possible else 0),
            message=f"no {attached}SCP in this repository ({names}) implements the required "
            f"guardrail: {what}"
            + (" (possibly: some SCP content is unresolved)" if possible else ""),
            location=records[0].location,
            address=records[0].address,
            subject=what.split(" (")[0],
            certainty=Certainty.POSSIBLE if possible else Certainty.DEFINITE,
            related=[r.location for r in records[1:]],
        )


# --- G506 ------------------------------------------------------------------------------------

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def _region_of(value: str | Unknown) -> str | None:
    """The literal region segment of an ARN (``arn:aws:sqs:eu-west-3:...``), if any."""
    if isinstance(value, Unknown):
        parts = value.parts or ()
        head = parts[0] if parts and parts[0] is not None else ""
        # Only when the literal head runs past the region segment.
        if head.count(":") < 4:
            return None
        value = head
    pieces = value.split(":")
    if len(pieces) < 5 or pieces[0] != "arn":
        return None
    region = pieces[3]
    return region if _REGION.match(region) else None


def _g506_statement(
    ctx: CheckContext, record: PolicyRecord, statement: Statement, approved: set[str]
) -> Iterator[Finding]:
    if not statement.not_resource:
        for entry in s.items(statement.resources):
            region = _region_of(entry.value)
            if region is None or region in approved:
                continue
            shown = entry.value.text if isinstance(entry.value, Unknown) else entry.value
            yield s.finding(
                ctx,
                "G506",
                record,
                statement,
                subject=f"{shown}",
                message=f"grant on {shown}, in {region}, outside the approved regions "
                f"({', '.join(sorted(approved))})",
                location=s.element_location(record, statement, "Resource", entry.index),
            )
    for clause in s.clauses(statement):
        if clause.key.lower() != "aws:requestedregion" or clause.base_operator not in (
            "StringEquals",
            "StringEqualsIgnoreCase",
        ):
            continue
        for entry in s.items(clause.values):
            value = entry.value
            if isinstance(value, Unknown) or value in approved or not _REGION.match(value):
                continue
            yield s.finding(
                ctx,
                "G506",
                record,
                statement,
                subject=f"aws:RequestedRegion {value}",
                message=f"grant for requests to {value}, outside the approved regions "
                f"({', '.join(sorted(approved))})",
                location=s.condition_location(record, statement, clause, entry.index),
            )


def _g506(ctx: CheckContext) -> Iterator[Finding]:
    approved = set(ctx.config.approved_regions)
    if not approved:
        return
    for record in ctx.project.records:
        if record.kind not in (s.IDENTITY, s.RESOURCE):
            continue
        if not ctx.reports(record):
            continue
        for statement in ctx.policy(record).statements:
            if statement.effect is Effect.ALLOW:
                yield from _g506_statement(ctx, record, statement, approved)


# --- the family --------------------------------------------------------------------------------


def run(ctx: CheckContext) -> Iterator[Finding]:
    required = ctx.config.required_boundary
    dead: dict[tuple[object, ...], _Dead] = {}
    for scope in scopes(ctx):
        principal = scope.principal
        if principal is not None and principal.type in ("role", "user") and required:
            found = _g501(ctx, principal, required)
            if found is not None:
                yield found
        if scope.identity and not scope.document:
            _dead_grants(ctx, scope, dead)
        capped = scope.has_boundary or bool(required)
        if principal is not None and principal.type in ("role", "user") and capped:
            yield from _g504(ctx, scope)
    for entry in dead.values():
        yield _dead_finding(ctx, entry)
    yield from _g505(ctx)
    yield from _g506(ctx)


__all__ = ["run"]
