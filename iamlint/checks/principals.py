"""Everything that decides what one principal defined in the code can do, gathered from the project.

A principal's identity policies (inline, attached, and its groups'), its permissions boundary
and the SCPs in scope become one `PrincipalScope`, which the privilege-escalation and guardrail
rules and `iamlint access` all evaluate with the policy engine (`iamlint.policy`).

What the code cannot say is kept as notes, never guessed:

- a boundary given as an ARN that no policy in the code has (or as an unresolved expression)
  has unknown content: it may narrow anything, so nothing it could block is claimed definite;
- AWS-managed or unresolved policy attachments have unknown content: they may widen;
- Terraform never says which account or OU a principal lives in. SCPs attached to the
  organization root apply to every member account; SCPs attached to an OU, an account or an
  unresolved target are *assumed* to apply, and every answer that depends on them says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from iamlint.checks.context import CheckContext
from iamlint.model import Unknown
from iamlint.policy.conditions import RequestContext
from iamlint.policy.document import Effect, Policy, PolicyKind, brief, parse_policy
from iamlint.policy.effective import PrincipalPolicies
from iamlint.policy.evaluate import Authorization
from iamlint.terraform.project import PolicyRecord, PrincipalRecord

# AWS attaches FullAWSAccess at every level of an organization; Terraform code rarely shows it.
FULL_AWS_ACCESS = parse_policy(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    name="FullAWSAccess (AWS default, assumed attached)",
    kind=PolicyKind.SCP,
)
PLACEHOLDER_ACCOUNT = "123456789012"
_ACCOUNT = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:(\d{12}):")


@dataclass(frozen=True, slots=True)
class Granting:
    """One identity policy of the principal: the record (for locations) and its parsed form."""

    record: PolicyRecord
    policy: Policy


@dataclass(frozen=True, slots=True)
class ScpLevel:
    """The SCPs attached to one target (root, OU, account), as AWS evaluates one level."""

    target: str
    policies: tuple[Policy, ...]
    records: tuple[PolicyRecord, ...]
    assumed: bool  # not the organization root: in scope only if the principal sits below it


@dataclass(slots=True)
class PrincipalScope:
    principal: PrincipalRecord | None  # None: a policy attached to no principal in the code
    label: str  # "role ci-deployer", "policy aws_iam_policy.x"
    address: str
    identity: list[Granting] = field(default_factory=list)
    boundary: Policy | None = None  # a policy of unknown statements when its content is unknown
    boundary_record: PolicyRecord | None = None
    boundary_unknown: str | None = None  # the boundary exists but its content is not in the code
    scp_levels: list[ScpLevel] = field(default_factory=list)
    widening: list[str] = field(default_factory=list)  # attachments of unknown content
    account: str | None = None  # the account its ARNs are assumed to be in, when known
    # Answers that do not depend on the principal (the SCPs'), shared by every scope of a run.
    shared: dict[Any, Any] = field(default_factory=dict)
    # A policy document nothing in the code uses: judged as an identity policy, only possibly.
    document: bool = False

    @property
    def has_boundary(self) -> bool:
        return self.boundary is not None or self.boundary_unknown is not None

    @property
    def assumed_levels(self) -> list[ScpLevel]:
        return [level for level in self.scp_levels if level.assumed]

    def policies(self, *, assumed_scps: bool = True) -> PrincipalPolicies:
        return PrincipalPolicies(
            name=self.address,
            identity=[g.policy for g in self.identity],
            boundary=self.boundary,
            scps=[lvl.policies for lvl in self.scp_levels if assumed_scps or not lvl.assumed],
        )

    def authorization(self, *, assumed_scps: bool = True) -> Authorization:
        return Authorization(
            identity=[g.policy for g in self.identity],
            boundary=self.boundary,
            scps=[lvl.policies for lvl in self.scp_levels if assumed_scps or not lvl.assumed],
        )

    def granting(self, policy_name: str) -> Granting | None:
        for granting in self.identity:
            if granting.policy.name == policy_name:
                return granting
        return None

    def context(self) -> RequestContext:
        """What is known of any request this principal makes; everything else is unknown."""
        values: dict[str, str] = {}
        arn = self.arn()
        if isinstance(arn, str):
            values["aws:PrincipalArn"] = arn
        if self.account:
            values["aws:PrincipalAccount"] = self.account
        principal = self.principal
        if principal is not None and principal.type == "user" and isinstance(principal.name, str):
            values["aws:username"] = principal.name
        return RequestContext.of(values, complete=False)

    def arn(self) -> str | Unknown | None:
        """The principal's ARN, with the account filled in when it is known."""
        if self.principal is None:
            return None
        arn = self.principal.arn
        if isinstance(arn, Unknown) and arn.parts is not None and self.account:
            filled = fill_unknown(arn, self.account)
            return filled if filled is not None else arn
        return arn if isinstance(arn, str | Unknown) else None

    def files(self) -> set[str]:
        """Files a finding about this scope can be located in."""
        out = {g.record.location.file for g in self.identity}
        # Statements read through file() or templatefile() are located in their own files.
        out |= {span.file for g in self.identity for span in g.record.spans.values()}
        if self.principal is not None:
            out.add(self.principal.location.file)
        return out

    def notes(self) -> list[str]:
        """Everything about this scope that an answer depends on and the code does not say."""
        out: list[str] = []
        if self.document:
            out.append(
                "a policy document nothing in this code uses: judged as an identity policy of "
                "whoever it is given to"
            )
        if self.boundary_unknown:
            out.append(
                f"permissions boundary {self.boundary_unknown} is not defined in this code: it "
                "may block more than shown"
            )
        for item in self.widening:
            out.append(f"{item} has content not in this code: it may allow more than shown")
        assumed = self.assumed_levels
        if assumed:
            targets = ", ".join(lvl.target for lvl in assumed)
            out.append(
                f"SCPs attached to {targets} are assumed to apply: the code does not say which "
                "account or OU the principal is in (SCPs never apply in the management account)"
            )
        return out


