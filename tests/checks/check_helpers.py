"""What several checks tests do alike: run one rule family over a fixture, run git in a
throwaway repository (importable through conftest.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import ModuleType

from iamlint.checks.context import CheckContext, Config
from iamlint.checks.finding import Finding
from iamlint.checks.registry import builtin_registry
from iamlint.policy.catalog import default_catalog
from iamlint.terraform.project import load_project

ROOT = Path(__file__).resolve().parents[2]


def family_findings(
    family: ModuleType, path: Path, config: Config | None = None, *, severities: bool = False
) -> list[Finding]:
    """The family's findings over the fixture at ``path``, which must read without errors.
    ``severities``: the catalog's (else every rule is medium, as with no rule catalog)."""
    project = load_project([path], cwd=ROOT)
    assert not project.errors, project.errors
    levels = builtin_registry().severities() if severities else {}
    return list(family.run(CheckContext(project, config or Config(), default_catalog(), levels)))


def git(cwd: Path, *args: str) -> None:
    """git in a throwaway repository, with an identity so that commits work anywhere."""
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )
