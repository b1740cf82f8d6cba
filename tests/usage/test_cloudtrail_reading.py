"""The fast paths of the CloudTrail importer give what the plain ones would."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamlint.usage import cloudtrail_events, cloudtrail_import, resources
from iamlint.usage.cloudtrail_import import WorkerFailed, import_cloudtrail
from iamlint.usage.cloudtrail_records import NotTyped, decode_typed, record_from_object
from iamlint.usage.evidence import find_principal
from iamlint.usage.snapshot import dump_snapshot, snapshot_chunks


@pytest.fixture(scope="module")
def generated(tmp_path_factory, generate_cloudtrail) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate_cloudtrail(out, files=4, records_per_file=300, seed=11)
    return out


def _dump(paths, jobs=1) -> str:
    result = import_cloudtrail([str(p) for p in paths], jobs=jobs, show_progress=False)
    assert result.problems == []
    return dump_snapshot(result.builder.render())


def test_typed_decode_gives_the_records_the_tolerant_path_gives(generated, cloudtrail_dir):
    files = [*generated.rglob("*.json.gz"), *cloudtrail_dir.rglob("*.json*")]
    assert files
    for path in files:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        typed = decode_typed(raw)
        tolerant = [record_from_object(r) for r in json.loads(raw)["Records"]]
        assert typed == tolerant, path


def test_misshapen_records_are_read_as_absent_parts_not_as_a_bad_file(tmp_path):
    good = {
        "eventType": "AwsApiCall",
        "eventSource": "sqs.amazonaws.com",
        "eventName": "SendMessage",
        "eventTime": "2025-03-01T00:00:00Z",
        "userIdentity": {"arn": "arn:aws:iam::111122223333:user/alice"},
    }
    records = [
        good,
        None,  # not an object
        {**good, "userIdentity": "alice"},  # identity not an object: no principal
        {**good, "resources": {"ARN": "x"}},  # resources not a list: none
        {**good, "eventSource": 7},  # mistyped scalar: absent
    ]
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"Records": records}))
    with pytest.raises(NotTyped):
        decode_typed(path.read_bytes())
    result = import_cloudtrail([str(path)], jobs=1, show_progress=False)
    assert result.problems == []
    snapshot = result.builder.render()
    coverage = snapshot["sources"][0]["coverage"]
    assert coverage["records_read"] == 5
    assert coverage["records_skipped"] == {
        "eventType=missing": 1,
        "missing eventSource/eventName": 1,
        "no principal": 1,
    }
    alice = find_principal(snapshot, "arn:aws:iam::111122223333:user/alice")
    assert [(r["action"], r["counts"]["allowed"]) for r in alice["usage"]] == [
        ("sqs:SendMessage", 2)
    ]


def test_retiring_event_plans_changes_nothing(generated, monkeypatch):
    whole = _dump([generated])
    monkeypatch.setattr(cloudtrail_events, "PLAN_LIMIT", 3)
    assert _dump([generated]) == whole


def test_parent_and_workers_give_the_serial_bytes(generated):
    assert _dump([generated], jobs=3) == _dump([generated], jobs=1)


def test_a_failing_worker_fails_the_import_with_its_traceback(generated, monkeypatch):
    parent = os.getpid()
    read = cloudtrail_import.LogReader.read

    def read_or_fail(self, path):
        if os.getpid() != parent:
            raise ValueError("worker broke")
        return read(self, path)

    monkeypatch.setattr(cloudtrail_import.LogReader, "read", read_or_fail)
    with pytest.raises(WorkerFailed, match="worker broke") as raised:
        import_cloudtrail([str(generated)], jobs=2, show_progress=False)
    assert "\n" not in str(raised.value)  # one line for the user
    assert "Traceback" in raised.value.details  # the worker's own, for IAMLINT_DEBUG


def test_a_dead_worker_is_noticed(generated, monkeypatch):
    parent = os.getpid()
    read = cloudtrail_import.LogReader.read

    def read_or_die(self, path):
        if os.getpid() != parent:
            os._exit(9)
        return read(self, path)

    monkeypatch.setattr(cloudtrail_import.LogReader, "read", read_or_die)
    with pytest.raises(WorkerFailed, match="died"):
        import_cloudtrail([str(generated)], jobs=2, show_progress=False)


def test_distinct_values_drop_their_set_past_the_limit():
    values = resources.DistinctValues()
    for index in range(resources.DISTINCT_LIMIT + 1):
        values.add(f"arn:aws:s3:::bucket/{index:05d}")
    assert values.values is None and not values.is_exact()
    assert values.count() == resources.DISTINCT_LIMIT
    values.add("arn:aws:s3:::bucket/")  # smaller than every sample
    assert values.samples() == [
        "arn:aws:s3:::bucket/",
        "arn:aws:s3:::bucket/00000",
        "arn:aws:s3:::bucket/00001",
    ]


_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=8)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**9), 10**9) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_text, _json, max_size=5), st.lists(_json, max_size=4))
def test_snapshot_text_is_json_dumps_canonical_form(top, principals):
    snapshot = {**top, "principals": principals}
    expected = json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert dump_snapshot(snapshot) == expected
    lazy = b"".join(snapshot_chunks({**top, "principals": iter(principals)})).decode()
    assert lazy == expected


def test_distinct_values_marked_past_the_limit_early_still_collect_samples():
    values = resources.DistinctValues()
    values.add("arn:aws:s3:::b/2")
    values.saturate()  # another part of the input had more than the limit
    for key in ("5", "1", "3", "2"):
        values.add(f"arn:aws:s3:::b/{key}")
    assert values.count() == resources.DISTINCT_LIMIT and not values.is_exact()
    assert values.samples() == ["arn:aws:s3:::b/1", "arn:aws:s3:::b/2", "arn:aws:s3:::b/3"]


def test_a_file_nested_too_deeply_is_a_problem_of_its_own(generated, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"Records": [' + "[" * 100_000 + "]" * 100_000 + "]}")
    result = import_cloudtrail([str(generated), str(deep)], jobs=1, show_progress=False)
    (problem,) = result.problems
    assert "nested too deeply" in problem.message
    assert result.builder.principals  # the other files were read


def test_a_reported_problem_does_not_keep_the_failed_file_alive(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"Records": [{"eventName": "x"} oops')
    (problem,) = import_cloudtrail([str(bad)], jobs=1, show_progress=False).problems
    assert problem.__traceback__ is None and problem.__context__ is None


def test_a_lone_surrogate_becomes_a_replacement_character_not_a_crash(tmp_path):
    record = {
        "eventType": "AwsApiCall",
        "eventSource": "sqs.amazonaws.com",
        "eventName": "SendMessage",
        "userIdentity": {"arn": "arn:aws:iam::111122223333:user/alice"},
        "resources": [{"type": "AWS::SQS::Queue", "ARN": "arn:aws:sqs:us-east-1:1:q\ud800"}],
    }
    (tmp_path / "odd.json").write_text(json.dumps({"Records": [record]}))  # "\ud800" escaped
    result = import_cloudtrail([str(tmp_path)], jobs=1, show_progress=False)
    text = dump_snapshot(result.builder.render())
    assert "arn:aws:sqs:us-east-1:1:q\ufffd" in text


def test_an_integer_too_long_to_convert_is_a_problem_of_its_own(tmp_path):
    odd = tmp_path / "odd.json"
    odd.write_text('{"Records": [{"eventName": "A", "eventSource": 5, "x": ' + "9" * 5000 + "}]}")
    (problem,) = import_cloudtrail([str(odd)], jobs=1, show_progress=False).problems
    assert "expected CloudTrail JSON" in problem.message
