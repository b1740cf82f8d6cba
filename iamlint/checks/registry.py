"""The rule catalog: every rule's id, name, severity and documentation, read from data.

The built-in packs are `rules/*.json` (installed as the package data `iamlint.rules_data`);
users add packs of the same format with the `rule-packs` setting. Every pack is validated
against `rule_schema.json` before use. The logic of the built-in rules lives in one module per
family, listed in `FAMILY_MODULES`; a family is a function ``run(ctx) -> Iterable[Finding]``.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from iamlint.checks.families import FAMILIES
from iamlint.checks.finding import Finding, Severity

FamilyRun = Callable[[Any], Iterable[Finding]]

# Family name -> the module holding its `run`, or the function itself (tests register their
# own tiny family this way). One list of modules, in iamlint/checks/families.py; a family's
# name is its module's last part and matches the `family` of its pack in rules/.
FAMILY_MODULES: dict[str, str | FamilyRun] = {
    module.rsplit(".", 1)[-1]: module for module in FAMILIES
}

BUILTIN_PACKAGE = "iamlint.rules_data"


class CatalogError(Exception):
    """A rule pack that cannot be used: which file, where in it, and what is wrong."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class SelectorError(ValueError):
    """A --select/--ignore/severity entry that names no rule."""


@dataclass(frozen=True, slots=True)
class Reference:
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    family: str
    severity: Severity
    title: str
    rationale: str
    example_bad: str
    example_good: str
    fix: str
    applies_to: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    source: str = ""  # the pack it came from

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "family": self.family,
            "severity": str(self.severity),
            "title": self.title,
            "rationale": self.rationale,
            "example": {"bad": self.example_bad, "good": self.example_good},
            "fix": self.fix,
            "applies_to": list(self.applies_to),
            "references": [
                {"title": r.title, **({"url": r.url} if r.url else {})} for r in self.references
            ],
        }


@dataclass(slots=True)
class Registry:
    rules: dict[str, Rule] = field(default_factory=dict)  # by id, sorted
    action_sets: dict[str, dict[str, Any]] = field(default_factory=dict)  # family -> sets

    def get(self, key: str) -> Rule | None:
        """A rule by id (any case) or by kebab-case name."""
        rule = self.rules.get(key.strip().upper())
        if rule is not None:
            return rule
        for rule in self.rules.values():
            if rule.name == key.strip().lower():
                return rule
        return None

    def suggest(self, key: str) -> list[str]:
        names = [*self.rules, *(r.name for r in self.rules.values())]
        return difflib.get_close_matches(key.strip(), names, n=3, cutoff=0.6)

    def families(self) -> list[str]:
        return sorted({r.family for r in self.rules.values()})

    def matching(self, selector: str) -> set[str]:
        """Rule ids a selector names: ``ALL``, an id, an id prefix (``W``, ``W2``) or a name."""
        key = selector.strip()
        if key.upper() == "ALL":
            return set(self.rules)
        rule = self.get(key)
        if rule is not None:
            return {rule.id}
        return {rid for rid in self.rules if rid.startswith(key.upper())}

    def enabled(self, select: Sequence[str], ignore: Sequence[str]) -> set[str]:
        """The rules to run: those selected (all when nothing is), minus those ignored.

        Raises `SelectorError` for a selector that names no rule, as ruff does: a typo in an
        ignore list must not silently keep a rule on."""
        chosen: set[str] = set()
        for key in select or ["ALL"]:
            chosen |= self._resolve(key)
        for key in ignore:
            chosen -= self._resolve(key)
        return chosen

    def _resolve(self, key: str) -> set[str]:
        found = self.matching(key)
        if not found:
            hint = self.suggest(key)
            more = f" (did you mean {', '.join(hint)}?)" if hint else ""
            raise SelectorError(f"{key!r} names no rule{more}")
        return found

    def severities(self) -> dict[str, Severity]:
        return {rid: rule.severity for rid, rule in self.rules.items()}

    def action_set(self, family: str, name: str) -> dict[str, Any]:
        """One of a family's documented action sets (e.g. privesc / privilege-escalation)."""
        return self.action_sets.get(family, {}).get(name, {})


@functools.cache
def _schema_text() -> str:
    return resources.files("iamlint.checks").joinpath("rule_schema.json").read_text("utf-8")


