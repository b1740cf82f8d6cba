"""The rule catalog must ship in the installed package, not only in a source checkout."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_and_the_rule_catalog_are_installed():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(setuptools["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "iamlint").rglob("__init__.py")
    }
    missing = on_disk - packages
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"
    assert setuptools["package-dir"]["iamlint.rules_data"] == "rules"
    assert "*.json" in setuptools["package-data"]["iamlint.rules_data"]
    assert sorted(p.name for p in (ROOT / "rules").glob("*.json"))


def test_pre_commit_hook_manifest():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: iamlint" in text
    assert "entry: iamlint check" in text
    assert r"files: \.(tf|tf\.json)$" in text
    assert "language: python" in text
