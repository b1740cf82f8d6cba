from __future__ import annotations

import json

import pytest

from iamlint.usage.builder import SnapshotBuilder
from iamlint.usage.errors import UsageInputError
from iamlint.usage.evidence import find_principal
from iamlint.usage.last_accessed import import_last_accessed

ETL = "arn:aws:iam::111122223333:role/app-etl"


def _import(path, principal=ETL):
    builder = SnapshotBuilder()
    problems = import_last_accessed(str(path), builder, principal)
    return builder.render(), problems


def test_action_level_report(fixtures):
    snapshot, problems = _import(fixtures / "last-accessed/action-level.json")
    assert problems == []
    rows = {(r["action"], r["granularity"]): r for r in find_principal(snapshot, ETL)["usage"]}
    assert set(rows) == {
        ("s3:ListAllMyBuckets", "action"),
        ("s3:*", "service"),
        ("kms:*", "service"),
    }
    assert rows[("s3:ListAllMyBuckets", "action")]["last_seen"] == "2025-03-30T18:22:00Z"
    # Access Advisor counts attempts, denied ones included
    assert rows[("kms:*", "service")]["outcome"] == "attempted"
    assert rows[("kms:*", "service")]["counts"] is None
    unused = {(u["scope"], u["name"]) for u in find_principal(snapshot, ETL)["unused"]}
    assert unused == {("action", "s3:PutBucketPolicy"), ("service", "dynamodb")}
    coverage = snapshot["sources"][0]["coverage"]
    assert coverage["action_level_services"] == ["s3"]
    assert coverage["service_level_only_services"] == ["dynamodb", "kms"]
    assert snapshot["sources"][0]["window"] == {"start": None, "end": "2025-04-01T10:00:04Z"}


def test_service_level_report_gives_only_service_rows(fixtures):
    snapshot, _ = _import(
        fixtures / "last-accessed/service-level.json", "arn:aws:iam::111122223333:role/deployer"
    )
    principal = find_principal(snapshot, "arn:aws:iam::111122223333:role/deployer")
    assert {(r["action"], r["granularity"]) for r in principal["usage"]} == {("ec2:*", "service")}
    assert snapshot["sources"][0]["granularity"] == "service"


def test_principal_is_required(fixtures):
    with pytest.raises(UsageInputError, match="--principal"):
        _import(fixtures / "last-accessed/action-level.json", None)


def test_unfinished_job_and_truncation(tmp_path):
    path = tmp_path / "la.json"
    path.write_text(json.dumps({"JobStatus": "IN_PROGRESS"}))
    with pytest.raises(UsageInputError, match="expected COMPLETED"):
        _import(path)
    path.write_text(
        json.dumps({"JobStatus": "COMPLETED", "ServicesLastAccessed": [], "IsTruncated": True})
    )
    _, problems = _import(path)
    assert "truncated" in problems[0].message


def test_bad_timestamp_names_the_json_path(tmp_path):
    path = tmp_path / "la.json"
    path.write_text(
        json.dumps(
            {
                "JobStatus": "COMPLETED",
                "ServicesLastAccessed": [
                    {"ServiceNamespace": "s3", "LastAuthenticated": "yesterday"}
                ],
            }
        )
    )
    with pytest.raises(UsageInputError, match=r"ServicesLastAccessed\[0\]\.LastAuthenticated"):
        _import(path)
