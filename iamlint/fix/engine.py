"""`iamlint fix`: plan narrower policies for each principal, patch the files, prove the patch.

Proof, every time, before anything is shown or written: the patched files are read again
exactly as the originals were (same reader, files swapped in memory), and

(a) every patched policy allows nothing the original did not (containment, sound);
(b) every action the principal was observed using is still allowed;
(c) planning again on the patched text changes nothing.

A patch that fails any of these is dropped, and the reason is reported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlint.checks.context import Config
from iamlint.checks.finding import Edit
from iamlint.checks.usage_join import Join, JoinStatus, join_principals
from iamlint.fix.apply import OverlappingEdits, apply_edits
from iamlint.fix.evidence import PrincipalUsage, usage_for
from iamlint.fix.planner import SourceTexts, StatementPlan, plan_grant, plan_statement
from iamlint.fix.recent import RecentlyWritten
from iamlint.fix.statements import combine_deletions
from iamlint.policy.catalog import Catalog
from iamlint.policy.containment import Grant, is_contained
from iamlint.policy.document import Policy, PolicyKind, parse_policy
from iamlint.terraform.files import OVERLAY
from iamlint.terraform.project import PolicyRecord, PrincipalRecord, Project, load_project

PATCHABLE_KINDS = ("identity",)


@dataclass(slots=True)
class PrincipalReport:
    principal: PrincipalRecord
    arn: str | None = None
    plans: list[StatementPlan] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why the principal was not patched
    notes: tuple[str, ...] = ()  # caveats of the join (account not in the code, path differs)


@dataclass(slots=True)
class FixResult:
    originals: dict[str, str] = field(default_factory=dict)  # display path -> text
    patched: dict[str, str] = field(default_factory=dict)
    reports: list[PrincipalReport] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)  # input errors met while reading

    @property
    def changed_files(self) -> list[str]:
        return sorted(f for f, t in self.patched.items() if t != self.originals.get(f))


def _policy(record: PolicyRecord) -> Policy:
    return parse_policy(record.document, name=record.address, kind=PolicyKind.IDENTITY)


def plan_project(
    project: Project,
    snapshot: Any,
    stage: str,
    catalog: Catalog,
    addresses: set[str] | None = None,
    keep: set[str] | None = None,
    config: Config | None = None,
    grant_denied: bool = False,
    cwd: Path | None = None,
    texts_in_memory: dict[str, str] | None = None,
    recent: RecentlyWritten | None = None,
) -> tuple[list[PrincipalReport], dict[str, str]]:
    """Statement plans for every principal in the snapshot (or the given addresses)."""
    texts = SourceTexts((cwd or Path.cwd()).resolve())
    texts.update(texts_in_memory or {})
    reports: list[PrincipalReport] = []
    by_address = {r.address: r for r in project.records}
    owners: dict[str, list[str]] = defaultdict(list)
    for principal in project.principals:
        for address in principal.identity_policies:
            owners[address].append(principal.address)
    # The same join as `check --usage`: [tool.iamlint.principals] first, then kind, account
    # and name, ambiguous evidence given to no one.
    joins = join_principals(project, snapshot, config or Config())
    for principal in project.principals:
        if addresses and principal.address not in addresses:
            continue
        report = PrincipalReport(principal)
        reports.append(report)
        join = joins.get(principal.address)
        arn, problem = _evidence_arn(join)
        if arn is None:
            report.problems.append(problem)
            continue
        report.arn = arn
        report.notes = join.notes if join is not None else ()
        usage = usage_for(snapshot, arn)
        if grant_denied:
            _plan_grants(report, usage, by_address, texts)
            continue
        for address in principal.identity_policies:
            record = by_address.get(address)
            if record is None or record.kind not in PATCHABLE_KINDS:
                continue
            if len(owners[address]) > 1:
                others = ", ".join(o for o in owners[address] if o != principal.address)
                report.problems.append(
                    f"{address} is shared with {others}: narrowing it for one principal"
                    " would break the others"
                )
                continue
            planned = [
                plan
                for statement in _policy(record).statements
                if (plan := plan_statement(
                    record, statement, usage, stage, catalog, texts, keep or set(), recent
                )) is not None
            ]  # fmt: skip
            report.plans.extend(combine_deletions(record, planned, texts))
    _resolve_shared_sites(project, reports)
    return reports, texts


def _evidence_arn(join: Join | None) -> tuple[str | None, str]:
    """The one snapshot principal whose evidence this is, or why there is none."""
    if join is None or join.status is JoinStatus.ABSENT:
        looked = f" (looked for {join.expected})" if join is not None and join.expected else ""
        return None, f"no usage evidence for this principal in the snapshot{looked}"
    if join.status is JoinStatus.UNKNOWN_NAME:
        could = (
            f"; evidence that could be it: {', '.join(join.candidates)}" if join.candidates else ""
        )
        return None, (
            f"its name is not known from the code ({join.expected}): map it in "
            f"[tool.iamlint.principals]{could}"
        )
    if join.status is JoinStatus.AMBIGUOUS:
        return None, "; ".join(join.notes)
    if len(join.arns) > 1:
        return None, f"several principals in the evidence match: {', '.join(join.arns)}"
    return join.arns[0], ""


def _resolve_shared_sites(project: Project, reports: list[PrincipalReport]) -> None:
    """One written list can feed several policies (a module instantiated twice, a shared
    local). Change it only when every policy it feeds wants the very same change."""
    users: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    for record in project.records:
        if record.kind not in PATCHABLE_KINDS or not isinstance(record.document, dict):
            continue
        for index, _ in enumerate(record.document.get("Statement", [])):
            for element in ("Action", "Resource"):
                loc = record.spans.get(f"/Statement/{index}/{element}")
                if loc is not None:
                    users[(loc.file, loc.start, loc.end)].append(
                        f"{record.address} statement {index}"
                    )
            loc = record.spans.get(f"/Statement/{index}")  # where a removal takes it from
            if loc is not None:
                users[(loc.file, loc.start, loc.end)].append(f"{record.address} statement {index}")
    by_site: dict[tuple[str, int, int], list[StatementPlan]] = defaultdict(list)
    removals: list[StatementPlan] = []
    for report in reports:
        for plan in report.plans:
            if plan.edits and plan.deletes:
                removals.append(plan)
            elif plan.edits and plan.site is not None:
                by_site[plan.site].append(plan)
    _resolve_shared_removals(removals, users)
    for site, plans in by_site.items():
        feeds = users.get(site, [])
        wanted = {tuple(sorted(a.lower() for a in p.after)) for p in plans}
        if len(plans) < len(feeds) or len(wanted) > 1:
            for plan in plans:
                plan.edits = []
                plan.skipped = (
                    f"its actions are written once for {len(feeds)} policies "
                    f"({', '.join(feeds)}) that do not all want this change"
                )
        else:
            for plan in plans[1:]:
                plan.edits = []  # the same text edit, made once
                plan.skipped = f"same change as {plans[0].label}"


def _resolve_shared_removals(
    removals: list[StatementPlan], users: dict[tuple[str, int, int], list[str]]
) -> None:
    """A statement written once for several policies (a module's document, a document merged
    into others) is removed only if every one of them removes it; identical removals are
    made once."""
    removing: dict[tuple[str, int, int], list[StatementPlan]] = defaultdict(list)
    for plan in removals:
        for site in _removed_sites(plan):
            removing[site].append(plan)
    for site, plans in removing.items():
        feeds = users.get(site, [])
        if len(plans) < len(feeds):
            for plan in plans:
                plan.edits = []
                plan.skipped = (
                    f"its statement is written once for {len(feeds)} policies "
                    f"({', '.join(feeds)}) that do not all remove it"
                )
    kept: dict[tuple[tuple[str, int, int, str], ...], StatementPlan] = {}
    for plan in removals:
        if not plan.edits:
            continue
        key = tuple(sorted((e.file, e.start, e.end, e.replacement) for e in plan.edits))
        if key in kept:
            plan.edits = []
            plan.skipped = f"same change as {kept[key].label}"
        else:
            kept[key] = plan


def _removed_sites(plan: StatementPlan) -> list[tuple[str, int, int]]:
    sites = []
    for index in plan.deletes:
        loc = plan.record.spans.get(f"/Statement/{index}")
        if loc is not None:
            sites.append((loc.file, loc.start, loc.end))
    return sites


def _plan_grants(
    report: PrincipalReport,
    usage: PrincipalUsage,
    by_address: dict[str, PolicyRecord],
    texts: dict[str, str],
) -> None:
    candidates = [
        (record, statement)
        for address in report.principal.identity_policies
        if (record := by_address.get(address)) is not None and record.kind in PATCHABLE_KINDS
        for statement in _policy(record).statements
    ]
    for denied in usage.denied:
        seen = f"{denied.count}x, last {denied.last_seen}"
        where = f"{denied.action} on {denied.resource or '*'} ({seen})"
        if not denied.grant_would_fix:
            kinds = sorted({f"{d.get('kind')} {d.get('policy_type')}" for d in denied.denials})
            report.problems.append(
                f"denied {where} by {', '.join(kinds)}: a guardrail at work, not widened"
            )
            continue
        if _already_allowed(candidates, denied.action, denied.resource):
            continue  # granted since (by hand, or by an earlier run of this command)
        planned = plan_grant(candidates, denied.action, denied.resource, texts)
        if isinstance(planned, str):
            report.problems.append(f"denied {where}: {planned}")
        else:
            report.plans.append(planned)


def _already_allowed(candidates: list[Any], action: str, resource: str | None) -> bool:
    from iamlint.policy.conditions import RequestContext
    from iamlint.policy.matching import match_action, match_resource
    from iamlint.policy.tri import Tri

    return any(
        getattr(statement.effect, "name", "") == "ALLOW"
        and match_action(statement, action) is Tri.TRUE
        and (resource is None or match_resource(statement, resource, RequestContext()) is Tri.TRUE)
        for _, statement in candidates
    )


def _edits_by_file(reports: list[PrincipalReport]) -> dict[str, list[Edit]]:
    out: dict[str, list[Edit]] = defaultdict(list)
    for report in reports:
        for plan in report.plans:
            for edit in plan.edits:
                out[edit.file].append(edit)
    return out


def fix(
    paths: list[Path],
    snapshot: Any,
    stage: str,
    catalog: Catalog,
    addresses: set[str] | None = None,
    keep: set[str] | None = None,
    config: Config | None = None,
    var_files: list[Path] | None = None,
    cwd: Path | None = None,
    grant_denied: bool = False,
    recent_days: int = 0,
) -> FixResult:
    cwd = (cwd or Path.cwd()).resolve()
    project = load_project(paths, var_files, cwd)
    recent = RecentlyWritten(cwd, recent_days) if recent_days > 0 else None
    reports, texts = plan_project(
        project,
        snapshot,
        stage,
        catalog,
        addresses,
        keep,
        config,
        grant_denied,
        cwd,
        recent=recent,
    )
    result = FixResult(reports=reports, errors=list(project.errors))
    while True:
        edits = _edits_by_file(reports)
        result.originals = {f: texts[f] for f in edits}
        try:
            result.patched = {f: apply_edits(texts[f], e) for f, e in edits.items()}
        except OverlappingEdits as err:
            # Only the plans whose edits collide are dropped (removals first: a removal that
            # rewrites a one-line list collides with a narrowing of a statement in it).
            if not _drop_overlapping(reports, str(err)):
                _drop_all(reports, f"edits overlap ({err})")
                result.patched = {}
                return result
            continue
        failing = _prove(
            project, reports, result, snapshot, stage, catalog, paths, var_files, cwd,
            addresses, keep, config, grant_denied,
        )  # fmt: skip
        if not failing:
            return result
        if not any(plan.edits for plan, _ in failing):
            # Nothing left to drop that would change the outcome: never loop, refuse it all.
            _drop_all(reports, f"patch not proven: {failing[0][1]}")
            result.patched = {}
            return result
        for plan, reason in failing:
            plan.edits = []
            plan.skipped = f"patch not proven: {reason}"


def _over_size_limit(old: PolicyRecord, new: PolicyRecord) -> str:
    from iamlint.checks.validity import INLINE_LIMITS, _limit_of, policy_size

    limit = _limit_of(new)
    if limit is None and new.resource_type in ("aws_iam_role_policy", "aws_iam_role"):
        limit = (INLINE_LIMITS["role"], "a role's inline policies")
    if limit is None:
        return ""
    size, _ = policy_size(new.document)
    before, _ = policy_size(old.document)
    if size > limit[0] >= before:
        return f"the rewritten policy would be {size} characters, over the {limit[0]} of {limit[1]}"
    return ""


def _document(record: PolicyRecord) -> Any:
    """The document as data, without source positions (a patch moves those everywhere)."""
    from iamlint.model import to_json

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "location"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(to_json(record.document))


def _drop_overlapping(reports: list[PrincipalReport], detail: str) -> bool:
    """Drop the plans whose edits overlap another plan's; False when none could be found."""
    plans = [p for r in reports for p in r.plans if p.edits]
    spans = [(e.file, e.start, e.end, i) for i, p in enumerate(plans) for e in p.edits]
    spans.sort()
    colliding: set[int] = set()
    reach: tuple[str, int, int] = ("", -1, -1)  # the farthest edit so far: file, end, plan
    for file, start, end, owner in spans:
        if file == reach[0] and start < reach[1] and owner != reach[2]:
            colliding |= {owner, reach[2]}
        if file != reach[0] or end > reach[1]:
            reach = (file, end, owner)
    if not colliding:
        return False
    removals = {i for i in colliding if plans[i].deletes}
    for i in removals or colliding:
        plan = plans[i]
        plan.edits = []
        plan.skipped = (
            "its removal rewrites text another patch changes: apply that one, then run again"
            if plan.deletes
            else f"its edit overlaps another patch's ({detail})"
        )
    return True


