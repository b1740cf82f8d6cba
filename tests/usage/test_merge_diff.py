from __future__ import annotations

import copy

import pytest

from iamlint.usage.builder import SnapshotBuilder
from iamlint.usage.cloudtrail_import import import_cloudtrail
from iamlint.usage.diff import diff_snapshots
from iamlint.usage.errors import UsageInputError
from iamlint.usage.evidence import find_principal
from iamlint.usage.iamlive import import_iamlive
from iamlint.usage.last_accessed import import_last_accessed
from iamlint.usage.merge import merge_snapshots
from iamlint.usage.snapshot import dump_snapshot

ETL = "arn:aws:iam::111122223333:role/app-etl"


@pytest.fixture
def cloudtrail(cloudtrail_dir):
    return import_cloudtrail([str(cloudtrail_dir)], jobs=1, show_progress=False).builder.render()


@pytest.fixture
def last_accessed(fixtures):
    builder = SnapshotBuilder()
    import_last_accessed(str(fixtures / "last-accessed/action-level.json"), builder, ETL)
    return builder.render()


def test_merge_keeps_provenance_and_is_order_independent(cloudtrail, last_accessed):
    ab = merge_snapshots([("a", cloudtrail), ("b", last_accessed)])
    ba = merge_snapshots([("b", last_accessed), ("a", cloudtrail)])
    assert dump_snapshot(ab) == dump_snapshot(ba)
    assert len(ab["sources"]) == 2
    rows = {(r["action"], r["granularity"]) for r in find_principal(ab, ETL)["usage"]}
    assert ("s3:GetObject", "action") in rows and ("s3:*", "service") in rows
    assert ab["window"]["end"] == "2025-04-01T10:00:04Z"


def test_merging_a_snapshot_alone_is_the_identity(cloudtrail):
    assert dump_snapshot(merge_snapshots([("a", cloudtrail)])) == dump_snapshot(cloudtrail)


def test_merging_the_same_evidence_twice_is_refused(cloudtrail):
    with pytest.raises(UsageInputError, match="double"):
        merge_snapshots([("a", cloudtrail), ("b", copy.deepcopy(cloudtrail))])


def test_merged_rows_add_counts_and_lose_exactness_honestly(cloudtrail, fixtures):
    builder = SnapshotBuilder()
    import_iamlive(str(fixtures / "iamlive/policy-proxy.json"), builder, ETL)
    merged = merge_snapshots([("ct", cloudtrail), ("live", builder.render())])
    get = next(
        r
        for r in find_principal(merged, ETL)["usage"]
        if r["action"] == "s3:GetObject" and r["resource"] == "arn:aws:s3:::example-data-bucket/*"
    )
    assert get["counts"]["allowed"] == 4
    assert len(get["sources"]) == 2
    # 4 distinct keys known from CloudTrail, only 3 samples kept: the union is a lower bound
    assert get["distinct_resources"] == 4
    assert get["distinct_resources_exact"] is False


def test_diff_reports_new_and_dropped_actions_resources_and_outcomes(cloudtrail):
    new = copy.deepcopy(cloudtrail)
    etl = find_principal(new, ETL)
    etl["usage"] = [r for r in etl["usage"] if r["action"] != "kms:Decrypt"]
    for row in etl["usage"]:
        if row["action"] == "s3:ListBucket":
            row["resource"] = "arn:aws:s3:::other-bucket"
        if row["action"] == "dynamodb:DescribeTable":
            row["outcome"] = "denied"
    new["principals"].append({**copy.deepcopy(etl), "arn": "arn:aws:iam::111122223333:role/new"})
    result = diff_snapshots(cloudtrail, new)
    assert result.new_principals == ["arn:aws:iam::111122223333:role/new"]
    assert result.removed_actions == [(ETL, "kms:Decrypt")]
    assert result.new_resources == [(ETL, "s3:ListBucket", "arn:aws:s3:::other-bucket")]
    assert result.removed_resources == [(ETL, "s3:ListBucket", "arn:aws:s3:::example-data-bucket")]
    assert result.outcome_changes == [(ETL, "dynamodb:DescribeTable", "allowed", "denied")]
    text = result.to_text()
    assert f"- {ETL} no longer uses kms:Decrypt" in text
    assert diff_snapshots(new, cloudtrail).new_actions == [(ETL, "kms:Decrypt")]


def test_diff_ignores_counts_and_timestamps(cloudtrail):
    new = copy.deepcopy(cloudtrail)
    for principal in new["principals"]:
        for row in principal["usage"]:
            row["last_seen"] = "2030-01-01T00:00:00Z"
            if row["counts"]:
                row["counts"]["allowed"] += 10
    assert diff_snapshots(cloudtrail, new).is_empty()