@functools.cache
def _schema() -> dict[str, Any]:
    return json.loads(_schema_text())


def validate_pack(data: Any, source: str) -> None:
    """Raise `CatalogError` naming the first schema violation and where it is in the pack."""
    import jsonschema  # here, not at the top: its imports cost more than a pre-commit run's rules

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        raise CatalogError(source, f"at {where}: {error.message}")


def _rules_of(data: dict[str, Any], source: str) -> list[Rule]:
    family = data["family"]
    out = []
    for raw in data["rules"]:
        out.append(
            Rule(
                id=raw["id"],
                name=raw["name"],
                family=family,
                severity=Severity.parse(raw["severity"]),
                title=raw["title"],
                rationale=raw["rationale"],
                example_bad=raw["example"]["bad"],
                example_good=raw["example"]["good"],
                fix=raw["fix"],
                applies_to=tuple(raw.get("applies_to", ())),
                references=tuple(
                    Reference(r["title"], r.get("url")) for r in raw.get("references", ())
                ),
                source=source,
            )
        )
    return out


def _read_pack(text: str, source: str, validated: Path | None) -> dict[str, Any]:
    """The pack's data, validated against the schema unless this very text (under this very
    schema) passed before: ``validated`` is the cache folder of markers for passed packs."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise CatalogError(source, f"line {err.lineno} column {err.colno}: {err.msg}") from None
    marker = validated / _pack_digest(text) if validated is not None else None
    if marker is None or not marker.exists():
        validate_pack(data, source)
        _mark(marker)
    return data


def _validated_folder() -> Path | None:
    from iamlint.cache import cache_dir

    folder = cache_dir()  # None when no folder passes iamlint.cache's ownership checks
    return folder / "valid-rule-packs" if folder is not None else None


def _pack_digest(text: str) -> str:
    digest = hashlib.sha256(_schema_text().encode())
    digest.update(b"\0")
    digest.update(text.encode())
    return digest.hexdigest()[:32]


def _mark(marker: Path | None) -> None:
    if marker is None:
        return
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # a read-only cache only costs speed: the pack is validated again next time


def _builtin_packs() -> list[tuple[str, str]]:
    root = resources.files(BUILTIN_PACKAGE)
    packs = [
        (f"rules/{item.name}", item.read_text("utf-8"))
        for item in root.iterdir()
        if item.name.endswith(".json")
    ]
    return sorted(packs)


def build_registry(packs: Iterable[tuple[str, str]]) -> Registry:
    """A registry from ``(source, text)`` packs; ids and names must be unique across all."""
    registry = Registry()
    names: dict[str, str] = {}
    rules: dict[str, Rule] = {}
    validated = _validated_folder()
    for source, text in packs:
        data = _read_pack(text, source, validated)
        for rule in _rules_of(data, source):
            if rule.id in rules:
                raise CatalogError(
                    source, f"rule {rule.id} is already defined in {rules[rule.id].source}"
                )
            if rule.name in names:
                raise CatalogError(
                    source, f"rule name {rule.name!r} is already used by {names[rule.name]}"
                )
            rules[rule.id] = rule
            names[rule.name] = rule.id
        if "action_sets" in data:
            registry.action_sets.setdefault(data["family"], {}).update(data["action_sets"])
    registry.rules = dict(sorted(rules.items()))
    return registry


@functools.cache
def builtin_registry() -> Registry:
    return build_registry(_builtin_packs())


def load_registry(rule_packs: Sequence[Path] = ()) -> Registry:
    """The built-in catalog plus the user's packs. Raises `CatalogError` for a bad pack."""
    if not rule_packs:
        return builtin_registry()
    packs = list(_builtin_packs())
    from iamlint.terraform.errors import InputError
    from iamlint.terraform.files import read_regular

    for path in rule_packs:
        try:  # a regular file only: a FIFO would block forever
            packs.append((str(path), read_regular(path, str(path)).decode("utf-8")))
        except InputError as err:
            raise CatalogError(str(path), f"cannot read the rule pack: {err.message}") from None
        except UnicodeDecodeError:
            raise CatalogError(str(path), "the rule pack is not UTF-8 text") from None
    return build_registry(packs)
