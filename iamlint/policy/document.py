"""The typed policy model, parsed from a normalized document (see docs/documents.md).

Parsing never fails: an `Unknown` is kept where it stands, and a shape AWS would reject is
recorded in `Policy.problems` rather than raised, so one odd policy never hides the others.
Un-normalized shapes are accepted too (a string where a list belongs, a lone statement object).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from iamlint.model import Unknown

VERSION_2012 = "2012-10-17"

Value = str | Unknown
# A list of values: known items and unknown items (each standing for zero or more values), or a
# whole list nobody knows.
Values = tuple[Value, ...] | Unknown


class Effect(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"


class PolicyKind(enum.Enum):
    """Where a policy sits in AWS's evaluation, which decides how it combines with the others."""

    IDENTITY = "identity"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"
    SCP = "service control policy"
    RCP = "resource control policy"
    RESOURCE = "resource policy"
    TRUST = "trust policy"


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """``"*"``, or identifiers per principal type (``AWS``, ``Service``, ``Federated``,
    ``CanonicalUser``). Identifiers may be unknown."""

    everyone: bool
    identifiers: tuple[tuple[str, Values], ...] = ()

    def values_of(self, kind: str) -> Values:
        for k, values in self.identifiers:
            if k.lower() == kind.lower():
                return values
        return ()


@dataclass(frozen=True, slots=True)
class ConditionClause:
    """One operator/key pair of a Condition block, e.g. ``StringLike`` on ``s3:prefix``."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    key: str
    values: Values

    @property
    def base_operator(self) -> str:
        """``StringLike`` for ``ForAnyValue:StringLikeIfExists``."""
        op = self.operator.split(":", 1)[-1]
        return op[: -len("IfExists")] if op.endswith("IfExists") else op

    @property
    def set_qualifier(self) -> str | None:
        """``"ForAnyValue"``, ``"ForAllValues"`` or None."""
        head, sep, _ = self.operator.partition(":")
        return head if sep else None

    @property
    def if_exists(self) -> bool:
        return self.operator.endswith("IfExists")


@dataclass(frozen=True, slots=True)
class Statement:
    effect: Effect | Unknown | None  # None: missing or misspelled (the policy is invalid)
    sid: str | Unknown | None = None
    actions: Values = ()
    not_action: bool = False
    resources: Values | None = None  # None: no Resource element (trust policies)
    not_resource: bool = False
    principal: PrincipalSpec | Unknown | None = None
    not_principal: bool = False
    # A tuple of clauses, or Unknown when the whole Condition block is unknown.
    conditions: tuple[ConditionClause, ...] | Unknown = ()
    index: int = 0  # position in the policy's Statement list

    @property
    def label(self) -> str:
        if isinstance(self.sid, str) and self.sid:
            return f"statement {self.index} ({self.sid})"
        return f"statement {self.index}"

    @property
    def has_conditions(self) -> bool:
        return isinstance(self.conditions, Unknown) or bool(self.conditions)

    def unknowns(self) -> Iterator[Unknown]:
        """Every unknown value the statement holds, for explanations."""
        for value in (self.effect, self.sid, self.principal, self.conditions):
            if isinstance(value, Unknown):
                yield value
        for values in (self.actions, self.resources):
            yield from _unknowns_in(values)
        if isinstance(self.principal, PrincipalSpec):
            for _, values in self.principal.identifiers:
                yield from _unknowns_in(values)
        if not isinstance(self.conditions, Unknown):
            for clause in self.conditions:
                yield from _unknowns_in(clause.values)


SHOWN_TEXT = 200  # characters of an unresolved value's source shown in a reason or message


def brief(text: str, limit: int = SHOWN_TEXT) -> str:
    """Source text as a reason or message shows it. A value built from a 3 MB template line is
    still named, by its ends; copied whole into each reason of each question asked about it,
    it took gigabytes."""
    if len(text) <= limit:
        return text
    tail = text[-(limit // 4) :]
    return f"{text[: limit - len(tail)]} ... {tail} ({len(text)} characters)"


def _unknowns_in(values: Values | None) -> Iterator[Unknown]:
    if isinstance(values, Unknown):
        yield values
    elif values:
        yield from (v for v in values if isinstance(v, Unknown))


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed policy. ``name`` labels it in explanations (a Terraform address, an SCP name)."""

    statements: tuple[Statement, ...] = ()
    version: str | Unknown | None = VERSION_2012
    id: str | Unknown | None = None
    name: str = "policy"
    kind: PolicyKind = PolicyKind.IDENTITY
    # Items of the Statement list (or the whole document) that nobody can know.
    unknown_statements: tuple[Unknown, ...] = ()
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def variables_enabled(self) -> bool:
        """Policy variables work only under Version 2012-10-17; otherwise they are literal text."""
        return self.version == VERSION_2012

    @property
    def fully_known(self) -> bool:
        return not self.unknown_statements and not any(
            any(True for _ in s.unknowns()) for s in self.statements
        )


