"""U6xx: grants compared with observed usage, from a snapshot (`iamlint check --usage`).

Without a snapshot the family is quiet (the runner does not even run it). With one:

* principals are joined to the evidence (`usage_join`); one that cannot be joined, or made no
  call, is a U604, never silently skipped;
* weaknesses of the evidence as a whole (short window, stale, incomplete, unmapped events) are
  a U605 on each joined principal, and make every "unused" claim only *possible*;
* each identity policy is judged against the merged usage of every principal holding it
  (`usage_grants`: U601, U602, U603 and the per-action U605); a policy held by a principal
  without evidence is not judged at all: absence of evidence is not non-use;
* every AccessDenied observed is a U606 at the statement that would grant it, or at the
  guardrail that denied it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from iamlint.checks import support as s
from iamlint.checks.context import CheckContext
from iamlint.checks.finding import Certainty, Finding
from iamlint.checks.usage_grants import Observer, Usage, listed, statement_findings
from iamlint.checks.usage_join import Join, JoinResult, JoinStatus, join_principals
from iamlint.model import Location
from iamlint.policy.matching import match_action
from iamlint.policy.patterns import resource_matches
from iamlint.policy.tri import Tri
from iamlint.terraform.project import PolicyRecord, PrincipalRecord
from iamlint.usage.evidence import (
    BlindSpots,
    DeniedAction,
    ObservedAction,
    blind_spots,
    denied_actions,
    find_principal,
    observed_actions,
    unused_claims,
)
from iamlint.usage.snapshot import Snapshot

STALE_DAYS = 30  # evidence that ended longer ago misses grants added since

_DENIERS = {
    "identity": "an identity-based policy",
    "resource": "a resource-based policy",
    "boundary": "the permissions boundary",
    "session": "a session policy",
    "scp": "a service control policy",
    "rcp": "a resource control policy",
    "vpc_endpoint": "a VPC endpoint policy",
    "trust": "the role trust policy",
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What `CheckContext.usage` holds: a snapshot, and the day to judge staleness on (tests
    pin it; the command leaves it to today). A bare snapshot dict is accepted too."""

    snapshot: Snapshot
    today: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Weakness:
    subject: str  # short-window | stale | incomplete | unmapped
    message: str  # the U605 text
    short: str  # the hedge added to "unused" claims


def run(ctx: CheckContext) -> Iterator[Finding]:
    evidence = _evidence(ctx.usage)
    if evidence is None:
        return
    snapshot = evidence.snapshot
    joins = join_principals(ctx.project, snapshot, ctx.config)
    spots = blind_spots(snapshot)
    weak = weaknesses(snapshot, spots, evidence.today or _today())
    for principal in ctx.project.principals:
        join = joins.get(principal.address)
        if join is not None:
            yield from _principal_findings(ctx, snapshot, principal, join, spots, weak)
    observer = Observer(snapshot)
    held = holders(ctx)
    for record in ctx.project.records:
        if record.kind != s.IDENTITY:
            continue
        usage = _usage_of(held.get(record.address, []), snapshot, joins, spots, weak)
        if usage is None:
            continue
        for statement in ctx.policy(record).statements:
            if s.is_allow(statement) is True:
                yield from statement_findings(ctx, record, statement, usage, observer)


