"""Unknown values, approximated on a chosen side.

A proof must never rely on a value nobody knows. Each statement is read either *widened*
(``OVER``: it may match more than it really does: unknown list items become ``*``, unknown
condition values drop their clause) or *narrowed* (``UNDER``: it matches only what it surely
matches: unknown items are dropped, a clause that cannot be pinned down disables the statement).
Which side is safe depends on the question: for "A is contained in B", A's Allows and B's Denies
are widened, A's Denies and B's Allows narrowed.
"""

from __future__ import annotations

from iamlint.model import Unknown
from iamlint.policy.conditions import NEGATED_OPERATORS, is_known_operator
from iamlint.policy.document import ConditionClause, PrincipalSpec, Values

OVER, UNDER = "over", "under"
FLIP = {OVER: UNDER, UNDER: OVER}


# --- approximating unknown values --------------------------------------------------------------


def approx_values(values: Values, role: str, *, lower: bool = False) -> tuple[str, ...]:
    if isinstance(values, Unknown):
        return ("*",) if role == OVER else ()
    out: list[str] = []
    for value in values:
        if isinstance(value, Unknown):
            if role == OVER:
                parts = value.parts
                out.append("".join("*" if p is None else p for p in parts) if parts else "*")
        else:
            out.append(value)
    return tuple(v.lower() for v in out) if lower else tuple(out)


def approx_clauses(
    conditions: tuple[ConditionClause, ...] | Unknown, role: str
) -> tuple[ConditionClause, ...] | None:
    """Conditions widened (over) or narrowed (under). None: the statement can never be relied on."""
    if isinstance(conditions, Unknown):
        return () if role == OVER else None
    out: list[ConditionClause] = []
    for clause in conditions:
        values = clause.values
        usable = is_known_operator(clause.operator) and not (
            isinstance(values, Unknown) or clause.key.startswith("<")
        )
        if not usable:
            if role == UNDER:
                return None
            continue  # dropping a clause widens the condition
        assert not isinstance(values, Unknown)
        known = tuple(v for v in values if isinstance(v, str))
        if len(known) == len(values):
            out.append(clause)
            continue
        negated = clause.base_operator in NEGATED_OPERATORS
        if clause.base_operator == "Null" or negated == (role == UNDER):
            # under + negated: "none of {known, ?}" is narrower than anything we can write;
            # over + positive: "one of {known, ?}" is wider than the known values.
            if role == UNDER:
                return None
            continue
        if known:
            out.append(ConditionClause(clause.operator, clause.key, known))
        elif role == UNDER:
            return None  # "one of {?}" surely holds for nothing we can name
    return tuple(out)


def approx_principal(spec: PrincipalSpec, role: str) -> PrincipalSpec | None:
    if spec.everyone:
        return spec
    identifiers = []
    for kind, values in spec.identifiers:
        partly_unknown = isinstance(values, Unknown) or any(isinstance(v, Unknown) for v in values)
        if partly_unknown and role == OVER:
            return PrincipalSpec(everyone=True)
        identifiers.append((kind, approx_values(values, UNDER)))
    return PrincipalSpec(everyone=False, identifiers=tuple(identifiers))
