"""`iamlint policies` output: every policy record and principal, as JSON or for a person."""

from __future__ import annotations

import json
from typing import Any

from iamlint.model import Unknown, to_json
from iamlint.terraform.project import PolicyRecord, PrincipalRecord, Project

FORMAT_VERSION = 1


def _value(value: Any) -> Any:
    return to_json(value)


def record_json(record: PolicyRecord) -> dict[str, Any]:
    return {
        "address": record.address,
        "kind": record.kind,
        "resource_type": record.resource_type,
        "attribute": record.attribute,
        "module": record.module,
        "instance_key": _value(record.instance_key),
        "location": record.location.to_json(),
        "attached_to": [_value(a) for a in record.attached_to],
        "origins": record.origins,
        "document": _value(record.document),
        "unknowns": [u.to_json() for u in record.unknowns],
        "spans": {pointer: loc.to_json() for pointer, loc in sorted(record.spans.items())},
    }


def principal_json(principal: PrincipalRecord) -> dict[str, Any]:
    return {
        "address": principal.address,
        "type": principal.type,
        "module": principal.module,
        "instance_key": _value(principal.instance_key),
        "location": principal.location.to_json(),
        "name": _value(principal.name),
        "path": principal.path,
        "arn": _value(principal.arn),
        "identity_policies": principal.identity_policies,
        "managed_policies": principal.managed_policies,
        "trust_policy": principal.trust_policy,
        "permissions_boundary": _value(principal.permissions_boundary),
        "groups": principal.groups,
        "unresolved": [u.to_json() for u in principal.unresolved],
    }


def project_json(project: Project) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "files": len(project.files),
        "lines": project.lines,
        "policies": [record_json(r) for r in project.records],
        "principals": [principal_json(p) for p in project.principals],
        "modules_not_followed": [
            {
                "address": m.address,
                "source": m.source,
                "reason": m.reason,
                "location": m.location.to_json(),
            }
            for m in project.modules_not_followed
        ],
        "errors": [e.to_json() for e in project.errors],
    }


def render_json(project: Project) -> str:
    # Compact: a large repository's records run to tens of megabytes; pipe through jq to read.
    return json.dumps(project_json(project), separators=(",", ":")) + "\n"


def _short(value: Any) -> str:
    if isinstance(value, Unknown):
        return f"<unknown: {value.text}>"
    if isinstance(value, list):
        return ", ".join(_short(v) for v in value)
    return str(value)


def _statement_lines(statement: Any) -> list[str]:
    if isinstance(statement, Unknown):
        return [f"    ? {_short(statement)}  ({statement.reason})"]
    effect = _short(statement.get("Effect", "Allow"))
    lines = []
    head = f"    {effect}"
    if "Sid" in statement:
        head += f" [{_short(statement['Sid'])}]"
    lines.append(head)
    for key in ("Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource"):
        if key in statement:
            value = statement[key]
            if isinstance(value, dict):
                shown = "; ".join(f"{_short(k)}: {_short(v)}" for k, v in value.items())
            else:
                shown = _short(value)
            lines.append(f"      {key:<12} {shown}")
    condition = statement.get("Condition")
    if isinstance(condition, dict):
        for op, block in condition.items():
            if isinstance(block, dict):
                for key, values in block.items():
                    lines.append(
                        f"      {'Condition':<12} {_short(op)} {_short(key)} = {_short(values)}"
                    )
    return lines


def render_text(project: Project) -> str:
    out: list[str] = []
    for record in project.records:
        attached = ", ".join(_short(a) for a in record.attached_to) or "nothing"
        out.append(
            f"{record.location}  {record.address}  ({record.kind} policy, attached to {attached})"
        )
        document = record.document
        if isinstance(document, Unknown):
            out.append(f"    ? whole policy unknown: {document.text} ({document.reason})")
        else:
            for statement in document.get("Statement", []):
                out.extend(_statement_lines(statement))
        if record.unknowns:
            out.append(f"    unknown values ({len(record.unknowns)}):")
            for unknown in record.unknowns:
                where = f"{unknown.location}" if unknown.location else "?"
                out.append(f"      {where}  {unknown.text}  ({unknown.reason})")
        out.append("")
    if project.principals:
        out.append("Principals:")
        for principal in project.principals:
            out.append(f"  {principal.address} ({principal.type} {_short(principal.name)})")
            if principal.trust_policy:
                out.append(f"      trust     {principal.trust_policy}")
            for policy in principal.identity_policies:
                out.append(f"      policy    {policy}")
            for policy in principal.managed_policies:
                out.append(f"      managed   {policy}")
            if principal.permissions_boundary is not None:
                out.append(f"      boundary  {_short(principal.permissions_boundary)}")
            for group in principal.groups:
                out.append(f"      group     {group}")
            for unknown in principal.unresolved:
                out.append(f"      unresolved {unknown.text} ({unknown.reason})")
        out.append("")
    for note in project.modules_not_followed:
        out.append(f"{note.location}  {note.address}: {note.reason} ({note.source})")
    summary = (
        f"{len(project.records)} policies, {len(project.principals)} principals in "
        f"{len(project.files)} files ({project.lines} lines)"
    )
    if project.errors:
        summary += f"; {len(project.errors)} input errors"
    out.append(summary)
    return "\n".join(out) + "\n"
