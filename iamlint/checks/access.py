"""`iamlint access ADDRESS [PATHS]`: what one principal defined in the code can really do.

Without ``--action``: its effective permissions (identity policies ∩ permissions boundary ∩ SCPs
in scope, minus Denies) per service and access level, with resources, conditions and the
granting statements, then the dead grants and what blocks them. With ``--action``: the decision
for one request (allowed, possibly allowed, denied) and why.

The principal's scope (policies, boundary, SCPs, what the code does not say) comes from
`iamlint.checks.principals`, the same one the P3xx and G5xx rules judge.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from iamlint.checks.context import CheckContext
from iamlint.checks.options import (
    config_option,
    fail,
    load_config_or_fail,
    paths_argument,
    var_file_option,
)
from iamlint.checks.principals import PrincipalScope, scope_of, standalone_scope
from iamlint.checks.probe import settle
from iamlint.model import Unknown
from iamlint.policy.catalog import default_catalog
from iamlint.policy.conditions import RequestContext
from iamlint.policy.effective import ActionGrant, EffectivePermissions, effective_permissions
from iamlint.policy.evaluate import Decision, Request, StatementRef, decide
from iamlint.terraform.project import Project

EXIT_OK = 0
_SHOWN = 6  # actions named per group before "and N more"
ANY_RESOURCE = Unknown("any resource", reason="no --resource given")


# --- finding the principal ---------------------------------------------------------------------


def candidates(project: Project) -> list[str]:
    """Addresses `access` accepts: principals, and identity policies or documents no principal
    uses."""
    reached = {a for p in project.principals for a in p.identity_policies}
    out = [p.address for p in project.principals]
    out += [
        r.address
        for r in project.records
        if r.kind in ("identity", "document") and r.address not in reached and not r.attached_to
    ]
    return out


def resolve_scope(ctx: CheckContext, address: str) -> PrincipalScope | None:
    """The scope at a Terraform address, or of the one principal with that name."""
    for principal in ctx.project.principals:
        if principal.address == address:
            return scope_of(ctx, principal)
    named = [p for p in ctx.project.principals if isinstance(p.name, str) and p.name == address]
    if len(named) > 1:
        listed = ", ".join(p.address for p in named)
        fail(f"{address!r} names {len(named)} principals ({listed}): give the address")
    if named:
        return scope_of(ctx, named[0])
    for record in ctx.project.records:
        if record.address == address and record.kind in ("identity", "document"):
            scope = standalone_scope(ctx, record)
            scope.document = record.kind == "document"
            return scope
    return None


def close_matches(address: str, known: list[str]) -> list[str]:
    close = difflib.get_close_matches(address, known, n=5, cutoff=0.5)
    tail = address.rsplit(".", 1)[-1]
    close += [k for k in known if tail and tail in k and k not in close]
    return close[:5]


# --- requests ----------------------------------------------------------------------------------


def parse_context(pairs: Iterable[str]) -> dict[str, list[str]]:
    """``key=value`` pairs; a key given twice is multi-valued."""
    values: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected key=value, got {pair!r}", param_hint="--context")
        values.setdefault(key.strip(), []).append(value)
    return values


def request_context(
    scope: PrincipalScope, given: dict[str, list[str]], complete: bool
) -> RequestContext:
    """The user's context over what is known of the principal (its ARN, account, user name)."""
    merged: dict[str, list[str]] = {k: list(v) for k, v in scope.context().values.items()}
    merged.update({k.lower(): v for k, v in given.items()})
    return RequestContext.of(merged, complete=complete)


def decide_for(
    scope: PrincipalScope, action: str, resource: str | Unknown, context: RequestContext
) -> tuple[Decision, Decision | None]:
    """The decision with every SCP in scope, and (when SCPs are only assumed in scope and they
    change the answer) the decision without those."""
    catalog = default_catalog()
    request = Request(action, resource, context=settle(scope, catalog, action, context))
    decision = decide(request, scope.authorization(), catalog=catalog)
    if not scope.assumed_levels:
        return decision, None
    without = decide(request, scope.authorization(assumed_scps=False), catalog=catalog)
    return decision, (without if without.outcome is not decision.outcome else None)


# --- rendering ---------------------------------------------------------------------------------


def scope_json(scope: PrincipalScope) -> dict[str, Any]:
    boundary: Any = None
    if scope.boundary_unknown:
        boundary = {"policy": scope.boundary_unknown, "known": False}
    elif scope.boundary is not None:
        boundary = {"policy": scope.boundary.name, "known": True}
    return {
        "principal": scope.address,
        "label": scope.label,
        "identity_policies": [g.record.address for g in scope.identity],
        "permissions_boundary": boundary,
        "scp_levels": [
            {
                "target": level.target,
                "assumed": level.assumed,
                "policies": [p.name for p in level.policies],
            }
            for level in scope.scp_levels
        ],
        "notes": scope.notes(),
    }


