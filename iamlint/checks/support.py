"""What the validity, wildcard and trust rule families share: where a statement's pieces are
written, how a statement is named in a fingerprint, and how unknown values lower a finding.

Nothing here decides whether something is wrong; it only turns a decision into a `Finding`
that points at the most precise span the reader kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from iamlint.checks.context import CheckContext
from iamlint.checks.finding import Applicability, Certainty, Edit, Finding, Fix, Severity
from iamlint.model import Location, Unknown
from iamlint.policy.document import ConditionClause, Effect, Statement, Values
from iamlint.terraform.project import PolicyRecord

# Record kinds (iamlint.terraform.sources) as the rules use them.
IDENTITY = "identity"
BOUNDARY = "boundary"
TRUST = "trust"
RESOURCE = "resource"
SCP = "scp"
RCP = "rcp"
DOCUMENT = "document"  # an aws_iam_policy_document nothing visible uses


def pointer(statement: Statement, *parts: str | int) -> str:
    """The JSON pointer of a statement element, e.g. ``/Statement/0/Action/1``.

    The reader writes keys unescaped (``aws:PrincipalTag/team`` stays as is), so this does too."""
    tail = "".join(f"/{p}" for p in parts)
    return f"/Statement/{statement.index}{tail}"


def locate(record: PolicyRecord, *pointers: str) -> Location:
    """The span of the first pointer the reader kept, else the record's own location."""
    for candidate in pointers:
        found = record.spans.get(candidate)
        if found is not None:
            return found
    return record.location


def element_location(
    record: PolicyRecord, statement: Statement, element: str, index: int | None = None
) -> Location:
    """Most precise span for an element (or one of its items): item, element, statement."""
    candidates = []
    if index is not None:
        candidates.append(pointer(statement, element, index))
    candidates += [pointer(statement, element), pointer(statement)]
    return locate(record, *candidates)


def condition_location(
    record: PolicyRecord, statement: Statement, clause: ConditionClause, index: int | None = None
) -> Location:
    """A condition value's span (``index``), else its clause, operator, block, statement."""
    item = [pointer(statement, "Condition", clause.operator, clause.key, index)]
    return locate(
        record,
        *(item if index is not None else []),
        pointer(statement, "Condition", clause.operator, clause.key),
        pointer(statement, "Condition", clause.operator),
        pointer(statement, "Condition"),
        pointer(statement),
    )


def statement_id(statement: Statement) -> str:
    """A statement's identity in fingerprints: its Sid, else its position (``#2``)."""
    if isinstance(statement.sid, str) and statement.sid:
        return statement.sid
    return f"#{statement.index}"


def lower(severity: Severity, steps: int = 1) -> Severity:
    return Severity(max(Severity.INFO.value, severity.value - steps))


def action_element(statement: Statement) -> str:
    return "NotAction" if statement.not_action else "Action"


def resource_element(statement: Statement) -> str:
    return "NotResource" if statement.not_resource else "Resource"


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of an Action/Resource list: its position (None: the whole list) and value."""

    index: int | None
    value: str | Unknown


def items(values: Values | None) -> Iterator[Item]:
    if values is None:
        return
    if isinstance(values, Unknown):
        yield Item(None, values)
        return
    for index, value in enumerate(values):
        yield Item(index, value)


def may_be_anything(value: Unknown) -> bool:
    """Whether an unknown could spell ``"*"`` (no literal piece rules it out)."""
    return value.parts is None or all(p is None or p.strip("*") == "" for p in value.parts)


def is_allow(statement: Statement) -> bool | None:
    """True for Allow, False for Deny or a missing Effect, None when the Effect is unknown."""
    if isinstance(statement.effect, Unknown):
        return None
    return statement.effect is Effect.ALLOW


def clauses(statement: Statement) -> tuple[ConditionClause, ...]:
    return statement.conditions if isinstance(statement.conditions, tuple) else ()


def clause_key(clause: ConditionClause) -> tuple[str, bool]:
    """A clause's key as written and whether it is unresolved.

    The parser spells an unresolved key ``<unknown: TEXT>`` (``"${local.url}:sub"``): the text
    still shows its literal pieces, such as the claim name after the last colon."""
    key = clause.key
    if key.startswith("<unknown: ") and key.endswith(">"):
        return key[len("<unknown: ") : -1].strip('"'), True
    return key, key.startswith("<")


def condition_summary(statement: Statement) -> str:
    if isinstance(statement.conditions, Unknown):
        return f"an unresolved Condition ({statement.conditions.text})"
    return ", ".join(f"{c.operator} {c.key}" for c in clauses(statement))


def unknown_texts(values: Values | None) -> list[str]:
    return [i.value.text for i in items(values) if isinstance(i.value, Unknown)]


def finding(
    ctx: CheckContext,
    rule: str,
    record: PolicyRecord,
    statement: Statement | None,
    *,
    subject: str,
    message: str,
    location: Location | None = None,
    possible: bool = False,
    lowered: int = 0,
    fix: Fix | None = None,
) -> Finding:
    """A finding on a policy record; ``possible`` lowers the severity by one more step."""
    severity = lower(ctx.severity(rule), lowered + (1 if possible else 0))
    return Finding(
        rule=rule,
        severity=severity,
        message=message,
        location=location or (locate(record, pointer(statement)) if statement else record.location),
        address=record.address,
        statement=statement_id(statement) if statement is not None else "",
        subject=subject,
        certainty=Certainty.POSSIBLE if possible else Certainty.DEFINITE,
        fix=fix,
    )


def replace_literal(
    where: Location, written: str, replacement: str, description: str
) -> Fix | None:
    """A fix that rewrites a value written literally at ``where`` (``"s3:GetObjekt"`` in HCL
    or JSON, or a bare number). None when the span holds anything else (an expression, an
    escape, a heredoc), which a blind edit could break. Always UNSAFE: such fixes change what
    the policy does (a typo fixed grants the action it meant)."""
    if any(c in written for c in '"\\') or "{" in written:
        return None
    quoted = not written.isdigit()
    if where.end - where.start != len(written) + (2 if quoted else 0):
        return None
    text = json.dumps(replacement) if quoted else replacement
    edit = Edit(where.file, where.start, where.end, text)
    return Fix(description, (edit,), Applicability.UNSAFE)