def _today() -> dt.date:
    """Today (UTC), or the reproducible-builds SOURCE_DATE_EPOCH when set, so that a committed
    demo or a CI job can pin what "stale" means."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.datetime.now(dt.UTC).date()


def _evidence(value: object) -> Evidence | None:
    if isinstance(value, Evidence):
        return value
    if isinstance(value, dict):
        return Evidence(value)
    return None


# --- the evidence as a whole ---------------------------------------------------------------------


def _days(spots: BlindSpots) -> str:
    return f"{round(spots.window_days)} days" if spots.window_days is not None else "the window"


def weaknesses(snapshot: Snapshot, spots: BlindSpots, today: dt.date) -> list[Weakness]:
    out: list[Weakness] = []
    if spots.window_days is None:
        out.append(
            Weakness(
                "short-window",
                "the snapshot has no action-level window (no CloudTrail or generated policy): "
                "it cannot say which actions went unused",
                "no action-level window",
            )
        )
    elif spots.short_window:
        out.append(
            Weakness(
                "short-window",
                f"the evidence covers {_days(spots)} ({spots.window_start} to "
                f"{spots.window_end}), less than 35: monthly jobs may not show",
                f"only {_days(spots)} observed",
            )
        )
    if spots.window_end:
        end = dt.date.fromisoformat(spots.window_end[:10])
        age = (today - end).days
        if age > STALE_DAYS:
            out.append(
                Weakness(
                    "stale",
                    f"the evidence ends on {end}, {age} days ago: grants added since then "
                    "look unused",
                    f"evidence {age} days old",
                )
            )
    gaps = [f"source {i} is marked incomplete" for i in spots.incomplete_sources]
    gaps += [f"could not read {p}" for p in spots.problems[:3]]
    if len(spots.problems) > 3:
        gaps.append(f"{len(spots.problems) - 3} more problems")
    if gaps:
        out.append(
            Weakness(
                "incomplete",
                f"the evidence is incomplete: {'; '.join(gaps)}",
                "incomplete evidence",
            )
        )
    return out


def _unmapped(snapshot: Snapshot, arns: tuple[str, ...]) -> Weakness | None:
    events = [u for u in snapshot["unmapped"] if u["principal"] in arns]
    if not events:
        return None
    count = sum(u["count"] for u in events)
    names = sorted({f"{u['event_source']}:{u['event_name']}" for u in events})
    return Weakness(
        "unmapped",
        f"{count} event{'s' if count > 1 else ''} of this principal could not be mapped to IAM "
        f"actions ({listed(names)}): the permissions they needed are unknown",
        "unmapped events",
    )


# --- principals: U604, U605, U606 ---------------------------------------------------------


def _principal_finding(
    ctx: CheckContext,
    rule: str,
    principal: PrincipalRecord,
    subject: str,
    message: str,
    *,
    possible: bool = False,
    lowered: int = 0,
    location: Location | None = None,
) -> Finding:
    return Finding(
        rule=rule,
        severity=s.lower(ctx.severity(rule), lowered + (1 if possible else 0)),
        message=message,
        location=location or principal.location,
        address=principal.address,
        subject=subject,
        certainty=Certainty.POSSIBLE if possible else Certainty.DEFINITE,
    )


def _principal_findings(
    ctx: CheckContext,
    snapshot: Snapshot,
    principal: PrincipalRecord,
    join: Join,
    spots: BlindSpots,
    weak: list[Weakness],
) -> Iterator[Finding]:
    if not join.joined:
        yield _not_joined(ctx, snapshot, principal, join, spots, weak)
        return
    mine = [*weak]
    unmapped = _unmapped(snapshot, join.arns)
    if unmapped is not None:
        mine.append(unmapped)
    for weakness in mine:
        yield _principal_finding(
            ctx, "U605", principal, weakness.subject, weakness.message + join.note()
        )
    rows = [row for arn in join.arns for row in observed_actions(snapshot, arn)]
    if not rows:
        silent = _no_calls(ctx, snapshot, principal, join, spots, mine)
        if silent is not None:
            yield silent
    for denial in _denials(snapshot, join):
        yield _denial_finding(ctx, principal, denial, join)


def _hedge(weak: list[Weakness]) -> str:
    return f" (weak evidence: {'; '.join(w.short for w in weak)})" if weak else ""


def _no_calls(
    ctx: CheckContext,
    snapshot: Snapshot,
    principal: PrincipalRecord,
    join: Join,
    spots: BlindSpots,
    weak: list[Weakness],
) -> Finding | None:
    """A joined principal with no usage row: unused if CloudTrail covering its account saw no
    call, or if Access Analyzer says the role is unused. Other sources only list what it did
    *not* use, which says nothing about the rest."""
    claims = [c for arn in join.arns for c in unused_claims(snapshot, arn)]
    role_claim = any(c["scope"] == "role" for c in claims)  # Access Analyzer's UnusedIAMRole
    sources = relevant_sources(snapshot, join.arns)
    trail = any(s["kind"] == "cloudtrail" for s in snapshot["sources"] if s["id"] in sources)
    if not (trail or role_claim):
        return None
    also = ""
    if role_claim:
        also = "; Access Analyzer also reports it unused" if trail else ""
    head = (
        f"made no call in the {_days(spots)} of evidence{also}"
        if trail
        else "Access Analyzer reports it unused"
    )
    message = (
        f"{principal.type} {head}: remove it (and its credentials) if it is unused{_hedge(weak)}"
    )
    return _principal_finding(
        ctx, "U604", principal, "no-calls", message + join.note(), possible=bool(weak)
    )


def _covered_accounts(snapshot: Snapshot) -> list[str]:
    return sorted({a for src in snapshot["sources"] for a in src["coverage"].get("accounts", [])})


def _not_joined(
    ctx: CheckContext,
    snapshot: Snapshot,
    principal: PrincipalRecord,
    join: Join,
    spots: BlindSpots,
    weak: list[Weakness],
) -> Finding:
    hint = (
        f"; map it in [tool.iamlint.principals] ('{principal.address}' = \"arn:...\")"
        if join.how != "mapping"
        else ""
    )
    if join.status is JoinStatus.UNKNOWN_NAME:
        candidates = f"; candidates: {listed(list(join.candidates))}" if join.candidates else ""
        message = (
            f"cannot be joined to the usage evidence: its name is not known in the code "
            f"({join.expected}){candidates}{hint}"
        )
        return _principal_finding(ctx, "U604", principal, "unjoined", message, possible=True)
    if join.status is JoinStatus.AMBIGUOUS:
        message = (
            f"cannot be joined to the usage evidence: {'; '.join(join.notes)}; "
            f"iamlint does not guess which is which{hint}"
        )
        return _principal_finding(ctx, "U604", principal, "ambiguous", message, possible=True)
    accounts = _covered_accounts(snapshot)
    where = f"accounts {', '.join(accounts)}" if accounts else "no known account"
    why = f" ({'; '.join(join.notes)})" if join.notes else ""
    message = (
        f"no usage evidence for {join.expected}{why}: the snapshot ({_days(spots)}, {where}) "
        f"has no call from it; unused, or outside what the snapshot covers{hint}{_hedge(weak)}"
    )
    return _principal_finding(ctx, "U604", principal, "absent", message, possible=bool(weak))


def _denials(snapshot: Snapshot, join: Join) -> list[DeniedAction]:
    found = [d for arn in join.arns for d in denied_actions(snapshot, arn)]
    return sorted(found, key=lambda d: (d.action, d.resource or ""))


def _denial_finding(
    ctx: CheckContext, principal: PrincipalRecord, denial: DeniedAction, join: Join
) -> Finding:
    resource = denial.resource or "a resource the event did not name"
    when = f"{denial.count} time{'s' if denial.count > 1 else ''}"
    first, last = (denial.first_seen or "")[:10], (denial.last_seen or "")[:10]
    if first and last:
        when += f" on {first}" if first == last else f" ({first} to {last})"
    subject = f"{denial.action} {denial.resource or '-'}"
    extra = {"action": denial.action, "resource": denial.resource, "count": denial.count}
    if denial.grant_would_fix:
        where, allowed = _grant_site(ctx, principal, denial.action, denial.resource)
        if allowed:
            message = (
                f"{denial.action} on {resource} was denied {when} (no identity-based policy "
                "allowed it), yet this statement allows it as written: the deployed policy "
                "differs from the code, or a condition was not met"
            )
            lowered = 1
        else:
            message = (
                f"a grant is missing: {denial.action} on {resource} was denied {when} "
                "(implicit deny: no identity-based policy allows it)"
            )
            lowered = 0
        found = _principal_finding(
            ctx, "U606", principal, subject, message + join.note(), lowered=lowered, location=where
        )
        found.extra.update(extra, grant_would_fix=True)
        return found
    deniers = _denier_text(denial)
    message = (
        f"{denial.action} on {resource} was denied {when} by {deniers}: the guardrail works; "
        "widening the identity policy would not help, change the caller instead"
    )
    where = _guardrail_site(ctx, principal, denial)
    found = _principal_finding(
        ctx, "U606", principal, subject, message + join.note(), lowered=1, location=where
    )
    found.extra.update(extra, grant_would_fix=False)
    return found


def _denier_text(denial: DeniedAction) -> str:
    parts = []
    for d in denial.denials:
        name = _DENIERS.get(d["policy_type"] or "", "a policy AWS did not name")
        kind = {"explicit": "explicit deny", "implicit": "implicit deny"}.get(d["kind"], "")
        arn = f" {d['policy_arn']}" if d.get("policy_arn") else ""
        parts.append(f"{name}{arn}" + (f" ({kind})" if kind else ""))
    return ", ".join(dict.fromkeys(parts))


# --- where a denial points ---------------------------------------------------------------------


def _covers(pattern: str, resource: str) -> bool:
    return resource_matches(pattern, resource, {}, variables=True) is not False


def _grant_site(
    ctx: CheckContext, principal: PrincipalRecord, action: str, resource: str | None
) -> tuple[Location, bool]:
    """The statement a missing grant belongs in, and whether it already allows the call.

    Best: a statement granting the action on other resources (its Resource element); then one
    granting the same service (its Action element); then the first identity policy."""
    service = action.partition(":")[0].lower()
    same_action: Location | None = None
    same_service: Location | None = None
    records = ctx.records_of(principal)
    for record in records:
        for statement in ctx.policy(record).statements:
            if s.is_allow(statement) is not True:
                continue
            if match_action(statement, action) is Tri.TRUE:
                if _allows_resource(statement.resources, resource):
                    return s.locate(record, s.pointer(statement)), True
                same_action = same_action or s.element_location(
                    record, statement, s.resource_element(statement)
                )
            elif same_service is None and _mentions_service(statement.actions, service):
                same_service = s.element_location(record, statement, s.action_element(statement))
    fallback = records[0].location if records else principal.location
    return same_action or same_service or fallback, False


def _allows_resource(resources: object, resource: str | None) -> bool:
    if not isinstance(resources, tuple):
        return False
    if resource is None:
        return "*" in resources
    return any(isinstance(r, str) and _covers(r, resource) for r in resources)


def _mentions_service(actions: object, service: str) -> bool:
    return isinstance(actions, tuple) and any(
        isinstance(a, str) and a.lower().startswith(service + ":") for a in actions
    )


def _guardrail_site(
    ctx: CheckContext, principal: PrincipalRecord, denial: DeniedAction
) -> Location:
    """The guardrail that denied, when the code holds it: the boundary attribute, an SCP or an
    identity policy's Deny statement for the action; else the principal."""
    types = {d["policy_type"] for d in denial.denials}
    if "boundary" in types:
        found = _boundary_site(ctx, principal)
        if found is not None:
            return found
    candidates: list[PolicyRecord] = []
    if types & {"scp", "rcp"}:
        candidates += [r for r in ctx.project.records if r.kind in (s.SCP, s.RCP)]
    if "identity" in types:
        candidates += ctx.records_of(principal)
    for record in candidates:
        for statement in ctx.policy(record).statements:
            denies = s.is_allow(statement) is False and statement.effect is not None
            if denies and match_action(statement, denial.action) is Tri.TRUE:
                return s.locate(record, s.pointer(statement))
    return principal.location


