"""Static evaluation of Terraform expressions: everything that can be known, and nothing more.

`ModuleInstance` is one instantiation of a module (the root, or a `module` call with its inputs);
`Scope` adds what an expression sees at one place (the file, `each`, `count`, iterators).
Anything that depends on the cloud or on values we do not have becomes an `Unknown` carrying the
expression's source text and location: it is never guessed and never dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from iamlint.model import Location, Unknown
from iamlint.terraform import syntax as s
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import SourceFile
from iamlint.terraform.functions import FUNCTIONS, CannotEvaluate, jsonencode
from iamlint.terraform.module import Declared, ModuleSource
from iamlint.terraform.values import (
    Encoded,
    FileText,
    HeredocText,
    LDict,
    LList,
    LStr,
    Reference,
    TemplateUnknown,
    contains_unknown,
)

_MISSING = object()


class RefStr(LStr):
    """A known string read through a reference (``aws_iam_role.r.name``): value and origin."""

    address: str

    def __new__(cls, value: str, loc: Location | None, address: str) -> RefStr:
        obj = super().__new__(cls, value, loc)
        obj.address = address
        return obj


@dataclass(slots=True)
class Scope:
    instance: ModuleInstance
    file: SourceFile
    names: dict[str, Any] = field(default_factory=dict)  # for-expression and dynamic iterators
    each: tuple[Any, Any] | None = None
    count: Any = None
    self_address: str = ""

    def with_names(self, **names: Any) -> Scope:
        return replace(self, names={**self.names, **names})


class ModuleInstance:
    """One instantiation of a module, with its variables' values and lazily evaluated locals."""

    def __init__(
        self,
        project: Any,
        source: ModuleSource,
        prefix: str,
        inputs: dict[str, Any],
        tfvars: dict[str, Any] | None = None,
        root: Path | None = None,
    ) -> None:
        self.project = project
        self.source = source
        self.prefix = prefix  # "" for the root, else 'module.a["k"].module.b'
        self.inputs = inputs
        self.tfvars = tfvars or {}
        self.root = root or source.directory
        self._locals: dict[str, Any] = {}
        self._vars: dict[str, Any] = {}
        self._in_progress: set[str] = set()
        self.children: dict[str, list[ModuleInstance]] = {}
        self.call_key: Any = None  # this instance's key in its module call's for_each/count
        # A root read on its own that deploys nothing (no provider, backend or tfvars): a
        # reusable module, whose defaults only stand in for what callers pass.
        self.library = False

    def address(self, local_address: str) -> str:
        return f"{self.prefix}.{local_address}" if self.prefix else local_address

    # variables and locals

    def var(self, name: str, where: Location | None) -> Any:
        if name in self._vars:
            value = self._vars[name]
            if isinstance(value, Unknown) and value.text == f"var.{name}":
                return Unknown(value.text, where, value.reason)  # report it where it is used
            return value
        if name in self.inputs:
            value = self.inputs[name]
        elif name in self.tfvars:
            value = self.tfvars[name]
        else:
            declared = self.source.variables.get(name)
            default = declared.block.body.attributes.get("default") if declared else None
            if default is not None:
                value = self.evaluate(default.value, Scope(self, declared.file))  # type: ignore[union-attr]
            else:
                why = (
                    "variable has no default and no value was given"
                    if declared
                    else "variable is not declared in this module"
                )
                value = Unknown(f"var.{name}", where, why)
        self._vars[name] = value
        return value

    def local(self, name: str, where: Location | None) -> Any:
        if name in self._locals:
            return self._locals[name]
        declared = self.source.locals.get(name)
        if declared is None:
            return Unknown(f"local.{name}", where, "local value is not defined in this module")
        key = f"local.{name}"
        if key in self._in_progress:
            return Unknown(key, where, "local value refers to itself")
        self._in_progress.add(key)
        try:
            value = self.evaluate(declared.attribute.value, Scope(self, declared.file))
        finally:
            self._in_progress.discard(key)
        self._locals[name] = value
        return value

    def evaluate(self, expr: s.Expr, scope: Scope) -> Any:
        return Evaluator(scope).eval(expr)


