"""`iamlint check --format sarif`: SARIF 2.1.0 for GitHub code scanning and other viewers.

Rule metadata and help come from the rule catalog; `partialFingerprints` carry
`Finding.fingerprint` so that code scanning tracks a finding across reformatting; a finding
with a `Fix` carries it as SARIF `fixes`. Input and internal errors become tool execution
notifications, and mark the run unsuccessful.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from iamlint import __version__
from iamlint.checks.finding import Certainty, Finding, Severity
from iamlint.checks.registry import Rule
from iamlint.checks.result import CheckResult
from iamlint.model import Location

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT = "%SRCROOT%"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads `security-severity` (0-10) to rank security alerts.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _uri(file: str) -> tuple[str, str | None]:
    """(uri, uriBaseId): relative paths are relative to the source root."""
    path = Path(file)
    if path.is_absolute():
        return path.as_uri(), None
    return quote(path.as_posix()), ROOT


def _artifact(file: str) -> dict[str, Any]:
    uri, base = _uri(file)
    return {"uri": uri, "uriBaseId": base} if base else {"uri": uri}


def _region(loc: Location) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(loc.line, 1), "startColumn": max(loc.column, 1)}
    if loc.end_line >= loc.line:
        region["endLine"] = loc.end_line
        if loc.end_line > loc.line or loc.end_column > loc.column:
            region["endColumn"] = loc.end_column
    if loc.end >= loc.start >= 0:
        region["charOffset"] = loc.start
        region["charLength"] = loc.end - loc.start
    return region


def _physical(loc: Location) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": _artifact(loc.file), "region": _region(loc)}}


def _help(rule: Rule) -> dict[str, str]:
    refs = "".join(
        f"\n- [{r.title}]({r.url})" if r.url else f"\n- {r.title}" for r in rule.references
    )
    markdown = (
        f"**{rule.id} {rule.name}**: {rule.title}\n\n{rule.rationale}\n\n"
        f"Instead of:\n\n```hcl\n{rule.example_bad}\n```\n\nwrite:\n\n"
        f"```hcl\n{rule.example_good}\n```\n\n**Fix:** {rule.fix}"
        + (f"\n\n**References**{refs}" if refs else "")
    )
    text = f"{rule.title}\n\n{rule.rationale}\n\nFix: {rule.fix}"
    return {"text": text, "markdown": markdown}


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": _help(rule),
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": ["security", "iam", rule.family],
            "security-severity": _SECURITY_SEVERITY[rule.severity],
            "precision": "high",
        },
    }


def _fixes(finding: Finding) -> list[dict[str, Any]]:
    if finding.fix is None:
        return []
    by_file: dict[str, list[dict[str, Any]]] = {}
    for edit in finding.fix.edits:
        by_file.setdefault(edit.file, []).append(
            {
                "deletedRegion": {"charOffset": edit.start, "charLength": edit.end - edit.start},
                "insertedContent": {"text": edit.replacement},
            }
        )
    return [
        {
            "description": {"text": finding.fix.description},
            "artifactChanges": [
                {"artifactLocation": _artifact(file), "replacements": replacements}
                for file, replacements in sorted(by_file.items())
            ],
        }
    ]


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [_physical(finding.location)],
        "partialFingerprints": {"iamlint/v1": finding.fingerprint},
        "properties": {
            "severity": str(finding.severity),
            "certainty": finding.certainty.value,
            "address": finding.address,
            "statement": finding.statement,
            "subject": finding.subject,
        },
    }
    if finding.rule in index:
        out["ruleIndex"] = index[finding.rule]
    if finding.certainty is Certainty.POSSIBLE:
        out["rank"] = 50.0  # SARIF's scale: less sure than a definite finding
    if finding.related:
        out["relatedLocations"] = [
            {"id": i, **_physical(loc)} for i, loc in enumerate(finding.related, start=1)
        ]
    fixes = _fixes(finding)
    if fixes:
        out["fixes"] = fixes
    return out


def sarif_log(result: CheckResult) -> dict[str, Any]:
    rules = list(result.registry.rules.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    notifications = []
    for problem in result.problems:
        note: dict[str, Any] = {
            "level": "error",
            "message": {"text": problem.message},
            "descriptor": {"id": f"iamlint/{problem.kind}-error"},
        }
        if problem.file:
            loc = Location(problem.file, -1, -1, problem.line, problem.column, problem.line, 0)
            note["locations"] = [_physical(loc)]
        notifications.append(note)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "iamlint",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(rule) for rule in rules],
            }
        },
        "invocations": [
            {
                "executionSuccessful": not result.problems,
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": [_result(f, index) for f in result.findings],
        "columnKind": "unicodeCodePoints",
    }
    if result.root:
        run["originalUriBaseIds"] = {ROOT: {"uri": Path(result.root).as_uri() + "/"}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(result: CheckResult) -> str:
    return json.dumps(sarif_log(result), indent=2, ensure_ascii=False) + "\n"
