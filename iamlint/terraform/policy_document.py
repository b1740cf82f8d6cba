"""``data "aws_iam_policy_document"`` rendered the way the AWS provider renders it.

Statement blocks (and ``dynamic "statement"`` over known collections) in source order;
``principals`` of one type merged; ``condition`` blocks grouped by operator and key;
``&{aws:username}`` turned into the IAM variable ``${aws:username}``; then the provider's merge:
source documents first, this document's statements replacing same-Sid ones, override documents
last, each replacing same-Sid statements in place and appending the rest.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from iamlint.model import Location, Unknown
from iamlint.terraform.blocks import BlockInstance, expand_blocks
from iamlint.terraform.documents import from_value, normalize
from iamlint.terraform.evaluate import Evaluator, Scope
from iamlint.terraform.module import Declared
from iamlint.terraform.values import LDict, LList, LStr, PolicyDocumentValue, location_of

if TYPE_CHECKING:
    from iamlint.terraform.project import Loader

# A statement during merging: its data (or an Unknown) and its spans relative to itself.
Piece = tuple[Any, dict[str, Location]]

_LISTS = {
    "actions": "Action",
    "not_actions": "NotAction",
    "resources": "Resource",
    "not_resources": "NotResource",
}


def build_policy_document(
    loader: Loader, declared: Declared, scope: Scope, address: str
) -> PolicyDocumentValue:
    body = declared.block.body
    file = declared.file
    where = file.location(*declared.block.span)
    evaluator = Evaluator(scope)
    unknowns: list[Unknown] = []
    origins: list[str] = []

    def attr(name: str) -> Any:
        found = body.attributes.get(name)
        return evaluator.eval(found.value) if found is not None else None

    merged: list[Piece] = []
    doc_id: Any = None
    version: Any = None
    for name in ("source_json", "source_policy_documents"):
        for item in _as_items(attr(name)):
            version, doc_id = _merge_in(merged, item, where, unknowns, origins, version, doc_id)

    own: list[Piece] = []
    statements, unknown_statements = expand_blocks(body, "statement", scope, file)
    for instance in statements:
        own.append(_statement(instance, file))
    for unknown in unknown_statements:
        unknowns.append(unknown)
        own.append((unknown, {"": unknown.location or where}))
    _merge_statements(merged, own)
    own_version = attr("version")
    version = own_version if own_version is not None else (version or LStr("2012-10-17", None))
    policy_id = attr("policy_id")
    if policy_id is not None:
        doc_id = policy_id

    for name in ("override_json", "override_policy_documents"):
        for item in _as_items(attr(name)):
            version, doc_id = _merge_in(merged, item, where, unknowns, origins, version, doc_id)

    data = LDict(loc=where)
    data["Version"] = version
    if doc_id is not None:
        data["Id"] = doc_id
    statements = LList(loc=where)
    spans: dict[str, Location] = {}
    for index, (statement, statement_spans) in enumerate(merged):
        statements.append(statement)
        for rel, loc in statement_spans.items():
            spans[f"/Statement/{index}{rel}"] = loc
    data["Statement"] = statements
    document = normalize(data, where)
    document.spans.update(spans)
    for loc, message in document.problems:
        from iamlint.terraform.errors import InputError

        at = loc or where
        loader.error(InputError(at.file, at.line, at.column, message))
    all_unknowns = _unique([*unknowns, *document.unknowns])
    return PolicyDocumentValue(
        address, document.document, document.spans, all_unknowns, origins, where
    )


def _as_items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]


def _merge_in(
    merged: list[Piece],
    item: Any,
    where: Location,
    unknowns: list[Unknown],
    origins: list[str],
    version: Any,
    doc_id: Any,
) -> tuple[Any, Any]:
    document = from_value(item, location_of(item) or where)
    origins.extend(document.origins)
    unknowns.extend(document.unknowns)
    if isinstance(document.document, Unknown):
        unknown = document.document
        reason = (
            "a merged policy document known only to Terraform (it may also replace "
            "statements with the same Sid)"
        )
        merged.append((replace(unknown, reason=reason), {"": unknown.location or where}))
        return version, doc_id
    doc = document.document
    pieces: list[Piece] = []
    for index, statement in enumerate(doc.get("Statement", [])):
        prefix = f"/Statement/{index}"
        rel = {
            p[len(prefix) :]: loc
            for p, loc in document.spans.items()
            if p == prefix or p.startswith(prefix + "/")
        }
        pieces.append((statement, rel))
    _merge_statements(merged, pieces)
    new_version = doc.get("Version")
    if isinstance(new_version, str) and (not isinstance(version, str) or new_version > version):
        version = new_version
    if doc.get("Id") is not None:
        doc_id = doc["Id"]
    return version, doc_id


def _merge_statements(merged: list[Piece], incoming: list[Piece]) -> None:
    """The provider's merge: a non-empty Sid replaces the same Sid in place, the rest appends."""
    for statement, spans in incoming:
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        if isinstance(sid, str) and sid:
            for i, (existing, _) in enumerate(merged):
                if isinstance(existing, dict) and existing.get("Sid") == sid:
                    merged[i] = (statement, spans)
                    break
            else:
                merged.append((statement, spans))
        else:
            merged.append((statement, spans))