def scope_text(scope: PrincipalScope) -> list[str]:
    lines = [f"{scope.label} ({scope.address})"]
    policies = ", ".join(g.record.address for g in scope.identity) or "none"
    lines.append(f"  identity policies: {policies}")
    if scope.boundary_unknown:
        lines.append(f"  permissions boundary: {scope.boundary_unknown} (content not in this code)")
    elif scope.boundary is not None:
        lines.append(f"  permissions boundary: {scope.boundary.name}")
    else:
        lines.append("  permissions boundary: none")
    for depth, level in enumerate(scope.scp_levels):
        names = ", ".join(p.name for p in level.policies)
        how = " (assumed in scope)" if level.assumed else ""
        lines.append(f"  SCP level {depth}, attached to {level.target}{how}: {names}")
    if not scope.scp_levels:
        lines.append("  SCPs: none in this code")
    lines += [f"  note: {note}" for note in scope.notes()]
    return lines


def _group_key(grant: ActionGrant) -> tuple[Any, ...]:
    return (
        grant.action.service,
        grant.access_level.value,
        grant.status.value,
        grant.resources,
        grant.conditions,
        grant.granted_by,
        grant.notes,
    )


def _grant_lines(result: EffectivePermissions) -> list[str]:
    """Grants grouped per service and access level by what they share; a service whose every
    action is granted alike is one line, and so is a principal with every action."""
    catalog = default_catalog()
    groups: dict[tuple[Any, ...], list[ActionGrant]] = {}
    for grant in result.grants:
        groups.setdefault(_group_key(grant), []).append(grant)
    per_service: dict[str, list[tuple[tuple[Any, ...], list[ActionGrant]]]] = {}
    for key, grants in groups.items():
        per_service.setdefault(key[0], []).append((key, grants))
    whole: dict[str, tuple[Any, ...]] = {}
    for service, items in per_service.items():
        shared = {key[2:] for key, _ in items}
        count = sum(len(g) for _, g in items)
        if len(shared) == 1 and count == len(catalog.service_actions(service)):
            whole[service] = next(iter(shared))
    if len(whole) == len(per_service) == len(catalog.services()) and len(set(whole.values())) == 1:
        total = len(result.grants)
        return _block("  every action of every service", total, next(iter(whole.values())))
    lines: list[str] = []
    for service, items in per_service.items():
        name = catalog.service_name(service) or service
        if service in whole:
            count = sum(len(g) for _, g in items)
            lines += _block(f"  {service} ({name}): every action", count, whole[service])
            continue
        lines.append(f"  {service} ({name})")
        for key, grants in items:
            names = [g.action.full_name for g in grants]
            shown = ", ".join(names[:_SHOWN]) + (
                f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
            )
            lines += _block(f"    {key[1]}: {shown}", len(names), key[2:], indent="      ")
    return lines


def _block(head: str, count: int, shared: tuple[Any, ...], indent: str = "    ") -> list[str]:
    status, resources, conditions, granted_by, notes = shared
    lines = [f"{head} [{count} {status}]", f"{indent}on {', '.join(resources)}"]
    if conditions:
        lines.append(f"{indent}when {'; '.join(conditions)}")
    lines.append(f"{indent}granted by {'; '.join(granted_by)}")
    lines += [f"{indent}possibly: {note}" for note in notes]
    return lines


def permissions_text(scope: PrincipalScope, result: EffectivePermissions) -> str:
    lines = scope_text(scope)
    services = result.by_service()
    total = len(result.grants)
    lines.append("")
    lines.append(f"Effective permissions: {total} actions in {len(services)} services")
    lines += _grant_lines(result)
    lines.append("")
    if result.dead_grants:
        lines.append(f"Dead grants (can never take effect): {len(result.dead_grants)}")
        for dead in result.dead_grants:
            lines.append(f"  {dead.policy} {dead.statement.label}:")
            for part in dead.parts:
                acts = list(part.actions)
                shown = ", ".join(acts[:_SHOWN]) + (
                    f" and {len(acts) - _SHOWN} more" if len(acts) > _SHOWN else ""
                )
                lines.append(f"    {shown}: {part.blocked_by}")
    else:
        lines.append("Dead grants: none")
    if result.uncatalogued:
        lines.append(f"Not in the action catalog: {', '.join(result.uncatalogued)}")
    if result.open_questions:
        lines.append("Unresolved values that may change this:")
        lines += [f"  {q}" for q in result.open_questions]
    return "\n".join(lines) + "\n"


