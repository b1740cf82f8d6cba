"""Deciding, statement by statement, what a narrower policy should allow, one stage at a time.

- ``service``: every action pattern is cut to the services the principal used;
- ``action``: every pattern becomes exactly the actions the principal used;
- ``resource`` is not planned yet (see the README).

The margin: what the evidence could not have seen stays (never-logged actions such as
``iam:PassRole``, data-event actions when data events were off, services with service-level
evidence only), and is named. Deny statements, conditions, NotAction statements and anything
written through an unknown value are left untouched, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlint.checks.finding import Edit
from iamlint.fix.evidence import PrincipalUsage
from iamlint.fix.lists import (
    HCL,
    HCL_DOCUMENT,
    JSON,
    JSON_IN_STRING,
    JSON_TEMPLATE,
    CannotEdit,
    ListSite,
    quote,
    rewrite,
)
from iamlint.model import Location, Unknown
from iamlint.policy.catalog import Catalog
from iamlint.policy.document import Effect, Statement
from iamlint.terraform.project import PolicyRecord
from iamlint.usage.observability import never_logged_reason

SERVICE, ACTION, RESOURCE = "service", "action", "resource"
STAGES = (SERVICE, ACTION, RESOURCE)
# A pattern whose unobservable actions are more than this keeps the pattern itself.
MAX_LISTED_MARGIN = 10


@dataclass(slots=True)
class StatementPlan:
    record: PolicyRecord
    index: int
    label: str
    before: list[str]
    after: list[str]
    kept: dict[str, str] = field(default_factory=dict)  # pattern or action -> why it stays
    edits: list[Edit] = field(default_factory=list)
    skipped: str = ""  # why this statement is not patched
    # (action, resource) this plan adds on purpose for an observed AccessDenied: a widening.
    grants: list[tuple[str, str]] = field(default_factory=list)
    site: tuple[str, int, int] | None = None  # where the Action list is written
    split: bool = False  # the statement becomes several, one per group of resources
    # Statements this plan removes whole (nothing they allow was used); see fix/statements.py.
    deletes: tuple[int, ...] = ()

    @property
    def changes(self) -> bool:
        return bool(self.edits)


def plan_statement(
    record: PolicyRecord,
    statement: Statement,
    usage: PrincipalUsage,
    stage: str,
    catalog: Catalog,
    texts: dict[str, str],
    keep: set[str],
    recent: Any = None,
) -> StatementPlan | None:
    if statement.effect is not Effect.ALLOW:
        return None  # Deny statements are never touched
    label = f"{record.address} {statement.label}"
    plan = StatementPlan(record, statement.index, label, [], [])
    if statement.not_action:
        plan.skipped = "NotAction statements are not rewritten (narrow them by hand)"
        return plan
    actions = statement.actions
    if isinstance(actions, Unknown) or any(isinstance(a, Unknown) for a in actions):
        plan.skipped = f"its actions are not known statically ({_unknown_text(actions)})"
        return plan
    if stage == RESOURCE:
        return _plan_resources(plan, record, statement, usage, catalog, texts)
    before = [str(a) for a in actions]
    plan.before = before
    after: list[str] = []
    for position, pattern in enumerate(before):
        age = _recently_written(record, statement.index, position, recent)
        if age is not None:
            plan.kept[pattern] = (f"written {age:.0f} days ago, inside the {recent.days}-day "
                                  "margin: too new for the evidence to show its use")  # fmt: skip
            after.extend([pattern] if pattern not in after else [])
            continue
        replaced, reasons = _narrow(pattern, usage, stage, catalog, keep)
        plan.kept.update(reasons)
        after.extend(r for r in replaced if r not in after)
    plan.after = after
    if _same(before, after):
        return plan
    if not after:
        # Removed whole; the edit is made for all of the policy's removals at once.
        plan.deletes = (statement.index,)
        return plan
    try:
        site = _site(record, statement.index, texts)
    except CannotEdit as err:
        plan.skipped = str(err)
        return plan
    plan.edits = rewrite(site, after)
    plan.site = (site.file, site.start, site.end)
    return plan


def _recently_written(record: PolicyRecord, index: int, position: int, recent: Any) -> float | None:
    if recent is None:
        return None
    base = f"/Statement/{index}/Action"
    loc = record.spans.get(f"{base}/{position}") or record.spans.get(base)
    return recent.is_recent(loc) if loc is not None else None


def _same(before: list[str], after: list[str]) -> bool:
    return sorted(a.lower() for a in before) == sorted(a.lower() for a in after)


def _unknown_text(actions: Any) -> str:
    if isinstance(actions, Unknown):
        return actions.text
    return ", ".join(a.text for a in actions if isinstance(a, Unknown))


def _narrow(
    pattern: str, usage: PrincipalUsage, stage: str, catalog: Catalog, keep: set[str]
) -> tuple[list[str], dict[str, str]]:
    """What ``pattern`` becomes, and the reasons for what stays beyond the evidence."""
    lowered = pattern.lower()
    if lowered in keep:
        return [pattern], {pattern: "kept by configuration"}
    covered = catalog.expand(pattern)
    if not covered:
        # Not in the catalog (a new or misspelled action): we cannot tell what it covers.
        return [pattern], {pattern: "not in the action catalog; left as written"}
    used = sorted({a.full_name for a in covered if a.full_name.lower() in usage.used})
    reasons: dict[str, str] = {}
    margin: list[str] = []
    for info in covered:
        name = info.full_name
        if name.lower() in usage.used:
            continue
        why = never_logged_reason(name)
        if (
            why
            and _checked_inside_own_service(name)
            and info.service not in usage.services
            and usage.service_calls_visible(info.service, catalog)
        ):
            continue  # checked only inside that service's own calls, and none were seen
        if why is None:
            seen = usage.visibility(name)
            if seen.level != "action":
                why = "; ".join(seen.reasons) or f"the evidence cannot see {name} call by call"
        if why:
            margin.append(name)
            reasons[name] = why
    if stage == SERVICE:
        return _service_stage(pattern, covered, usage.services, margin, reasons)
    if len(margin) > MAX_LISTED_MARGIN:
        # Too many invisible actions to list: keep the pattern and say why.
        sample = next(iter(reasons.values()))
        return [pattern], {pattern: f"{len(margin)} of its actions are invisible to the evidence "
                                    f"({sample})"}  # fmt: skip
    return sorted({*used, *margin}), reasons


def _checked_inside_own_service(action: str) -> bool:
    """Permission-only actions (``cleanrooms:PassCollaboration``, ``sts:TagSession``) are
    checked inside calls to their own service; ``iam:PassRole`` is checked inside any service's
    calls, so it is never judged by its own service's use."""
    return action.lower() != "iam:passrole"


