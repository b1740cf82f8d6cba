"""Terraform itself as the oracle: what `terraform plan` renders for every policy attribute.

Terraform and a filesystem mirror of the AWS provider are on the machines that run these tests
(CI's too). With fake credentials and the provider's offline switches, `terraform plan` renders
every `aws_iam_policy_document`, `jsonencode`, `templatefile` and variable exactly as an apply
would, and marks what it cannot know before apply as unknown. Cases are batched: each is a local
module of one root, so a few hundred cases cost one `init`, one `plan` and one `show`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlint.model import Unknown
from iamlint.terraform import sources

PROVIDER_TF = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAORACLEORACLE0000"
  secret_key                  = "oracle"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}
"""

# Where Terraform keeps a filesystem mirror on the machines this project runs on.
_MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


@dataclass(frozen=True)
class Case:
    """One configuration: the files of a local module, read by Terraform and by iamlint."""

    name: str
    files: dict[str, str]
    note: str = ""


@dataclass(frozen=True)
class Rendered:
    """One policy attribute as Terraform planned it: a document, unknown, or absent (null)."""

    unknown: bool
    document: Any = None  # parsed JSON when known; None when the attribute is null


@dataclass
class Oracle:
    """Terraform's plan of a batch of cases, keyed by (address, attribute) as iamlint names them."""

    policies: dict[tuple[str, str], Rendered] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # case name -> Terraform's message


