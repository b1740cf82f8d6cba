from __future__ import annotations

import csv
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamlint.usage.cloudtrail_import import import_cloudtrail
from iamlint.usage.errors import UsageInputError
from iamlint.usage.snapshot import dump_snapshot
from iamlint.usage.sql import RESULT_COLUMNS, aggregate_sql, core_sql, import_result_csv


def _without_engine(snapshot: dict) -> str:
    for source in snapshot["sources"]:
        source["engine"] = None
    return dump_snapshot(snapshot)


def test_every_engine_shares_the_same_core():
    core = core_sql()
    for engine in ("athena", "trino", "duckdb"):
        assert core in aggregate_sql(engine)


def test_athena_prunes_partitions_and_trino_filters_event_time():
    athena = aggregate_sql("athena", start="2025-01-01", end="2025-03-31")
    assert "\"timestamp\" >= '2025/01/01'" in athena
    assert "eventtime <= '2025-03-31T23:59:59Z'" in athena
    assert "FROM cloudtrail_logs_pp" in athena
    trino = aggregate_sql("trino", table="ct.logs", start="2025-01-01")
    assert '"timestamp"' not in trino and "FROM ct.logs" in trino


def test_core_avoids_engine_specific_syntax():
    core = core_sql()
    # Named groups differ between Java regex and RE2; ->> and UNNEST belong in adapters.
    assert "(?P<" not in core and "(?<" not in core
    assert "->>" not in core and "unnest" not in core.lower()
    # Resources by key + record's generalized resources + type + generalized + raw ARN, then
    # without the raw ARN.
    assert re.search(r"GROUP BY 1, 2, .*, 17\n", core)
    assert re.search(r"GROUP BY 1, 2, .*, 16\n\)", core)


def test_duckdb_gives_the_same_snapshot_as_the_streaming_importer(cloudtrail_dir):
    pytest.importorskip("duckdb")
    from iamlint.usage.sql import import_duckdb

    builder, problems = import_duckdb([str(cloudtrail_dir)])
    streaming = import_cloudtrail([str(cloudtrail_dir)], jobs=2, show_progress=False)
    assert problems == [] and streaming.problems == []
    assert _without_engine(builder.render()) == _without_engine(streaming.builder.render())


def test_duckdb_equivalence_on_generated_logs(tmp_path, generate_cloudtrail):
    """A few thousand synthetic records: many roles, errors, data events, dated names."""
    pytest.importorskip("duckdb")
    from iamlint.usage.sql import import_duckdb

    generate_cloudtrail(tmp_path, files=6, records_per_file=400, seed=7)
    builder, problems = import_duckdb([str(tmp_path)])
    streaming = import_cloudtrail([str(tmp_path)], jobs=2, show_progress=False)
    assert problems == []
    assert _without_engine(builder.render()) == _without_engine(streaming.builder.render())


