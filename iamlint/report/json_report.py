"""`iamlint check --format json`: one object, stable and documented in docs/check-output.md.

Keys are only ever added within a `format_version`; renaming or removing one bumps it.
"""

from __future__ import annotations

import json
from typing import Any

from iamlint import __version__
from iamlint.checks.finding import Finding
from iamlint.checks.result import CheckResult

FORMAT_VERSION = 1


def finding_json(finding: Finding, result: CheckResult) -> dict[str, Any]:
    rule = result.registry.rules.get(finding.rule)
    fix = finding.fix
    return {
        "rule": finding.rule,
        "name": rule.name if rule else None,
        "severity": str(finding.severity),
        "certainty": finding.certainty.value,
        "message": finding.message,
        "location": finding.location.to_json(),
        "address": finding.address,
        "statement": finding.statement,
        "subject": finding.subject,
        "fingerprint": finding.fingerprint,
        "fix": None
        if fix is None
        else {
            "description": fix.description,
            "applicability": fix.applicability.value,
            "edits": [
                {"file": e.file, "start": e.start, "end": e.end, "replacement": e.replacement}
                for e in fix.edits
            ],
        },
        "related": [loc.to_json() for loc in finding.related],
        "extra": finding.extra,
    }


def check_json(result: CheckResult) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "tool": {"name": "iamlint", "version": __version__},
        "findings": [finding_json(f, result) for f in result.findings],
        "errors": [p.to_json() for p in result.problems],
        "summary": {
            "findings": len(result.findings),
            "by_severity": result.by_severity(),
            "failing": len(result.failing),
            "fail_on": str(result.fail_on),
            "suppressed": result.suppressed,
            "baselined": result.baselined,
            "files": result.files,
            "policies": result.policies,
            "exit_code": result.exit_code,
        },
        "statistics": [
            {"rule": rule, "name": name, "count": count, "fixable": fixable}
            for rule, name, count, fixable in result.statistics()
        ],
    }


def _plain(value: Any) -> Any:
    """Rule-specific `extra` data that JSON cannot hold as is: sets sorted, the rest as text."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    return str(value)


def render_json(result: CheckResult) -> str:
    return json.dumps(check_json(result), indent=2, ensure_ascii=False, default=_plain) + "\n"
