"""Nested blocks as Terraform expands them: static blocks, and `dynamic` ones over known
collections, each with the scope its content sees. A `dynamic` block over a collection only
Terraform knows becomes an `Unknown`, never nothing."""

from __future__ import annotations

from dataclasses import dataclass

from iamlint.model import Unknown
from iamlint.terraform import syntax as s
from iamlint.terraform.evaluate import Evaluator, Scope
from iamlint.terraform.files import SourceFile
from iamlint.terraform.values import LDict


@dataclass(slots=True)
class BlockInstance:
    body: s.Body
    scope: Scope
    span: s.Span  # the block as written: the `dynamic` block for generated ones


def expand_blocks(
    body: s.Body, block_type: str, scope: Scope, file: SourceFile
) -> tuple[list[BlockInstance], list[Unknown]]:
    """The ``block_type`` blocks of ``body`` in source order, and the unknown dynamic ones."""
    found: list[BlockInstance] = []
    unknowns: list[Unknown] = []
    written_as_attribute = body.attributes.get(block_type)
    if written_as_attribute is not None:
        # Terraform 0.11 wrote nested blocks as attributes: `principals = { type = ... }`.
        found.extend(_from_attribute(written_as_attribute, scope))
    for block in body.blocks:
        if block.type == block_type:
            found.append(BlockInstance(block.body, scope, block.span))
        elif block.type == "dynamic" and block.labels[:1] == [block_type]:
            generated, unknown = _dynamic(block, block_type, scope, file)
            found.extend(generated)
            if unknown is not None:
                unknowns.append(unknown)
    return found, unknowns


def _dynamic(
    block: s.Block, block_type: str, scope: Scope, file: SourceFile
) -> tuple[list[BlockInstance], Unknown | None]:
    iterator = block_type
    named = block.body.attributes.get("iterator")
    if named is not None and isinstance(named.value, s.Name):
        iterator = named.value.name
    content = next((b for b in block.body.blocks if b.type == "content"), None)
    for_each = block.body.attributes.get("for_each")
    if content is None or for_each is None:
        return [], None
    collection = Evaluator(scope).eval(for_each.value)
    if isinstance(collection, dict):
        items = list(collection.items())
    elif isinstance(collection, list) and not any(isinstance(v, Unknown) for v in collection):
        items = list(enumerate(collection))
    else:
        text = " ".join(file.text[for_each.value.span[0] : for_each.value.span[1]].split())
        reason = f"dynamic {block_type} blocks over a collection known only to Terraform"
        return [], Unknown(text, file.location(*for_each.value.span), reason)
    generated = [
        BlockInstance(
            content.body,
            scope.with_names(**{iterator: LDict({"key": key, "value": value})}),
            block.span,
        )
        for key, value in items
    ]
    return generated, None


def _from_attribute(attribute: s.Attribute, scope: Scope) -> list[BlockInstance]:
    value = attribute.value
    objects = value.items if isinstance(value, s.TupleExpr) else [value]
    out = []
    for item in objects:
        if not isinstance(item, s.ObjectExpr):
            continue
        body = s.Body()
        for key, expr in item.items:
            name = key.name if isinstance(key, s.Name) else key.value if isinstance(
                key, s.Literal) else None  # fmt: skip
            if isinstance(name, str):
                body.attributes[name] = s.Attribute(name, expr, expr.span)
        out.append(BlockInstance(body, scope, item.span))
    return out
