"""Naming files (as pre-commit does) only narrows what is reported: the families skip work
whose findings would land elsewhere, and that must never change a finding in the files named."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamlint.checks.context import Config
from iamlint.checks.finding import Finding
from iamlint.checks.runner import CheckOptions, run_check

ROOT = Path(__file__).resolve().parents[2]
ORG = Config(
    required_boundary="arn:aws:iam::*:policy/workload-boundary",
    approved_regions=["eu-west-1", "eu-central-1"],
    admin_role_pattern="arn:aws:iam::*:role/platform-admin",
)
FOLDERS = [
    ROOT / "fixtures" / "demo",
    *sorted(p for p in (ROOT / "fixtures" / "checks").iterdir() if p.is_dir()),
]


def _seen(findings: list[Finding]) -> list[tuple[object, ...]]:
    return [(f.rule, f.location, f.message, f.fingerprint, f.related) for f in findings]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
@pytest.mark.parametrize("config", [Config(), ORG], ids=["defaults", "org"])
def test_each_file_alone_reports_what_the_whole_folder_reports_there(
    folder: Path, config: Config
) -> None:
    whole = run_check(CheckOptions(paths=[folder], config=config, cwd=ROOT)).findings
    # A file loads its own folder: a module's files, named alone, are a module read on its own.
    for path in sorted(folder.glob("*.tf")):
        alone = run_check(CheckOptions(paths=[path], config=config, cwd=ROOT)).findings
        here = str(path.relative_to(ROOT))
        assert _seen(alone) == _seen([f for f in whole if f.location.file == here]), here