def test_athena_csv_result_gives_the_same_usage(cloudtrail_dir, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    from iamlint.usage.cloudtrail_files import discover

    files = [str(p) for p in discover([str(cloudtrail_dir)]).files]
    rows = duckdb.connect().execute(aggregate_sql("duckdb", files=files)).fetchall()
    result = tmp_path / "results.csv"
    with result.open("w", newline="") as handle:
        # Athena writes every field quoted and NULL as an empty field.
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(RESULT_COLUMNS)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    from_csv = import_result_csv(str(result)).render()
    streaming = import_cloudtrail([str(cloudtrail_dir)], jobs=1, show_progress=False)
    assert _evidence(from_csv) == _evidence(streaming.builder.render())
    assert from_csv["sources"][0]["engine"] == "athena"


def _evidence(snapshot: dict) -> dict:
    """Principals and unmapped events, with the (content-derived) source id neutralised."""
    text = json.dumps({"p": snapshot["principals"], "u": snapshot["unmapped"]}, sort_keys=True)
    return json.loads(text.replace(snapshot["sources"][0]["id"], "SOURCE"))


def test_csv_with_wrong_columns_is_an_input_error(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("principal,action\nx,y\n")
    with pytest.raises(
        UsageInputError, match="expected the result of `iamlint usage sql`"
    ) as raised:
        import_result_csv(str(path))
    assert raised.value.line == 1


def test_csv_with_a_bad_count_names_the_line(tmp_path):
    path = tmp_path / "r.csv"
    row = [""] * len(RESULT_COLUMNS)
    row[0], row[RESULT_COLUMNS.index("events")] = "AwsApiCall", "many"
    row[RESULT_COLUMNS.index("raw_resource_count")] = "1"
    path.write_text(",".join(RESULT_COLUMNS) + "\n" + ",".join(row) + "\n")
    with pytest.raises(UsageInputError, match="integer") as raised:
        import_result_csv(str(path))
    assert raised.value.line == 2


def _object_reads(count: int) -> list[dict]:
    role = "arn:aws:iam::111122223333:role/reader"
    return [
        {
            "eventVersion": "1.10",
            "eventType": "AwsApiCall",
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "eventCategory": "Data",
            "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333",
            "eventTime": f"2025-03-01T00:{index // 60 % 60:02d}:{index % 60:02d}Z",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": f"arn:aws:sts::111122223333:assumed-role/reader/s{index % 7}",
                "sessionContext": {"sessionIssuer": {"arn": role}},
            },
            "resources": [
                {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::data"},
                {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::data/in/{index:05d}.csv"},
            ],
        }
        for index in range(count)
    ]


@pytest.mark.parametrize("objects", [150, 450])
def test_engine_results_stay_small_however_many_objects_were_read(tmp_path, objects):
    """One result row per key and generalized resources, not one per object; the distinct
    count (exact up to 200) and the samples still equal the streaming importer's."""
    duckdb = pytest.importorskip("duckdb")
    from iamlint.usage.cloudtrail_files import discover
    from iamlint.usage.sql import import_duckdb

    (tmp_path / "reads.json").write_text(json.dumps({"Records": _object_reads(objects)}))
    files = [str(p) for p in discover([str(tmp_path)]).files]
    rows = duckdb.connect().execute(aggregate_sql("duckdb", files=files)).fetchall()
    # A row per resource of the group (the bucket, the objects' prefix), not per object:
    # session names are cut from the key, object keys from the resources.
    assert len(rows) == 2
    builder, problems = import_duckdb([str(tmp_path)])
    streaming = import_cloudtrail([str(tmp_path)], jobs=1, show_progress=False)
    assert problems == []
    engine, local = builder.render(), streaming.builder.render()
    assert _without_engine(engine) == _without_engine(local)
    row = next(r for r in local["principals"][0]["usage"] if r["action"] == "s3:GetObject")
    assert row["resource"] == "arn:aws:s3:::data/*"
    assert row["distinct_resources"] == min(objects, 200)
    assert row["distinct_resources_exact"] is (objects <= 200)
    assert row["resource_samples"] == [f"arn:aws:s3:::data/in/{i:05d}.csv" for i in range(3)]


_ROLES = ("arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b")
_EVENTS = (
    ("s3.amazonaws.com", "GetObject"),
    ("s3.amazonaws.com", "ListObjectsV2"),
    ("dynamodb.amazonaws.com", "GetItem"),
    ("logs.amazonaws.com", "PutLogEvents"),
    ("ec2.amazonaws.com", "TerminateInstances"),
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("example.amazonaws.com", "DoThing"),
)
_RESOURCES = st.sampled_from(
    [
        ("AWS::S3::Bucket", "arn:aws:s3:::data"),
        ("AWS::S3::Object", "arn:aws:s3:::data/k1"),
        ("AWS::S3::Object", "arn:aws:s3:::data/k/2"),
        ("AWS::S3::Object", "arn:aws:s3:::other/k1"),
        ("AWS::DynamoDB::Table", "arn:aws:dynamodb:us-east-1:111122223333:table/t"),
        ("AWS::Logs::LogStream", "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s1"),
        ("AWS::EC2::Instance", "arn:aws:ec2:us-east-1:1:instance/i-0123456789abcdef0"),
        ("AWS::EC2::Instance", "arn:aws:ec2:us-east-1:1:instance/i-00000000"),
        ("", ""),
    ]
)


@st.composite
def _record(draw: st.DrawFn) -> dict:
    source, name = draw(st.sampled_from(_EVENTS))
    role = draw(st.sampled_from(_ROLES))
    record = {
        "eventType": draw(st.sampled_from(["AwsApiCall"] * 5 + ["AwsServiceEvent"])),
        "eventSource": source,
        "eventName": name,
        "eventCategory": draw(st.sampled_from(["Management", "Data"])),
        "awsRegion": draw(st.sampled_from(["us-east-1", "eu-west-1"])),
        "recipientAccountId": "111122223333",
        "eventTime": f"2025-03-0{draw(st.integers(1, 9))}T00:00:00Z",
        "userIdentity": {
            "arn": role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/s",
            "sessionContext": {"sessionIssuer": {"arn": role}},
        },
    }
    resources = draw(st.lists(_RESOURCES, max_size=3))
    if resources or draw(st.booleans()):
        record["resources"] = [{"type": t, "ARN": a} for t, a in resources]
    if draw(st.integers(0, 4)) == 0:
        record["errorCode"] = "AccessDenied"
        target = draw(st.sampled_from(["arn:aws:s3:::data/k9", "arn:aws:s3:::data"]))
        record["errorMessage"] = (
            f"User: {role} is not authorized to perform: s3:GetObject on resource: "
            f"{target} because no identity-based policy allows the s3:GetObject action"
        )
    return record


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_record(), min_size=1, max_size=40))
def test_duckdb_and_the_streaming_importer_agree_on_any_records(records):
    pytest.importorskip("duckdb")
    from iamlint.usage.sql import import_duckdb

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "records.json").write_text(json.dumps({"Records": records}))
        builder, problems = import_duckdb([folder])
        streaming = import_cloudtrail([folder], jobs=1, show_progress=False)
    assert problems == []
    assert _without_engine(builder.render()) == _without_engine(streaming.builder.render())


