"""Proven patches as `Fix`es on the usage findings, so SARIF and JSON reports carry them.

U601/U602 get the action stage's narrowing of their statement (safe: proven not to widen);
U606 gets the `--grant-denied` line (unsafe: a labelled widening).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iamlint.checks.finding import Applicability, Fix
from iamlint.fix.engine import fix
from iamlint.fix.planner import ACTION, StatementPlan

NARROWED_BY = ("U601", "U602")
GRANTED_BY = ("U606",)


def _statement_id(record: Any, index: int) -> str:
    statement = record.document["Statement"][index]
    sid = statement.get("Sid") if isinstance(statement, dict) else None
    return sid if isinstance(sid, str) and sid else f"#{index}"


def _proven(result: Any) -> dict[tuple[str, str], StatementPlan]:
    """Proven plans by (policy, statement); a plan removing several statements is under each."""
    return {
        (plan.record.address, _statement_id(plan.record, index)): plan
        for report in result.reports
        for plan in report.plans
        if plan.edits
        for index in (plan.deletes or (plan.index,))
    }


def attach_fixes(
    findings: list[Any],
    paths: list[Path],
    var_files: list[Path],
    snapshot: Any,
    config: Any = None,
) -> None:
    """``config`` joins evidence to principals exactly as the check that made the findings."""
    from iamlint.policy.catalog import default_catalog

    catalog = default_catalog()
    roots = paths or [Path(".")]
    narrowing = _proven(fix(roots, snapshot, ACTION, catalog, config=config, var_files=var_files))
    granting = _proven(fix(roots, snapshot, "grant", catalog, config=config,
                           var_files=var_files, grant_denied=True))  # fmt: skip
    for finding in findings:
        key = (finding.address, finding.statement)
        if finding.rule in NARROWED_BY and key in narrowing:
            plan = narrowing[key]
            finding.fix = Fix(
                "remove the statement: nothing it allows was used"
                if plan.deletes
                else f"list exactly the actions used: {', '.join(plan.after)}",
                tuple(plan.edits),
                Applicability.SAFE,
            )
        elif finding.rule in GRANTED_BY and key in granting:
            plan = granting[key]
            granted = ", ".join(sorted({a for a, _ in plan.grants}))
            finding.fix = Fix(
                f"grant {granted} (widens the policy, for the observed AccessDenied)",
                tuple(plan.edits),
                Applicability.UNSAFE,
            )