class Evaluator:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.file = scope.file

    def loc(self, expr: s.Expr) -> Location:
        return self.file.location(*expr.span)

    def text(self, expr: s.Expr) -> str:
        return self.file.text[expr.span[0] : expr.span[1]]

    def unknown(
        self, expr: s.Expr, reason: str, parts: tuple[str | None, ...] | None = None
    ) -> Unknown:
        return Unknown(" ".join(self.text(expr).split()), self.loc(expr), reason, parts)

    def eval(self, expr: s.Expr) -> Any:
        method: Callable[[Any], Any] = getattr(self, f"_e_{type(expr).__name__}")
        try:
            return method(expr)
        except RecursionError:
            return self.unknown(expr, "expression nested too deeply")

    # literals and collections

    def _e_Literal(self, expr: s.Literal) -> Any:
        if isinstance(expr.value, str):
            text = LStr(expr.value, self.loc(expr))
            if expr.value.lstrip().startswith("{"):
                text.quoted_in = self.file  # JSON in a quoted string: spans inside it map back
            return text
        return expr.value

    def _e_Template(self, expr: s.Template) -> Any:
        if len(expr.parts) == 1 and not isinstance(expr.parts[0], str) and not expr.heredoc:
            return self.eval(expr.parts[0])  # "${x}" is x itself, whatever its type
        if expr.has_directive:
            return self.unknown(expr, "template directives (%{ if }/%{ for }) are not evaluated")
        pieces: list[str | None] = []
        unknowns: list[Unknown] = []
        try:
            nodes = _nest(expr.parts)
        except ValueError:
            return self.unknown(expr, "template directives are not balanced")
        blocked = self._render(nodes, pieces, unknowns)
        if blocked:
            return self.unknown(expr, blocked)
        if unknowns:
            return TemplateUnknown(
                " ".join(self.text(expr).split()),
                self.loc(expr),
                "interpolates values known only to Terraform",
                _merge_parts(pieces),
                tuple(unknowns),
            )
        text = "".join(p or "" for p in pieces)
        if expr.heredoc:
            raw = (self.file, *expr.body_span) if expr.body_span else None
            return HeredocText(text, self.loc(expr), self.loc(expr).line + 1, raw)
        return LStr(text, self.loc(expr))

    def with_names(self, **names: Any) -> Evaluator:
        return Evaluator(self.scope.with_names(**names))

    def _render(self, nodes: list[Any], pieces: list[str | None], unknowns: list[Unknown]) -> str:
        """Render template nodes into pieces; a non-empty result is why it cannot be known."""
        for node in nodes:
            if isinstance(node, str):
                pieces.append(node)
            elif isinstance(node, list):
                kind, directive, body, other = node
                value = self.eval(directive.expr)
                if kind == "if":
                    if not isinstance(value, bool):
                        return "an %{ if } over values known only to Terraform"
                    blocked = self._render(body if value else other, pieces, unknowns)
                elif isinstance(value, dict | list) and not isinstance(value, Unknown):
                    items = (
                        list(value.items()) if isinstance(value, dict) else list(enumerate(value))
                    )
                    blocked = ""
                    for key, item in items:
                        names = dict(zip(directive.names[::-1], (item, key), strict=False))
                        blocked = self.with_names(**names)._render(body, pieces, unknowns)
                        if blocked:
                            break
                else:
                    return "a %{ for } over a collection known only to Terraform"
                if blocked:
                    return blocked
            else:
                value = self.eval(node)
                if isinstance(value, Unknown) or not _is_scalar(value):
                    unknowns.append(
                        value
                        if isinstance(value, Unknown)
                        else self.unknown(node, "a collection inside a string template")
                    )
                    pieces.append(None)
                else:
                    pieces.append(_scalar_text(value))
        return ""

    def _e_TupleExpr(self, expr: s.TupleExpr) -> Any:
        out = LList((self.eval(item) for item in expr.items), self.loc(expr))
        out.item_locs = [self.loc(item) for item in expr.items]
        return out

    def _e_ObjectExpr(self, expr: s.ObjectExpr) -> Any:
        out = LDict(loc=self.loc(expr))
        for key_expr, value_expr in expr.items:
            if isinstance(key_expr, s.Name):
                key: Any = key_expr.name  # bare identifiers are keys, not references
            else:
                key = self.eval(key_expr)
                if not isinstance(key, str | Unknown):
                    key = self.unknown(key_expr, "object key is not a string")
                elif isinstance(key, str):
                    key = str(key)
            out[key] = self.eval(value_expr)
            out.key_locs[key] = self.loc(key_expr)
            out.value_locs[key] = self.loc(value_expr)
        return out

    # operators

    def _e_Conditional(self, expr: s.Conditional) -> Any:
        test = self.eval(expr.test)
        if isinstance(test, bool):
            return self.eval(expr.if_true if test else expr.if_false)
        return self.unknown(expr, "condition depends on values known only to Terraform")

    def _e_BinaryOp(self, expr: s.BinaryOp) -> Any:
        left = self.eval(expr.left)
        if expr.op == "&&" and left is False:
            return False
        if expr.op == "||" and left is True:
            return True
        right = self.eval(expr.right)
        if contains_unknown(left) or contains_unknown(right):
            return self.unknown(expr, "operands known only to Terraform")
        try:
            return _BINARY[expr.op](_comparable(left), _comparable(right))
        except (KeyError, TypeError, ZeroDivisionError, ValueError):
            return self.unknown(expr, f"cannot apply {expr.op!r} to these values")

    def _e_UnaryOp(self, expr: s.UnaryOp) -> Any:
        value = self.eval(expr.operand)
        if expr.op == "!" and isinstance(value, bool):
            return not value
        if expr.op == "-" and isinstance(value, int | float) and not isinstance(value, bool):
            return -value
        return self.unknown(expr, "operand known only to Terraform")

    def _e_ForExpr(self, expr: s.ForExpr) -> Any:
        collection = self.eval(expr.collection)
        if isinstance(collection, Unknown) or not isinstance(collection, list | dict):
            return self.unknown(expr, "iterates over a collection known only to Terraform")
        if isinstance(collection, dict):
            pairs: list[tuple[Any, Any]] = list(collection.items())
        else:
            pairs = list(enumerate(collection))
        out_list = LList(loc=self.loc(expr))
        out_dict = LDict(loc=self.loc(expr))
        for key, value in pairs:
            names = {expr.value_var: value}
            if expr.key_var:
                names[expr.key_var] = key
            inner = Evaluator(self.scope.with_names(**names))
            if expr.condition is not None:
                keep = inner.eval(expr.condition)
                if not isinstance(keep, bool):
                    return self.unknown(expr, "filter condition known only to Terraform")
                if not keep:
                    continue
            if expr.key is None:
                out_list.append(inner.eval(expr.value))
                continue
            out_key = inner.eval(expr.key)
            if not isinstance(out_key, str):
                return self.unknown(expr, "object keys known only to Terraform")
            out_value = inner.eval(expr.value)
            if expr.grouping:
                out_dict.setdefault(str(out_key), LList()).append(out_value)
            else:
                out_dict[str(out_key)] = out_value
        return out_dict if expr.key is not None else out_list

    def _e_Splat(self, expr: s.Splat) -> Any:
        """``x[*].attr``: over every instance of a resource or data source, or over a list."""
        instances = self._instances_of(expr.target)
        if instances is not None:
            root, steps, keys = instances
            values = LList(loc=self.loc(expr))
            for key in keys:
                index = [] if key is None else [("index", s.Literal(expr.span, key))]
                values.append(self._traverse(expr, root, [*steps, *index, *expr.steps]))
            return values
        target = self.eval(expr.target)
        if isinstance(target, Unknown) or not isinstance(target, list):
            return self.unknown(expr, "splat over a value known only to Terraform")
        return LList((self._apply_steps(expr, item, expr.steps) for item in target), self.loc(expr))

    def _instances_of(self, target: s.Expr) -> tuple[str, list[Any], list[Any]] | None:
        """(root, steps, instance keys) when ``target`` names a resource or data source."""
        steps: list[tuple[str, Any]] = []
        node = target
        while isinstance(node, s.GetAttr):
            steps.append(("attr", node.name))
            node = node.target
        steps.reverse()
        if not isinstance(node, s.Name):
            return None
        instance = self.scope.instance
        if node.name == "data" and len(steps) == 2:
            local_address = f"data.{steps[0][1]}.{steps[1][1]}"
        elif len(steps) == 1 and f"{node.name}.{steps[0][1]}" in instance.source.resources:
            local_address = f"{node.name}.{steps[0][1]}"
        else:
            return None
        keys = instance.project.instance_keys(instance, local_address)
        return (node.name, steps, keys) if keys is not None else None

    # functions

    def _e_Call(self, expr: s.Call) -> Any:
        name = expr.name.removeprefix("provider::terraform::")
        if name == "try":
            return self._try(expr)
        if name == "can":
            value = self.eval(expr.args[0]) if expr.args else None
            return self.unknown(expr, "can() result unknown") if contains_unknown(value) else True
        if name in ("file", "templatefile"):
            return self._file(expr, name)
        func = FUNCTIONS.get(name)
        if func is None:
            if name.startswith("<"):
                return self.unknown(expr, "expression form not evaluated by iamlint")
            return self.unknown(expr, f"function {name}() is not evaluated by iamlint")
        args = [self.eval(a) for a in expr.args]
        if expr.expand_last and args:
            last = args.pop()
            if not isinstance(last, list):
                return self.unknown(expr, "argument expansion over a value known only to Terraform")
            args.extend(last)
        try:
            result = func(*args)
        except CannotEvaluate:
            return self.unknown(expr, f"{name}() of values known only to Terraform")
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError):
            return self.unknown(expr, f"{name}() could not be evaluated with these arguments")
        if isinstance(result, Encoded):
            return Encoded(str(result), result.data, self.loc(expr))
        if isinstance(result, LList | LDict) and result.loc is None:
            result.loc = self.loc(expr)
        return result

    def _try(self, expr: s.Call) -> Any:
        for arg in expr.args:
            value = self.eval(arg)
            if not contains_unknown(value):
                return value
            if isinstance(value, Unknown) and "not declared" not in value.reason:
                return value
        return self.unknown(expr, "try() of values known only to Terraform")

    def _file(self, expr: s.Call, name: str) -> Any:
        if not expr.args:
            return self.unknown(expr, f"{name}() without a path")
        path_value = self.eval(expr.args[0])
        if isinstance(path_value, Unknown) or not isinstance(path_value, str):
            return self.unknown(expr, f"{name}() path known only to Terraform")
        loaded = self.scope.instance.project.read_referenced_file(
            self.scope.instance, str(path_value), self.loc(expr)
        )
        if isinstance(loaded, Unknown):
            return loaded
        file, body_text = loaded
        if name == "file":
            return FileText(body_text, file.location(0, len(body_text)), file)
        template_vars = self.eval(expr.args[1]) if len(expr.args) > 1 else LDict()
        if not isinstance(template_vars, dict):
            return self.unknown(expr, "templatefile() variables known only to Terraform")
        return render_template_file(file, template_vars, self.scope)

    # references

    def _e_Name(self, expr: s.Name) -> Any:
        return self._traverse(expr, expr.name, [])

    def _e_GetAttr(self, expr: s.GetAttr) -> Any:
        return self._chain(expr)

    def _e_Index(self, expr: s.Index) -> Any:
        return self._chain(expr)

    def _chain(self, expr: s.Expr) -> Any:
        steps: list[tuple[str, Any]] = []
        node = expr
        while isinstance(node, s.GetAttr | s.Index):
            if isinstance(node, s.GetAttr):
                steps.append(("attr", node.name))
            else:
                steps.append(("index", node.key))
            node = node.target
        steps.reverse()
        if isinstance(node, s.Name):
            return self._traverse(expr, node.name, steps)
        base = self.eval(node)
        return self._apply_steps(expr, base, steps)

    def _step_key(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "attr":
            return key
        value = self.eval(key)
        return str(value) if isinstance(value, str) else value

    def _apply_steps(self, expr: s.Expr, value: Any, steps: list[tuple[str, Any]]) -> Any:
        for step in steps:
            if isinstance(value, Unknown):
                return value if len(steps) == 0 else self.unknown(expr, value.reason or "unknown")
            key = self._step_key(step)
            if isinstance(key, Unknown):
                return self.unknown(expr, "index known only to Terraform")
            if isinstance(value, dict):
                value = value.get(key, _MISSING)
            elif isinstance(value, list) and isinstance(key, int | str):
                try:
                    value = value[int(key)]
                except (ValueError, IndexError):
                    value = _MISSING
            else:
                value = _MISSING
            if value is _MISSING:
                return self.unknown(expr, f"no element {key!r} in a value iamlint knows")
        return value

    def _traverse(self, expr: s.Expr, root: str, steps: list[tuple[str, Any]]) -> Any:
        scope = self.scope
        if root in scope.names:
            return self._apply_steps(expr, scope.names[root], steps)
        instance = scope.instance
        first = steps[0][1] if steps and steps[0][0] == "attr" else None
        if root == "var" and first:
            return self._apply_steps(expr, instance.var(first, self.loc(expr)), steps[1:])
        if root == "local" and first:
            return self._apply_steps(expr, instance.local(first, self.loc(expr)), steps[1:])
        if root == "each" and first and scope.each is not None:
            key, value = scope.each
            picked = key if first == "key" else value if first == "value" else _MISSING
            if picked is _MISSING:
                return self.unknown(expr, "each has only key and value")
            if isinstance(picked, Unknown) and not steps[1:]:
                return picked  # keep what it refers to (a policy ARN passed in a map, say)
            return self._apply_steps(expr, picked, steps[1:])
        if root == "count" and first == "index" and scope.count is not None:
            if isinstance(scope.count, Unknown):
                return self.unknown(expr, "count known only to Terraform")
            return scope.count
        if root == "path" and first:
            return self._path(expr, first)
        if root == "terraform":
            return self.unknown(expr, "terraform.workspace is chosen at run time")
        if root == "data" and len(steps) >= 2:
            return instance.project.data_reference(self, expr, steps)
        if root == "module" and first:
            return instance.project.module_output(self, expr, steps)
        if root in ("self", "each", "count"):
            return self.unknown(expr, f"{root} known only to Terraform")
        if first and f"{root}.{first}" in instance.source.resources:
            return instance.project.resource_reference(self, expr, root, steps)
        if first:
            return self.unknown(expr, "refers to something this module does not declare")
        return self.unknown(expr, "bare name known only to Terraform")

    def _path(self, expr: s.Expr, which: str) -> Any:
        instance = self.scope.instance
        if which == "module":
            return LStr(str(instance.source.directory), None)
        if which in ("root", "cwd"):
            return LStr(str(instance.root), None)
        return self.unknown(expr, f"path.{which} is not known")


# --- helpers ------------------------------------------------------------------------------------

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "&&": lambda a, b: bool(a) and bool(b),
    "||": lambda a, b: bool(a) or bool(b),
}