def _service_stage(
    pattern: str,
    covered: list[Any],
    used_services: set[str],
    margin: list[str],
    reasons: dict[str, str],
) -> tuple[list[str], dict[str, str]]:
    """Keep what names a used service; cut wildcards spanning services to the used ones."""
    action_part = pattern.partition(":")[2]
    services = sorted({info.service for info in covered})
    margin_services = {m.partition(":")[0].lower() for m in margin}
    if len(services) == 1:
        service = services[0]
        if service in used_services:
            return [pattern], {}
        if service in margin_services:
            why = next(reasons[m] for m in margin if m.partition(":")[0].lower() == service)
            return [pattern], {pattern: why}  # fmt: skip
        return [], {}
    name_part = action_part if action_part else "*"
    out = [f"{s}:{name_part}" for s in services if s in used_services]
    kept_reasons: dict[str, str] = {}
    for name in margin:
        service = name.partition(":")[0].lower()
        if service not in used_services:
            out.append(name)  # an invisible action of an unused service: keep just that action
            kept_reasons[name] = reasons[name]
    return sorted(dict.fromkeys(out)), kept_reasons


# --- where the statement's Action list is written --------------------------------------------


def _site(
    record: PolicyRecord, index: int, texts: dict[str, str], element: str = "Action"
) -> ListSite:
    noun = "actions" if element == "Action" else "resources"
    pointer = f"/Statement/{index}/{element}"
    loc = record.spans.get(pointer)
    if loc is None:
        raise CannotEdit(f"iamlint does not know where its {noun} are written")
    text = texts[loc.file]
    written = text[loc.start : loc.end]
    stripped = written.strip()
    items: list[tuple[int, int]] = []
    values: list[str] = []
    statement = record.document["Statement"][index]
    current = statement.get(element, [])
    if stripped.startswith("["):
        for j, value in enumerate(current):
            item = record.spans.get(f"{pointer}/{j}")
            if item is None or item.file != loc.file or not (loc.start <= item.start < loc.end):
                raise CannotEdit(f"{value!r} is not written in the list itself")
            if not text[item.start : item.end].startswith(('"', '\\"')):
                raise CannotEdit(f"{value!r} is written as an expression, not a string")
            items.append((item.start, item.end))
            values.append(str(value))
    elif not stripped.startswith(('"', '\\"')):
        raise CannotEdit(f"its {noun} come from {stripped!r}; change them where they are set")
    return ListSite(loc.file, text, loc.start, loc.end, tuple(items), tuple(values),
                    _context(record, loc, text))  # fmt: skip