def permissions_json(scope: PrincipalScope, result: EffectivePermissions) -> str:
    data = {
        **scope_json(scope),
        "summary": result.summary(),
        "grants": [
            {
                "action": g.action.full_name,
                "service": g.action.service,
                "access_level": g.access_level.value,
                "status": g.status.value,
                "resources": list(g.resources),
                "conditions": list(g.conditions),
                "granted_by": list(g.granted_by),
                "notes": list(g.notes),
            }
            for g in result.grants
        ],
        "dead_grants": [
            {
                "policy": d.policy,
                "statement": d.statement.label,
                "whole_statement": d.whole_statement,
                "parts": [
                    {"actions": list(p.actions), "blocked_by": p.blocked_by} for p in d.parts
                ],
            }
            for d in result.dead_grants
        ],
        "uncatalogued": list(result.uncatalogued),
        "open_questions": list(result.open_questions),
    }
    return json.dumps(data, indent=2) + "\n"


def _refs(refs: Iterable[StatementRef]) -> list[str]:
    return [str(ref) for ref in refs]


def decision_text(
    scope: PrincipalScope,
    request: Request,
    decision: Decision,
    without: Decision | None,
) -> str:
    resource = request.resource.text if isinstance(request.resource, Unknown) else request.resource
    lines = [f"{request.action} on {resource} by {scope.label} ({scope.address}): "]
    lines[0] += decision.outcome.value
    lines += decision.explain().splitlines()[1:]
    if without is not None:
        lines.append(
            f"  without the SCPs of assumed scope it would be {without.outcome.value}: the code "
            "does not say whether they apply to this principal"
        )
    lines += [f"  note: {note}" for note in scope.notes()]
    return "\n".join(lines) + "\n"


def decision_json(
    scope: PrincipalScope,
    request: Request,
    decision: Decision,
    without: Decision | None,
) -> str:
    resource = request.resource
    data = {
        **scope_json(scope),
        "request": {
            "action": request.action,
            "resource": resource.to_json() if isinstance(resource, Unknown) else resource,
            "context": {k: list(v) for k, v in request.context.values.items()},
            "context_complete": request.context.complete,
        },
        "outcome": decision.outcome.value,
        "allowed_by": _refs(decision.allowed_by),
        "denied_by": _refs(decision.denied_by),
        "blocked_by": list(decision.blocked_by),
        "open_questions": list(decision.open_questions),
        "decision_notes": list(decision.notes),
        "without_assumed_scps": without.outcome.value if without is not None else None,
    }
    return json.dumps(data, indent=2) + "\n"


# --- the command -------------------------------------------------------------------------------


@click.command()
@click.argument("address")
@paths_argument
@click.option("--action", help="Ask about one action (e.g. s3:PutObject) instead of listing all.")
@click.option("--resource", help="The resource ARN of the request (default: any resource).")
@click.option(
    "--context",
    "contexts",
    multiple=True,
    metavar="KEY=VALUE",
    help="A request context value (repeatable; a key given twice is multi-valued).",
)
@click.option(
    "--complete-context",
    is_flag=True,
    help="Treat context keys not given as absent (as the AWS simulator does), not as unknown.",
)
@var_file_option
@config_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def access(
    address: str,
    paths: tuple[Path, ...],
    action: str | None,
    resource: str | None,
    contexts: tuple[str, ...],
    complete_context: bool,
    var_files: tuple[Path, ...],
    config_file: Path | None,
    output_format: str,
) -> None:
    """What the principal at ADDRESS (e.g. aws_iam_role.ci) can do, after its permissions
    boundary and the SCPs in scope; with --action, whether one request is allowed and why."""
    from iamlint.terraform.project_cache import load_project_cached

    config = load_config_or_fail(config_file, paths).config
    given = parse_context(contexts)
    project = load_project_cached(list(paths) or [Path(".")], list(var_files))
    for error in project.errors:
        click.echo(f"warning: {error}", err=True)
    ctx = CheckContext(project, config, default_catalog())
    scope = resolve_scope(ctx, address)
    if scope is None:
        known = candidates(project)
        close = close_matches(address, known)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        listing = "" if close or not known else f"; principals: {', '.join(known[:10])}"
        fail(f"no principal or identity policy {address!r} in the code{hint}{listing}")
    if action is None:
        if resource or contexts:
            fail("--resource and --context need --action")
        result = effective_permissions(scope.policies(), catalog=default_catalog())
        render = permissions_json if output_format == "json" else permissions_text
        sys.stdout.write(render(scope, result))
        sys.exit(EXIT_OK)
    lookup = default_catalog().lookup(action)
    if not lookup.known:
        hint = f" (did you mean {', '.join(lookup.suggestions)}?)" if lookup.suggestions else ""
        click.echo(f"warning: {action}: {lookup.problem}{hint}", err=True)
    target: str | Unknown = resource if resource else ANY_RESOURCE
    context = request_context(scope, given, complete_context)
    decision, without = decide_for(scope, action, target, context)
    request = Request(action, target, context=context)
    render_decision = decision_json if output_format == "json" else decision_text
    sys.stdout.write(render_decision(scope, request, decision, without))
    sys.exit(EXIT_OK)


__all__ = ["access", "candidates", "close_matches", "resolve_scope"]
