from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "usage"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def cloudtrail_dir() -> Path:
    return FIXTURES / "cloudtrail"


@pytest.fixture(scope="session")
def generate_cloudtrail() -> Callable[..., Any]:
    """The benchmark's synthetic CloudTrail generator (bench/gen_cloudtrail.py)."""
    path = FIXTURES.parents[1] / "bench" / "gen_cloudtrail.py"
    spec = importlib.util.spec_from_file_location("gen_cloudtrail", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate  # type: ignore[no-any-return]
