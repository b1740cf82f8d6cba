"""A Terraform codebase as iamlint sees it: every policy, where it is, and what it is attached to.

`load_project(paths)` reads the files once, instantiates each root module (and, through local
`module` calls, each child module with its inputs), expands `count` / `for_each`, and produces
one `PolicyRecord` per policy and one `PrincipalRecord` per role, user and group.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlint.model import Location, Unknown
from iamlint.terraform import sources
from iamlint.terraform import syntax as s
from iamlint.terraform.blocks import expand_blocks
from iamlint.terraform.documents import Document, from_value
from iamlint.terraform.errors import InputError
from iamlint.terraform.evaluate import Evaluator, ModuleInstance, RefStr, Scope
from iamlint.terraform.files import Repository, read_inside, read_text, resolved
from iamlint.terraform.loader import discover, display_path, load_files
from iamlint.terraform.module import Declared, ModuleSource
from iamlint.terraform.policy_document import build_policy_document
from iamlint.terraform.values import PolicyDocumentValue, Reference, plain

MAX_MODULE_DEPTH = 16
_MODULE_META = {"source", "version", "count", "for_each", "providers", "depends_on"}


@dataclass(slots=True)
class PolicyRecord:
    address: str
    kind: str
    resource_type: str
    attribute: str
    location: Location
    document: Any
    spans: dict[str, Location] = field(default_factory=dict)
    unknowns: list[Unknown] = field(default_factory=list)
    attached_to: list[Any] = field(default_factory=list)
    instance_key: Any = None
    module: str = ""
    origins: list[str] = field(default_factory=list)
    name: Any = None  # the managed policy's name (aws_iam_policy), for matching literal ARNs


@dataclass(slots=True)
class PrincipalRecord:
    address: str
    type: str  # role | user | group
    location: Location
    name: Any = None
    path: str = "/"
    arn: Any = None
    identity_policies: list[str] = field(default_factory=list)
    managed_policies: list[str] = field(default_factory=list)  # ARNs not defined in this code
    trust_policy: str | None = None
    permissions_boundary: Any = None  # a record address, an ARN, or Unknown
    groups: list[str] = field(default_factory=list)
    unresolved: list[Unknown] = field(default_factory=list)
    instance_key: Any = None
    module: str = ""
    # Scalar attributes as written (max_session_duration...), for rules about the principal itself.
    attributes: dict[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AttributeValue:
    value: Any  # a plain scalar or list of scalars, or an Unknown
    location: Location


@dataclass(slots=True)
class ResourceRecord:
    """A resource rules look at that holds no policy (access keys, policy attachments)."""

    address: str
    type: str
    location: Location
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    instance_key: Any = None
    module: str = ""


@dataclass(slots=True)
class ModuleNote:
    address: str
    source: str
    location: Location
    reason: str


@dataclass(slots=True)
class Project:
    records: list[PolicyRecord] = field(default_factory=list)
    principals: list[PrincipalRecord] = field(default_factory=list)
    resources: list[ResourceRecord] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    modules_not_followed: list[ModuleNote] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    lines: int = 0


@dataclass(slots=True)
class _Instance:
    """One instance of a resource: its address, its scope, and the declaring block."""

    address: str
    local_address: str
    declared: Declared
    scope: Scope
    key: Any
    module: ModuleInstance


class Loader:
    def __init__(self, paths: list[Path], var_files: list[Path], cwd: Path) -> None:
        self.cwd = cwd
        self.paths = [p.resolve() for p in paths]
        self.repository = Repository.of(self.paths, cwd)  # what may be read: see Repository
        self.root = self.repository.root
        self.var_files = var_files
        self.project = Project()
        self.sources: dict[Path, ModuleSource] = {}
        self.instances: list[ModuleInstance] = []
        self.resource_instances: dict[str, list[_Instance]] = {}
        self._documents: dict[tuple[int, str, str], PolicyDocumentValue] = {}
        self._used_documents: set[str] = set()
        self._errors_seen: set[str] = set()
        # Everything read besides the discovered .tf files, so a cached result can be checked.
        self.dependencies: set[Path] = set()
        self.dependency_dirs: set[Path] = set()

    # --- loading -----------------------------------------------------------------------------

    def load(self) -> Project:
        from iamlint.terraform.plan import is_plan_file, load_plan

        for path in self.paths:
            if path.is_file() and is_plan_file(path.name):
                try:
                    load_plan(read_text(path, display_path(path, self.cwd)), self.project)
                except InputError as err:
                    self.error(err)
        files = discover(self.paths, self.repository)
        parsed = load_files(files, self.cwd)
        for path in files:
            result = parsed[path]
            folder = path.parent
            source = self.sources.setdefault(folder, ModuleSource(folder))
            if isinstance(result, InputError):
                self.error(result)
                continue
            source.add_file(*result)
            self.project.files.append(result[0].display)
            self.project.lines += result[0].text.count("\n") + 1
        called = self._called_directories()
        tfvars = self._tfvars()
        for folder in sorted(self.sources):
            if folder in called or not self.sources[folder].files:
                continue
            root_vars = {**self._tfvars_in(folder), **tfvars}
            instance = ModuleInstance(self, self.sources[folder], "", {}, root_vars, folder)
            instance.library = not root_vars and not _configures_a_deployment(self.sources[folder])
            self._instantiate(instance, depth=0, chain=(folder,))
        for instance in self.instances:
            self._collect_resources(instance)
        for instance in self.instances:
            self._collect_records(instance)
        self._collect_unused_documents()
        self._build_graph()
        self.project.records.sort(key=lambda r: (r.location.file, r.location.start, r.address))
        self.project.errors.sort(key=lambda e: (e.file, e.line, e.column, e.message))
        self.project.principals.sort(key=lambda p: (p.location.file, p.location.start, p.address))
        return self.project

    def error(self, err: InputError) -> None:
        key = str(err)
        if key not in self._errors_seen:
            self._errors_seen.add(key)
            self.project.errors.append(err)

    def _called_directories(self) -> set[Path]:
        called: set[Path] = set()
        for folder, source in self.sources.items():
            for declared in source.module_calls.values():
                target = _local_source(declared, folder)
                if target is not None and resolved(target) != folder:
                    called.add(resolved(target))
        return called

    def _tfvars(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for path in self.var_files:
            values.update(self._read_tfvars(path.resolve()))
        return values

    def _tfvars_in(self, folder: Path) -> dict[str, Any]:
        values: dict[str, Any] = {}
        self.dependency_dirs.add(folder)
        candidates = [folder / "terraform.tfvars", *sorted(folder.glob("*.auto.tfvars"))]
        for path in candidates:
            if path.is_file():
                values.update(self._read_tfvars(path, self.repository))
        return values

    def _read_tfvars(self, path: Path, inside: Repository | None = None) -> dict[str, Any]:
        from iamlint.terraform.loader import parse_text

        display = display_path(path, self.cwd)
        self.dependencies.add(path)
        try:
            file = read_inside(path, display, inside)
            body = parse_text(file)
        except InputError as err:
            self.error(err)
            return {}
        source = ModuleSource(path.parent)
        instance = ModuleInstance(self, source, "", {}, {}, path.parent)
        scope = Scope(instance, file)
        return {name: Evaluator(scope).eval(attr.value) for name, attr in body.attributes.items()}

    def source_for(self, folder: Path) -> ModuleSource | None:
        folder = resolved(folder)
        if folder in self.sources:
            return self.sources[folder]
        if not folder.is_dir():
            return None
        source = ModuleSource(folder)
        self.dependency_dirs.add(folder)
        files = discover([folder], self.repository, recursive=False)
        self.dependencies.update(files)
        for _path, result in load_files(files, self.cwd).items():
            if isinstance(result, InputError):
                self.error(result)
            else:
                source.add_file(*result)
                self.project.files.append(result[0].display)
                self.project.lines += result[0].text.count("\n") + 1
        self.sources[folder] = source
        return source

    # --- module instances --------------------------------------------------------------------

    def _instantiate(self, instance: ModuleInstance, depth: int, chain: tuple[Path, ...]) -> None:
        self.instances.append(instance)
        for name, declared in sorted(instance.source.module_calls.items()):
            self._follow_call(instance, name, declared, depth, chain)

    def _follow_call(
        self,
        parent: ModuleInstance,
        name: str,
        declared: Declared,
        depth: int,
        chain: tuple[Path, ...],
    ) -> None:
        address = parent.address(f"module.{name}")
        source_attr = declared.block.body.attributes.get("source")
        where = declared.file.location(*declared.block.span)
        raw_source = ""
        if source_attr is not None and isinstance(source_attr.value, s.Literal):
            raw_source = str(source_attr.value.value)
        target = _local_source(declared, parent.source.directory)
        if target is None:
            reason = (
                "remote module: not followed" if raw_source else "module source is not a literal"
            )
            self.project.modules_not_followed.append(ModuleNote(address, raw_source, where, reason))
            return
        target = resolved(target)
        if not self.repository.contains(target):
            self.project.modules_not_followed.append(
                ModuleNote(address, raw_source, where, "local module outside the repository")
            )
            return
        if target in chain or depth >= MAX_MODULE_DEPTH:
            self.project.modules_not_followed.append(
                ModuleNote(address, raw_source, where, "module calls itself")
            )
            return
        child_source = self.source_for(target)
        if child_source is None or not child_source.files:
            self.project.modules_not_followed.append(
                ModuleNote(address, raw_source, where, "module folder has no Terraform files")
            )
            return
        for attr_name, attr in declared.block.body.attributes.items():
            if attr_name not in _MODULE_META and attr_name not in child_source.variables:
                at = declared.file.location(*attr.span)
                self.error(
                    InputError(
                        at.file,
                        at.line,
                        at.column,
                        f"module {name!r} declares no variable {attr_name!r}",
                    )
                )
        base_scope = Scope(parent, declared.file)
        for key, scope in self._expand(declared, base_scope):
            suffix = _key_suffix(key)
            inputs = {
                attr_name: Evaluator(scope).eval(attr.value)
                for attr_name, attr in declared.block.body.attributes.items()
                if attr_name not in _MODULE_META
            }
            child = ModuleInstance(
                self, child_source, f"{address}{suffix}", inputs, {}, parent.root
            )
            parent.children.setdefault(name, []).append(child)
            child.call_key = key
            self._instantiate(child, depth + 1, (*chain, target))

    def _expand(self, declared: Declared, scope: Scope) -> list[tuple[Any, Scope]]:
        """The instances `count` or `for_each` makes (one, keyed unknown, if unknown)."""
        attrs = declared.block.body.attributes
        gate = attrs.get("for_each") or attrs.get("count")
        if gate is not None and scope.instance.library and _mentions_variable(gate.value):
            value = Evaluator(scope).eval(gate.value)
            if value in (0, False, [], {}) and not isinstance(value, Unknown):
                # A reusable module read on its own: its defaults switch this off, but a caller
                # may switch it on. Read it as one instance of unknown key, never skip it.
                unknown = Unknown(
                    gate.name,
                    declared.file.location(*gate.value.span),
                    f"{gate.name} is empty with this module's defaults; a caller may set it",
                )
                if gate.name == "for_each":
                    return [(unknown, _with(scope, each=(unknown, unknown)))]
                return [(unknown, _with(scope, count=unknown))]
        if "for_each" in attrs:
            value = Evaluator(scope).eval(attrs["for_each"].value)
            if isinstance(value, dict):
                return [(str(k), _with(scope, each=(str(k), v))) for k, v in value.items()]
            if isinstance(value, list) and not any(isinstance(v, Unknown) for v in value):
                keys = sorted({str(v) for v in value if isinstance(v, str)})
                return [(k, _with(scope, each=(k, k))) for k in keys]
            unknown = _gate_unknown(value, declared, "for_each")
            return [(unknown, _with(scope, each=(unknown, unknown)))]
        if "count" in attrs:
            value = Evaluator(scope).eval(attrs["count"].value)
            if isinstance(value, int) and not isinstance(value, bool):
                return [(i, _with(scope, count=i)) for i in range(max(value, 0))]
            if isinstance(value, bool):
                return [(0, _with(scope, count=0))] if value else []
            unknown = _gate_unknown(value, declared, "count")
            return [(unknown, _with(scope, count=unknown))]
        return [(None, scope)]

    # --- references the evaluator cannot answer alone ----------------------------------------

    def read_referenced_file(self, instance: ModuleInstance, raw: str, where: Location) -> Any:
        path = Path(raw)
        if not path.is_absolute():
            path = instance.root / path
        self.dependencies.add(path)
        try:
            path = self.repository.check(path, raw)
            file = read_text(path, display_path(path, self.cwd))
        except InputError as err:
            self.error(
                InputError(where.file, where.line, where.column, f"{err.message} ({err.file})")
            )
            return Unknown(raw, where, f"file could not be read: {err.message}")
        return file, file.text

    def data_reference(self, evaluator: Evaluator, expr: s.Expr, steps: list[Any]) -> Any:
        data_type, name = steps[0][1], steps[1][1]
        rest = steps[2:]
        instance = evaluator.scope.instance
        local_address = f"{data_type}.{name}"
        declared = instance.source.data.get(local_address)
        if declared is None:
            return evaluator.unknown(expr, "refers to a data source this module does not declare")
        key: Any = None
        if rest and rest[0][0] == "index":
            key = evaluator._step_key(rest[0])
            rest = rest[1:]
        address = instance.address(f"data.{local_address}")
        if data_type != "aws_iam_policy_document":
            return Reference(
                evaluator.text(expr),
                evaluator.loc(expr),
                "read from the cloud at plan time",
                None,
                address,
                rest[0][1] if rest else "",
            )
        attribute = rest[0][1] if rest and rest[0][0] == "attr" else ""
        if attribute not in ("json", "minified_json"):
            return evaluator.unknown(expr, f"attribute {attribute or '?'} of a policy document")
        return self.policy_document(instance, declared, local_address, key, evaluator.loc(expr))

    def policy_document(
        self,
        instance: ModuleInstance,
        declared: Declared,
        local_address: str,
        key: Any,
        where: Location,
    ) -> Any:
        address = instance.address(f"data.{local_address}") + _key_suffix(key)
        cache_key = (id(instance), local_address, repr(key))
        if cache_key in self._documents:
            return self._documents[cache_key]
        expansions = self._expand(declared, Scope(instance, declared.file))
        scope = None
        for exp_key, exp_scope in expansions:
            if key is None or (not isinstance(key, Unknown) and str(exp_key) == str(key)):
                scope = exp_scope
                break
        if scope is None:
            if any(isinstance(k, Unknown) for k, _ in expansions):
                # `count` unknown: `[0]` is the one instance we model, addressed without a key.
                scope = expansions[0][1]
                address = instance.address(f"data.{local_address}")
            else:
                return Unknown(address, where, "no such instance of the policy document")
        self._documents[cache_key] = PolicyDocumentValue(
            address, Unknown(address, where, "policy document refers to itself")
        )
        value = build_policy_document(self, declared, scope, address)
        self._documents[cache_key] = value
        self._used_documents.add(address)
        return value

    def instance_keys(self, instance: ModuleInstance, local_address: str) -> list[Any] | None:
        """The keys of a resource's or data source's instances (None for a single instance
        or an unknown key: reference it without an index), for splat expressions."""
        if local_address.startswith("data."):
            declared = instance.source.data.get(local_address[len("data.") :])
        else:
            declared = instance.source.resources.get(local_address)
        if declared is None:
            return None
        keys = [key for key, _ in self._expand(declared, Scope(instance, declared.file))]
        if not keys or all(key is None or isinstance(key, Unknown) for key in keys):
            return [None] if keys else []
        return keys

    def module_output(self, evaluator: Evaluator, expr: s.Expr, steps: list[Any]) -> Any:
        instance = evaluator.scope.instance
        name = steps[0][1]
        rest = steps[1:]
        children = instance.children.get(name)
        if not children:
            return evaluator.unknown(expr, "output of a module iamlint did not follow")
        child = children[0]
        if rest and rest[0][0] == "index":
            key = evaluator._step_key(rest[0])
            rest = rest[1:]
            match = [c for c in children if str(c.call_key) == str(key)]
            if not match:
                return evaluator.unknown(expr, "module instance key known only to Terraform")
            child = match[0]
        elif len(children) > 1:
            return evaluator.unknown(expr, "output of a module with several instances")
        if not rest or rest[0][0] != "attr":
            return evaluator.unknown(expr, "whole module object is not evaluated")
        output = child.source.outputs.get(rest[0][1])
        if output is None:
            return evaluator.unknown(expr, f"module has no output {rest[0][1]!r}")
        key_name = f"output.{rest[0][1]}"
        if key_name in child._in_progress:
            return evaluator.unknown(expr, "module output refers to itself")
        child._in_progress.add(key_name)
        try:
            value = Evaluator(Scope(child, output.file)).eval(output.attribute.value)
        finally:
            child._in_progress.discard(key_name)
        return evaluator._apply_steps(expr, value, rest[1:])

    def resource_reference(
        self, evaluator: Evaluator, expr: s.Expr, root: str, steps: list[Any]
    ) -> Any:
        instance = evaluator.scope.instance
        local_address = f"{root}.{steps[0][1]}"
        rest = steps[1:]
        key: Any = None
        if rest and rest[0][0] == "index":
            key = evaluator._step_key(rest[0])
            rest = rest[1:]
        address = instance.address(local_address) + _key_suffix(key)
        attribute = rest[0][1] if rest and rest[0][0] == "attr" else ""
        target = self._resource_instance(instance, local_address, key)
        text, where = evaluator.text(expr), evaluator.loc(expr)
        if target is None or not attribute:
            return Reference(
                " ".join(text.split()), where, "known only after apply", None, address, attribute
            )
        value = resource_attribute(target, attribute)
        if isinstance(value, str) and not isinstance(value, Unknown):
            return RefStr(str(value), where, target.address)
        if isinstance(value, Unknown):
            return Reference(
                " ".join(text.split()),
                where,
                value.reason or "known only after apply",
                value.parts,
                target.address,
                attribute,
            )
        if value is None:
            return Reference(
                " ".join(text.split()),
                where,
                "known only after apply",
                None,
                target.address,
                attribute,
            )
        return evaluator._apply_steps(expr, value, rest[1:])

    def _resource_instance(
        self, instance: ModuleInstance, local_address: str, key: Any
    ) -> _Instance | None:
        address = instance.address(local_address)
        candidates = self.resource_instances.get(address)
        if candidates is None:
            declared = instance.source.resources.get(local_address)
            if declared is None:
                return None
            candidates = self._resource_instances_of(instance, local_address, declared)
        if key is None:
            return candidates[0] if len(candidates) == 1 else None
        for candidate in candidates:
            if not isinstance(candidate.key, Unknown) and str(candidate.key) == str(key):
                return candidate
        if len(candidates) == 1 and isinstance(candidates[0].key, Unknown):
            return candidates[0]
        return None

    # --- records -----------------------------------------------------------------------------

    def _resource_instances_of(
        self, instance: ModuleInstance, local_address: str, declared: Declared
    ) -> list[_Instance]:
        address = instance.address(local_address)
        if address in self.resource_instances:
            return self.resource_instances[address]
        self.resource_instances[address] = []  # guards self-reference during expansion
        out = []
        for key, scope in self._expand(declared, Scope(instance, declared.file)):
            full = address + _key_suffix(key)
            out.append(
                _Instance(
                    full, local_address, declared, _with(scope, self_address=full), key, instance
                )
            )
        self.resource_instances[address] = out
        return out

    def _collect_resources(self, instance: ModuleInstance) -> None:
        for local_address, declared in sorted(instance.source.resources.items()):
            self._resource_instances_of(instance, local_address, declared)

    def _collect_records(self, instance: ModuleInstance) -> None:
        for local_address, _declared in sorted(instance.source.resources.items()):
            resource_type = local_address.split(".", 1)[0]
            specs = sources.POLICY_ATTRIBUTES.get(resource_type, ())
            is_lambda = resource_type == sources.LAMBDA_PERMISSION
            if not specs and not is_lambda:
                continue
            for item in self.resource_instances[instance.address(local_address)]:
                if is_lambda:
                    self._lambda_permission(item)
                for spec in specs:
                    self._policy_attribute(item, spec, resource_type)

    def _policy_attribute(
        self, item: _Instance, spec: sources.PolicyAttribute, resource_type: str
    ) -> None:
        body = item.declared.block.body
        file = item.declared.file
        holders: list[tuple[s.Body, str, Scope]] = []
        if spec.block:
            blocks, unknown_blocks = expand_blocks(body, spec.block, item.scope, file)
            holders = [
                (b.body, f"{spec.block}[{i}].{spec.attribute}", b.scope)
                for i, b in enumerate(blocks)
            ]
            if len(blocks) == 1:
                holders = [(blocks[0].body, f"{spec.block}.{spec.attribute}", blocks[0].scope)]
            for unknown in unknown_blocks:
                self._unknown_blocks_record(item, spec, resource_type, unknown)
        else:
            holders = [(body, spec.attribute, item.scope)]
        for holder, attribute_name, scope in holders:
            attr = holder.attributes.get(spec.attribute)
            if attr is None:
                continue
            where = file.location(*attr.value.span)
            value = Evaluator(scope).eval(attr.value)
            document = self._document_from(value, where)
            kind = spec.kind
            if resource_type == "aws_organizations_policy":
                kind = self._organizations_kind(item)
                if kind is None:
                    continue
            attached: list[Any] = []
            if spec.target:
                target_attr = body.attributes.get(spec.target)
                if target_attr is not None:
                    attached.append(_target_of(Evaluator(item.scope).eval(target_attr.value)))
            elif kind in (sources.RESOURCE, sources.TRUST, sources.ENDPOINT) or spec.block:
                attached.append(item.address)
            address = item.address
            if spec.block:
                suffix = attribute_name.split(".")[0]
                address = f"{item.address}.{suffix}"
            self.project.records.append(
                PolicyRecord(
                    address=address,
                    kind=kind,
                    resource_type=resource_type,
                    attribute=attribute_name,
                    location=where,
                    document=document.document,
                    spans=document.spans,
                    unknowns=document.unknowns,
                    attached_to=attached,
                    instance_key=item.key,
                    module=item.module.prefix,
                    origins=document.origins,
                    name=self._policy_name(item, resource_type),
                )
            )

    def _unknown_blocks_record(
        self, item: _Instance, spec: sources.PolicyAttribute, resource_type: str, unknown: Unknown
    ) -> None:
        """`dynamic "inline_policy"` over an unknown collection: policies nobody can know."""
        self.project.records.append(
            PolicyRecord(
                address=f"{item.address}.{spec.block}[*]",
                kind=spec.kind,
                resource_type=resource_type,
                attribute=f"{spec.block}[*].{spec.attribute}",
                location=unknown.location or item.declared.file.location(*item.declared.block.span),
                document=unknown,
                spans={},
                unknowns=[unknown],
                attached_to=[item.address],
                instance_key=item.key,
                module=item.module.prefix,
            )
        )

    def _policy_name(self, item: _Instance, resource_type: str) -> Any:
        if resource_type != "aws_iam_policy":
            return None
        name = resource_attribute(item, "name")
        return str(name) if isinstance(name, str) and not isinstance(name, Unknown) else name

    def _organizations_kind(self, item: _Instance) -> str | None:
        type_attr = item.declared.block.body.attributes.get("type")
        if type_attr is None:
            return sources.SCP
        value = Evaluator(item.scope).eval(type_attr.value)
        if value == "SERVICE_CONTROL_POLICY":
            return sources.SCP
        if value == "RESOURCE_CONTROL_POLICY":
            return sources.RCP
        if isinstance(value, Unknown):
            return sources.SCP
        return None  # tag, backup and AI opt-out policies are not IAM policies

    def _document_from(self, value: Any, where: Location) -> Document:
        document = from_value(value, where)
        for loc, message in document.problems:
            at = loc or where
            self.error(InputError(at.file, at.line, at.column, message))
        return document

    def _lambda_permission(self, item: _Instance) -> None:
        from iamlint.terraform.lambda_permission import lambda_permission_document

        document, where = lambda_permission_document(item)
        target_attr = item.declared.block.body.attributes.get("function_name")
        attached = []
        if target_attr is not None:
            attached.append(_target_of(Evaluator(item.scope).eval(target_attr.value)))
        self.project.records.append(
            PolicyRecord(
                address=item.address,
                kind=sources.RESOURCE,
                resource_type=sources.LAMBDA_PERMISSION,
                attribute="(statement)",
                location=where,
                document=document.document,
                spans=document.spans,
                unknowns=document.unknowns,
                attached_to=attached,
                instance_key=item.key,
                module=item.module.prefix,
            )
        )

    def _collect_unused_documents(self) -> None:
        for instance in self.instances:
            for local_address, declared in sorted(instance.source.data.items()):
                if not local_address.startswith("aws_iam_policy_document."):
                    continue
                for key, _scope in self._expand(declared, Scope(instance, declared.file)):
                    address = instance.address(f"data.{local_address}") + _key_suffix(key)
                    if address in self._used_documents:
                        continue
                    where = declared.file.location(*declared.block.span)
                    value = self.policy_document(instance, declared, local_address, key, where)
                    if not isinstance(value, PolicyDocumentValue):
                        continue
                    self.project.records.append(
                        PolicyRecord(
                            address,
                            sources.DOCUMENT,
                            "aws_iam_policy_document",
                            "json",
                            value.location or where,
                            value.document,
                            dict(value.spans),
                            list(value.unknowns),
                            [],
                            key,
                            instance.prefix,
                            list(value.origins),
                        )
                    )

    def _build_graph(self) -> None:
        from iamlint.terraform.graph import build_graph

        build_graph(self)


def resource_attribute(target: _Instance, attribute: str) -> Any:
    """What iamlint can know of a resource's attribute without the cloud."""
    from iamlint.terraform.graph import derived_attribute

    body = target.declared.block.body
    attr = body.attributes.get(attribute)
    if attr is not None:
        return Evaluator(target.scope).eval(attr.value)
    return derived_attribute(target, attribute)


