"""U601, U602, U603 and the per-action U605: one identity policy's Allow statements against the
observed usage of every principal that holds the policy.

Each granted action (patterns expanded over the catalog) falls in exactly one class:

* *used*: observed, allowed or denied (a denied call was still needed);
* *blind*: the evidence could not have seen it (never logged, data events off, service-level
  evidence only): kept, and named in a U605;
* *unused service*: no call of its service at all, and every granted action of that service
  was visible: U602;
* *unused*: visible at action level (or its service made no call at all) and not used: U601.

Findings are grouped by the Action items that grant them, so that ``s3:Get*`` gets one finding
at its own span and ``*`` one finding, not thousands.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from iamlint.checks import support as s
from iamlint.checks.context import CheckContext
from iamlint.checks.finding import Finding
from iamlint.model import Location, Unknown
from iamlint.policy.document import Statement
from iamlint.policy.matching import match_action
from iamlint.policy.patterns import has_wildcard, resource_matches
from iamlint.policy.tri import Tri
from iamlint.terraform.project import PolicyRecord
from iamlint.usage.evidence import ObservedAction
from iamlint.usage.observability import is_data_event_action, never_logged_reason, observability
from iamlint.usage.snapshot import Snapshot

LISTED = 8  # names spelled out in a message; the finding's `extra` has them all


@dataclass(slots=True)
class Usage:
    """What the holders of one policy were observed doing, merged."""

    rows: list[ObservedAction]
    note: str  # which evidence, and the join's caveats, for every message
    days: str  # "57 days", for messages
    weak: tuple[str, ...]  # reasons every "unused" claim is only possible
    # Source ids that speak for these principals: account-wide CloudTrail, and per-principal
    # sources (last-accessed, Access Analyzer, iamlive) only where they name one of them.
    sources: frozenset[str] = frozenset()
    # Access Analyzer / last-accessed claims of non-use (lower-case actions and services).
    claimed: frozenset[str] = frozenset()
    claimed_services: frozenset[str] = frozenset()
    actions: set[str] = field(default_factory=set)  # lower-case, action-level rows
    services: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.actions = {r.action.lower() for r in self.rows if r.granularity == "action"}
        self.services = {r.action.partition(":")[0].lower() for r in self.rows}


CLAIMS = "claims"  # visible only through claims of non-use: unused only where claimed
_CLAIM_ONLY_KINDS = frozenset({"access_analyzer.unused_access"})


class Observer:
    """`observability` memoized per action and per set of relevant sources: ``*`` expands to
    every action in the catalog, and module instances share their sources."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._kinds = {src["id"]: src["kind"] for src in snapshot["sources"]}
        self._views: dict[frozenset[str], Snapshot] = {}
        self._seen: dict[tuple[frozenset[str], str], tuple[str, str]] = {}
        # Module instances repeat the same Action lists: expand each once (read-only results).
        self._granted: dict[tuple[object, bool], dict[str, _Granted]] = {}

    def granted(self, ctx: CheckContext, statement: Statement) -> dict[str, _Granted]:
        key = (statement.actions, statement.not_action)
        found = self._granted.get(key)
        if found is None:
            found = self._granted[key] = granted_actions(ctx, statement)
        return found

    def see(self, action: str, sources: frozenset[str]) -> tuple[str, str]:
        """(level, why it is blind or "") as far as ``sources`` go."""
        key = (sources, action)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._judge(action, self._view(sources))
        return found

    def _view(self, sources: frozenset[str]) -> Snapshot:
        view = self._views.get(sources)
        if view is None:
            kept = [src for src in self.snapshot["sources"] if src["id"] in sources]
            view = self._views[sources] = {**self.snapshot, "sources": kept}
        return view

    def _judge(self, action: str, view: Snapshot) -> tuple[str, str]:
        seen = observability(view, action)
        level = seen.level
        service = action.partition(":")[0]
        if level != "none" and all(self._kinds[i] in _CLAIM_ONLY_KINDS for i in seen.sources):
            return CLAIMS, ""  # an unused-access analyzer lists what was NOT used, nothing else
        if level == "action":
            return level, ""
        if never_logged_reason(action):
            return "none", "never logged"
        if level == "service":
            return level, f"only service-level evidence for {service}"
        if is_data_event_action(action):
            return level, f"{service} data events were not logged"
        return level, "no source could record it"


