"""A tiny rule family that exists only in the tests, to drive the framework (runner,
suppressions, baseline, commands) without depending on the real rules.

X101 flags every Allow action that is ``*`` or ends in ``:*``; X102 flags every trust policy.
Its catalog entries come from a rule pack the tests write, so rule packs are exercised too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from iamlint.checks.context import CheckContext
from iamlint.checks.finding import Finding

PACK = {
    "format_version": 1,
    "family": "testfam",
    "rules": [
        {
            "id": "X101",
            "name": "test-wildcard-action",
            "severity": "medium",
            "title": "Test rule: wildcard action",
            "rationale": "Only for the framework tests: flags an Allow of '*' or 'svc:*'.",
            "example": {"bad": 'actions = ["s3:*"]', "good": 'actions = ["s3:GetObject"]'},
            "fix": "Name the actions instead of a wildcard.",
        },
        {
            "id": "X102",
            "name": "test-trust-policy",
            "severity": "low",
            "title": "Test rule: any trust policy",
            "rationale": "Only for the framework tests: flags every trust policy it sees.",
            "example": {"bad": "assume_role_policy = ...", "good": "(none)"},
            "fix": "Nothing to fix; this is a test rule.",
        },
    ],
}


def write_pack(folder: Path) -> Path:
    path = folder / "testfam.json"
    path.write_text(json.dumps(PACK))
    return path


def run(ctx: CheckContext) -> Iterator[Finding]:
    for record in ctx.project.records:
        if record.kind == "trust":
            yield Finding(
                rule="X102",
                severity=ctx.severity("X102"),
                message="a trust policy",
                location=record.location,
                address=record.address,
            )
            continue
        document = record.document
        if not isinstance(document, dict):
            continue
        for s_index, statement in enumerate(document.get("Statement", [])):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            resources = statement.get("Resource", [])
            for a_index, action in enumerate(statement.get("Action", [])):
                if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                    pointer = f"/Statement/{s_index}/Action/{a_index}"
                    yield Finding(
                        rule="X101",
                        severity=ctx.severity("X101"),
                        message=f"{action} on {resources}",
                        location=record.spans.get(pointer, record.location),
                        address=record.address,
                        statement=str(statement.get("Sid") or f"#{s_index}"),
                        subject=action,
                    )
