"""Effective permissions of one principal, and the grants that can never take effect.

What a principal can do is its identity policies' Allows, cut by its permissions boundary and by
the SCPs at every level above its account, minus every Deny (IAM User Guide,
access_policies_boundaries.html and reference_policies_evaluation-logic.html). The result is
summarized per catalog action (hence per service and access level).

A *dead grant* is an Allow statement of an identity policy, or the part of it for some actions,
that can never take effect: no statement of the boundary or of some SCP level allows any of its
resources for that action, an unconditional Deny covers all of them, or the action accepts only
``"Resource": "*"`` and the statement never names it. A dead grant is only claimed when it is
certain: unknown values in a cap make it possibly alive, and conditions on a cap's Allow keep
the grant alive (conditions can hold).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from iamlint.model import Unknown
from iamlint.policy.approximate import FLIP, OVER, UNDER, approx_clauses, approx_values
from iamlint.policy.automata import Alphabet, Automaton, Budget, TooComplex, enumerate_cells
from iamlint.policy.catalog import AccessLevel, ActionInfo, Catalog, default_catalog
from iamlint.policy.document import ConditionClause, Effect, Policy, Statement, brief
from iamlint.policy.patterns import resource_tokens


@dataclass(frozen=True, slots=True)
class PrincipalPolicies:
    """Everything that caps one principal: its identity policies (inline, attached and through
    groups), its permissions boundary, and its SCPs from the organization root to its account."""

    name: str
    identity: Sequence[Policy] = ()
    boundary: Policy | None = None
    scps: Sequence[Sequence[Policy]] = ()


class GrantStatus(enum.Enum):
    ALLOWED = "allowed"  # unconditionally, on the statement's resources
    POSSIBLY_ALLOWED = "possibly allowed"  # under conditions, on part of the resources, or unknowns


@dataclass(frozen=True, slots=True)
class ActionGrant:
    action: ActionInfo
    status: GrantStatus
    resources: tuple[
        str, ...
    ]  # resource patterns of the granting statements ("NOT x" for NotResource)
    conditions: tuple[str, ...]
    granted_by: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def access_level(self) -> AccessLevel:
        return self.action.access_level


@dataclass(frozen=True, slots=True)
class GrantGroup:
    """Actions granted alike (same statements, status and notes): one record, however many."""

    names: frozenset[str]  # lower-case "service:action"
    status: GrantStatus
    resources: tuple[str, ...]
    conditions: tuple[str, ...]
    granted_by: tuple[str, ...]
    notes: tuple[str, ...] = ()
    catalog: Catalog | None = field(default=None, compare=False, repr=False)

    @property
    def actions(self) -> tuple[ActionInfo, ...]:
        catalog = self.catalog or default_catalog()
        return tuple(catalog.action(n) for n in sorted(self.names))  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class DeadPart:
    names: frozenset[str]  # lower-case "service:action"
    blocked_by: str
    catalog: Catalog | None = field(default=None, compare=False, repr=False)

    @property
    def actions(self) -> tuple[str, ...]:
        """Catalog spellings, sorted."""
        catalog = self.catalog or default_catalog()
        return tuple(catalog.action(n).full_name for n in sorted(self.names))  # type: ignore[union-attr]


@dataclass(frozen=True, slots=True)
class DeadGrant:
    """An identity-policy Allow statement, or part of it, that can never take effect."""

    policy: str
    statement: Statement
    parts: tuple[DeadPart, ...]
    whole_statement: bool

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(a for part in self.parts for a in part.actions)

    def __str__(self) -> str:
        count = sum(len(part.names) for part in self.parts)
        scope = "the whole statement" if self.whole_statement else f"{count} action(s)"
        reasons = "; ".join(sorted({p.blocked_by for p in self.parts}))
        return f"{self.policy!r} {self.statement.label}: {scope} can never take effect ({reasons})"


@dataclass(frozen=True, slots=True)
class EffectivePermissions:
    principal: str
    groups: tuple[GrantGroup, ...]
    dead_grants: tuple[DeadGrant, ...]
    uncatalogued: tuple[str, ...] = ()  # Allow patterns that match no catalog action
    open_questions: tuple[str, ...] = ()  # unknown values that may grant more

    @property
    def grants(self) -> tuple[ActionGrant, ...]:
        """One record per action, sorted by name (an admin principal has every action)."""
        out = [
            ActionGrant(info, g.status, g.resources, g.conditions, g.granted_by, g.notes)
            for g in self.groups
            for info in g.actions
        ]
        return tuple(sorted(out, key=lambda grant: grant.action.full_name.lower()))

    def by_service(self) -> dict[str, dict[str, list[str]]]:
        """``{"s3": {"Read": ["s3:GetObject", ...], ...}}``, services and actions sorted."""
        out: dict[str, dict[str, list[str]]] = {}
        for info in sorted((a for g in self.groups for a in g.actions), key=_name_key):
            levels = out.setdefault(info.service, {})
            levels.setdefault(info.access_level.value, []).append(info.full_name)
        return dict(sorted(out.items()))

    def summary(self) -> dict[str, dict[str, int]]:
        """Action counts per service and access level."""
        return {
            service: {level: len(actions) for level, actions in levels.items()}
            for service, levels in self.by_service().items()
        }


# --- rules: statements approximated for this question -----------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    origin: str
    actions: frozenset[str]  # catalog actions, lower-case full names
    resources: tuple[str, ...] | None
    not_resource: bool
    clauses: tuple[ConditionClause, ...]
    exact: bool  # no unknowns were approximated away
    statement: Statement | None = None
    policy: str = ""


def _catalog_actions(catalog: Catalog, statement: Statement, role: str) -> frozenset[str]:
    patterns = approx_values(statement.actions, FLIP[role] if statement.not_action else role)
    return _names_for(catalog, patterns, statement.not_action)


@functools.lru_cache(maxsize=8192)
def _names_for(catalog: Catalog, patterns: tuple[str, ...], negated: bool) -> frozenset[str]:
    names: frozenset[str] = frozenset().union(*(catalog.expand_names(p) for p in patterns))
    return catalog.all_action_names() - names if negated else names


def _rule(catalog: Catalog, policy: Policy, statement: Statement, role: str) -> _Rule | None:
    resources = None
    if statement.resources is not None:
        resources = approx_values(
            statement.resources, FLIP[role] if statement.not_resource else role
        )
        if "*" in resources:
            if statement.not_resource:
                return None
            resources = ("*",)
    clauses = approx_clauses(statement.conditions, role)
    if clauses is None:
        return None
    if statement.principal is not None and role == UNDER:
        return None  # a Principal element in a cap is not something to rely on
    return _Rule(
        origin=f"{policy.kind.value} {policy.name!r} {statement.label}",
        actions=_catalog_actions(catalog, statement, role),
        resources=resources,
        not_resource=statement.not_resource,
        clauses=clauses,
        exact=not any(True for _ in statement.unknowns()),
        statement=statement,
        policy=policy.name,
    )


def _allow_rules(catalog: Catalog, policies: Iterable[Policy], role: str) -> list[_Rule]:
    rules = []
    for policy in policies:
        for statement in policy.statements:
            effect = statement.effect
            if effect is Effect.ALLOW or (isinstance(effect, Unknown) and role == OVER):
                rule = _rule(catalog, policy, statement, role)
                if rule is not None:
                    rules.append(rule)
        if policy.unknown_statements and role == OVER:
            everything = catalog.all_action_names()
            origin = f"{policy.kind.value} {policy.name!r}: unknown statements"
            rules.append(_Rule(origin, everything, None, False, (), False, policy=policy.name))
    return rules


def _deny_rules(catalog: Catalog, policies: Iterable[Policy], role: str) -> list[_Rule]:
    rules = []
    for policy in policies:
        for statement in policy.statements:
            effect = statement.effect
            if effect is Effect.DENY or (isinstance(effect, Unknown) and role == OVER):
                rule = _rule(catalog, policy, statement, role)
                if rule is not None and (role == OVER or not rule.clauses):
                    rules.append(rule)
    return rules


# --- resource-set relations -------------------------------------------------------------------


RELATION_STEPS = 200_000  # per question; the test suite's largest walk takes 40,000


class _ResourceRelations:
    """Intersection and coverage of resource pattern sets, memoized (exact, via automata)."""

    def __init__(self) -> None:
        self._memo: dict[tuple[object, ...], bool] = {}
        self.alphabet = Alphabet()

    def _exists(self, a: _Rule, b: _Rule, want_b: bool) -> bool:
        """Is there a resource that ``a`` matches and ``b`` matches (``want_b``) or not?"""
        key = (a.resources, a.not_resource, b.resources, b.not_resource, want_b)
        if key in self._memo:
            return self._memo[key]
        patterns = sorted({*(a.resources or ()), *(b.resources or ())})
        automata = [Automaton(resource_tokens(p, variables=True)) for p in patterns]
        index = {p: i for i, p in enumerate(patterns)}

        def matches(rule: _Rule, accepting: tuple[bool, ...]) -> bool:
            if rule.resources is None:
                return True
            return any(accepting[index[p]] for p in rule.resources) != rule.not_resource

        def keep(accepting: tuple[bool, ...]) -> bool:
            return matches(a, accepting) and matches(b, accepting) == want_b

        def could_match(rule: _Rule, live: tuple[bool, ...]) -> bool:
            if rule.resources is None or rule.not_resource:
                return True
            return any(live[index[p]] for p in rule.resources)

        def alive(live: tuple[bool, ...]) -> bool:
            return could_match(a, live) and (not want_b or could_match(b, live))

        try:
            found = bool(
                enumerate_cells(
                    automata,
                    self.alphabet,
                    keep=keep,
                    alive=alive,
                    first_only=True,
                    budget=Budget(RELATION_STEPS),
                )
            )
        except TooComplex:
            found = True  # unknown: assume the relation that claims less
        if len(self._memo) > 200_000:
            self._memo.clear()  # bounded memory for very large repositories
        self._memo[key] = found
        return found

    def intersects(self, a: _Rule, b: _Rule) -> bool:
        if _everything(a) or _everything(b):
            return (_nothing_excluded(a) and _nothing_excluded(b)) or self._exists(a, b, True)
        if _literal(a) and _literal(b):
            return bool(set(a.resources) & set(b.resources))  # type: ignore[arg-type]
        return self._exists(a, b, True)

    def covers(self, cover: _Rule, covered: _Rule) -> bool:
        """Does ``cover`` match every resource that ``covered`` matches?"""
        if _everything(cover):
            return True
        if _literal(cover) and _literal(covered):
            return set(covered.resources) <= set(cover.resources)  # type: ignore[arg-type]
        return not self._exists(covered, cover, False)


def _everything(rule: _Rule) -> bool:
    return rule.resources is None or (rule.resources == ("*",) and not rule.not_resource)


def _nothing_excluded(rule: _Rule) -> bool:
    return _everything(rule) or (not rule.not_resource and bool(rule.resources))


def _literal(rule: _Rule) -> bool:
    """Plain ARNs only: set operations answer exactly."""
    return (
        rule.resources is not None
        and not rule.not_resource
        and not any("*" in p or "?" in p or "$" in p for p in rule.resources)
    )


# Shared by every principal: the same resource patterns recur across a repository.
_RELATIONS = _ResourceRelations()


def _name_key(info: ActionInfo) -> str:
    return info.full_name.lower()


def _matches_star(rule: _Rule) -> bool:
    if rule.resources is None:
        return True
    hit = "*" in rule.resources or any(p.strip("*") == "" for p in rule.resources)
    return hit != rule.not_resource


# --- the analysis ------------------------------------------------------------------------------


def effective_permissions(
    principal: PrincipalPolicies, *, catalog: Catalog | None = None
) -> EffectivePermissions:
    catalog = catalog or default_catalog()
    relations = _RELATIONS
    identity_allows = _allow_rules(catalog, principal.identity, OVER)
    gates: list[tuple[str, list[_Rule], list[_Rule]]] = []  # (name, widened, narrowed)
    if principal.boundary is not None:
        name = f"permissions boundary {principal.boundary.name!r}"
        gates.append(
            (
                name,
                _allow_rules(catalog, [principal.boundary], OVER),
                _allow_rules(catalog, [principal.boundary], UNDER),
            )
        )
    for depth, level in enumerate(principal.scps):
        names = ", ".join(repr(p.name) for p in level) or "no policies"
        gates.append(
            (
                f"SCP level {depth} ({names})",
                _allow_rules(catalog, level, OVER),
                _allow_rules(catalog, level, UNDER),
            )
        )
    every_policy = [*principal.identity, *([principal.boundary] if principal.boundary else [])]
    every_policy += [p for level in principal.scps for p in level]
    sure_denies = _deny_rules(catalog, every_policy, UNDER)
    maybe_denies = _deny_rules(catalog, every_policy, OVER)

    # Every set that can tell two actions apart; actions in the same block behave alike.
    splitters = [t.actions for _, widened, narrowed in gates for t in (*widened, *narrowed)]
    splitters += [d.actions for d in (*sure_denies, *maybe_denies)]
    splitters = list({id(s): s for s in splitters}.values())  # shared sets are one splitter
    universe_blocks = _universe_blocks(catalog, (catalog.wildcard_only_names(), *splitters))
    verdicts: list[tuple[_Rule, GrantStatus, tuple[str, ...]]] = []
    blocks: list[frozenset[str]] = []  # the actions each verdict is about
    dead: list[DeadGrant] = []
    for rule in identity_allows:
        dead_parts: dict[str, set[str]] = {}
        for actions in _split(rule.actions, universe_blocks):
            sample = next(iter(actions))
            wildcard_only = sample in catalog.wildcard_only_names()
            verdict = _judge(
                rule, sample, wildcard_only, gates, sure_denies, maybe_denies, relations
            )
            if isinstance(verdict, str):
                dead_parts.setdefault(verdict, set()).update(actions)
                continue
            verdicts.append((rule, *verdict))
            blocks.append(actions)
        if dead_parts and rule.statement is not None:
            parts = tuple(
                DeadPart(frozenset(names), reason, catalog)
                for reason, names in sorted(dead_parts.items())
            )
            total = sum(len(p.names) for p in parts)
            dead.append(DeadGrant(rule.policy, rule.statement, parts, total == len(rule.actions)))

    groups = _groups(catalog, blocks, verdicts, universe_blocks)
    return EffectivePermissions(
        principal=principal.name,
        groups=groups,
        dead_grants=tuple(dead),
        uncatalogued=_uncatalogued(catalog, principal.identity),
        open_questions=_open_questions(principal),
    )


def _judge(
    rule: _Rule,
    action: str,
    wildcard_only: bool,
    gates: list[tuple[str, list[_Rule], list[_Rule]]],
    sure_denies: list[_Rule],
    maybe_denies: list[_Rule],
    relations: _ResourceRelations,
) -> str | tuple[GrantStatus, tuple[str, ...]]:
    """A blocking reason (dead) or the grant's status for one action of one statement."""
    star = _Rule("*", frozenset(), ("*",), False, (), True)
    if wildcard_only and not _matches_star(rule):
        return 'the action accepts only "Resource": "*", which the statement does not name'
    target = star if wildcard_only else rule

    def touches(other: _Rule) -> bool:
        return _matches_star(other) if wildcard_only else relations.intersects(target, other)

    def covers(other: _Rule) -> bool:
        return _matches_star(other) if wildcard_only else relations.covers(other, target)

    for name, widened, _ in gates:
        if not any(action in t.actions and touches(t) for t in widened):
            return f"{name} allows it on none of these resources"
    for deny in sure_denies:
        if action in deny.actions and covers(deny):
            return f"explicit Deny in {deny.origin}"
    notes: list[str] = []
    certain = rule.exact and not rule.clauses
    for name, _, narrowed in gates:
        if not any(action in t.actions and not t.clauses and covers(t) for t in narrowed):
            certain = False
            notes.append(f"{name} allows it only on some resources or under conditions")
    for deny in maybe_denies:
        if action in deny.actions and touches(deny):
            certain = False
            notes.append(f"may be denied by {deny.origin}")
    return (GrantStatus.ALLOWED if certain else GrantStatus.POSSIBLY_ALLOWED), tuple(notes)


