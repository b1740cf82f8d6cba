"""Which usage evidence belongs to which Terraform principal.

A snapshot names principals by ARN (`arn:aws:iam::111122223333:role/teams/app`); the code names
them by address, and usually knows the name and path but not the account (the reader leaves
the account unknown unless `account-id` is configured). The join, in order:

1. An explicit entry in `[tool.iamlint.principals]` (address -> ARNs or globs) wins: it is the
   way to join what the code cannot name (`name_prefix`, another account's role).
2. Otherwise by kind, account and name. Role and user names are unique per account whatever
   their path, so a different path still joins, with a note. An account unknown in the code
   matches any account, and every finding says so.
3. An ARN that two principals would join by name is *ambiguous*: it is given to neither, and
   both are reported. A principal whose name is not known (generated, or from an unresolved
   variable) is never joined by pattern; the matching ARNs are listed as candidates instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from fnmatch import fnmatchcase
from typing import Any

from iamlint.checks.context import Config
from iamlint.model import Unknown
from iamlint.terraform.project import PrincipalRecord, Project
from iamlint.usage.evidence import find_principal
from iamlint.usage.snapshot import Snapshot

_IAM_ARN = re.compile(
    r"^arn:(?P<partition>[^:]*):iam::(?P<account>[^:]*):(?P<kind>role|user)"
    r"(?P<path>/(?:[^/]*/)*)(?P<name>[^/]+)$"
)


class JoinStatus(Enum):
    JOINED = "joined"  # evidence ARNs found
    ABSENT = "absent"  # the ARN is known (or mapped) but the snapshot has no such principal
    UNKNOWN_NAME = "unknown-name"  # the code cannot say which ARN: map it in the configuration
    AMBIGUOUS = "ambiguous"  # the evidence ARN matches other principals too


@dataclass(frozen=True, slots=True)
class CodeIdentity:
    """What the code says about a principal's ARN. ``account`` None: unknown in the code."""

    kind: str
    name: str | None  # None when any part of it is unknown
    path: str
    account: str | None
    pattern: str  # the ARN with "*" for each unknown piece, for messages and candidates


@dataclass(frozen=True, slots=True)
class Join:
    address: str
    status: JoinStatus
    arns: tuple[str, ...] = ()  # snapshot principal ARNs whose evidence is this principal's
    how: str = ""  # "mapping" | "name" | "arn"
    expected: str = ""  # the ARN (or pattern) looked for
    notes: tuple[str, ...] = ()  # said in every finding: unknown account, path differences
    candidates: tuple[str, ...] = ()  # UNKNOWN_NAME: evidence ARNs the pattern could be
    rivals: tuple[str, ...] = ()  # AMBIGUOUS: the other addresses the ARN matches

    @property
    def joined(self) -> bool:
        return self.status is JoinStatus.JOINED

    def note(self) -> str:
        """A short suffix for messages: which evidence, and any caveat of the join."""
        if not self.arns:
            return ""
        text = f"evidence: {', '.join(self.arns)}"
        return f" [{'; '.join((text, *self.notes))}]"


@dataclass(slots=True)
class JoinResult:
    joins: dict[str, Join] = field(default_factory=dict)  # by principal address
    unclaimed: tuple[str, ...] = ()  # snapshot ARNs no Terraform principal joined

    def get(self, address: str) -> Join | None:
        return self.joins.get(address)


def parse_iam_arn(arn: str) -> dict[str, str] | None:
    match = _IAM_ARN.match(arn)
    return match.groupdict() if match else None


def code_identity(principal: PrincipalRecord, config: Config) -> CodeIdentity | None:
    """None for groups (they never call AWS) and principals of other kinds."""
    if principal.type not in ("role", "user"):
        return None
    name = principal.name if isinstance(principal.name, str) else None
    if isinstance(principal.name, Unknown):
        name = None
    path = principal.path if isinstance(principal.path, str) else "/"
    account = _account_of(principal.arn) or config.account_id
    if isinstance(principal.arn, str) and not isinstance(principal.arn, Unknown):
        parsed = parse_iam_arn(principal.arn)
        if parsed:  # a plan gives the whole ARN
            name, path, account = parsed["name"], parsed["path"], parsed["account"] or account
    shown_name = name if name is not None else _name_pattern(principal.name)
    pattern = f"arn:aws:iam::{account or '*'}:{principal.type}{path}{shown_name}"
    return CodeIdentity(principal.type, name, path, account, pattern)


def _account_of(arn: Any) -> str | None:
    if isinstance(arn, Unknown):
        if not arn.parts:
            return None
        text = "".join("\0" if p is None else p for p in arn.parts)
    elif isinstance(arn, str):
        text = arn
    else:
        return None
    parts = text.split(":")
    account = parts[4] if len(parts) > 5 else ""
    return account if re.fullmatch(r"\d{12}", account) else None


def _name_pattern(name: Any) -> str:
    if isinstance(name, Unknown) and name.parts:
        return "".join("*" if p is None else p for p in name.parts)
    return "*"