def parse_policy(
    document: Any, *, name: str = "policy", kind: PolicyKind = PolicyKind.IDENTITY
) -> Policy:
    """Parse a normalized (or merely JSON-shaped) policy document."""
    if isinstance(document, Unknown):
        return Policy(name=name, kind=kind, version=None, unknown_statements=(document,))
    problems: list[str] = []
    if not isinstance(document, Mapping):
        return Policy(
            name=name, kind=kind, version=None, problems=("the policy document is not an object",)
        )
    raw_version = document.get("Version")
    version: str | Unknown | None = (
        raw_version if isinstance(raw_version, str | Unknown) or raw_version is None else None
    )
    if isinstance(version, str) and version not in (VERSION_2012, "2008-10-17"):
        problems.append(f"unsupported Version {version!r}")
    raw_statements = document.get("Statement")
    if raw_statements is None:
        raw_statements = []
        problems.append("no Statement element")
    elif isinstance(raw_statements, Mapping | Unknown):
        raw_statements = [raw_statements]
    elif not isinstance(raw_statements, list | tuple):
        problems.append("Statement is neither an object nor a list")
        raw_statements = []
    statements: list[Statement] = []
    unknown_statements: list[Unknown] = []
    for index, raw in enumerate(raw_statements):
        if isinstance(raw, Unknown):
            unknown_statements.append(raw)
        elif isinstance(raw, Mapping):
            statements.append(_parse_statement(raw, index, problems))
        else:
            problems.append(f"statement {index} is not an object")
    raw_id = document.get("Id")
    return Policy(
        statements=tuple(statements),
        version=version,
        id=raw_id if isinstance(raw_id, str | Unknown) else None,
        name=name,
        kind=kind,
        unknown_statements=tuple(unknown_statements),
        problems=tuple(problems),
    )


def _parse_statement(raw: Mapping[str, Any], index: int, problems: list[str]) -> Statement:
    where = f"statement {index}"
    effect: Effect | Unknown | None
    raw_effect = raw.get("Effect")
    if isinstance(raw_effect, Unknown):
        effect = raw_effect
    elif isinstance(raw_effect, str) and raw_effect in ("Allow", "Deny"):
        effect = Effect(raw_effect)
    else:
        effect = None
        problems.append(f"{where}: Effect must be Allow or Deny, not {raw_effect!r}")

    actions, not_action = _either(raw, "Action", "NotAction", where, problems)
    if actions is None:
        problems.append(f"{where}: no Action or NotAction")
        actions = ()
    resources, not_resource = _either(raw, "Resource", "NotResource", where, problems)

    principal: PrincipalSpec | Unknown | None = None
    not_principal = False
    for element in ("Principal", "NotPrincipal"):
        if element in raw:
            principal = _parse_principal(raw[element], where, problems)
            not_principal = element == "NotPrincipal"

    conditions = _parse_conditions(raw.get("Condition"), where, problems)
    raw_sid = raw.get("Sid")
    return Statement(
        effect=effect,
        sid=raw_sid if isinstance(raw_sid, str | Unknown) else None,
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
        index=index,
    )


def _either(
    raw: Mapping[str, Any], positive: str, negative: str, where: str, problems: list[str]
) -> tuple[Values | None, bool]:
    if positive in raw and negative in raw:
        problems.append(f"{where}: both {positive} and {negative}")
    if positive in raw:
        return _values(raw[positive], f"{where}.{positive}", problems), False
    if negative in raw:
        return _values(raw[negative], f"{where}.{negative}", problems), True
    return None, False


def _values(raw: Any, where: str, problems: list[str]) -> Values:
    if isinstance(raw, Unknown):
        return raw
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list | tuple):
        out: list[Value] = []
        for item in raw:
            if isinstance(item, str | Unknown):
                out.append(item)
            elif isinstance(item, bool):
                out.append("true" if item else "false")  # JSON true in a condition means "true"
            elif isinstance(item, int | float):
                out.append(str(item))
            else:
                problems.append(f"{where}: ignored a value that is not a string: {item!r}")
        return tuple(out)
    if isinstance(raw, bool):
        return ("true" if raw else "false",)
    if isinstance(raw, int | float):
        return (str(raw),)
    problems.append(f"{where}: expected a string or a list of strings")
    return ()


def _parse_principal(raw: Any, where: str, problems: list[str]) -> PrincipalSpec | Unknown:
    if isinstance(raw, Unknown):
        return raw
    if raw == "*":
        return PrincipalSpec(everyone=True)
    if isinstance(raw, Mapping):
        identifiers = tuple(
            (str(kind), _values(values, f"{where}.Principal.{kind}", problems))
            for kind, values in raw.items()
        )
        return PrincipalSpec(everyone=False, identifiers=identifiers)
    problems.append(f'{where}: Principal must be "*" or an object')
    return PrincipalSpec(everyone=False)


def _parse_conditions(
    raw: Any, where: str, problems: list[str]
) -> tuple[ConditionClause, ...] | Unknown:
    if raw is None:
        return ()
    if isinstance(raw, Unknown):
        return raw
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: Condition must be an object")
        return ()
    clauses: list[ConditionClause] = []
    for operator, block in raw.items():
        if isinstance(block, Unknown):
            # An operator whose keys are unknown: one clause with an unknown key stands for it.
            clauses.append(ConditionClause(str(operator), f"<{block.text}>", block))
            continue
        if not isinstance(block, Mapping):
            problems.append(f"{where}: Condition.{operator} must be an object")
            continue
        for key, values in block.items():
            clauses.append(
                ConditionClause(
                    str(operator), str(key), _values(values, f"{where}.{operator}", problems)
                )
            )
    return tuple(clauses)