def _context(record: PolicyRecord, loc: Location, text: str) -> str:
    if loc.file.endswith(".json"):
        return JSON
    if loc.file.endswith((".tpl", ".tftpl")):
        return JSON_TEMPLATE
    value = record.location
    if value.file == loc.file and value.start <= loc.start < value.end:
        if text[value.start : value.start + 2] == "<<":
            return JSON_TEMPLATE
        if text[value.start] == '"':
            return JSON_IN_STRING
        return HCL
    if any("aws_iam_policy_document" in origin for origin in record.origins):
        return HCL_DOCUMENT
    return HCL


class SourceTexts(dict[str, str]):
    """File texts by displayed path, read on first use relative to the folder paths are
    displayed from (BOM removed, line endings kept, exactly as the reader saw them)."""

    def __init__(self, base: Path) -> None:
        super().__init__()
        self.base = base

    def __missing__(self, display: str) -> str:
        text = (self.base / display).read_bytes().decode("utf-8-sig")
        self[display] = text
        return text


# --- a grant for an observed AccessDenied --------------------------------------------------


def plan_grant(
    candidates: list[tuple[PolicyRecord, Statement]],
    action: str,
    resource: str | None,
    texts: dict[str, str],
) -> StatementPlan | str:
    """Add ``action`` to the Allow statement that already serves this service on this resource.

    Returns the plan, or why no statement can simply take one more action.
    """
    from iamlint.policy.conditions import RequestContext
    from iamlint.policy.matching import match_resource
    from iamlint.policy.tri import Tri

    service = action.partition(":")[0].lower()
    best: tuple[int, PolicyRecord, Statement] | None = None
    for record, statement in candidates:
        if statement.effect is not Effect.ALLOW or statement.not_action or statement.conditions:
            continue
        actions = statement.actions
        if isinstance(actions, Unknown) or any(isinstance(a, Unknown) for a in actions):
            continue
        same_service = sum(1 for a in actions if str(a).lower().startswith(f"{service}:"))
        if not same_service:
            continue
        if resource and match_resource(statement, resource, RequestContext()) is not Tri.TRUE:
            continue
        if best is None or same_service > best[0]:
            best = (same_service, record, statement)
    if best is None:
        return f"no Allow statement for {service} on {resource or '*'} to extend; add one by hand"
    _, record, statement = best
    before = [str(a) for a in statement.actions]  # type: ignore[union-attr]
    plan = StatementPlan(record, statement.index, f"{record.address} {statement.label}", before,
                         [*before, action])  # fmt: skip
    try:
        site = _site(record, statement.index, texts)
        plan.edits = rewrite(site, plan.after)
        plan.site = (site.file, site.start, site.end)
    except CannotEdit as err:
        return str(err)
    # The action reaches every resource the statement names: that is the widening, stated.
    resources = statement.resources
    named = [str(r) for r in resources] if isinstance(resources, tuple) else [resource or "*"]
    plan.grants.extend((action, r) for r in named)
    return plan


# --- the resource stage ----------------------------------------------------------------------


def _plan_resources(
    plan: StatementPlan,
    record: PolicyRecord,
    statement: Statement,
    usage: PrincipalUsage,
    catalog: Catalog,
    texts: dict[str, str],
) -> StatementPlan:
    """Narrow the statement's resources to those its actions were seen on, generalized as the
    evidence generalizes them (``bucket/*``), and only where every action carries them."""
    from iamlint.policy.conditions import RequestContext
    from iamlint.policy.matching import match_resource
    from iamlint.policy.tri import Tri

    resources = statement.resources
    if statement.not_resource or resources is None:
        plan.skipped = "no Resource list to narrow (NotResource or none)"
        return plan
    if isinstance(resources, Unknown) or any(isinstance(r, Unknown) for r in resources):
        plan.skipped = f"its resources are not known statically ({_unknown_text(resources)})"
        return plan
    before = [str(r) for r in resources]
    plan.before = before
    if any("${" in r for r in before):
        plan.skipped = "its resources use policy variables; left as written"
        return plan
    observed: set[str] = set()
    by_pattern: dict[str, set[str]] = {}
    for pattern in (str(a) for a in statement.actions):  # type: ignore[union-attr]
        seen_by_pattern = by_pattern.setdefault(pattern, set())
        for info in catalog.expand(pattern) or ():
            name = info.full_name.lower()
            if name not in usage.used:
                plan.skipped = (
                    f"{info.full_name} was not seen call by call, so the resources it needs "
                    "are unknown (narrow the actions first)"
                )
                return plan
            seen = usage.resources.get(name)
            if not seen:
                plan.skipped = f"the evidence does not record the resources of {info.full_name}"
                return plan
            observed.update(seen)
            seen_by_pattern.update(seen)
    if "*" in observed:
        plan.skipped = 'some of its actions take only Resource "*"'
        return plan

    def own(resources: set[str]) -> list[str]:
        # Only what this statement itself allowed: other statements answer for the rest.
        return sorted(
            r for r in resources if match_resource(statement, r, RequestContext()) is Tri.TRUE
        )

    groups: dict[tuple[str, ...], list[str]] = {}
    for pattern, resources in by_pattern.items():
        groups.setdefault(tuple(own(resources)), []).append(pattern)
    after = own(observed)
    plan.after = after
    if not after or sorted(before) == after:
        return plan
    if len(groups) > 1 and all(groups):
        return _split_statement(plan, record, statement, groups, texts)
    try:
        site = _site(record, statement.index, texts, "Resource")
    except CannotEdit as err:
        plan.skipped = str(err)
        return plan
    plan.edits = rewrite(site, after)
    plan.site = (site.file, site.start, site.end)
    return plan


