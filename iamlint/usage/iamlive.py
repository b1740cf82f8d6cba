"""iamlive's policy output: the actions an SDK session needed (no counts, no timestamps).

iamlive sees client-side calls, so unlike CloudTrail it includes permission-only actions such
as ``iam:PassRole``. It cannot know which principal will run the code: the user names it.
"""

from __future__ import annotations

import json

from iamlint.usage.builder import SnapshotBuilder
from iamlint.usage.errors import UsageInputError
from iamlint.usage.evidence_files import expect, granularity_of, policy_grants, read_json
from iamlint.usage.source_ids import source_id_for


def import_iamlive(path: str, builder: SnapshotBuilder, principal: str | None) -> None:
    data = read_json(path)
    if not principal:
        raise UsageInputError(
            path, "iamlive output does not name a principal: pass --principal ARN"
        )
    expect(isinstance(data, dict) and "Statement" in data, path, "$", "an iamlive policy document")
    source_id = source_id_for("iamlive", [principal, json.dumps(data, sort_keys=True)])
    builder.principal(principal)
    for action, resource in policy_grants(data, path, "$"):
        builder.observe(
            principal,
            action,
            resource,
            source_id,
            granularity=granularity_of(action),
            mapping="native",
        )
    builder.add_source(
        {
            "id": source_id,
            "kind": "iamlive",
            "locator": path,
            "engine": None,
            "window": {"start": None, "end": None},
            "granularity": "action",
            "coverage": {},
            "problems": [],
        }
    )
