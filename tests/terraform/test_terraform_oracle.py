"""iamlint renders what Terraform renders: a differential test against `terraform plan`.

Terraform and a filesystem mirror of the AWS provider run offline here (see
`terraform_oracle.py`). Every hand-written case (the README's forms, the idioms of real modules)
must read exactly as Terraform plans it, and every value iamlint calls unknown must be one
Terraform cannot know before apply either.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from oracle_cases import CASES
from terraform_oracle import Mismatch, Oracle, compare, plan, unavailable

from iamlint.terraform import functions
from iamlint.terraform.project import load_project

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=f"{unavailable()}")

# Idioms iamlint does not evaluate yet; each must start to pass (strict) once it does.
KNOWN_GAPS = {
    "coalescelist_formatlist_flatten": "coalescelist() and formatlist() are not evaluated",
    "merge_setunion_zipmap": "setunion() is not evaluated",
    "optional_attributes": "optional() defaults of object-typed variables are not applied",
    "optional_in_map_of_objects": "optional() defaults of object-typed variables are not applied",
    "slice_replace_coalesce": "slice() is not evaluated",
    "string_functions": "title() and substr() differ from Terraform",
    "tolist_toset": "a set's order is not Terraform's (sorted)",
    "try_null": "try(x, null) is unknown instead of null",
}


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Oracle, Path]:
    workdir = tmp_path_factory.mktemp("terraform-oracle")
    oracle = plan(CASES, workdir)
    return oracle, max(workdir.glob("root*"))


@pytest.fixture(scope="module")
def mismatches(planned: tuple[Oracle, Path]) -> dict[str, list[Mismatch]]:
    oracle, root = planned
    project = load_project([root], cwd=root)
    assert not project.errors, [str(e) for e in project.errors]
    return compare(oracle, project.records)


def test_terraform_accepts_every_hand_written_case(planned):
    oracle, _root = planned
    assert not oracle.rejected, sorted(oracle.rejected)
    assert len({key[0].split(".")[1] for key in oracle.policies}) == len(CASES)


@pytest.mark.parametrize("case", [c.name for c in CASES])
def test_iamlint_reads_what_terraform_plans(case, mismatches):
    if case in KNOWN_GAPS:
        pytest.xfail(KNOWN_GAPS[case])
    problems = mismatches.get(case, [])
    assert not problems, "\n".join(str(p) for p in problems)


def test_known_gaps_are_still_gaps(mismatches):
    # A gap that closed must leave KNOWN_GAPS, so the list never hides a regression.
    closed = sorted(case for case in KNOWN_GAPS if not mismatches.get(case))
    assert not closed, f"now read as Terraform does; remove from KNOWN_GAPS: {closed}"


def test_the_comparison_sees_a_changed_rendering(planned, monkeypatch):
    """A real comparison: iamlint evaluating `concat()` wrongly must be caught."""
    oracle, root = planned
    monkeypatch.setitem(functions.FUNCTIONS, "concat", lambda first, *_rest: first)
    found = compare(oracle, load_project([root], cwd=root).records)
    problems = found.get("locals_and_functions", [])
    assert [p.problem for p in problems] == ["documents differ"]
