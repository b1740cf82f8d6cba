"""`terraform show -json` output (plans and state): policies fully resolved by Terraform itself.

Records get the same addresses as those read from HCL. A value Terraform will know only after
apply stays unknown.
"""

from __future__ import annotations

from typing import Any

from iamlint.model import Location, Unknown
from iamlint.terraform import jsonspan, sources
from iamlint.terraform.documents import from_value
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import SourceFile
from iamlint.terraform.project import PolicyRecord, PrincipalRecord, Project
from iamlint.terraform.values import LDict, LStr


def is_plan_file(path_name: str) -> bool:
    return path_name.endswith(".json") and not path_name.endswith(".tf.json")


def load_plan(file: SourceFile, project: Project) -> None:
    try:
        data = jsonspan.loads(file.text, file, 0)
    except jsonspan.JsonSyntaxError as err:
        line, column = file.line_column(err.offset)
        project.errors.append(InputError(file.display, line, column, err.message))
        return
    if not isinstance(data, dict) or not ({"planned_values", "values"} & set(data)):
        project.errors.append(
            InputError(
                file.display,
                1,
                1,
                "expected the output of `terraform show -json` (planned_values or values)",
            )
        )
        return
    root = data.get("planned_values") or data.get("values") or {}
    unknown_after = _after_unknown(data)
    project.files.append(file.display)
    project.lines += file.text.count("\n") + 1
    resources = list(_resources(root.get("root_module") or {}))
    names: dict[tuple[str, str], PrincipalRecord] = {}
    for resource in resources:
        _principal(resource, file, project, names)
    for resource in resources:
        _records(resource, file, project, unknown_after, names)


def _after_unknown(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for change in data.get("resource_changes") or []:
        if isinstance(change, dict) and isinstance(change.get("change"), dict):
            after = change["change"].get("after_unknown")
            if isinstance(after, dict):
                out[str(change.get("address"))] = after
    return out


def _resources(module: dict[str, Any]) -> Any:
    for resource in module.get("resources") or []:
        if isinstance(resource, dict) and resource.get("mode", "managed") == "managed":
            yield resource
    for child in module.get("child_modules") or []:
        if isinstance(child, dict):
            yield from _resources(child)


def _where(value: Any, resource: Any, file: SourceFile) -> Location:
    loc = getattr(value, "loc", None) or getattr(resource, "loc", None)
    return loc or file.location(0, 0)


def _module_of(address: str) -> str:
    parts = address.split(".")
    out = []
    i = 0
    while i + 1 < len(parts) and parts[i] == "module":
        out.extend(parts[i : i + 2])
        i += 2
    return ".".join(out)


def _principal(resource: Any, file: SourceFile, project: Project,
               names: dict[tuple[str, str], PrincipalRecord]) -> None:  # fmt: skip
    kind = sources.PRINCIPAL_TYPES.get(str(resource.get("type")))
    if kind is None:
        return
    values = resource.get("values") or {}
    address = str(resource.get("address"))
    principal = PrincipalRecord(
        address=address,
        type=kind,
        location=_where(None, resource, file),
        name=str(values["name"]) if isinstance(values.get("name"), str) else None,
        path=str(values.get("path") or "/"),
        arn=str(values["arn"]) if isinstance(values.get("arn"), str) else None,
        instance_key=resource.get("index"),
        module=_module_of(address),
    )
    boundary = values.get("permissions_boundary")
    if isinstance(boundary, str) and boundary:
        principal.permissions_boundary = boundary
    for arn in values.get("managed_policy_arns") or []:
        principal.managed_policies.append(str(arn))
    if isinstance(principal.name, str):
        names[(kind, principal.name)] = principal
    project.principals.append(principal)


def _records(resource: Any, file: SourceFile, project: Project,
             unknown_after: dict[str, dict[str, Any]],
             names: dict[tuple[str, str], PrincipalRecord]) -> None:  # fmt: skip
    resource_type = str(resource.get("type"))
    address = str(resource.get("address"))
    values = resource.get("values") or LDict()
    for spec in sources.POLICY_ATTRIBUTES.get(resource_type, ()):
        holders: list[tuple[Any, str, str]] = []
        if spec.block:
            blocks = values.get(spec.block) or []
            for i, block in enumerate(blocks if isinstance(blocks, list) else []):
                if isinstance(block, dict):
                    holders.append((block, f"{spec.block}[{i}].{spec.attribute}",
                                    f"{address}.{spec.block}"))  # fmt: skip
        else:
            holders.append((values, spec.attribute, address))
        for holder, attribute, record_address in holders:
            value = holder.get(spec.attribute)
            where = _where(value, resource, file)
            if value is None or value == "":
                if not (unknown_after.get(address) or {}).get(spec.attribute):
                    continue
                value = Unknown(f"{address}.{spec.attribute}", where, "known only after apply")
            document = from_value(LStr(str(value), where) if isinstance(value, str) else value,
                                  where)  # fmt: skip
            for loc, message in document.problems:
                at = loc or where
                project.errors.append(InputError(at.file, at.line, at.column, message))
            kind = spec.kind
            if resource_type == "aws_organizations_policy":
                policy_type = values.get("type", "SERVICE_CONTROL_POLICY")
                if policy_type not in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
                    continue
                kind = sources.RCP if policy_type == "RESOURCE_CONTROL_POLICY" else sources.SCP
            attached: list[Any] = []
            if spec.target and isinstance(values.get(spec.target), str):
                attached.append(str(values[spec.target]))
                principal = names.get((spec.target, str(values[spec.target])))
                if principal is not None:
                    attached = [principal.address]
                    principal.identity_policies.append(record_address)
            elif kind in (sources.TRUST, sources.RESOURCE) or spec.block:
                attached.append(address)
                principal = next((p for p in project.principals if p.address == address), None)
                if principal is not None:
                    if kind == sources.TRUST:
                        principal.trust_policy = record_address
                    else:
                        principal.identity_policies.append(record_address)
            project.records.append(PolicyRecord(
                address=record_address, kind=kind, resource_type=resource_type,
                attribute=attribute, location=where, document=document.document,
                spans=document.spans, unknowns=document.unknowns, attached_to=attached,
                instance_key=resource.get("index"), module=_module_of(address),
            ))  # fmt: skip
    if resource_type.endswith("_policy_attachment"):
        _attachment(resource_type, values, project, names)


def _attachment(resource_type: str, values: Any, project: Project,
                names: dict[tuple[str, str], PrincipalRecord]) -> None:  # fmt: skip
    arn = values.get("policy_arn")
    if not isinstance(arn, str):
        return
    targets: list[tuple[str, str]] = []
    for kind in ("role", "user", "group"):
        if isinstance(values.get(kind), str):
            targets.append((kind, str(values[kind])))
        for name in values.get(f"{kind}s") or []:
            targets.append((kind, str(name)))
    for kind, name in targets:
        principal = names.get((kind, name))
        if principal is None:
            continue
        principal.managed_policies.append(arn)