def _drop_all(reports: list[PrincipalReport], reason: str) -> None:
    for report in reports:
        for plan in report.plans:
            if plan.edits:
                plan.edits = []
                plan.skipped = reason


def _prove(
    project: Project,
    reports: list[PrincipalReport],
    result: FixResult,
    snapshot: Any,
    stage: str,
    catalog: Catalog,
    paths: list[Path],
    var_files: list[Path] | None,
    cwd: Path,
    addresses: set[str] | None,
    keep: set[str] | None,
    config: Config | None,
    grant_denied: bool = False,
) -> list[tuple[StatementPlan, str]]:
    """The plans whose patch fails a proof, with the reason (empty: everything proven)."""
    changed = [p for r in reports for p in r.plans if p.edits]
    if not changed:
        return []
    overlay = {(cwd / f).resolve(): t for f, t in result.patched.items()}
    token = OVERLAY.set(overlay)
    try:
        patched_project = load_project(paths, var_files, cwd)
    finally:
        OVERLAY.reset(token)
    failing: list[tuple[StatementPlan, str]] = []
    if patched_project.errors and len(patched_project.errors) > len(project.errors):
        reason = f"the patched files do not read back cleanly: {patched_project.errors[0]}"
        return [(p, reason) for p in changed]
    old = {r.address: r for r in project.records}
    new = {r.address: r for r in patched_project.records}
    planned = {
        p.record.address
        for r in reports
        for p in r.plans
        if p.edits or p.skipped.startswith("same change")
    }
    for address, record in new.items():
        if (
            address in old
            and address not in planned
            and _document(record) != _document(old[address])
        ):
            reason = f"the patch would also change {address}, which was not planned"
            files = {loc.file for loc in record.spans.values()}
            return [(p, reason) for p in changed if any(e.file in files for e in p.edits)]
    # (a) nothing new is allowed, policy by policy.
    for address in sorted({p.record.address for p in changed}):
        if address not in new:
            failing += [(p, "the policy vanished") for p in changed if p.record.address == address]
            continue
        # The only widening allowed: the labelled grants for observed AccessDenied events.
        grants = [Grant(a, r, "observed AccessDenied") for p in changed
                  if p.record.address == address for a, r in p.grants]  # fmt: skip
        verdict = is_contained(
            _policy(new[address]), _policy(old[address]), expected_extra=grants, catalog=catalog
        )
        if not verdict.contained:
            why = (
                str(verdict.counterexample)
                if verdict.counterexample
                else "; ".join(verdict.reasons)
            )
            failing += [(p, f"it would allow more: {why}") for p in changed
                        if p.record.address == address]  # fmt: skip
    # AWS size limits: a rewrite that lists actions one by one can outgrow them.
    for address in sorted({p.record.address for p in changed}):
        if address in new:
            too_big = _over_size_limit(old[address], new[address])
            if too_big:
                failing += [(p, too_big) for p in changed if p.record.address == address]
        # (b) every observed, allowed action is still allowed for its principal.
    for report in reports:
        if not report.arn or not any(p.edits for p in report.plans):
            continue
        usage = usage_for(snapshot, report.arn)
        failing += _still_allows_usage(report, usage, old, new, catalog)
    if failing:
        return failing
    # (c) planning again on the patched text changes nothing. What the first run kept for being
    # recently written is kept again (the patched lines have no history of their own).
    recent_kept = {
        action.lower()
        for r in reports
        for p in r.plans
        for action, why in p.kept.items()
        if "-day margin" in why
    }
    again, _ = plan_project(
        patched_project,
        snapshot,
        stage,
        catalog,
        addresses,
        (keep or set()) | recent_kept,
        config,
        grant_denied,
        cwd,
        texts_in_memory=result.patched,
    )
    for report in again:
        for plan in report.plans:
            if not plan.edits or _wanted_and_left_out(plan, reports):
                continue
            address = plan.record.address
            original = next(
                (p for r in reports for p in r.plans if p.record.address == address and p.edits),
                None,
            )
            if original is not None:
                failing.append((original, "a second run would change it again"))
    return failing