def _partition(
    actions: frozenset[str], splitters: Sequence[frozenset[str]]
) -> list[frozenset[str]]:
    """Split ``actions`` into blocks that no splitter set cuts (set operations, not per action)."""
    blocks = [actions] if actions else []
    for splitter in splitters:
        refined = []
        for block in blocks:
            inside = block & splitter
            if inside and len(inside) < len(block):
                refined += [inside, block - inside]
            else:
                refined.append(block)
        blocks = refined
    return blocks


@dataclass(slots=True)
class _Universe:
    """Every catalog action, partitioned by what the caps can tell apart."""

    blocks: list[frozenset[str]]
    where: dict[str, int]  # action -> its block
    splits: dict[frozenset[str], list[frozenset[str]]]  # memo: statements recur across principals


_UNIVERSES: dict[tuple[frozenset[str], ...], _Universe] = {}


def _universe_blocks(catalog: Catalog, splitters: tuple[frozenset[str], ...]) -> _Universe:
    """Computed once per cap structure: principals under the same boundary and SCPs share it."""
    found = _UNIVERSES.get(splitters)
    if found is None:
        blocks = _partition(catalog.all_action_names(), splitters)
        where = {name: i for i, block in enumerate(blocks) for name in block}
        if len(_UNIVERSES) > 256:
            _UNIVERSES.clear()
        found = _UNIVERSES[splitters] = _Universe(blocks, where, {})
    return found


