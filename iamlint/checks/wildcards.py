"""W2xx: grants broader than they look, in identity policies.

W201 ``*`` on ``*``, W202 any action, W203 ``s3:*``, W204 ``s3:Get*``, W205 ``Resource "*"`` on
actions that accept a narrower resource, W206 Allow + NotAction, W207 Allow + NotResource, W208
a broad AWS-managed policy attached.

Only identity policies are judged (and policy documents nothing visible uses, when they carry no
Principal): a KMS key policy's ``kms:*`` on ``*`` for the account root, an SCP's ``FullAWSAccess``
or a boundary's ``*`` are how those policies are meant to be written. Deny statements never
grant; conditions lower a finding (W205: a resource-scoping condition removes it); unknown
values that could spell a wildcard are reported as possible.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from iamlint.checks import support as s
from iamlint.checks.context import CheckContext
from iamlint.checks.finding import Certainty, Finding
from iamlint.model import Location, Unknown
from iamlint.policy.catalog import AccessLevel, ActionInfo, Catalog
from iamlint.policy.conditions import NEGATED_OPERATORS
from iamlint.policy.document import ConditionClause, Policy, Statement, brief
from iamlint.policy.patterns import has_wildcard
from iamlint.terraform.project import AttributeValue, PolicyRecord, PrincipalRecord

ANY, SERVICE, NAME = "any", "service", "name"


@dataclass(frozen=True, slots=True)
class Judging:
    """How a record is judged: as written, or (an unattached document) only possibly."""

    possible: bool = False
    note: str = ""


def _judging(ctx: CheckContext, record: PolicyRecord) -> Judging | None:
    if record.kind == s.IDENTITY:
        return Judging()
    if record.kind == s.DOCUMENT:
        policy: Policy = ctx.policy(record)
        if any(st.principal is not None for st in policy.statements):
            return None  # a resource or trust document: not a grant to its holder
        return Judging(
            possible=True,
            note=" (a policy document nothing iamlint sees uses; judged as an identity policy)",
        )
    return None


# --- classifying action patterns ---------------------------------------------------------------


def classify(pattern: str) -> str | None:
    """``any`` (every action), ``service`` (``s3:*``), ``name`` (``s3:Get*``) or None."""
    if pattern.strip("*") == "" or pattern.replace("*", "") == ":":
        return ANY
    if not has_wildcard(pattern):
        return None
    service, _, name = pattern.partition(":")
    if name.strip("*") == "" and not has_wildcard(service):
        return SERVICE
    return NAME


def _pattern_of(value: Unknown) -> str | None:
    """What an unknown action could at most be, as a pattern (unknown pieces read as ``*``)."""
    if value.parts is None:
        return "*"
    return "".join("*" if p is None else p for p in value.parts)


def _levels(actions: list[ActionInfo]) -> str:
    counts = Counter(a.access_level.value for a in actions)
    order = ["Permissions management", "Write", "Tagging", "List", "Read"]
    return ", ".join(f"{level} {counts[level]}" for level in order if counts[level])


# --- per statement ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Statement:
    """One Allow (or possibly-Allow) statement of a judged record, and what lowers it."""

    ctx: CheckContext
    record: PolicyRecord
    statement: Statement
    judging: Judging
    effect_unknown: bool
    wholly_unknown: frozenset[str] = frozenset()  # texts of unknowns with no literal piece

    @property
    def lowered(self) -> int:
        return 1 if self.statement.has_conditions else 0

    def note(self, *unknowns: str) -> str:
        extra = ""
        if self.statement.has_conditions:
            extra += f"; only when {s.condition_summary(self.statement)}"
        if self.effect_unknown and isinstance(self.statement.effect, Unknown):
            extra += f"; if the unresolved Effect {brief(self.statement.effect.text)} is Allow"
        for text in unknowns:
            extra += f"; if the unresolved {brief(text)} spells it"
        return extra + self.judging.note

    def report(
        self,
        rule: str,
        subject: str,
        message: str,
        where: Location,
        *,
        unknowns: tuple[str, ...] = (),
        lowered: int | None = None,
    ) -> Finding:
        possible = self.judging.possible or self.effect_unknown or bool(unknowns)
        lowered = self.lowered if lowered is None else lowered
        if any(t in self.wholly_unknown for t in unknowns):
            lowered += 1  # nothing literal hints at a wildcard: one step lower again
        return s.finding(
            self.ctx,
            rule,
            self.record,
            self.statement,
            subject=subject,
            message=message + self.note(*unknowns),
            location=where,
            possible=possible,
            lowered=lowered,
        )


def _statement_findings(item: _Statement) -> Iterator[Finding]:
    statement = item.statement
    if statement.not_action:
        yield _not_action(item)
        if statement.not_resource:
            yield _not_resource(item)
        return
    # A definite "*" first: it decides, an unresolved entry only adds a possibility.
    any_action = sorted(_action_items(item, ANY), key=lambda pair: pair[1] is not None)
    star = _resource_star(statement)
    if any_action:
        index, unknown_text = any_action[0]
        where = s.element_location(item.record, statement, "Action", index)
        star_text = star[1]
        if star[0] and not (unknown_text is None and star_text):
            unknowns = tuple(t for t in (unknown_text, star_text) if t)
            yield item.report(
                "W201",
                "*:*" if not unknowns else f"*:* ({', '.join(unknowns)})",
                'full administrator access: Allow every action on "*"',
                where,
                unknowns=unknowns,
            )
        else:
            # Every action for sure; full admin too if an unresolved Resource is "*".
            admin = f'; if the unresolved {star_text} is "*", full administrator access'
            yield item.report(
                "W202",
                unknown_text or "*",
                'Allow every action (Action "*")' + (admin if star_text else ""),
                where,
                unknowns=(unknown_text,) if unknown_text else (),
            )
    yield from _service_wildcards(item)
    yield from _name_wildcards(item)
    if not any(text is None for _, text in any_action):
        yield from _resource_wildcard(item)
    if statement.not_resource:
        yield _not_resource(item)


def _action_items(item: _Statement, wanted: str) -> Iterator[tuple[int | None, str | None]]:
    """(index, unresolved text or None) of the action entries of the wanted class."""
    for entry in s.items(item.statement.actions):
        if isinstance(entry.value, Unknown):
            pattern = _pattern_of(entry.value)
            if pattern is not None and classify(pattern) == wanted:
                yield entry.index, entry.value.text
        elif classify(entry.value) == wanted:
            yield entry.index, None


def _service_wildcards(item: _Statement) -> Iterator[Finding]:
    catalog: Catalog = item.ctx.catalog
    for entry in s.items(item.statement.actions):
        value = entry.value
        text = value.text if isinstance(value, Unknown) else None
        pattern = _pattern_of(value) if isinstance(value, Unknown) else value
        if pattern is None or classify(pattern) != SERVICE:
            continue
        service = pattern.split(":", 1)[0]
        actions = catalog.expand(f"{service}:*")
        if not actions and text is None:
            continue  # an unknown service: V101 says so
        name = catalog.service_name(service) or service
        levels = f" ({_levels(actions)})" if actions else ""
        yield item.report(
            "W203",
            pattern if text is None else text,
            f"{pattern} grants every {name} action: {len(actions)} actions{levels}",
            s.element_location(item.record, item.statement, "Action", entry.index),
            unknowns=(text,) if text else (),
        )


def _name_wildcards(item: _Statement) -> Iterator[Finding]:
    catalog: Catalog = item.ctx.catalog
    for entry in s.items(item.statement.actions):
        if isinstance(entry.value, Unknown) or classify(entry.value) != NAME:
            continue
        actions = catalog.expand(entry.value)
        if not actions:
            continue  # matches nothing: V103
        yield item.report(
            "W204",
            entry.value,
            f"{entry.value} expands to {len(actions)} action{'s' if len(actions) != 1 else ''} "
            f"({_levels(actions)}): list the ones needed",
            s.element_location(item.record, item.statement, "Action", entry.index),
        )


def _resource_star(statement: Statement) -> tuple[bool, str | None]:
    """(could Resource be "*", the unresolved text that could make it so)."""
    if statement.resources is None or statement.not_resource:
        return False, None
    for entry in s.items(statement.resources):
        if entry.value == "*":
            return True, None
    for entry in s.items(statement.resources):
        if isinstance(entry.value, Unknown) and s.may_be_anything(entry.value):
            return True, entry.value.text
    return False, None


# Condition keys that narrow which resources a statement reaches (ABAC, account, prefix).
_RESOURCE_SCOPING = re.compile(
    r"^(aws:resourceaccount|aws:resourceorgid|aws:resourceorgpaths|s3:prefix|"
    r"[a-z0-9-]+:resourcetag/.+|[a-z0-9-]+:resourceaccount)$",
    re.IGNORECASE,
)


def _scopes_resources(clause: ConditionClause) -> bool:
    if clause.if_exists or clause.base_operator in NEGATED_OPERATORS:
        return False  # absent keys pass these: nothing is narrowed for such resources
    return bool(_RESOURCE_SCOPING.match(clause.key))


def _resource_wildcard(item: _Statement) -> Iterator[Finding]:
    statement = item.statement
    star, unknown_text = _resource_star(statement)
    if not star or any(_scopes_resources(c) for c in s.clauses(statement)):
        return
    catalog: Catalog = item.ctx.catalog
    narrowable: dict[str, ActionInfo] = {}
    for entry in s.items(statement.actions):
        if isinstance(entry.value, Unknown):
            continue
        for action in catalog.expand(entry.value):
            # Listing is what "*" is for; "*"-only actions have nothing narrower.
            if not action.wildcard_only and action.access_level is not AccessLevel.LIST:
                narrowable[action.full_name] = action
    if not narrowable:
        return  # only "*"-only actions (s3:ListAllMyBuckets...) and listings: nothing to narrow
    names = sorted(narrowable)
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    index = _star_index(statement)
    where = s.element_location(item.record, statement, "Resource", index)
    resource = "*" if unknown_text is None else unknown_text
    yield item.report(
        "W205",
        f"Resource {resource}",
        f'Resource "*" for {shown}, which accept{"s" if len(names) == 1 else ""} narrower '
        'resources: name them (List actions and actions that accept only "*" are not counted)',
        where,
        unknowns=(unknown_text,) if unknown_text else (),
    )


def _star_index(statement: Statement) -> int | None:
    for entry in s.items(statement.resources):
        if entry.value == "*":
            return entry.index
    for entry in s.items(statement.resources):
        if isinstance(entry.value, Unknown) and s.may_be_anything(entry.value):
            return entry.index
    return None


def _not_action(item: _Statement) -> Finding:
    star, _ = _resource_star(item.statement)
    scope = 'on "*"' if star else "on the listed resources"
    return item.report(
        "W206",
        "NotAction",
        f"Allow with NotAction grants every action except those listed, {scope}, including "
        "actions AWS adds later",
        s.element_location(item.record, item.statement, "NotAction"),
    )


def _not_resource(item: _Statement) -> Finding:
    return item.report(
        "W207",
        "NotResource",
        "Allow with NotResource grants the actions on every resource except those listed, "
        "other accounts' and services' resources included",
        s.element_location(item.record, item.statement, "NotResource"),
    )


def _record_findings(
    ctx: CheckContext, record: PolicyRecord, judging: Judging
) -> Iterator[Finding]:
    policy: Policy = ctx.policy(record)
    for unknown in policy.unknown_statements:
        # Statements nobody can know (a whole policy or a dynamic block over a variable).
        yield s.finding(
            ctx,
            "W202",
            record,
            None,
            subject=f"unresolved {unknown.text}",
            message=f"statements from {brief(unknown.text)} are unresolved: they may allow any "
            f"action{judging.note}",
            location=unknown.location or record.location,
            possible=True,
            lowered=1,  # no literal evidence of a wildcard at all
        )
    for statement in policy.statements:
        allow = s.is_allow(statement)
        if allow is False:
            continue  # Deny never grants; a missing Effect is V106
        wholly = frozenset(
            u.text for u in statement.unknowns() if not any(p for p in (u.parts or ()) if p)
        )
        yield from _statement_findings(
            _Statement(ctx, record, statement, judging, allow is None, wholly)
        )


# --- W208: broad AWS-managed policies --------------------------------------------------------

_AWS_MANAGED = re.compile(r":iam::aws:policy/(?:.*/)?([A-Za-z0-9+=,.@_-]+)$")
_WORST = frozenset({"AdministratorAccess", "PowerUserAccess", "IAMFullAccess"})


def _broad_managed(arn: str) -> str | None:
    match = _AWS_MANAGED.search(arn)
    if match is None:
        return None
    name = match.group(1)
    return name if name in _WORST or name.endswith("FullAccess") else None


def _managed_arns(principal: PrincipalRecord) -> Iterator[tuple[str, str]]:
    """(ARN as shown, policy name) for broad AWS-managed policies attached to the principal."""
    for arn in principal.managed_policies:
        name = _broad_managed(arn)
        if name:
            yield arn, name
    for unknown in principal.unresolved:
        # `arn:${partition}:iam::aws:policy/AdministratorAccess`: the name is still known.
        literal = "".join("*" if p is None else p for p in (unknown.parts or ()))
        name = _broad_managed(literal) if literal else None
        if name:
            yield unknown.text, name


def _attachment_location(ctx: CheckContext, principal: PrincipalRecord, arn: str) -> Location:
    inline = principal.attributes.get("managed_policy_arns")  # aws_iam_role's own list
    if inline is not None and isinstance(inline.value, list) and arn in inline.value:
        return inline.location
    for resource in ctx.project.resources:
        if not resource.type.endswith(("policy_attachment", "policy_attachments_exclusive")):
            continue
        for attr in ("policy_arn", "policy_arns"):
            value = resource.attributes.get(attr)
            if value is None:
                continue
            arns = value.value if isinstance(value.value, list) else [value.value]
            listed = arn in [a.text if isinstance(a, Unknown) else a for a in arns]
            same_module = resource.module == principal.module
            if listed and same_module and _names_principal(resource.attributes, principal):
                return value.location
    return principal.location


def _names_principal(attributes: dict[str, AttributeValue], principal: PrincipalRecord) -> bool:
    for attr in (principal.type, f"{principal.type}s", f"{principal.type}_name"):
        value = attributes.get(attr)
        if value is None:
            continue
        values = value.value if isinstance(value.value, list) else [value.value]
        if principal.name in values:
            return True
    return False


def _managed_findings(ctx: CheckContext) -> Iterator[Finding]:
    for principal in ctx.project.principals:
        for arn, name in _managed_arns(principal):
            worst = name in _WORST
            yield Finding(
                rule="W208",
                severity=s.lower(ctx.severity("W208"), 0 if worst else 1),
                message=f"AWS-managed {name} is attached to {principal.type} "
                f"{principal.name if isinstance(principal.name, str) else principal.address}: "
                + (
                    "it grants (nearly) everything"
                    if worst
                    else "it grants every action of its service"
                )
                + "; attach a policy with the actions needed",
                location=_attachment_location(ctx, principal, arn),
                address=principal.address,
                subject=arn,
                certainty=Certainty.DEFINITE,
            )


# --- the family --------------------------------------------------------------------------------


def run(ctx: CheckContext) -> Iterator[Finding]:
    for record in ctx.project.records:
        if not ctx.reports(record):
            continue
        judging = _judging(ctx, record)
        if judging is not None:
            yield from _record_findings(ctx, record, judging)
    yield from _managed_findings(ctx)


__all__ = ["classify", "run"]
