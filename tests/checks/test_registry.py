from __future__ import annotations

import json
from importlib import resources

import pytest

from iamlint.checks.registry import (
    CatalogError,
    SelectorError,
    build_registry,
    builtin_registry,
    load_registry,
)

# Every id of the linter issue's table, plus the suppression rules.
EXPECTED = (
    [f"V10{i}" for i in range(1, 8)]
    + [f"W20{i}" for i in range(1, 9)]
    + [f"P30{i}" for i in range(1, 6)]
    + [f"T40{i}" for i in range(1, 9)]
    + [f"G50{i}" for i in range(1, 7)]
    + [f"U60{i}" for i in range(1, 7)]
    + [f"S90{i}" for i in range(1, 5)]
)


def test_builtin_catalog_is_complete_and_valid():
    registry = builtin_registry()
    assert sorted(registry.rules) == sorted(EXPECTED)
    assert registry.families() == [
        "guardrails",
        "privesc",
        "suppressions",
        "trust",
        "usage",
        "validity",
        "wildcards",
    ]
    for rule in registry.rules.values():
        assert (
            rule.id[0]
            == {
                "validity": "V",
                "wildcards": "W",
                "privesc": "P",
                "trust": "T",
                "guardrails": "G",
                "usage": "U",
                "suppressions": "S",
            }[rule.family]
        )
        assert rule.example_bad != rule.example_good


def test_builtin_catalog_ships_as_package_data():
    names = {p.name for p in resources.files("iamlint.rules_data").iterdir()}
    assert {f"{family}.json" for family in builtin_registry().families()} <= names


def test_privesc_action_sets_cite_sources_and_exist_in_catalog():
    from iamlint.policy.catalog import default_catalog

    catalog = default_catalog()
    registry = builtin_registry()
    methods = registry.action_set("privesc", "privilege-escalation")["methods"]
    assert len(methods) >= 21 and all(m["documented_by"] for m in methods)
    actions = {a for m in methods for a in [*m["all_of"], *m.get("any_of", [])]}
    for name in ("data-exfiltration", "credentials-exposure"):
        actions |= set(registry.action_set("privesc", name)["actions"])
    assert [a for a in sorted(actions) if catalog.action(a) is None] == []


def test_lookup_by_id_name_and_prefix():
    registry = builtin_registry()
    assert registry.get("w203").name == "service-wildcard"
    assert registry.get("service-wildcard").id == "W203"
    assert registry.matching("W2") == {f"W20{i}" for i in range(1, 9)}
    assert registry.enabled(["W"], ["W204", "allow-not-resource"]) == {
        "W201",
        "W202",
        "W203",
        "W205",
        "W206",
        "W208",
    }
    with pytest.raises(SelectorError, match="did you mean W203"):
        registry.enabled(["W2O3"], [])


def pack(**changes):
    rule = {
        "id": "ACME101",
        "name": "acme-tagging",
        "severity": "low",
        "title": "ACME: roles need an owner tag",
        "rationale": "Every role must name the team that owns it, for on-call routing.",
        "example": {"bad": "tags = {}", "good": 'tags = { owner = "payments" }'},
        "fix": "Add an owner tag to the role.",
    }
    rule.update(changes)
    return json.dumps({"format_version": 1, "family": "acme", "rules": [rule]})


def test_user_pack_is_added(tmp_path):
    path = tmp_path / "acme.json"
    path.write_text(pack())
    registry = load_registry([path])
    assert registry.get("ACME101").family == "acme"
    assert "W203" in registry.rules


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (pack(severity="urgent"), "at /rules/0/severity: 'urgent' is not one of"),
        (pack(name="Acme Tagging"), "at /rules/0/name"),
        (pack(id="W203"), "W203 is already defined in rules/wildcards.json"),
        (pack(name="service-wildcard"), "'service-wildcard' is already used by W203"),
        ('{"format_version": 1,', "line 1 column"),
    ],
)
def test_bad_pack_names_file_and_place(text, message):
    with pytest.raises(CatalogError) as err:
        build_registry([("rules/wildcards.json", _builtin("wildcards")), ("acme.json", text)])
    assert message in str(err.value)
    assert str(err.value).startswith(("acme.json", "rules/wildcards.json"))


def _builtin(family: str) -> str:
    return resources.files("iamlint.rules_data").joinpath(f"{family}.json").read_text()


def test_missing_pack_file(tmp_path):
    with pytest.raises(CatalogError, match="cannot read the rule pack"):
        load_registry([tmp_path / "nope.json"])


def test_every_family_module_has_a_pack():
    from iamlint.checks.registry import FAMILY_MODULES

    assert set(FAMILY_MODULES) <= set(builtin_registry().families())


def test_a_pack_that_passed_is_not_validated_again_until_its_text_changes(tmp_path, monkeypatch):
    from iamlint.checks import registry as registry_module

    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path))
    packs = [("acme.json", pack())]
    build_registry(packs)  # validated once, and remembered

    def refuse(data, source):
        raise AssertionError("validated again")

    monkeypatch.setattr(registry_module, "validate_pack", refuse)
    assert build_registry(packs).get("ACME101") is not None
    with pytest.raises(AssertionError, match="validated again"):
        build_registry([("acme.json", pack(title="Changed"))])


def test_a_rule_pack_that_is_a_fifo_is_an_error_not_a_hang(tmp_path):
    import os

    os.mkfifo(tmp_path / "pack.json")
    with pytest.raises(CatalogError, match=r"named pipe \(FIFO\), not a regular file"):
        load_registry([tmp_path / "pack.json"])