def _split(actions: frozenset[str], universe: _Universe) -> list[frozenset[str]]:
    """``actions`` cut along the universe's blocks."""
    found = universe.splits.get(actions)
    if found is not None:
        return found
    if len(actions) > 8 * len(universe.blocks):  # big sets: one C-level intersection per block
        # Whole blocks are kept as the same objects, so later refinement can skip them.
        found = [
            block if len(part) == len(block) else part
            for block in universe.blocks
            if (part := actions & block)
        ]
    else:
        grouped: dict[int, set[str]] = {}
        for name in actions:
            grouped.setdefault(universe.where[name], set()).add(name)
        found = [frozenset(group) for group in grouped.values()]
    if len(universe.splits) > 4096:
        universe.splits.clear()
    universe.splits[actions] = found
    return found


def _groups(
    catalog: Catalog,
    blocks: list[frozenset[str]],
    verdicts: list[tuple[_Rule, GrantStatus, tuple[str, ...]]],
    universe: _Universe,
) -> tuple[GrantGroup, ...]:
    """Group actions by the set of verdicts that cover them (set operations, not per action).

    Every verdict's block lies inside one universe block, so only verdicts of the same universe
    block can overlap: refining within each keeps this linear in practice."""
    by_universe: dict[int, list[int]] = {}
    for index, block in enumerate(blocks):
        by_universe.setdefault(universe.where[next(iter(block))], []).append(index)
    pieces: list[tuple[frozenset[str], tuple[int, ...]]] = []
    for indexes in by_universe.values():
        pieces += _refine([(blocks[i], i) for i in indexes])
    out = [
        GrantGroup(names, *_merged_fields([verdicts[i] for i in key]), catalog=catalog)  # type: ignore[arg-type]
        for names, key in pieces
    ]
    return tuple(sorted(out, key=lambda g: min(g.names)))