def _wanted_and_left_out(plan: StatementPlan, reports: list[PrincipalReport]) -> bool:
    """The first run wanted this change too and left it out, for a reason it reported (a
    removal that collided with a narrowing): wanting it again is not a moving target."""
    statements = plan.deletes or (plan.index,)
    same = [
        p
        for r in reports
        for p in r.plans
        if p.record.address == plan.record.address and (p.deletes or (p.index,)) == statements
    ]
    return bool(same) and not any(p.edits for p in same)


def _still_allows_usage(
    report: PrincipalReport,
    usage: PrincipalUsage,
    old: dict[str, PolicyRecord],
    new: dict[str, PolicyRecord],
    catalog: Catalog,
) -> list[tuple[StatementPlan, str]]:
    """Each used action, on the resources it was seen on: allowed before means allowed after."""
    addresses = [a for a in report.principal.identity_policies if a in old]
    old_policies = [_policy(old[a]) for a in addresses]
    new_policies = [_policy(new[a]) for a in addresses if a in new]
    failing: list[tuple[StatementPlan, str]] = []
    for action in sorted(usage.used):
        resources = sorted(usage.resources.get(action, set())) or ["*"]
        probe = parse_policy(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": [action], "Resource": resources}],
            }
        )
        if not is_contained(probe, old_policies, catalog=catalog).contained:
            continue  # not (provably) allowed before: nothing to keep
        if not is_contained(probe, new_policies, catalog=catalog).contained:
            failing += [
                (p, f"{action} was used and would no longer be allowed")
                for p in report.plans
                if p.edits
            ]
    return failing