def fill_unknown(value: Unknown, account: str) -> str | None:
    """An ARN template whose only unknown piece is the account (``arn:aws:iam::?:role/x``)."""
    parts = value.parts or ()
    holes = [i for i, p in enumerate(parts) if p is None]
    if len(holes) != 1:
        return None
    before = "".join(p or "" for p in parts[: holes[0]])
    if not re.fullmatch(r"arn:[^:]+:[^:]*:[^:]*:", before):
        return None
    return "".join(account if p is None else p for p in parts)


def policy_arn(record: PolicyRecord, account: str | None) -> str | Unknown | None:
    """A managed policy's ARN (an `Unknown` with known pieces while the account is unknown)."""
    if record.resource_type != "aws_iam_policy" or not isinstance(record.name, str):
        return None
    if account:
        return f"arn:aws:iam::{account}:policy/{record.name}"
    return Unknown(
        f"{record.address}.arn",
        record.location,
        "ARN includes the account ID",
        ("arn:aws:iam::", None, f":policy/{record.name}"),
    )


# --- building scopes ------------------------------------------------------------------------


def principal_label(principal: PrincipalRecord) -> str:
    name = principal.name if isinstance(principal.name, str) else principal.address
    return f"{principal.type} {name}"


def scopes(ctx: CheckContext) -> list[PrincipalScope]:
    """A scope per role and user, per group none of whose members is defined in the code, and
    per identity policy that reaches no principal (whoever it is attached to gets its grants).

    Built once per run (several families judge the same principals, and share the answers
    cached in each scope). When only some files are reported (pre-commit), scopes whose
    findings would all land elsewhere are skipped: judging them is most of the run's work."""
    found: list[PrincipalScope] | None = ctx.memo.get("principals.scopes")
    if found is None:
        found = ctx.memo["principals.scopes"] = list(_build_scopes(ctx))
    return found