def _refine(
    blocks: list[tuple[frozenset[str], int]],
) -> list[tuple[frozenset[str], tuple[int, ...]]]:
    pieces: list[tuple[frozenset[str], tuple[int, ...]]] = []
    for block, index in blocks:
        refined: list[tuple[frozenset[str], tuple[int, ...]]] = []
        remaining = block
        for piece, key in pieces:
            inside = piece if piece is block else piece & block  # shared blocks: no set work
            if not inside:
                refined.append((piece, key))
                continue
            refined.append((inside, (*key, index)))
            if len(inside) < len(piece):
                refined.append((piece - inside, key))
            remaining = remaining - inside
        if remaining:
            refined.append((remaining, (index,)))
        pieces = refined
    return pieces


def _merged_fields(found: list[tuple[_Rule, GrantStatus, tuple[str, ...]]]) -> tuple[object, ...]:
    status = (
        GrantStatus.ALLOWED
        if any(s is GrantStatus.ALLOWED for _, s, _ in found)
        else GrantStatus.POSSIBLY_ALLOWED
    )
    resources: list[str] = []
    conditions: list[str] = []
    notes: list[str] = []
    for rule, _, rule_notes in found:
        prefix = "NOT " if rule.not_resource else ""
        resources += [prefix + r for r in (rule.resources or ("*",))]
        conditions += [f"{c.operator} {c.key} {list(c.values)}" for c in rule.clauses]  # type: ignore[arg-type]
        notes += rule_notes
    return (
        status,
        tuple(dict.fromkeys(resources)),
        tuple(dict.fromkeys(conditions)),
        tuple(dict.fromkeys(rule.origin for rule, _, _ in found)),
        tuple(dict.fromkeys(notes)),
    )