def _comparable(value: Any) -> Any:
    return str(value) if isinstance(value, str) else value


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _nest(parts: list[Any]) -> list[Any]:
    """Flat template parts into nested ``[kind, directive, body, else_body]`` nodes."""
    root: list[Any] = []
    stack: list[list[Any]] = [root]
    open_nodes: list[list[Any]] = []
    for part in parts:
        if not isinstance(part, s.Directive):
            stack[-1].append(part)
        elif part.kind in ("for", "if"):
            node: list[Any] = [part.kind, part, [], []]
            stack[-1].append(node)
            open_nodes.append(node)
            stack.append(node[2])
        elif part.kind == "else" and open_nodes and open_nodes[-1][0] == "if":
            stack[-1] = open_nodes[-1][3]
        elif part.kind in ("endfor", "endif") and open_nodes:
            open_nodes.pop()
            stack.pop()
        else:
            raise ValueError(part.kind)
    if open_nodes:
        raise ValueError("unclosed directive")
    return root


def _merge_parts(pieces: list[str | None]) -> tuple[str | None, ...]:
    merged: list[str | None] = []
    for piece in pieces:
        if piece is not None and merged and merged[-1] is not None:
            merged[-1] = merged[-1] + piece
        elif piece is None and merged and merged[-1] is None:
            continue
        else:
            merged.append(piece)
    return tuple(merged)