def _statement(instance: BlockInstance, file: Any) -> Piece:
    body = instance.body
    evaluator = Evaluator(instance.scope)
    spans: dict[str, Location] = {"": file.location(*instance.span)}
    out = LDict(loc=spans[""])

    def value_of(name: str) -> Any:
        found = body.attributes.get(name)
        if found is None:
            return None
        return _iam_variables(evaluator.eval(found.value))

    sid = value_of("sid")
    if sid is not None and sid != "":
        out["Sid"] = sid
    effect = value_of("effect")
    out["Effect"] = effect if effect is not None else LStr("Allow", None)
    for hcl_name, element in _LISTS.items():
        value = value_of(hcl_name)
        if value is not None:
            out[element] = value
    for block_type, element in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        blocks, unknown_blocks = expand_blocks(body, block_type, instance.scope, file)
        principal = _principals(blocks, spans, element, file)
        for unknown in unknown_blocks:
            # More principals of kinds nobody can know: an unknown kind with unknown members.
            principal = principal if principal is not None else LDict()
            principal[unknown] = unknown
        if principal is not None:
            out[element] = principal
    blocks, unknown_blocks = expand_blocks(body, "condition", instance.scope, file)
    condition = _conditions(blocks, spans, file)
    if unknown_blocks:
        # Conditions nobody can know may restrict the statement in any way: the whole
        # Condition element is unknown, never dropped.
        out["Condition"] = unknown_blocks[0]
    elif condition:
        out["Condition"] = condition
    return out, spans


def _principals(
    blocks: list[BlockInstance], spans: dict[str, Location], element: str, file: Any
) -> Any:
    if not blocks:
        return None
    merged = LDict()
    for block in blocks:
        evaluator = Evaluator(block.scope)
        type_attr = block.body.attributes.get("type")
        ids_attr = block.body.attributes.get("identifiers")
        if type_attr is None or ids_attr is None:
            continue
        kind = evaluator.eval(type_attr.value)
        identifiers = _iam_variables(evaluator.eval(ids_attr.value))
        if isinstance(kind, Unknown):
            merged[kind] = identifiers
            continue
        kind = str(kind)
        if kind == "*" and _only_star(identifiers):
            return LStr("*", None)  # the provider renders type "*" as "Principal": "*"
        items = identifiers if isinstance(identifiers, list) else [identifiers]
        existing = merged.get(kind)
        if existing is None:
            merged[kind] = identifiers if isinstance(identifiers, list) else LList(items)
            spans.setdefault(f"/{element}/{kind}", evaluator.file.location(*ids_attr.value.span))
        elif isinstance(existing, list):
            merged[kind] = LList([*existing, *items])
    return merged


def _only_star(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return len(items) == 1 and items[0] == "*"


def _conditions(blocks: list[BlockInstance], spans: dict[str, Location], file: Any) -> Any:
    out = LDict()
    for block in blocks:
        evaluator = Evaluator(block.scope)
        attrs = block.body.attributes
        if not {"test", "variable", "values"} <= set(attrs):
            continue
        test = evaluator.eval(attrs["test"].value)
        variable = _iam_variables(evaluator.eval(attrs["variable"].value))
        values = _iam_variables(evaluator.eval(attrs["values"].value))
        test_key = test if isinstance(test, Unknown) else str(test)
        var_key = variable if isinstance(variable, Unknown) else str(variable)
        by_key = out.setdefault(test_key, LDict())
        items = values if isinstance(values, list) else [values]
        if var_key in by_key and isinstance(by_key[var_key], list):
            by_key[var_key] = LList([*by_key[var_key], *items])
        else:
            by_key[var_key] = values if isinstance(values, (list, Unknown)) else LList(items)
            spans.setdefault(
                f"/Condition/{test_key}/{var_key}",
                evaluator.file.location(*attrs["values"].value.span),
            )
    return out


def _iam_variables(value: Any) -> Any:
    """``&{aws:username}`` is how the data source spells the IAM variable ``${aws:username}``."""
    if isinstance(value, Unknown):
        if value.parts is None:
            return value
        parts = tuple(p.replace("&{", "${") if p else p for p in value.parts)
        return replace(value, parts=parts)
    if isinstance(value, str):
        if "&{" not in value:
            return value
        return LStr(value.replace("&{", "${"), location_of(value))
    if isinstance(value, list):
        return LList((_iam_variables(v) for v in value), getattr(value, "loc", None))
    return value


def _unique(unknowns: list[Unknown]) -> list[Unknown]:
    seen: set[tuple[str, Any]] = set()
    out = []
    for item in unknowns:
        key = (item.text, item.location)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