def _uncatalogued(catalog: Catalog, policies: Sequence[Policy]) -> tuple[str, ...]:
    out: list[str] = []
    for policy in policies:
        for statement in policy.statements:
            if statement.effect is not Effect.ALLOW or statement.not_action:
                continue
            for pattern in approx_values(statement.actions, UNDER):
                if not catalog.expand_names(pattern):
                    out.append(pattern)
    return tuple(dict.fromkeys(out))


def _open_questions(principal: PrincipalPolicies) -> tuple[str, ...]:
    policies = [*principal.identity, *([principal.boundary] if principal.boundary else [])]
    policies += [p for level in principal.scps for p in level]
    questions: list[str] = []
    for policy in policies:
        for unknown in policy.unknown_statements:
            questions.append(
                f"{policy.kind.value} {policy.name!r}: unknown statements ({brief(unknown.text)})"
            )
        for statement in policy.statements:
            for unknown in statement.unknowns():
                questions.append(
                    f"{policy.kind.value} {policy.name!r} {statement.label}: {brief(unknown.text)}"
                )
    return tuple(dict.fromkeys(questions))


__all__ = [
    "ActionGrant",
    "DeadGrant",
    "DeadPart",
    "EffectivePermissions",
    "GrantGroup",
    "GrantStatus",
    "PrincipalPolicies",
    "effective_permissions",
]
