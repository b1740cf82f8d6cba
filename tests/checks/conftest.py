"""Shared fixtures for the checks tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from iamlint.checks import registry
from iamlint.checks.context import Config

# The suite runs with --import-mode=importlib, which puts no test folder on sys.path: this makes
# the plain helper modules beside this file (framework_family, usage_helpers) importable by
# name, once, for every test module of the folder.
sys.path.insert(0, str(Path(__file__).parent))

import framework_family  # beside this file: needs the path above


@pytest.fixture
def testfam(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """Only the test family is registered; returns its module (PACK, run, write_pack)."""
    monkeypatch.setattr(registry, "FAMILY_MODULES", {"testfam": framework_family.run})
    return framework_family


@pytest.fixture
def testfam_config(testfam, tmp_path_factory: pytest.TempPathFactory) -> Config:
    pack = testfam.write_pack(tmp_path_factory.mktemp("pack"))
    return Config(rule_packs=[str(pack)], select=["X"])