def render_template_file(file: SourceFile, variables: dict[str, Any], scope: Scope) -> Any:
    """``templatefile()``: the file's text as a template over the given variables only."""
    from iamlint.terraform.syntax import Literal, Template

    parts = _template_file_parts(file.text, file.display)
    template = Template(
        (0, len(file.text)),
        parts,
        heredoc=True,
        has_directive=any(isinstance(p, s.Call) and p.name == "<directive>" for p in parts),
    )
    if len(parts) == 1 and isinstance(parts[0], str):
        template = Literal((0, len(file.text)), parts[0])  # type: ignore[assignment]
    inner = Scope(scope.instance, file, names={k: v for k, v in variables.items()})
    # Inside a template file only the given variables exist, not var./local. of the caller.
    return _TemplateFileEvaluator(inner, set(variables)).eval(template)


@functools.lru_cache(maxsize=256)
def _template_file_parts(text: str, display: str) -> list[Any]:
    """A template file is split once however many times it is rendered (modules often render
    one template per instance), and cached by content like `.tf` files. Callers must not
    mutate the parts."""
    from iamlint.terraform.loader import cached_by_content
    from iamlint.terraform.syntax import TemplateParser

    return cached_by_content(
        text, "template", lambda: TemplateParser(text, display)._template_parts(text, 0)
    )


class _TemplateFileEvaluator(Evaluator):
    def __init__(self, scope: Scope, allowed: set[str]) -> None:
        super().__init__(scope)
        self.allowed = allowed

    def with_names(self, **names: Any) -> Evaluator:
        return _TemplateFileEvaluator(self.scope.with_names(**names), self.allowed | set(names))

    def _traverse(self, expr: s.Expr, root: str, steps: list[tuple[str, Any]]) -> Any:
        if root in self.allowed:
            return super()._traverse(expr, root, steps)
        # Terraform refuses to render such a template: an input error, not just an unknown.
        where = self.loc(expr)
        self.scope.instance.project.error(
            InputError(
                where.file,
                where.line,
                where.column,
                f"templatefile(): {root!r} is not among the variables passed to it",
            )
        )
        return self.unknown(expr, f"{root} is not a variable passed to templatefile()")


__all__ = [
    "Declared",
    "Evaluator",
    "ModuleInstance",
    "RefStr",
    "Reference",
    "Scope",
    "jsonencode",
    "render_template_file",
]
