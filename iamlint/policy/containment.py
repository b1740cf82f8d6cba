"""Containment: does policy set A allow nothing that policy set B does not allow?

Rewrites are proved with this: a narrower policy must be contained in the original (plus the
grants a rewrite is expected to add, such as one for an observed AccessDenied).

The answer is *sound*: "contained" is said only when it holds for every request. The request
space is cut into cells in which every statement either applies or does not:

* actions: every catalog action that an Allow of A can match, grouped by which statements match
  it; plus actions the catalog does not know (literal names in the policies, and hypothetical
  future actions under A's wildcards), found by walking the product of the patterns' automata;
* resources: for each group of actions, every combination of resource patterns that one ARN can
  satisfy, restricted to the ARN formats of the actions' resource types (and ``*``);
* conditions: inside a cell, an Allow of A is covered when some Allow of B has a condition that
  A's condition implies (checked clause by clause), unless a Deny of A already cancels it; a Deny
  of B is harmless when a Deny of A with a weaker condition cancels the same requests, or when
  its condition contradicts A's.

Unknown values are approximated on the safe side: A's Allows and B's Denies are widened, A's
Denies and B's Allows are narrowed. When the answer is no, a counterexample names the action,
the resource and a request context; it is *verified* when the evaluator itself confirms that A
allows that request and B does not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from iamlint.model import Unknown
from iamlint.policy.approximate import (
    FLIP,
    OVER,
    UNDER,
    approx_clauses,
    approx_principal,
    approx_values,
)
from iamlint.policy.automata import Alphabet, Automaton, Budget, TooComplex, enumerate_cells
from iamlint.policy.catalog import Catalog, default_catalog
from iamlint.policy.conditions import (
    NEGATED_OPERATORS,
    RequestContext,
    evaluate_conditions,
)
from iamlint.policy.document import (
    ConditionClause,
    Effect,
    Policy,
    PrincipalSpec,
    Statement,
    brief,
)
from iamlint.policy.matching import match_action, match_resource
from iamlint.policy.patterns import (
    Variable,
    action_regex,
    has_wildcard,
    resource_tokens,
    tokenize,
    tokens_match,
)
from iamlint.policy.tri import Tri


@dataclass(frozen=True, slots=True)
class Grant:
    """An Allow that B is expected to add on top of A (e.g. for an observed AccessDenied)."""

    action: str
    resource: str = "*"
    reason: str = "expected extra grant"


@dataclass(frozen=True, slots=True)
class Counterexample:
    """A request that A allows and B does not (or may not)."""

    action: str
    resource: str
    context: dict[str, list[str]]  # the request context used (complete: unlisted keys absent)
    allowed_by: str  # the statement of A that allows it
    reason: str  # why B does not: "no Allow of B covers ...", "denied by ..."
    conditions: tuple[ConditionClause, ...] = ()  # A's conditions under which it is allowed
    verified: bool = False  # the evaluator confirmed A allows and B does not
    uncatalogued_action: bool = False  # an action the catalog does not list

    def __str__(self) -> str:
        ctx = f" with context {self.context}" if self.context else ""
        tag = "" if self.verified else " (not confirmed by evaluation)"
        return f"{self.action} on {self.resource}{ctx}: {self.reason}{tag}"


@dataclass(frozen=True, slots=True)
class Containment:
    contained: bool
    counterexample: Counterexample | None = None
    reasons: tuple[str, ...] = ()  # why it could not be proved, beyond the counterexample
    assumptions: tuple[str, ...] = ()  # what a "contained" relies on


@dataclass(frozen=True, slots=True)
class _Rule:
    group: str  # "A+", "A-", "B+", "B-"
    origin: str
    actions: tuple[str, ...]  # lower-case patterns
    not_action: bool
    resources: tuple[str, ...] | None  # None: no Resource element (matches everything)
    not_resource: bool
    clauses: tuple[ConditionClause, ...]
    principal: PrincipalSpec | None
    not_principal: bool
    variables: bool
    statement: Statement | None = None


def _rules_for(policies: Sequence[Policy], side: str) -> list[_Rule]:
    allow_role, deny_role = (OVER, UNDER) if side == "A" else (UNDER, OVER)
    rules: list[_Rule] = []
    for policy in policies:
        for statement in policy.statements:
            effects: list[Effect] = []
            if isinstance(statement.effect, Unknown):
                effects = [
                    e
                    for e, r in ((Effect.ALLOW, allow_role), (Effect.DENY, deny_role))
                    if r == OVER
                ]
            elif statement.effect is not None:
                effects = [statement.effect]
            for effect in effects:
                role = allow_role if effect is Effect.ALLOW else deny_role
                rule = _rule(
                    policy, statement, side + ("+" if effect is Effect.ALLOW else "-"), role
                )
                if rule is not None:
                    rules.append(rule)
        for unknown in policy.unknown_statements:
            # Unknown statements may allow (A) or deny (B) anything.
            group = side + ("+" if side == "A" else "-")
            rules.append(
                _Rule(
                    group,
                    f"{policy.name!r}: unknown statements ({brief(unknown.text)})",
                    ("*",),
                    False,
                    None,
                    False,
                    (),
                    None,
                    False,
                    False,
                )
            )
    return rules


def _rule(policy: Policy, statement: Statement, group: str, role: str) -> _Rule | None:
    action_role = FLIP[role] if statement.not_action else role
    actions = approx_values(statement.actions, action_role, lower=True)
    resources = None
    if statement.resources is not None:
        resource_role = FLIP[role] if statement.not_resource else role
        resources = approx_values(statement.resources, resource_role)
    if resources is not None and "*" in resources:
        if statement.not_resource:
            return None  # NotResource "*" excludes every resource: the statement never applies
        resources = ("*",)
    clauses = approx_clauses(statement.conditions, role)
    if clauses is None:
        return None
    principal: PrincipalSpec | None = None
    if isinstance(statement.principal, Unknown):
        if role == UNDER:
            return None
    elif statement.principal is not None:
        principal = approx_principal(
            statement.principal, FLIP[role] if statement.not_principal else role
        )
        if principal is None and role == UNDER:
            return None
    return _Rule(
        group=group,
        origin=f"{policy.kind.value} {policy.name!r} {statement.label}",
        actions=actions,
        not_action=statement.not_action,
        resources=resources,
        not_resource=statement.not_resource,
        clauses=clauses,
        principal=principal,
        not_principal=statement.not_principal and principal is not None,
        variables=policy.variables_enabled,
        statement=statement,
    )


def _grant_rule(grant: Grant) -> _Rule:
    return _Rule(
        "B+",
        grant.reason,
        (grant.action.lower(),),
        False,
        (grant.resource,),
        False,
        (),
        None,
        False,
        True,
    )


# --- implication between conditions ------------------------------------------------------------


def _clause_implies(s: ConditionClause, t: ConditionClause) -> bool:
    """Does clause ``s`` holding guarantee clause ``t`` holds (sound, not complete)?"""
    if s.key.lower() != t.key.lower():
        return False
    assert isinstance(s.values, tuple) and isinstance(t.values, tuple)
    if s.operator == t.operator and set(s.values) == set(t.values):
        return True
    if s.set_qualifier != t.set_qualifier or (s.if_exists and not t.if_exists):
        return False
    s_op, t_op = s.base_operator, t.base_operator
    negated = s_op in NEGATED_OPERATORS
    if negated != (t_op in NEGATED_OPERATORS) or s_op == "Null" or t_op == "Null":
        return False
    if s_op == t_op:
        if negated:
            return set(t.values) <= set(s.values)  # none of a larger set ⇒ none of a smaller one
        return set(s.values) <= set(t.values)  # one of a smaller set ⇒ one of a larger one
    # A StringEquals value that a StringLike pattern matches (and the negated mirror).
    pairs = {("StringEquals", "StringLike"), ("StringNotLike", "StringNotEquals")}
    if (s_op, t_op) in pairs or (s_op, t_op) in {
        ("ArnEquals", "ArnLike"),
        ("ArnLike", "ArnEquals"),
    }:
        literal, patterns = (s.values, t.values) if not negated else (t.values, s.values)
        if any(has_wildcard(v) or "${" in v for v in literal):
            return False
        return all(
            any(tokens_match(tokenize(p, variables=False), v) for p in patterns)
            for v in literal  # type: ignore[union-attr]
        )
    return False


def _conditions_imply(s: Iterable[ConditionClause], t: Iterable[ConditionClause]) -> bool:
    s = tuple(s)
    return all(any(_clause_implies(cs, ct) for cs in s) for ct in t)


# Global keys that carry several values; every other global key holds one value per request.
_MULTIVALUED_GLOBAL_KEYS = frozenset(
    {
        "aws:tagkeys",
        "aws:calledvia",
        "aws:principalservicenameslist",
        "aws:principalorgpaths",
        "aws:sourceorgpaths",
        "aws:resourceorgpaths",
    }
)


def _single_valued(catalog: Catalog, key: str) -> bool:
    lowered = key.lower()
    if lowered.startswith("aws:"):
        return lowered.split("/")[0] not in _MULTIVALUED_GLOBAL_KEYS
    service = lowered.split(":")[0]
    kind = catalog.condition_key_type(service, key)
    return kind is not None and not kind.startswith("ArrayOf")


def _clauses_contradict(
    catalog: Catalog, s: Iterable[ConditionClause], t: Iterable[ConditionClause]
) -> bool:
    """Can no request satisfy both? (Only the plain single-key equality cases are recognized.)"""
    for cs in s:
        for ct in t:
            if cs.key.lower() != ct.key.lower() or cs.set_qualifier or ct.set_qualifier:
                continue
            assert isinstance(cs.values, tuple) and isinstance(ct.values, tuple)
            ops = {cs.operator, ct.operator}
            # Two different values for one key exclude each other only if it holds one value.
            if (
                ops in ({"StringEquals"}, {"Bool"})
                and not set(cs.values) & set(ct.values)
                and _single_valued(catalog, cs.key)
            ):
                return True
            if ops == {"StringEquals", "StringNotEquals"}:
                eq, ne = (cs, ct) if cs.operator == "StringEquals" else (ct, cs)
                if set(eq.values) <= set(ne.values):  # type: ignore[arg-type]
                    return True
            if ops == {"Null"} and {v.lower() for v in cs.values} ^ {
                v.lower() for v in ct.values
            } == {"true", "false"}:  # type: ignore[union-attr]
                return True
    return False


def _principal_implies(s: _Rule, t: _Rule) -> bool:
    if t.principal is None:
        return True
    if s.principal is None:
        return False
    if t.principal.everyone and not t.not_principal:
        return True
    if s.not_principal != t.not_principal or s.principal.everyone:
        return False
    s_ids = {(k.upper(), v) for k, vs in s.principal.identifiers for v in vs}  # type: ignore[union-attr]
    t_ids = {(k.upper(), v) for k, vs in t.principal.identifiers for v in vs}  # type: ignore[union-attr]
    return t_ids <= s_ids if s.not_principal else s_ids <= t_ids


def _implies(s: _Rule, t: _Rule) -> bool:
    return _principal_implies(s, t) and _conditions_imply(s.clauses, t.clauses)


# --- the cell walk -----------------------------------------------------------------------------


PROOF_STEPS = 1_000_000  # automaton steps for one proof; the test suite's largest takes 100,000


@dataclass(slots=True)
class _Analysis:
    catalog: Catalog
    rules: list[_Rule]
    a_policies: Sequence[Policy]
    b_policies: Sequence[Policy]
    grants: Sequence[Grant]
    limit: int
    alphabet: Alphabet = field(default_factory=Alphabet)
    assumptions: set[str] = field(default_factory=set)
    # Every walk of one proof draws on one budget: a proof walks once per group of actions.
    budget: Budget = field(default_factory=lambda: Budget(PROOF_STEPS))

    def action_sets(self) -> list[frozenset[str]]:
        sets = []
        for rule in self.rules:
            sets.append(frozenset().union(*(self.catalog.expand_names(p) for p in rule.actions)))
        return sets


def is_contained(
    a: Policy | Sequence[Policy],
    b: Policy | Sequence[Policy],
    *,
    expected_extra: Sequence[Grant | Policy] = (),
    catalog: Catalog | None = None,
    include_uncatalogued: bool = True,
    limit: int = 50_000,
) -> Containment:
    """Does A allow nothing that B (plus ``expected_extra``) does not? Both sides are evaluated
    like identity policies of one principal: the union of their Allows minus their Denies.

    ``include_uncatalogued``: also consider actions the catalog does not list (literal names in the
    policies and future actions under wildcards); turning it off limits the proof to the
    catalog's actions.
    """
    a_policies = [a] if isinstance(a, Policy) else list(a)
    b_policies = [b] if isinstance(b, Policy) else list(b)
    grants = [g for g in expected_extra if isinstance(g, Grant)]
    b_all = b_policies + [p for p in expected_extra if isinstance(p, Policy)]
    rules = _rules_for(a_policies, "A") + _rules_for(b_all, "B") + [_grant_rule(g) for g in grants]
    if not any(r.group == "A+" for r in rules):
        return Containment(True)
    analysis = _Analysis(catalog or default_catalog(), rules, a_policies, b_all, grants, limit)
    try:
        failure = _search(analysis, include_uncatalogued)
    except TooComplex as exc:
        return Containment(False, reasons=(f"not provable: {exc}",))
    assumptions = tuple(sorted(analysis.assumptions))
    if failure is None:
        return Containment(True, assumptions=assumptions)
    return Containment(False, counterexample=failure, assumptions=assumptions)


def _search(analysis: _Analysis, include_uncatalogued: bool) -> Counterexample | None:
    rules = analysis.rules
    sets = analysis.action_sets()
    a_plus = [i for i, r in enumerate(rules) if r.group == "A+"]

    def member(i: int, name: str) -> bool:
        return (name in sets[i]) != rules[i].not_action

    candidates: set[str] = set()
    for i in a_plus:
        if rules[i].not_action:
            candidates.update(analysis.catalog.all_action_names() - sets[i])
        else:
            candidates.update(sets[i])
    by_vector: dict[tuple[bool, ...], list[str]] = {}
    for name in sorted(candidates):
        by_vector.setdefault(tuple(member(i, name) for i in range(len(rules))), []).append(name)
    for vector, names in by_vector.items():
        relevant = [r for r, hit in zip(rules, vector, strict=True) if hit]
        if _resources_trivial(relevant):
            # Every statement here matches every resource: the ARN formats cannot matter, and
            # not reading them keeps a check of "*" policies from loading every service file.
            universes: dict[tuple[str, ...] | None, list[str]] = {None: names}
        else:
            universes = {}
            untouched: list[str] = []
            for name in names:
                universe = analysis.catalog.arn_patterns(name)
                if (
                    universe is not None
                    and universe != ("*",)
                    and not _universe_touched(relevant, universe)
                ):
                    untouched.append(name)  # these all fall in the same two resource cells
                else:
                    universes.setdefault(universe, []).append(name)
            if untouched:
                found = _check_action_cell(
                    analysis,
                    vector,
                    untouched[0],
                    analysis.catalog.arn_patterns(untouched[0]),
                    uncatalogued=False,
                )
                if found is not None:
                    return found
        for universe, members in universes.items():
            found = _check_action_cell(analysis, vector, members[0], universe, uncatalogued=False)
            if found is not None:
                return found
    if include_uncatalogued:
        for vector, witness in _uncatalogued_action_cells(analysis, candidates).items():
            found = _check_action_cell(analysis, vector, witness, None, uncatalogued=True)
            if found is not None:
                return found
    return None


def _uncatalogued_action_cells(
    analysis: _Analysis, catalogued: set[str]
) -> dict[tuple[bool, ...], str]:
    """Cells of actions the catalog does not list: literal names in the policies, and what the
    wildcards of the policies can match beyond the catalog."""
    rules = analysis.rules
    a_plus = [i for i, r in enumerate(rules) if r.group == "A+"]

    def vector_of(name: str) -> tuple[bool, ...]:
        return tuple(
            any(action_regex(p).fullmatch(name) for p in r.actions) != r.not_action for r in rules
        )

    out: dict[tuple[bool, ...], str] = {}

    def consider(name: str) -> None:
        if ":" not in name or name in catalogued or analysis.catalog.action(name) is not None:
            return  # a catalog action: the catalog cells already cover it
        vector = vector_of(name)
        if any(vector[i] for i in a_plus):
            out.setdefault(vector, name)

    literals = sorted({p for r in rules for p in r.actions if not has_wildcard(p)})
    for literal in literals:
        consider(literal)
    # Walk only the wildcard patterns: literal names were handled one by one above, and leaving
    # them out keeps the product small. A witness that spells a literal or a catalog action is
    # skipped; the probes below cover such cells' other members.
    wild = sorted({p for r in rules for p in r.actions if has_wildcard(p)})
    if wild:
        automata = [Automaton(tokenize(p, variables=False)) for p in wild]
        index = {p: i for i, p in enumerate(wild)}
        owners = [[index[p] for p in r.actions if p in index] for r in rules]

        def keep(accepting: tuple[bool, ...]) -> bool:
            return any(any(accepting[j] for j in owners[i]) != rules[i].not_action for i in a_plus)

        def alive(live: tuple[bool, ...]) -> bool:
            return any(rules[i].not_action or any(live[j] for j in owners[i]) for i in a_plus)

        cells = enumerate_cells(
            automata,
            analysis.alphabet,
            keep=keep,
            alive=alive,
            limit=analysis.limit,
            budget=analysis.budget,
        )
        for witness in cells.values():
            if witness not in literals:
                consider(witness)
    # Hypothetical future actions under each wildcard of A.
    for i in a_plus:
        for pattern in rules[i].actions:
            if has_wildcard(pattern):
                consider(pattern.replace("*", "zzfuture").replace("?", "z"))
    return out


def _check_action_cell(
    analysis: _Analysis,
    vector: tuple[bool, ...],
    action: str,
    universe: tuple[str, ...] | None,
    *,
    uncatalogued: bool,
) -> Counterexample | None:
    rules = [r for r, hit in zip(analysis.rules, vector, strict=True) if hit]
    if not any(r.group == "A+" for r in rules):
        return None
    display_action = action if uncatalogued else _catalog_spelling(analysis.catalog, action)
    if universe == ("*",):
        resource_cells = {tuple(_rule_matches_plain(r, "*") for r in rules): "*"}
    elif _resources_trivial(rules):
        example = _example_arn(analysis.catalog, action) if universe is None else "*"
        resource_cells = {tuple(True for _ in rules): example}
    elif universe is not None and not _universe_touched(rules, universe):
        # No specific pattern can match this action's ARNs: every ARN of it behaves alike.
        example = _example_arn(analysis.catalog, action)
        resource_cells = {
            tuple(_rule_matches_plain(r, example) for r in rules): example,
            tuple(_rule_matches_plain(r, "*") for r in rules): "*",
        }
    else:
        resource_cells = _resource_cells(analysis, rules, universe)
    for resource_vector, resource in resource_cells.items():
        cell = [r for r, hit in zip(rules, resource_vector, strict=True) if hit]
        failure = _check_conditions(analysis, cell, display_action, resource, uncatalogued)
        if failure is not None:
            return failure
    return None


def _service_segment(pattern: str) -> str | None:
    parts = pattern.split(":")
    return parts[2] if pattern.startswith("arn:") and len(parts) > 2 else None


def _universe_touched(rules: Iterable[_Rule], universe: tuple[str, ...]) -> bool:
    """Could any specific resource pattern match some ARN of these formats? (Conservative.)"""
    services = {_service_segment(u) for u in universe}
    for rule in rules:
        for pattern in rule.resources or ():
            if pattern == "*":
                continue
            service = _service_segment(pattern)
            if service is None or has_wildcard(service) or "${" in service or service in services:
                return True
    return False


def _catalog_spelling(catalog: Catalog, action: str) -> str:
    info = catalog.action(action)
    return info.full_name if info else action


def _resources_trivial(rules: Iterable[_Rule]) -> bool:
    return all(r.resources is None or (r.resources == ("*",) and not r.not_resource) for r in rules)


def _example_arn(catalog: Catalog, action: str) -> str:
    """A readable resource for a counterexample whose resource does not matter."""
    if catalog.accepts_only_wildcard_resource(action) is not False:
        return "*"
    formats = catalog.arn_patterns(action) or ("*",)
    return formats[0].replace("arn:*:", "arn:aws:").replace("*", "example")


def _prettier(witness: str, accepting: tuple[bool, ...], automata: Sequence[Automaton]) -> str:
    """A more readable witness in the same cell: a real partition, no dangling separator."""
    for rewrite in (
        lambda w: "arn:aws:" + w[5:] if w.startswith("arn::") else w,
        lambda w: w + "example" if w.endswith(("/", ":")) else w,
    ):
        candidate = rewrite(witness)
        if candidate != witness and all(
            tokens_match(a.tokens, candidate) == hit
            for a, hit in zip(automata, accepting, strict=True)
        ):
            witness = candidate
    return witness


def _rule_matches_plain(rule: _Rule, resource: str) -> bool:
    if rule.resources is None:
        return True
    hit = any(tokens_match(resource_tokens(p, variables=False), resource) for p in rule.resources)
    return hit != rule.not_resource


def _resource_cells(
    analysis: _Analysis, rules: list[_Rule], universe: tuple[str, ...] | None
) -> dict[tuple[bool, ...], str]:
    patterns = sorted({(p, r.variables) for r in rules for p in (r.resources or ())})
    automata = [Automaton(resource_tokens(p, variables=v)) for p, v in patterns]
    index = {key: i for i, key in enumerate(patterns)}
    owners = [[index[(p, r.variables)] for p in (r.resources or ())] for r in rules]
    universe_slots: list[int] = []
    if universe is not None:
        for p in universe:
            universe_slots.append(len(automata))
            automata.append(Automaton(resource_tokens(p, variables=False)))
    if any(isinstance(t, Variable) for a in automata for t in a.tokens):
        analysis.assumptions.add(
            "a policy variable in a Resource is assumed to hold a value that no literal text in "
            "the compared policies spells"
        )
    a_plus = [i for i, r in enumerate(rules) if r.group == "A+"]

    def rule_vector(accepting: tuple[bool, ...]) -> tuple[bool, ...]:
        return tuple(
            True if r.resources is None else any(accepting[j] for j in owners[i]) != r.not_resource
            for i, r in enumerate(rules)
        )

    def keep(accepting: tuple[bool, ...]) -> bool:
        if universe_slots and not any(accepting[j] for j in universe_slots):
            return False
        vector = rule_vector(accepting)
        return any(vector[i] for i in a_plus)

    def alive(live: tuple[bool, ...]) -> bool:
        if universe_slots and not any(live[j] for j in universe_slots):
            return False
        return any(
            rules[i].resources is None or rules[i].not_resource or any(live[j] for j in owners[i])
            for i in a_plus
        )

    cells = enumerate_cells(
        automata,
        analysis.alphabet,
        keep=keep,
        alive=alive,
        limit=analysis.limit,
        budget=analysis.budget,
    )
    out: dict[tuple[bool, ...], str] = {}
    plain = not analysis.alphabet.variables
    for accepting, witness in cells.items():
        if plain:
            witness = _prettier(witness, accepting, automata)
        out.setdefault(rule_vector(accepting), witness)
    if universe is not None:
        # The literal "*" request resource is always possible; make sure it is a cell.
        out.setdefault(tuple(_rule_matches_plain(r, "*") for r in rules), "*")
        out = {v: w for v, w in out.items() if any(v[i] for i in a_plus)}
    return out


def _check_conditions(
    analysis: _Analysis, cell: list[_Rule], action: str, resource: str, uncatalogued: bool
) -> Counterexample | None:
    a_allow = [r for r in cell if r.group == "A+"]
    a_deny = [r for r in cell if r.group == "A-"]
    b_allow = [r for r in cell if r.group == "B+"]
    b_deny = [r for r in cell if r.group == "B-"]
    live = [s for s in a_allow if not any(_implies(s, d) for d in a_deny)]
    for s in live:
        if not any(_implies(s, t) for t in b_allow):
            reason = f"no Allow of B covers it (A: {s.origin})"
            return _counterexample(analysis, s, None, action, resource, reason, uncatalogued)
    for e in b_deny:
        if any(_implies(e, d) for d in a_deny):
            continue
        for s in live:
            if not _clauses_contradict(analysis.catalog, s.clauses, e.clauses):
                reason = f"denied by {e.origin}"
                return _counterexample(analysis, s, e, action, resource, reason, uncatalogued)
    return None


# --- counterexamples ---------------------------------------------------------------------------


def _satisfying_context(clauses: Iterable[ConditionClause]) -> dict[str, list[str]]:
    """A context that makes typical clauses true (checked afterwards, never trusted)."""
    context: dict[str, list[str]] = {}
    for clause in clauses:
        values = (
            [v for v in clause.values if isinstance(v, str)]
            if isinstance(clause.values, tuple)
            else []
        )
        op = clause.base_operator
        key = clause.key
        if op == "Null":
            if values and values[0].lower() == "false":
                context[key] = ["present"]
            continue
        if op in NEGATED_OPERATORS:
            if op == "NotIpAddress":
                context[key] = ["198.51.100.77"]
            continue  # leaving the key absent satisfies a negated operator
        if not values:
            continue
        value = values[0]
        if op.startswith(("String", "Arn")):
            value = value.replace("*", "x").replace("?", "x")
        elif op == "IpAddress":
            value = value.split("/")[0]
        elif op == "NumericLessThan" and _is_number(value):
            value = str(float(value) - 1)
        elif op == "NumericGreaterThan" and _is_number(value):
            value = str(float(value) + 1)
        elif op == "DateLessThan":
            value = "1971-01-01T00:00:00Z"
        elif op == "DateGreaterThan":
            value = "2999-01-01T00:00:00Z"
        context[key] = [value]
    return context


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _allows(
    policies: Sequence[Policy],
    grants: Sequence[Grant],
    action: str,
    resource: str,
    context: RequestContext,
) -> Tri:
    """Identity-style evaluation of a policy set, principals ignored (for confirming witnesses)."""
    allow, deny = Tri.FALSE, Tri.FALSE
    for grant in grants:
        if action_regex(grant.action).fullmatch(action.lower()) and tokens_match(
            resource_tokens(grant.resource, variables=False), resource
        ):
            allow = Tri.TRUE
    for policy in policies:
        for statement in policy.statements:
            if statement.effect is None:
                continue
            hit = (
                match_action(statement, action)
                & match_resource(statement, resource, context, variables=policy.variables_enabled)
                & evaluate_conditions(
                    statement.conditions, context, variables=policy.variables_enabled
                )
            )
            if statement.principal is not None:
                hit = hit & Tri.UNKNOWN
            if isinstance(statement.effect, Unknown):
                allow, deny = allow | (hit & Tri.UNKNOWN), deny | (hit & Tri.UNKNOWN)
            elif statement.effect is Effect.ALLOW:
                allow = allow | hit
            else:
                deny = deny | hit
        if policy.unknown_statements:
            allow, deny = allow | Tri.UNKNOWN, deny | Tri.UNKNOWN
    return allow & ~deny


def _counterexample(
    analysis: _Analysis,
    s: _Rule,
    e: _Rule | None,
    action: str,
    resource: str,
    reason: str,
    uncatalogued: bool,
) -> Counterexample:
    # Give each policy variable a concrete, distinctive value.
    variable_values: dict[str, list[str]] = {}
    for variable, symbol in analysis.alphabet.variables.items():
        if symbol in resource:
            value = "generic-" + variable.key.split(":")[-1].split("/")[-1].lower()
            resource = resource.replace(symbol, value)
            variable_values[variable.key] = [value]
    candidates = [_satisfying_context(itertools.chain(s.clauses, e.clauses if e else ())), {}]
    b_policies = analysis.b_policies
    chosen: dict[str, list[str]] = candidates[0]
    verified = False
    for candidate in candidates:
        ctx_values = {**variable_values, **candidate}
        ctx = RequestContext.of(ctx_values)
        if (
            _allows(analysis.a_policies, (), action, resource, ctx) is Tri.TRUE
            and _allows(b_policies, analysis.grants, action, resource, ctx) is Tri.FALSE
        ):
            chosen, verified = ctx_values, True
            break
    else:
        chosen = {**variable_values, **chosen}
    return Counterexample(
        action=action,
        resource=resource,
        context=chosen,
        allowed_by=s.origin,
        reason=reason,
        conditions=s.clauses,
        verified=verified,
        uncatalogued_action=uncatalogued,
    )