def _target_of(value: Any) -> Any:
    if isinstance(value, Reference):
        return value.address
    if isinstance(value, RefStr):
        return value.address
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        return [_target_of(v) for v in value]
    return plain(value)


def _gate_unknown(value: Any, declared: Declared, gate: str) -> Unknown:
    """The unknown a `count` or `for_each` stands for: its value if that is unknown already,
    else one naming the gate (a value of a type we cannot expand)."""
    if isinstance(value, Unknown):
        return value
    where = declared.file.location(*declared.block.body.attributes[gate].value.span)
    return Unknown(gate, where, f"{gate} known only to Terraform")


def _configures_a_deployment(source: ModuleSource) -> bool:
    """A root module that deploys (provider or backend configuration) rather than a reusable
    module read on its own, whose variables' defaults are only placeholders for its callers."""
    for _file, body in source.files:
        for block in body.blocks:
            if block.type == "provider":
                return True
            if block.type == "terraform" and block.body.blocks_of("backend"):
                return True
    return False


def _mentions_variable(expr: Any) -> bool:
    if isinstance(expr, s.Name):
        return expr.name == "var"
    if isinstance(expr, s.Expr):
        return any(
            _mentions_variable(getattr(expr, name)) for name in expr.__slots__ if name != "span"
        )
    if isinstance(expr, list | tuple):
        return any(_mentions_variable(item) for item in expr)
    return False