def _build_scopes(ctx: CheckContext) -> Iterator[PrincipalScope]:
    levels = scp_levels(ctx)
    shared: dict[Any, Any] = {}
    members = {g for p in ctx.project.principals if p.type == "user" for g in p.groups}
    groups = {p.address: p for p in ctx.project.principals if p.type == "group"}
    reached: set[str] = set()
    reported = {r.address for r in ctx.project.records if ctx.reports(r)}
    for principal in ctx.project.principals:
        reached.update(principal.identity_policies)
        if principal.type == "group" and principal.address in members:
            continue  # judged through its members, with their other policies
        holders = [principal] + [groups[g] for g in principal.groups if g in groups]
        if not _reported(ctx, principal, holders, reported):
            continue
        scope = scope_of(ctx, principal, levels)
        scope.shared = shared
        yield scope
    for record in ctx.project.records:
        if not ctx.reports(record):
            continue
        # A policy no principal in the code holds (unattached, or attached to `var.role_name`):
        # whoever holds it gets its grants, so it is judged on its own.
        if record.kind == "identity" and record.address not in reached:
            scope = standalone_scope(ctx, record, levels)
        elif record.kind == "document" and _grants_to_holder(ctx, record):
            scope = standalone_scope(ctx, record, levels)
            scope.document = True
        else:
            continue
        scope.shared = shared
        yield scope


def _reported(
    ctx: CheckContext,
    principal: PrincipalRecord,
    holders: list[PrincipalRecord],
    reported: set[str],
) -> bool:
    """Could a finding about the principal land in a reported file (``reported``: addresses
    of the records that can)? Decided before the scope is built: on a large repository,
    pre-commit reports one file and most principals are not in it."""
    if ctx.reported is None or ctx.reported(principal.location.file):
        return True
    return any(a in reported for holder in holders for a in holder.identity_policies)


def _grants_to_holder(ctx: CheckContext, record: PolicyRecord) -> bool:
    """A policy document nothing iamlint sees uses (passed to a remote module, say) reads as an
    identity policy when no statement names a Principal (resource and trust documents do)."""
    policy: Policy = ctx.policy(record)
    return not any(st.principal is not None for st in policy.statements)


def find_principal(ctx: CheckContext, address: str) -> PrincipalRecord | None:
    for principal in ctx.project.principals:
        if principal.address == address:
            return principal
    return None


def scope_of(
    ctx: CheckContext, principal: PrincipalRecord, levels: list[ScpLevel] | None = None
) -> PrincipalScope:
    scope = PrincipalScope(principal, principal_label(principal), principal.address)
    holders = [principal] + [g for g in _groups(ctx) if g.address in principal.groups]
    seen: set[str] = set()
    for holder in holders:
        for address in holder.identity_policies:
            record = ctx.record(address)
            if record is None or address in seen:
                continue
            seen.add(address)
            scope.identity.append(Granting(record, ctx.policy(record)))
        via = "" if holder is principal else f" (through group {holder.address})"
        scope.widening += [f"attached policy {arn}{via}" for arn in holder.managed_policies]
        scope.widening += [f"attached policy {brief(u.text)}{via}" for u in holder.unresolved]
    _set_boundary(ctx, scope, principal)
    scope.scp_levels = levels if levels is not None else scp_levels(ctx)
    scope.account = ctx.config.account_id or _only_account(scope)
    return scope


def _groups(ctx: CheckContext) -> list[PrincipalRecord]:
    """The project's groups, in project order (a scope takes its groups' policies in it)."""
    found: list[PrincipalRecord] | None = ctx.memo.get("principals.groups")
    if found is None:
        found = ctx.memo["principals.groups"] = [
            g for g in ctx.project.principals if g.type == "group"
        ]
    return found


def standalone_scope(
    ctx: CheckContext, record: PolicyRecord, levels: list[ScpLevel] | None = None
) -> PrincipalScope:
    scope = PrincipalScope(None, f"a principal with policy {record.address}", record.address)
    scope.identity.append(Granting(record, ctx.policy(record)))
    scope.scp_levels = levels if levels is not None else scp_levels(ctx)
    scope.account = ctx.config.account_id or _only_account(scope)
    return scope


def _set_boundary(ctx: CheckContext, scope: PrincipalScope, principal: PrincipalRecord) -> None:
    value = principal.permissions_boundary
    if value is None:
        return
    if isinstance(value, Unknown):
        _unknown_boundary(scope, value.text)
        return
    record = ctx.record(str(value)) or _policy_named_in(ctx, str(value))
    if record is None:
        _unknown_boundary(scope, str(value))
        return
    scope.boundary_record = record
    scope.boundary = _as_kind(ctx.policy(record), PolicyKind.BOUNDARY)


