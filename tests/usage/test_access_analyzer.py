from __future__ import annotations

import json

import pytest

from iamlint.usage.access_analyzer import (
    import_generated_policy,
    import_recommendation,
    import_unused_findings,
)
from iamlint.usage.builder import SnapshotBuilder
from iamlint.usage.errors import UsageInputError
from iamlint.usage.evidence import find_principal

ETL = "arn:aws:iam::111122223333:role/app-etl"
DEPLOYER = "arn:aws:iam::111122223333:role/deployer"


def test_generated_policy_becomes_action_rows_without_counts(fixtures):
    builder = SnapshotBuilder()
    import_generated_policy(str(fixtures / "access-analyzer/get-generated-policy.json"), builder)
    snapshot = builder.render()
    rows = {(r["action"], r["resource"]): r for r in find_principal(snapshot, ETL)["usage"]}
    assert ("s3:ListBucket", "arn:aws:s3:::${BucketName}") in rows
    row = rows[("kms:Decrypt", "arn:aws:s3:::${BucketName}")]
    assert row["counts"] is None and row["outcome"] == "attempted"
    assert row["mapping"] == ["native"]
    # service-level template rows are marked as such, never read as action-level
    assert rows[("sqs:*", "*")]["granularity"] == "service"
    source = snapshot["sources"][0]
    assert source["kind"] == "access_analyzer.generated_policy"
    assert source["window"] == {"start": "2025-01-01T00:00:00Z", "end": "2025-03-31T23:59:59Z"}
    assert source["coverage"]["complete"] is False
    assert source["coverage"]["data_event_services"] == []
    assert source["granularity"] == "mixed"


def test_generated_policy_job_not_finished_is_an_input_error(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"jobDetails": {"status": "IN_PROGRESS"}}))
    with pytest.raises(UsageInputError, match=r"jobDetails\.status: expected SUCCEEDED"):
        import_generated_policy(str(path), SnapshotBuilder())


def test_generated_policy_with_a_broken_policy_string_names_the_path(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(
        json.dumps(
            {
                "generatedPolicyResult": {
                    "properties": {"principalArn": ETL},
                    "generatedPolicies": [{"policy": "{nope"}],
                }
            }
        )
    )
    with pytest.raises(UsageInputError, match=r"generatedPolicies\[0\]\.policy"):
        import_generated_policy(str(path), SnapshotBuilder())


def test_unused_findings_list_and_details(fixtures):
    builder = SnapshotBuilder()
    problems = import_unused_findings(
        str(fixtures / "access-analyzer/list-findings-v2.json"), builder
    )
    problems += import_unused_findings(
        str(fixtures / "access-analyzer/get-finding-v2.json"), builder
    )
    snapshot = builder.render()
    legacy = find_principal(snapshot, "arn:aws:iam::111122223333:role/legacy-batch")
    assert [u["scope"] for u in legacy["unused"]] == ["role"]
    deployer = find_principal(snapshot, DEPLOYER)
    unused = {(u["scope"], u["name"]): u["last_accessed"] for u in deployer["unused"]}
    assert unused == {
        ("action", "ec2:CreateSnapshot"): "2024-10-15T12:00:00Z",
        ("action", "ec2:TerminateInstances"): None,
        ("service", "sns"): "2024-09-01T08:30:00Z",
    }
    # the archived finding for alice is not a claim any more
    assert find_principal(snapshot, "arn:aws:iam::111122223333:user/alice") is None
    # the list shows an UnusedPermission finding without details: said, not dropped silently
    assert len(problems) == 1 and "get-finding-v2" in problems[0].message


def test_recommendation_is_passed_through_with_the_policy_parsed(fixtures):
    builder = SnapshotBuilder()
    import_recommendation(
        str(fixtures / "access-analyzer/get-finding-recommendation.json"), builder, None
    )
    recs = find_principal(builder.render(), DEPLOYER)["recommendations"]
    steps = sorted((r["step"], r["existing_policy"]) for r in recs)
    assert steps == [
        ("CREATE_POLICY", "arn:aws:iam::111122223333:policy/deployer-ec2"),
        ("DETACH_POLICY", "arn:aws:iam::aws:policy/AmazonSNSFullAccess"),
    ]
    create = next(r for r in recs if r["step"] == "CREATE_POLICY")
    assert create["recommended_policy"]["Statement"][0]["Action"] == [
        "ec2:DescribeInstances",
        "ec2:RunInstances",
    ]
    # recommendations are not usage
    assert find_principal(builder.render(), DEPLOYER)["usage"] == []