def plugin_dir() -> Path | None:
    """The folder holding `registry.terraform.io/hashicorp/aws`, or None."""
    explicit = os.environ.get("IAMLINT_TF_PLUGIN_DIR")
    candidates = [explicit] if explicit else []
    candidates += [os.path.expanduser(c) for c in _MIRROR_CANDIDATES]
    for candidate in candidates:
        if (Path(candidate) / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return Path(candidate)
    return None


def unavailable() -> str | None:
    """Why the oracle cannot run here, or None when it can."""
    if shutil.which("terraform") is None:
        return "terraform is not on PATH"
    if plugin_dir() is None:
        return "no filesystem mirror of the AWS provider (set IAMLINT_TF_PLUGIN_DIR)"
    return None


def _env(workdir: Path) -> dict[str, str]:
    config = workdir / ".terraformrc"
    config.write_text("")  # no user configuration, no warning about a missing one
    env = dict(os.environ)
    env.update(
        TF_CLI_CONFIG_FILE=str(config),
        TF_IN_AUTOMATION="1",
        CHECKPOINT_DISABLE="1",
        TF_INPUT="0",
    )
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    return env


def _terraform(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


def module_name(case: Case) -> str:
    return "case_" + case.name.replace("-", "_")


def write_root(cases: Iterable[Case], root: Path) -> None:
    """One root module calling every case as a local module `module.case_<name>`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "provider.tf").write_text(PROVIDER_TF)
    calls = []
    for case in cases:
        folder = root / "cases" / case.name
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in case.files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
        calls.append(f'module "{module_name(case)}" {{\n  source = "./cases/{case.name}"\n}}\n')
    (root / "main.tf").write_text("\n".join(calls))


def _failing_cases(stderr: str) -> set[str]:
    """The cases a failed plan names (`on cases/NAME/main.tf line 3`)."""
    found = set()
    for line in stderr.splitlines():
        marker = "cases/"
        at = line.find(marker)
        if at >= 0 and " line " in line:
            found.add(line[at + len(marker) :].split("/", 1)[0])
    return found


def plan(cases: list[Case], workdir: Path) -> Oracle:
    """Plan every case in one root; cases Terraform rejects are set aside with its message."""
    env = _env(workdir)
    oracle = Oracle()
    remaining = list(cases)
    for _attempt in range(4):
        root = workdir / f"root{_attempt}"
        write_root(remaining, root)
        init = _terraform(
            ["init", f"-plugin-dir={plugin_dir()}", "-backend=false", "-no-color"], root, env
        )
        if init.returncode != 0:
            bad = _failing_cases(init.stderr)
            if not bad:
                raise RuntimeError(f"terraform init failed:\n{init.stderr}")
            remaining = _set_aside(remaining, bad, init.stderr, oracle)
            continue
        planned = _terraform(
            ["plan", "-refresh=false", "-lock=false", "-no-color", "-out=plan.bin"], root, env
        )
        if planned.returncode != 0:
            bad = _failing_cases(planned.stderr)
            if not bad:
                raise RuntimeError(f"terraform plan failed:\n{planned.stderr}")
            remaining = _set_aside(remaining, bad, planned.stderr, oracle)
            continue
        shown = _terraform(["show", "-json", "plan.bin"], root, env)
        if shown.returncode != 0:
            raise RuntimeError(f"terraform show failed:\n{shown.stderr}")
        oracle.policies = rendered_policies(json.loads(shown.stdout))
        return oracle
    raise RuntimeError("terraform kept rejecting cases; see the oracle's rejected list")


def _set_aside(cases: list[Case], bad: set[str], stderr: str, oracle: Oracle) -> list[Case]:
    for case in cases:
        if case.name in bad:
            oracle.rejected[case.name] = stderr
    return [c for c in cases if c.name not in bad]


def validate(cases: list[Case], workdir: Path) -> dict[str, list[dict[str, Any]]]:
    """Terraform's own diagnostics per case (`terraform validate -json`), errors only."""
    env = _env(workdir)
    root = workdir / "validate"
    write_root(cases, root)
    _terraform(["init", f"-plugin-dir={plugin_dir()}", "-backend=false", "-no-color"], root, env)
    result = _terraform(["validate", "-json", "-no-color"], root, env)
    report = json.loads(result.stdout or "{}")
    by_case: dict[str, list[dict[str, Any]]] = {c.name: [] for c in cases}
    for diagnostic in report.get("diagnostics", []):
        if diagnostic.get("severity") != "error":
            continue
        filename = (diagnostic.get("range") or {}).get("filename", "")
        parts = Path(filename).parts
        if len(parts) >= 2 and parts[0] == "cases" and parts[1] in by_case:
            by_case[parts[1]].append(diagnostic)
    return by_case


# -- reading the plan ---------------------------------------------------------------------------


def _modules(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield module
    for child in module.get("child_modules", []):
        yield from _modules(child)


def rendered_policies(plan_json: dict[str, Any]) -> dict[tuple[str, str], Rendered]:
    """Every policy attribute of every planned resource instance, as iamlint names it."""
    unknown_of = {
        change["address"]: change["change"].get("after_unknown") or {}
        for change in plan_json.get("resource_changes", [])
    }
    out: dict[tuple[str, str], Rendered] = {}
    root = plan_json.get("planned_values", {}).get("root_module", {})
    for module in _modules(root):
        for resource in module.get("resources", []):
            if resource.get("mode") != "managed":
                continue
            specs = sources.POLICY_ATTRIBUTES.get(resource["type"], ())
            values = resource.get("values") or {}
            unknown = unknown_of.get(resource["address"], {})
            for spec in specs:
                out.update(_attribute(resource["address"], spec, values, unknown))
    return out


def _attribute(
    address: str, spec: sources.PolicyAttribute, values: dict[str, Any], unknown: dict[str, Any]
) -> dict[tuple[str, str], Rendered]:
    if spec.block is None:
        rendered = _one(values.get(spec.attribute), unknown.get(spec.attribute))
        return {(address, spec.attribute): rendered}
    blocks = values.get(spec.block) or []
    unknown_blocks = unknown.get(spec.block)
    if unknown_blocks is True and not blocks:
        # The provider computes `inline_policy` when the configuration has no such block: it
        # holds whatever the role has in AWS, which no reading of the code can know or claim.
        return {}
    if unknown_blocks is True:
        return {(f"{address}.{spec.block}", f"{spec.block}[*].{spec.attribute}"): Rendered(True)}
    out = {}
    for index, block in enumerate(blocks):
        flags = unknown_blocks[index] if isinstance(unknown_blocks, list) else {}
        where = spec.block if len(blocks) == 1 else f"{spec.block}[{index}]"
        rendered = _one(block.get(spec.attribute), flags.get(spec.attribute))
        out[(f"{address}.{spec.block}", f"{where}.{spec.attribute}")] = rendered
    return out


def _one(value: Any, unknown_flag: Any) -> Rendered:
    if unknown_flag is True:
        return Rendered(True)
    if value in (None, ""):
        return Rendered(False, None)
    try:
        return Rendered(False, json.loads(value))
    except (TypeError, ValueError):
        return Rendered(False, value)


# -- comparing ----------------------------------------------------------------------------------

_LIST_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")


def normalize(document: Any, *, as_sets: bool) -> Any:
    """A policy in one spelling: Statement a list, elements lists, condition values lists.

    ``as_sets``: lists compared as sets (the provider's `aws_iam_policy_document` keeps
    actions, resources, identifiers and condition values in sets, in an order of its own).
    """
    if not isinstance(document, dict):
        return document
    out = dict(document)
    statements = out.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list):
        out["Statement"] = [_statement(s, as_sets) for s in statements]
    return out


def _text(value: Any) -> Any:
    """A JSON scalar as AWS reads it in a condition: `true` and `"true"` are the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return value


def _listed(value: Any, as_sets: bool, *, scalars_as_text: bool = False) -> Any:
    items = value if isinstance(value, list) else [value]
    if scalars_as_text:
        items = [_text(i) for i in items]
    if as_sets and all(isinstance(i, str) for i in items):
        return sorted(set(items))
    return items


def _statement(statement: Any, as_sets: bool) -> Any:
    if not isinstance(statement, dict):
        return statement
    out = dict(statement)
    for key in _LIST_ELEMENTS:
        if key in out:
            out[key] = _listed(out[key], as_sets)
    for key in ("Principal", "NotPrincipal"):
        principal = out.get(key)
        if isinstance(principal, dict):
            out[key] = {k: _listed(v, as_sets) for k, v in principal.items()}
    condition = out.get("Condition")
    if isinstance(condition, dict):
        out["Condition"] = {
            operator: {k: _listed(v, as_sets, scalars_as_text=True) for k, v in keys.items()}
            if isinstance(keys, dict)
            else keys
            for operator, keys in condition.items()
        }
    return out


def contains_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(k) or contains_unknown(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


@dataclass(frozen=True)
class Mismatch:
    address: str
    attribute: str
    problem: str  # what differs, in a sentence
    ours: Any = None
    theirs: Any = None

    def __str__(self) -> str:
        detail = ""
        if self.ours is not None or self.theirs is not None:
            detail = f"\n    iamlint:   {json.dumps(self.ours)[:800]}"
            detail += f"\n    terraform: {json.dumps(self.theirs)[:800]}"
        return f"{self.address} {self.attribute}: {self.problem}{detail}"


def case_of(address: str) -> str:
    """`module.case_NAME.…` -> NAME (the case a planned address belongs to)."""
    first = address.split(".", 2)[1] if address.startswith("module.") else ""
    return first.removeprefix("case_").split("[", 1)[0]


def compare(oracle: Oracle, records: Iterable[Any]) -> dict[str, list[Mismatch]]:
    """Per case, every way iamlint's reading differs from Terraform's plan.

    Equal documents where Terraform knows the value; an unknown in iamlint's reading only where
    Terraform cannot know the value either; no policy where Terraform plans none.
    """
    from iamlint.model import to_json

    ours = {(r.address, r.attribute): r for r in records if r.kind != "document"}
    out: dict[str, list[Mismatch]] = {}

    def add(address: str, attribute: str, problem: str, a: Any = None, b: Any = None) -> None:
        out.setdefault(case_of(address), []).append(Mismatch(address, attribute, problem, a, b))

    for (address, attribute), rendered in sorted(oracle.policies.items()):
        record = ours.pop((address, attribute), None)
        if record is None:
            if rendered.unknown or rendered.document is not None:
                add(address, attribute, "Terraform plans a policy iamlint does not read")
            continue
        document = to_json(record.document)
        if rendered.unknown:
            continue  # iamlint may know a derived value Terraform leaves for apply
        if rendered.document is None:
            add(address, attribute, "iamlint reads a policy where Terraform plans none", document)
            continue
        if contains_unknown(record.document):
            add(address, attribute, "iamlint calls unknown what Terraform knows", document,
                rendered.document)  # fmt: skip
            continue
        as_sets = any("aws_iam_policy_document" in origin for origin in record.origins)
        mine = normalize(document, as_sets=as_sets)
        theirs = normalize(rendered.document, as_sets=as_sets)
        if mine != theirs:
            add(address, attribute, "documents differ", mine, theirs)
    for address, attribute in ours:
        add(address, attribute, "iamlint reads a policy Terraform does not plan")
    return out