def _with(scope: Scope, **changes: Any) -> Scope:
    from dataclasses import replace

    return replace(scope, **changes)


def _key_suffix(key: Any) -> str:
    if key is None or isinstance(key, Unknown):
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return '["' + str(key).replace("\\", "\\\\").replace('"', '\\"') + '"]'


def _local_source(declared: Declared, folder: Path) -> Path | None:
    attr = declared.block.body.attributes.get("source")
    if attr is None or not isinstance(attr.value, s.Literal):
        return None
    raw = str(attr.value.value)
    if not (raw.startswith("./") or raw.startswith("../")):
        return None
    raw = raw.split("//", 1)[0] if "//" in raw[3:] else raw
    return folder / raw


def load_project(
    paths: list[Path],
    var_files: list[Path] | None = None,
    cwd: Path | None = None,
    on_loader: Any = None,
) -> Project:
    """Read the Terraform under ``paths``; input errors are collected, never raised."""
    # The cyclic collector finds nothing to free in parse trees and evaluated values but walks
    # them again and again: off, a large repository reads about a third faster.
    enabled = gc.isenabled()
    gc.disable()
    try:
        loader = Loader(paths, var_files or [], (cwd or Path.cwd()).resolve())
        if on_loader is not None:
            on_loader(loader)
        return loader.load()
    finally:
        if enabled:
            gc.enable()