def _boundary_site(ctx: CheckContext, principal: PrincipalRecord) -> Location | None:
    boundary = principal.permissions_boundary
    if isinstance(boundary, str):
        for record in ctx.project.records:
            if record.address == boundary:
                return record.location
    attribute = principal.attributes.get("permissions_boundary")
    return attribute.location if attribute is not None else None


# --- policies: whose usage judges them --------------------------------------------------------


def holders(ctx: CheckContext) -> dict[str, list[PrincipalRecord]]:
    """Policy address -> the roles and users holding it: directly, or through a group."""
    members: dict[str, list[PrincipalRecord]] = {}
    for principal in ctx.project.principals:
        for group in principal.groups:
            members.setdefault(group, []).append(principal)
    out: dict[str, dict[str, PrincipalRecord]] = {}
    for principal in ctx.project.principals:
        held = members.get(principal.address, []) if principal.type == "group" else [principal]
        for address in principal.identity_policies:
            for holder in held:
                out.setdefault(address, {})[holder.address] = holder
    return {address: list(found.values()) for address, found in out.items()}


def _usage_of(
    held_by: list[PrincipalRecord],
    snapshot: Snapshot,
    joins: JoinResult,
    spots: BlindSpots,
    weak: list[Weakness],
) -> Usage | None:
    """The merged usage of every holder, or None when some holder has no evidence (its
    U604 says why): a grant unused by the others may be exactly what that one needs."""
    if not held_by:
        return None
    found = [joins.get(h.address) for h in held_by]
    if any(j is None or not j.joined for j in found):
        return None
    held = [j for j in found if j is not None]
    rows: list[ObservedAction] = []
    claims: list[dict[str, Any]] = []
    hedges = [w.short for w in weak]
    arns = tuple(a for join in held for a in join.arns)
    for arn in arns:
        rows += observed_actions(snapshot, arn)
        claims += unused_claims(snapshot, arn)
    if _unmapped(snapshot, arns) is not None:
        hedges.append("unmapped events")
    note = held[0].note() if len(held) == 1 else _notes(held)
    return Usage(
        rows,
        note,
        _days(spots),
        tuple(dict.fromkeys(hedges)),
        sources=relevant_sources(snapshot, arns),
        claimed=frozenset(c["name"].lower() for c in claims if c["scope"] == "action"),
        claimed_services=frozenset(c["name"].lower() for c in claims if c["scope"] == "service"),
    )


