"""What every rule family gets: the project, the catalog, the configuration, parsed policies.

A rule family is a module in `iamlint/checks/` with ``run(ctx: CheckContext) ->
Iterable[Finding]``; it reads rule metadata (severity, title) from the catalog in `rules/`
through `ctx.severity(rule_id)`, never hard-coding it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iamlint.checks.finding import Severity
from iamlint.terraform.project import PolicyRecord, PrincipalRecord, Project


@dataclass(slots=True)
class Config:
    """`[tool.iamlint]` in pyproject.toml or `.iamlint.toml` (keys in kebab-case there)."""

    select: list[str] = field(default_factory=list)  # rule ids or prefixes; empty = all
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)  # rule id -> severity override
    fail_on: str = "info"  # lowest severity that makes the exit code 1
    max_session_duration: int = 3600  # seconds (T405)
    required_boundary: str | None = None  # ARN or glob every role/user must have (G501)
    approved_regions: list[str] = field(default_factory=list)  # G505/G506
    admin_role_pattern: str | None = None  # G505: the role allowed to manage IAM
    rule_packs: list[str] = field(default_factory=list)  # extra rule catalogs (paths)
    account_id: str | None = None  # fills ARNs' account where Terraform leaves it unknown
    # [tool.iamlint.principals]: Terraform address -> ARNs (globs allowed) of its usage evidence,
    # for principals whose ARN the code cannot give (name_prefix, another account).
    principals: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class CheckContext:
    project: Project
    config: Config
    catalog: Any  # iamlint.policy.catalog.Catalog
    severities: dict[str, Severity] = field(default_factory=dict)
    usage: Any = None  # a usage snapshot (`iamlint check --usage`); None: usage rules stay quiet
    # The files whose findings will be reported (pre-commit passes a few): a family may skip
    # work whose findings would all land elsewhere. None: every file. Findings outside are
    # dropped by the runner either way, so using it is an optimisation, never a filter.
    reported: Callable[[str], bool] | None = None
    # What several families compute alike (the principals' scopes, say), built once per run by
    # whichever family asks first: keyed by the name of the helper that owns the entry.
    memo: dict[str, Any] = field(default_factory=dict)
    _parsed: dict[int, Any] = field(default_factory=dict)
    _reports: dict[int, bool] = field(default_factory=dict)
    _by_address: dict[str, PolicyRecord] | None = None

    def severity(self, rule: str) -> Severity:
        override = self.config.severity.get(rule)
        if override:
            return Severity.parse(override)
        return self.severities.get(rule, Severity.MEDIUM)

    def policy(self, record: PolicyRecord) -> Any:
        """The record's document parsed by `iamlint.policy.document.parse_policy` (cached)."""
        key = id(record)
        if key not in self._parsed:
            from iamlint.policy.document import PolicyKind, parse_policy

            kind = {
                "identity": PolicyKind.IDENTITY,
                "trust": PolicyKind.TRUST,
                "resource": PolicyKind.RESOURCE,
                "scp": PolicyKind.SCP,
                "rcp": PolicyKind.RCP,
                "boundary": PolicyKind.BOUNDARY,
            }.get(record.kind, PolicyKind.IDENTITY)
            self._parsed[key] = parse_policy(record.document, name=record.address, kind=kind)
        return self._parsed[key]

    def reports(self, record: PolicyRecord) -> bool:
        """Whether a finding on the record could land in a reported file (cached).

        A finding sits at the record, at one of its spans (a policy in a JSON file, a value
        written in a module call) or at an unresolved value, so all of those files count."""
        reported = self.reported
        if reported is None:
            return True
        key = id(record)
        found = self._reports.get(key)
        if found is None:
            files = {record.location.file}
            files.update(loc.file for loc in record.spans.values())
            files.update(u.location.file for u in record.unknowns if u.location is not None)
            found = self._reports[key] = any(reported(f) for f in files)
        return found

    def record(self, address: str) -> PolicyRecord | None:
        """The policy record at a Terraform address (an index built once per run)."""
        if self._by_address is None:
            self._by_address = {r.address: r for r in self.project.records}
        return self._by_address.get(address)

    def records_of(self, principal: PrincipalRecord) -> list[PolicyRecord]:
        found = (self.record(a) for a in principal.identity_policies)
        return [r for r in found if r is not None]