@dataclass(slots=True)
class _Granted:
    name: str  # as the catalog spells it
    items: set[int | None] = field(default_factory=set)  # Action item indexes granting it


def granted_actions(ctx: CheckContext, statement: Statement) -> dict[str, _Granted]:
    """Every action the statement grants, by lower-case name; unknown items are skipped (the
    statement then may grant more, which only ever keeps more)."""
    out: dict[str, _Granted] = {}
    if statement.not_action:
        excluded = {
            a.full_name.lower()
            for item in s.items(statement.actions)
            if isinstance(item.value, str)
            for a in ctx.catalog.expand(item.value)
        }
        for info in ctx.catalog.all_actions():
            if info.full_name.lower() not in excluded:
                out.setdefault(info.full_name.lower(), _Granted(info.full_name)).items.add(None)
        return out
    for item in s.items(statement.actions):
        if isinstance(item.value, Unknown):
            continue
        names = [a.full_name for a in ctx.catalog.expand(item.value)]
        if not names and not has_wildcard(item.value) and ":" in item.value:
            names = [item.value]  # not in the catalog (V102 says so): judged by its name
        for name in names:
            out.setdefault(name.lower(), _Granted(name)).items.add(item.index)
    return out


@dataclass(slots=True)
class _Classes:
    used: list[str] = field(default_factory=list)
    blind: dict[str, str] = field(default_factory=dict)  # action -> why
    unused: list[str] = field(default_factory=list)
    unused_services: dict[str, list[str]] = field(default_factory=dict)


def classify(granted: dict[str, _Granted], usage: Usage, observer: Observer) -> _Classes:
    out = _Classes()
    dark: dict[str, list[str]] = {}  # unused service -> its visible granted actions
    blind_services: set[str] = set()
    for key, grant in sorted(granted.items()):
        service = key.partition(":")[0]
        if key in usage.actions:
            out.used.append(grant.name)
            continue
        level, why = observer.see(grant.name, usage.sources)
        if level == CLAIMS:
            if service in usage.claimed_services:
                dark.setdefault(service, []).append(grant.name)
            elif key in usage.claimed:
                out.unused.append(grant.name)
            continue  # not claimed unused: the analyzer saw it used (or does not track it)
        if level == "none":
            out.blind[grant.name] = why
            if why != "never logged":
                # Calls of the service may have gone unseen (data events): it cannot be called
                # unused as a whole. A permission-only action is checked inside *other* calls,
                # so it says nothing about the service's own calls.
                blind_services.add(service)
        elif service not in usage.services:
            # No call of the service at all: service-level visibility is enough to say so.
            dark.setdefault(service, []).append(grant.name)
        elif level == "action":
            out.unused.append(grant.name)
        else:
            out.blind[grant.name] = why
    for service, names in dark.items():
        if service in blind_services:
            out.unused += names  # part of the service is invisible: not "unused at all"
        else:
            out.unused_services[service] = names
    out.unused.sort()
    return out