_PER_PRINCIPAL = frozenset(
    {
        "access_analyzer.generated_policy",
        "access_analyzer.unused_access",
        "access_analyzer.recommendation",
        "iam.last_accessed",
        "iamlive",
    }
)


def relevant_sources(snapshot: Snapshot, arns: tuple[str, ...]) -> frozenset[str]:
    """Sources whose silence means something for these principals.

    CloudTrail sees every principal of the accounts it covers. The other sources are about one
    principal (a last-accessed report, a generated policy, an analyzer finding): they count
    only where they name one of these principals."""
    accounts = {arn.split(":")[4] for arn in arns}
    named: set[str] = set()
    for arn in arns:
        entry = find_principal(snapshot, arn)
        if entry is None:
            continue
        named.update(i for row in entry["usage"] for i in row["sources"])
        named.update(i for claim in entry["unused"] for i in claim["sources"])
    out = set()
    for src in snapshot["sources"]:
        if src["kind"] in _PER_PRINCIPAL:
            if src["id"] in named:
                out.add(src["id"])
        elif not src["coverage"].get("accounts") or accounts & set(src["coverage"]["accounts"]):
            out.add(src["id"])
    return frozenset(out)


def _notes(joins: list[Join]) -> str:
    arns = sorted({a for j in joins for a in j.arns})
    notes = list(dict.fromkeys(n for j in joins for n in j.notes))
    head = "evidence: " + ", ".join(arns)
    return " [" + "; ".join((head, *notes)) + "]"