def test_duckdb_reads_fields_and_files_as_the_streaming_importer_does(tmp_path):
    """Numbers where strings belong are absent, and an empty file is a problem, in both."""
    pytest.importorskip("duckdb")
    from iamlint.usage.sql import import_duckdb

    (record,) = _object_reads(1)
    odd = [
        {**record, "awsRegion": 5},
        {**record, "eventTime": 12},
        {**record, "userIdentity": {"arn": 7, "invokedBy": "s3.amazonaws.com"}},
        {**record, "resources": [{"type": 3, "ARN": "arn:aws:s3:::data/k"}, {"ARN": 9}]},
    ]
    (tmp_path / "odd.json").write_text(json.dumps({"Records": odd}))
    (tmp_path / "empty.json").write_text("")
    builder, problems = import_duckdb([str(tmp_path)])
    streaming = import_cloudtrail([str(tmp_path)], jobs=1, show_progress=False)
    assert (
        [p.file for p in problems]
        == [p.file for p in streaming.problems]
        == [str(tmp_path / "empty.json")]
    )
    assert _without_engine(builder.render()) == _without_engine(streaming.builder.render())


def test_an_engine_result_gives_the_same_source_id_in_any_row_order(cloudtrail_dir, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    from iamlint.usage.cloudtrail_files import discover

    files = [str(p) for p in discover([str(cloudtrail_dir)]).files]
    rows = duckdb.connect().execute(aggregate_sql("duckdb", files=files)).fetchall()
    ids = []
    for name, ordered in (("a.csv", rows), ("b.csv", rows[::-1])):
        with open(tmp_path / name, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(RESULT_COLUMNS)
            writer.writerows(["" if v is None else v for v in row] for row in ordered)
        ids.append(import_result_csv(str(tmp_path / name)).render()["sources"][0]["id"])
    assert len(rows) > 1 and ids[0] == ids[1]


def test_records_naming_several_varying_resources_count_each_resource_exactly(tmp_path):
    """Two objects per record, one varying and one fixed, or both varying in opposite orders:
    each generalized resource gets its own distinct count and samples, as locally."""
    pytest.importorskip("duckdb")
    from iamlint.usage.sql import import_duckdb

    (template,) = _object_reads(1)
    records = []
    for index in range(250):
        varying = f"arn:aws:s3:::aaa/k{index:04d}"
        records.append({**template, "resources": [
            {"type": "AWS::S3::Object", "ARN": varying},
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::bbb/fixed"},
        ]})  # fmt: skip
        records.append({**template, "eventName": "PutObject", "resources": [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::ccc/k{index:04d}"},
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::ddd/z{999 - index:04d}"},
        ]})  # fmt: skip
    (tmp_path / "pairs.json").write_text(json.dumps({"Records": records}))
    builder, _ = import_duckdb([str(tmp_path)])
    streaming = import_cloudtrail([str(tmp_path)], jobs=1, show_progress=False)
    engine, local = builder.render(), streaming.builder.render()
    assert _without_engine(engine) == _without_engine(local)
    rows = {r["resource"]: r for r in local["principals"][0]["usage"]}
    assert rows["arn:aws:s3:::bbb/*"]["distinct_resources"] == 1
    assert rows["arn:aws:s3:::ddd/*"]["resource_samples"][0] == "arn:aws:s3:::ddd/z0750"


def test_denials_on_many_objects_stay_one_group(tmp_path):
    """The resource an AccessDenied message names is not part of the key: a role denied on
    300 objects is one group, in both importers, with the objects counted behind bucket/*."""
    duckdb = pytest.importorskip("duckdb")
    from iamlint.usage.cloudtrail_files import discover
    from iamlint.usage.sql import import_duckdb

    denied = []
    for record in _object_reads(300):
        target = record.pop("resources")[1]["ARN"]
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = (
            "User: arn:aws:sts::111122223333:assumed-role/reader/s is not authorized to "
            f'perform: s3:GetObject on resource: "{target}" because no identity-based '
            "policy allows the s3:GetObject action"
        )
        denied.append(record)
    (tmp_path / "denied.json").write_text(json.dumps({"Records": denied}))
    files = [str(p) for p in discover([str(tmp_path)]).files]
    assert len(duckdb.connect().execute(aggregate_sql("duckdb", files=files)).fetchall()) == 1
    builder, _ = import_duckdb([str(tmp_path)])
    streaming = import_cloudtrail([str(tmp_path)], jobs=1, show_progress=False)
    engine, local = builder.render(), streaming.builder.render()
    assert _without_engine(engine) == _without_engine(local)
    (row,) = local["principals"][0]["usage"]
    assert row["resource"] == "arn:aws:s3:::data/*" and row["outcome"] == "denied"
    assert row["distinct_resources"] == 200 and not row["distinct_resources_exact"]


@pytest.mark.parametrize("engine", ["athena", "trino"])
def test_the_engine_query_parses_as_trino(engine):
    """No Athena or Trino here: at least the query must be valid Trino syntax."""
    sqlglot = pytest.importorskip("sqlglot")
    sql = aggregate_sql(engine, start="2025-01-01", end="2025-03-31")
    parsed = sqlglot.parse_one(sql, read="trino")
    assert parsed.find(sqlglot.exp.Unnest) is not None


def test_any_character_in_a_resource_survives_the_engine_path(tmp_path):
    """S3 keys may hold any character: none may be taken for a separator on the way back."""
    pytest.importorskip("duckdb")
    from iamlint.usage.sql import import_duckdb

    (template,) = _object_reads(1)
    keys = ["a\x1eb", "c|d", "e\x1ff", 'g"h', "i\nj"]
    records = [
        {
            **template,
            "resources": [
                {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::data"},
                {"type": "AWS::S3::Object|x", "ARN": f"arn:aws:s3:::data/{key}"},
            ],
        }
        for key in keys
    ]
    (tmp_path / "odd.json").write_text(json.dumps({"Records": records}))
    builder, _ = import_duckdb([str(tmp_path)])
    streaming = import_cloudtrail([str(tmp_path)], jobs=1, show_progress=False)
    assert _without_engine(builder.render()) == _without_engine(streaming.builder.render())


def test_a_result_csv_with_a_broken_list_names_the_line(tmp_path):
    path = tmp_path / "r.csv"
    row = [""] * len(RESULT_COLUMNS)
    row[0], row[RESULT_COLUMNS.index("events")] = "AwsApiCall", "1"
    row[RESULT_COLUMNS.index("raw_resource_count")] = "1"
    row[RESULT_COLUMNS.index("resources")] = "type|arn"  # the old text form
    path.write_text(",".join(RESULT_COLUMNS) + "\n" + ",".join(row) + "\n")
    with pytest.raises(UsageInputError, match="expected JSON lists") as raised:
        import_result_csv(str(path))
    assert raised.value.line == 2