# --- findings ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Site:
    """Where a group of actions is granted: one Action item, or the element for several."""

    ctx: CheckContext
    record: PolicyRecord
    statement: Statement
    usage: Usage

    def location(self, items: frozenset[int | None]) -> Location:
        element = s.action_element(self.statement)
        index = next(iter(items)) if len(items) == 1 else None
        return s.element_location(self.record, self.statement, element, index)

    def pattern(self, items: frozenset[int | None]) -> str:
        if self.statement.not_action:
            return "NotAction"
        values = self.statement.actions
        texts = (
            [str(values[i]) for i in sorted(i for i in items if i is not None)]
            if isinstance(values, tuple)
            else []
        )
        return ", ".join(texts)

    def finding(
        self, rule: str, items: frozenset[int | None], subject: str, message: str, **extra: object
    ) -> Finding:
        weak = bool(self.usage.weak) and rule != "U605"
        if weak:
            message += f" (weak evidence: {'; '.join(self.usage.weak)})"
        found = s.finding(
            self.ctx,
            rule,
            self.record,
            self.statement,
            subject=subject,
            message=message + self.usage.note,
            location=self.location(items),
            possible=weak,
        )
        found.extra.update(extra)
        return found


def _by_items(
    names: list[str], granted: dict[str, _Granted]
) -> dict[frozenset[int | None], list[str]]:
    groups: dict[frozenset[int | None], list[str]] = {}
    for name in names:
        groups.setdefault(frozenset(granted[name.lower()].items), []).append(name)
    return groups


def listed(names: list[str]) -> str:
    shown = ", ".join(names[:LISTED])
    return shown + (f" (+{len(names) - LISTED} more)" if len(names) > LISTED else "")


def statement_findings(
    ctx: CheckContext,
    record: PolicyRecord,
    statement: Statement,
    usage: Usage,
    observer: Observer,
) -> Iterator[Finding]:
    granted = observer.granted(ctx, statement)
    if not granted:
        return
    classes = classify(granted, usage, observer)
    site = _Site(ctx, record, statement, usage)
    yield from _unused_services(site, classes, granted)
    yield from _unused_actions(site, classes, granted)
    yield from _blind(site, classes, granted)
    yield from resource_findings(site, classes)


def _unused_services(
    site: _Site, classes: _Classes, granted: dict[str, _Granted]
) -> Iterator[Finding]:
    by_items: dict[frozenset[int | None], list[str]] = {}
    for service, names in classes.unused_services.items():
        items = frozenset(i for n in names for i in granted[n.lower()].items)
        by_items.setdefault(items, []).append(service)
    for items, services in sorted(by_items.items(), key=lambda kv: sorted(kv[1])):
        services.sort()
        count = sum(len(classes.unused_services[svc]) for svc in services)
        what = f"service {services[0]}" if len(services) == 1 else f"{len(services)} services"
        used = sorted({a.partition(":")[0] for a in classes.used})
        message = (
            f"{site.pattern(items) or 'this statement'} grants {what} never called in "
            f"{site.usage.days} ({count} actions): {listed(services)}"
            + (f"; used: {', '.join(used)}" if used else "")
        )
        # The subject (a fingerprint's material) stays short and stable: the services, or the
        # granting pattern when they are many; the full lists are in `extra`.
        subject = ", ".join(services) if len(services) <= LISTED else site.pattern(items)
        yield site.finding("U602", items, subject, message, unused_services=services, used=used)


def _unused_actions(
    site: _Site, classes: _Classes, granted: dict[str, _Granted]
) -> Iterator[Finding]:
    for items, names in sorted(_by_items(classes.unused, granted).items(), key=lambda kv: kv[1]):
        kept = [n for n in classes.used if granted[n.lower()].items & items]
        pattern = site.pattern(items)
        if len(names) == 1 and pattern.lower() == names[0].lower():
            message = (
                f"{names[0]} was not used in {site.usage.days}, though the evidence could "
                "have seen it"
            )
        else:
            what = f"{pattern} grants" if pattern else "granted:"
            message = (
                f"{what} {len(names)} action{'s' if len(names) > 1 else ''} not used in "
                f"{site.usage.days}, though the evidence could have seen them: {listed(names)}"
            )
        message += f"; used: {listed(kept)}" if kept else ""
        unseen = sorted(n for n in classes.blind if granted[n.lower()].items & items)
        message += f"; kept, the evidence could not see: {listed(unseen)}" if unseen else ""
        subject = pattern or ", ".join(names)
        yield site.finding("U601", items, subject, message, unused=names, used=kept)