def _split_statement(
    plan: StatementPlan,
    record: PolicyRecord,
    statement: Statement,
    groups: dict[tuple[str, ...], list[str]],
    texts: dict[str, str],
) -> StatementPlan:
    """Actions seen on different resources: the statement keeps the first group, and a copy of
    it, written just after, carries each other group (its Sid, if any, numbered)."""
    index = statement.index
    whole = record.spans.get(f"/Statement/{index}")
    try:
        actions_site = _site(record, index, texts, "Action")
        resources_site = _site(record, index, texts, "Resource")
    except CannotEdit as err:
        plan.skipped = str(err)
        return plan
    if whole is None or not (
        whole.start <= actions_site.start < whole.end
        and whole.start <= resources_site.start < whole.end
    ):
        plan.skipped = "its actions and resources are not written inside the statement itself"
        return plan
    text = texts[whole.file]
    written = text[whole.start : whole.end]
    if not (written.startswith("statement") or written.startswith("{")):
        plan.skipped = "a statement generated by Terraform (dynamic or for) is not split"
        return plan
    ordered = list(groups.items())
    (first_resources, first_actions), rest = ordered[0], ordered[1:]
    edits = [
        *rewrite(actions_site, first_actions),
        *rewrite(resources_site, list(first_resources)),
    ]
    copies = []
    sid_loc = record.spans.get(f"/Statement/{index}/Sid")
    for number, (resources, actions) in enumerate(rest, start=2):
        copy_edits = [
            *rewrite(actions_site, actions),
            *rewrite(resources_site, list(resources)),
        ]
        if sid_loc is not None and isinstance(statement.sid, str):
            copy_edits.append(
                Edit(
                    sid_loc.file,
                    sid_loc.start,
                    sid_loc.end,
                    quote(f"{statement.sid}{number}", actions_site.context),
                )
            )
        copies.append(_apply_within(text, whole.start, whole.end, copy_edits))
    try:
        edits.append(_insert_after(text, whole.file, whole.start, whole.end, written, copies))
    except CannotEdit as err:
        plan.skipped = str(err)
        return plan
    plan.edits = edits
    plan.site = (resources_site.file, resources_site.start, resources_site.end)
    plan.after = [f"{', '.join(a)} on {', '.join(r)}" for r, a in ordered]
    plan.split = True
    return plan


def _apply_within(text: str, start: int, end: int, edits: list[Edit]) -> str:
    """The text of ``[start, end)`` after edits that all fall inside it."""
    from iamlint.fix.apply import apply_edits

    patched = apply_edits(text, edits)
    return patched[start : end + len(patched) - len(text)]


def _insert_after(
    text: str, file: str, start: int, end: int, written: str, copies: list[str]
) -> Edit:
    line_start = text.rfind("\n", 0, start) + 1
    indent = text[line_start:start]
    if indent.strip():
        raise CannotEdit("the statement shares its line with other text; not split")
    if written.startswith("statement"):
        joined = "".join(f"\n\n{indent}{copy}" for copy in copies)
        return Edit(file, end, end, joined)
    # An element of a list: after its comma if it has one, else with one.
    after = text[end:]
    stripped = after.lstrip(" \t")
    if stripped.startswith(","):
        comma = end + (len(after) - len(stripped)) + 1
        joined = "".join(f"\n{indent}{copy}," for copy in copies)
        return Edit(file, comma, comma, joined)
    joined = "".join(f",\n{indent}{copy}" for copy in copies)
    return Edit(file, end, end, joined)