def _unknown_boundary(scope: PrincipalScope, text: str) -> None:
    """A boundary whose content the code does not hold: to the engine, a policy of unknown
    statements, so that it may allow or deny anything and nothing it caps is claimed certain."""
    scope.boundary_unknown = text
    unknown = Unknown(text, reason="permissions boundary content not in this code")
    scope.boundary = Policy(
        name=text, kind=PolicyKind.BOUNDARY, version=None, unknown_statements=(unknown,)
    )


def _policy_named_in(ctx: CheckContext, arn: str) -> PolicyRecord | None:
    """The aws_iam_policy whose name a literal boundary ARN ends with (not attached by ref)."""
    if ":policy/" not in arn or ":iam::aws:policy/" in arn:
        return None
    name = arn.rsplit("/", 1)[-1]
    for record in ctx.project.records:
        if record.resource_type == "aws_iam_policy" and record.name == name:
            return record
    return None


def _as_kind(policy: Policy, kind: PolicyKind) -> Policy:
    if policy.kind is kind:
        return policy
    return Policy(
        statements=policy.statements,
        version=policy.version,
        id=policy.id,
        name=policy.name,
        kind=kind,
        unknown_statements=policy.unknown_statements,
        problems=policy.problems,
    )


def _only_account(scope: PrincipalScope) -> str | None:
    """The single account the principal's own resource ARNs name, if exactly one: its account."""
    accounts = accounts_named(scope)
    return accounts[0] if len(accounts) == 1 else None


def accounts_named(scope: PrincipalScope) -> list[str]:
    """The 12-digit accounts the principal's identity policies name in resource ARNs."""
    accounts: set[str] = set()
    for granting in scope.identity:
        for statement in granting.policy.statements:
            if isinstance(statement.resources, tuple):
                for value in statement.resources:
                    if isinstance(value, str) and (m := _ACCOUNT.match(value)):
                        accounts.add(m.group(1))
    return sorted(accounts)


# --- SCPs ----------------------------------------------------------------------------------


def scp_levels(ctx: CheckContext) -> list[ScpLevel]:
    """One level per attachment target: the organization root first, then the other targets.

    A level keeps AWS's default FullAWSAccess unless one of its SCPs has an Allow statement
    (writing Allows at a level only makes sense where FullAWSAccess was replaced)."""
    by_target: dict[str, list[PolicyRecord]] = {}
    roots: set[str] = set()
    for record in ctx.project.records:
        if record.kind != "scp":
            continue
        for target in record.attached_to:
            label = _target_label(target)
            by_target.setdefault(label, []).append(record)
            if _is_root(target):
                roots.add(label)
    levels: list[ScpLevel] = []
    for label in sorted(by_target, key=lambda t: (t not in roots, t)):
        records = tuple(by_target[label])
        policies = tuple(_as_kind(ctx.policy(r), PolicyKind.SCP) for r in records)
        if not any(_has_allow(p) for p in policies):
            policies = (*policies, FULL_AWS_ACCESS)
        levels.append(ScpLevel(label, policies, records, assumed=label not in roots))
    return levels


def _has_allow(policy: Policy) -> bool:
    return any(s.effect is Effect.ALLOW for s in policy.statements)


def _target_label(target: object) -> str:
    if isinstance(target, Unknown):
        return f"{brief(target.text)} (unresolved)"
    return str(target)


def _is_root(target: object) -> bool:
    if isinstance(target, Unknown) or not isinstance(target, str):
        return False
    # A reference to the organization (its roots[0].id), possibly inside a module, or "r-xxxx".
    return "aws_organizations_organization." in f".{target}" or target.startswith("r-")


__all__ = [
    "FULL_AWS_ACCESS",
    "PLACEHOLDER_ACCOUNT",
    "Granting",
    "PrincipalScope",
    "ScpLevel",
    "accounts_named",
    "fill_unknown",
    "find_principal",
    "policy_arn",
    "scope_of",
    "scopes",
    "scp_levels",
]