def join_principals(project: Project, snapshot: Snapshot, config: Config) -> JoinResult:
    """Join every role and user of the project to the snapshot's principals."""
    evidence = [(p["arn"], parse_iam_arn(p["arn"])) for p in snapshot["principals"]]
    named: dict[str, list[tuple[str, dict[str, str] | None]]] = {}
    for arn, parsed in evidence:
        if parsed is not None:
            named.setdefault(parsed["name"].lower(), []).append((arn, parsed))
    joins: dict[str, Join] = {}
    by_name: dict[str, list[str]] = {}  # evidence ARN -> addresses joined to it by name
    mapped: set[str] = set()
    for principal in project.principals:
        identity = code_identity(principal, config)
        if identity is None:
            continue
        entries = config.principals.get(principal.address)
        if entries:
            join = _mapped(principal.address, entries, snapshot)
            mapped.update(join.arns)
        else:
            same_name = named.get((identity.name or "").lower(), [])
            join = _by_name(principal.address, identity, same_name if identity.name else evidence)
            for arn in join.arns:
                by_name.setdefault(arn, []).append(principal.address)
        joins[principal.address] = join
    _resolve_ambiguities(joins, by_name, mapped)
    claimed = {arn for join in joins.values() for arn in join.arns}
    unclaimed = tuple(sorted(arn for arn, _ in evidence if arn not in claimed))
    return JoinResult(joins, unclaimed)


def _mapped(address: str, entries: list[str], snapshot: Snapshot) -> Join:
    arns: list[str] = []
    for entry in entries:
        if any(ch in entry for ch in "*?["):
            arns += [p["arn"] for p in snapshot["principals"] if fnmatchcase(p["arn"], entry)]
            continue
        found = find_principal(snapshot, entry)  # a session ARN finds its role through aliases
        if found is not None:
            arns.append(found["arn"])
    expected = ", ".join(entries)
    if not arns:
        return Join(address, JoinStatus.ABSENT, how="mapping", expected=expected)
    notes = (f"mapped in [tool.iamlint.principals] to {expected}",)
    return Join(address, JoinStatus.JOINED, tuple(sorted(set(arns))), "mapping", expected, notes)


def _by_name(
    address: str, identity: CodeIdentity, evidence: list[tuple[str, dict[str, str] | None]]
) -> Join:
    if identity.name is None:
        candidates = tuple(
            sorted(arn for arn, parsed in evidence if parsed and _could_be(identity, parsed))
        )
        return Join(
            address,
            JoinStatus.UNKNOWN_NAME,
            how="name",
            expected=identity.pattern,
            candidates=candidates,
        )
    arns: list[str] = []
    notes: list[str] = []
    for arn, parsed in evidence:
        if parsed is None or parsed["kind"] != identity.kind:
            continue
        if parsed["name"].lower() != identity.name.lower():
            continue  # IAM names are unique per account ignoring case
        if identity.account and parsed["account"] != identity.account:
            continue
        arns.append(arn)
        if parsed["path"] != identity.path:
            notes.append(f"path {parsed['path']} in the evidence, {identity.path} in the code")
    if not arns:
        return Join(address, JoinStatus.ABSENT, how="name", expected=identity.pattern)
    if identity.account is None:
        accounts = sorted({a.split(":")[4] for a in arns})
        notes.insert(
            0,
            f"matched by name in account {', '.join(accounts)}; the account is not in the code",
        )
    return Join(
        address,
        JoinStatus.JOINED,
        tuple(sorted(arns)),
        "name",
        identity.pattern,
        tuple(dict.fromkeys(notes)),
    )


def _could_be(identity: CodeIdentity, parsed: dict[str, str]) -> bool:
    """Whether an evidence ARN fits the code's partly unknown ARN (for listing candidates)."""
    arn = f"arn:aws:iam::{parsed['account']}:{parsed['kind']}{parsed['path']}{parsed['name']}"
    return fnmatchcase(arn.lower(), identity.pattern.lower())


def _resolve_ambiguities(
    joins: dict[str, Join], by_name: dict[str, list[str]], mapped: set[str]
) -> None:
    """An evidence ARN that several principals join by name belongs to none of them; one that
    the configuration maps explicitly is not joined by name at all."""
    for arn, addresses in by_name.items():
        if arn in mapped:
            for address in addresses:
                why = f"{arn} is mapped to another address in [tool.iamlint.principals]"
                _drop(joins, address, arn, (), why)
            continue
        if len(addresses) < 2:
            continue
        for address in addresses:
            rivals = tuple(sorted(a for a in addresses if a != address))
            _drop(joins, address, arn, rivals, f"{arn} also matches {', '.join(rivals)}")


def _drop(
    joins: dict[str, Join], address: str, arn: str, rivals: tuple[str, ...], why: str
) -> None:
    join = joins[address]
    remaining = tuple(a for a in join.arns if a != arn)
    if remaining:
        notes = (*join.notes, f"{why}: its evidence is left out")
        joins[address] = Join(
            address, join.status, remaining, join.how, join.expected, notes, (), rivals
        )
        return
    status = JoinStatus.AMBIGUOUS if rivals else JoinStatus.ABSENT
    candidates = (arn,) if rivals else ()
    joins[address] = Join(
        address, status, (), join.how, join.expected, (why,), candidates, join.rivals + rivals
    )