def _blind(site: _Site, classes: _Classes, granted: dict[str, _Granted]) -> Iterator[Finding]:
    groups = _by_items(sorted(classes.blind), granted)
    for items, names in sorted(groups.items(), key=lambda kv: kv[1]):
        reasons: dict[str, list[str]] = {}
        for name in names:
            reasons.setdefault(classes.blind[name], []).append(name)
        parts = [f"{listed(group)} ({why})" for why, group in sorted(reasons.items())]
        message = (
            f"kept, whatever their use: the evidence could not see "
            f"{len(names)} granted action{'s' if len(names) > 1 else ''}: {'; '.join(parts)}"
        )
        yield site.finding(
            "U605",
            items,
            "blind: " + (site.pattern(items) or ", ".join(names)),
            message,
            blind=dict(sorted(reasons.items())),
        )


# --- U603: resources ---------------------------------------------------------------------------


def _covers(pattern: str, resource: str) -> bool:
    """Does ``pattern`` cover the (possibly generalized) observed ``resource``? Its wildcards
    are read as literal text, which can only under-report "broader" (never over-report)."""
    return resource_matches(pattern, resource, {}, variables=True) is not False


def resource_findings(site: _Site, classes: _Classes) -> Iterator[Finding]:
    statement = site.statement
    if statement.not_resource or not isinstance(statement.resources, tuple):
        return
    catalog = site.ctx.catalog
    relevant = [
        row
        for row in site.usage.rows
        if row.granularity == "action"
        and match_action(statement, row.action) is Tri.TRUE
        and catalog.accepts_only_wildcard_resource(row.action) is not True
    ]
    named = [r for r in relevant if r.resource is not None]
    if not named:
        return  # nothing observed through this statement names a resource
    unnamed = sorted({r.action for r in relevant if r.resource is None})
    caveats = []
    if unnamed:
        caveats.append(f"calls of {listed(unnamed)} named no resource")
    blind = sorted(classes.blind)
    if blind:
        caveats.append(f"the evidence could not see {listed(blind)}")
    # Denied calls still count as needing a resource they fall in, but are not "observed use".
    observed = sorted({r.resource for r in named if r.resource and r.outcome != "denied"})
    for item in s.items(statement.resources):
        if not isinstance(item.value, str) or "${" in item.value:
            continue  # unresolved, or a policy variable: its reach depends on the caller
        yield from _resource_item(site, item.index, item.value, named, observed, caveats)


def _resource_item(
    site: _Site,
    index: int | None,
    pattern: str,
    named: list[ObservedAction],
    observed: list[str],
    caveats: list[str],
) -> Iterator[Finding]:
    seen = {r.resource for r in named if r.resource}
    if any(_covers(r, pattern) for r in seen):
        # An observed resource is at least as wide: the item was used, or the snapshot's
        # generalization (bucket/* for every object) hides which part of it was.
        return
    inside = sorted(r for r in seen if _covers(pattern, r))
    if inside:
        message = f"{pattern} is broader than the resources observed: {listed(inside)}"
    else:
        message = (
            f"{pattern}: no observed call of this statement's actions used it "
            f"(observed: {listed(observed)})"
        )
    if caveats:
        message += f"; but {'; '.join(caveats)}"
    where = s.element_location(
        site.record, site.statement, s.resource_element(site.statement), index
    )
    weak = bool(site.usage.weak) or bool(caveats)
    if site.usage.weak:
        message += f" (weak evidence: {'; '.join(site.usage.weak)})"
    found = s.finding(
        site.ctx,
        "U603",
        site.record,
        site.statement,
        subject=pattern,
        message=message + site.usage.note,
        location=where,
        possible=weak,
    )
    found.extra.update({"observed": inside or [], "resource": pattern})
    yield found
