"""Shared fixtures for the checks tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from iamlint.checks import registry
from iamlint.checks.context import Config


def _framework_family():
    # Loaded by path: the tests run with --import-mode=importlib and are not a package.
    name = "iamlint_tests_framework_family"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("framework_family.py")
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def testfam(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """Only the test family is registered; returns its module (PACK, run, write_pack)."""
    module = _framework_family()
    monkeypatch.setattr(registry, "FAMILY_MODULES", {"testfam": module.run})
    return module


@pytest.fixture
def testfam_config(testfam, tmp_path_factory: pytest.TempPathFactory) -> Config:
    pack = testfam.write_pack(tmp_path_factory.mktemp("pack"))
    return Config(rule_packs=[str(pack)], select=["X"])
