from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamlint.usage.cloudtrail_import import import_cloudtrail
from iamlint.usage.evidence import find_principal
from iamlint.usage.snapshot import dump_snapshot

ETL = "arn:aws:iam::111122223333:role/app-etl"
DEPLOYER = "arn:aws:iam::111122223333:role/deployer"


def _snapshot(paths, jobs=1):
    result = import_cloudtrail([str(p) for p in paths], jobs=jobs, show_progress=False)
    return result.builder.render(), result.problems


def _row(snapshot, principal, action):
    rows = [r for r in find_principal(snapshot, principal)["usage"] if r["action"] == action]
    assert len(rows) == 1, rows
    return rows[0]


def test_fixture_import_maps_folds_and_generalizes(cloudtrail_dir):
    snapshot, problems = _snapshot([cloudtrail_dir])
    assert problems == []
    etl = find_principal(snapshot, ETL)
    assert etl["aliases"] == ["arn:aws:sts::111122223333:assumed-role/app-etl/*"]
    get = _row(snapshot, ETL, "s3:GetObject")
    # GetObject, HeadObject and CopyObject's source read, on two days in two regions
    assert get["counts"] == {"allowed": 4, "denied": 0, "error": 0}
    assert get["resource"] == "arn:aws:s3:::example-data-bucket/*"
    assert get["distinct_resources"] == 4
    assert len(get["resource_samples"]) == 3
    assert get["regions"] == ["eu-west-1", "us-east-1"]
    assert get["first_seen"] == "2025-03-01T00:01:10Z"
    assert get["last_seen"] == "2025-03-20T10:00:00Z"
    # the bucket listed in a GetObject event is not a resource of s3:GetObject
    assert "arn:aws:s3:::example-data-bucket" not in get["resource_samples"]
    listing = _row(snapshot, ETL, "s3:ListBucket")
    assert listing["events"] == ["s3.amazonaws.com:ListObjectsV2"]
    assert listing["resource"] == "arn:aws:s3:::example-data-bucket"


def test_access_denied_is_attributed_with_its_policy_type(cloudtrail_dir):
    snapshot, _ = _snapshot([cloudtrail_dir])
    put = _row(snapshot, ETL, "s3:PutObject")
    assert put["outcome"] == "mixed"
    assert put["denials"] == [
        {
            "count": 1,
            "encoded_only": False,
            "kind": "implicit",
            "policy_arn": None,
            "policy_type": "identity",
            "via": None,
        }
    ]
    # no resources[] on the failed call: the resource comes from the message
    assert "arn:aws:s3:::example-data-bucket/output/part-0000.parquet" in put["resource_samples"]
    run = _row(snapshot, DEPLOYER, "ec2:RunInstances")
    assert run["outcome"] == "denied"
    assert run["denials"][0]["policy_type"] == "scp"
    secret = _row(snapshot, DEPLOYER, "secretsmanager:GetSecretValue")
    assert secret["denials"][0]["kind"] == "explicit"
    assert secret["denials"][0]["policy_arn"] == "arn:aws:iam::111122223333:policy/DenyProdSecrets"
    boundary = _row(snapshot, DEPLOYER, "iam:CreateRole")
    assert boundary["denials"][0]["policy_type"] == "boundary"


def test_non_authorization_errors_still_count_as_use(cloudtrail_dir):
    snapshot, _ = _snapshot([cloudtrail_dir])
    describe = _row(snapshot, ETL, "dynamodb:DescribeTable")
    assert describe["counts"] == {"allowed": 0, "denied": 0, "error": 1}
    assert describe["outcome"] == "allowed"


def test_lambda_dated_names_monitoring_and_apigateway(cloudtrail_dir):
    snapshot, _ = _snapshot([cloudtrail_dir])
    actions = {r["action"] for r in find_principal(snapshot, DEPLOYER)["usage"]}
    assert {
        "lambda:UpdateFunctionConfiguration",
        "lambda:UpdateFunctionCode",
        "cloudwatch:PutMetricData",
        "apigateway:GET",
    } <= actions


