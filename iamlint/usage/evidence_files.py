"""Shared helpers for the JSON evidence importers (Access Analyzer, last-accessed, iamlive)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iamlint.usage.catalog import canonical_action
from iamlint.usage.errors import UsageInputError


def read_json(path: str | Path) -> Any:
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageInputError(file, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageInputError(file, "expected UTF-8 JSON") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageInputError(
            file, f"expected JSON: {exc.msg} (column {exc.colno})", exc.lineno
        ) from None


def expect(condition: bool, file: str, where: str, expected: str) -> None:
    if not condition:
        raise UsageInputError(file, f"at {where}: expected {expected}")


def normalize_timestamp(value: Any, file: str, where: str) -> str | None:
    """AWS CLI timestamps (``…Z``, ``…+00:00``, fractional seconds) → ``YYYY-MM-DDTHH:MM:SSZ``."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise UsageInputError(file, f"at {where}: expected an ISO-8601 timestamp, got {value!r}")


def normalize_action(action: str) -> str:
    """``S3:getobject`` → ``s3:GetObject`` when the catalog knows it; wildcards keep their case."""
    prefix, _, name = action.partition(":")
    prefix = prefix.strip().lower()
    name = name.strip()
    if "*" not in name:
        known = canonical_action(prefix, name)
        if known is not None:
            return known
    return f"{prefix}:{name}"


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def policy_grants(document: Any, file: str, where: str) -> Iterator[tuple[str, str]]:
    """(action, resource) pairs of the Allow statements of a policy document."""
    expect(isinstance(document, dict), file, where, "a policy document (a JSON object)")
    statements = as_list(document.get("Statement"))
    for index, statement in enumerate(statements):
        here = f"{where}.Statement[{index}]"
        expect(isinstance(statement, dict), file, here, "a statement object")
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = as_list(statement.get("Action"))
        resources = as_list(statement.get("Resource")) or ["*"]
        for action in actions:
            expect(
                isinstance(action, str) and ":" in action, file, f"{here}.Action", "service:Action"
            )
            for resource in resources:
                expect(isinstance(resource, str), file, f"{here}.Resource", "a string ARN")
                yield normalize_action(action), resource


def granularity_of(action: str) -> str:
    return "service" if action.endswith(":*") else "action"