def test_unmapped_events_are_listed_and_service_events_skipped(cloudtrail_dir):
    snapshot, _ = _snapshot([cloudtrail_dir])
    assert [(u["event_source"], u["event_name"], u["count"]) for u in snapshot["unmapped"]] == [
        ("example-preview.amazonaws.com", "ListWidgets", 1)
    ]
    coverage = snapshot["sources"][0]["coverage"]
    assert coverage["records_read"] == 20
    assert coverage["records_skipped"] == {
        "eventType=AwsConsoleSignIn": 1,
        "eventType=AwsServiceEvent": 1,
        "permissionless call": 1,
    }
    assert coverage["data_event_services"] == ["s3"]
    assert coverage["files_read"] == 2
    assert snapshot["window"] == {"start": "2025-03-01T00:01:05Z", "end": "2025-03-20T10:06:00Z"}


def test_parallel_and_serial_imports_are_byte_identical(cloudtrail_dir):
    serial, _ = _snapshot([cloudtrail_dir], jobs=1)
    parallel, _ = _snapshot([cloudtrail_dir], jobs=2)
    assert dump_snapshot(serial) == dump_snapshot(parallel)


def test_bad_files_are_reported_and_the_rest_imported(cloudtrail_dir, fixtures, tmp_path):
    digest = (
        tmp_path / "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20250301T0000Z.json"
    )
    digest.write_text(json.dumps({"awsAccountId": "111122223333", "logFiles": []}))
    bad_gzip = tmp_path / "bad.json.gz"
    bad_gzip.write_bytes(b"\x1f\x8bnot really gzip")
    snapshot, problems = _snapshot(
        [cloudtrail_dir, fixtures / "broken", digest, bad_gzip, tmp_path / "missing"], jobs=2
    )
    messages = sorted(str(p) for p in problems)
    assert any("truncated.json:3: expected CloudTrail JSON" in m for m in messages)
    assert any("not-cloudtrail.json:1: expected a CloudTrail log file" in m for m in messages)
    assert any("digest file" in m for m in messages)
    assert any("bad.json.gz: expected a gzip-compressed CloudTrail log" in m for m in messages)
    assert any("missing: no such file or directory" in m for m in messages)
    assert find_principal(snapshot, ETL) is not None
    assert len(snapshot["sources"][0]["problems"]) == 5


def test_the_same_delivered_file_twice_is_counted_once(cloudtrail_dir, tmp_path):
    once, _ = _snapshot([cloudtrail_dir])
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in cloudtrail_dir.rglob("*.json*"):
        (copy / path.name).write_bytes(path.read_bytes())
    twice, _ = _snapshot([cloudtrail_dir, copy])
    assert once["principals"] == twice["principals"]
    assert twice["sources"][0]["coverage"]["records_skipped"]["duplicate files"] == 2


def _records(cloudtrail_dir: Path) -> list[dict]:
    records = []
    for path in sorted(cloudtrail_dir.rglob("*.json*")):
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        records += json.loads(raw)["Records"]
    return records


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10**6), parts=st.integers(1, 5))
def test_snapshot_does_not_depend_on_how_records_are_split_into_files(
    cloudtrail_dir, tmp_path_factory, seed, parts
):
    records = _records(cloudtrail_dir)
    rnd = random.Random(seed)
    rnd.shuffle(records)
    out = tmp_path_factory.mktemp("split")
    for index in range(parts):
        chunk = records[index::parts]
        (out / f"part{index}.json").write_text(json.dumps({"Records": chunk}))
    split, _ = _snapshot([out])
    whole, _ = _snapshot([cloudtrail_dir])
    # Source ids hash the file contents, which differ by construction; everything else must not.
    assert _without_source_ids(split) == _without_source_ids(whole)


def _without_source_ids(snapshot: dict) -> dict:
    text = json.dumps({"p": snapshot["principals"], "u": snapshot["unmapped"]}, sort_keys=True)
    return json.loads(text.replace(snapshot["sources"][0]["id"], "SOURCE"))
