from __future__ import annotations

import json

import pytest

from iamlint.usage.cloudtrail_import import import_cloudtrail
from iamlint.usage.errors import UsageInputError
from iamlint.usage.snapshot import dump_snapshot, empty_snapshot, load_snapshot, snapshot_schema


def test_schema_ships_in_the_package_and_is_draft_2020_12():
    assert snapshot_schema()["$schema"].endswith("2020-12/schema")


def test_round_trip_is_byte_identical(cloudtrail_dir, tmp_path):
    snapshot = import_cloudtrail(
        [str(cloudtrail_dir)], jobs=1, show_progress=False
    ).builder.render()
    path = tmp_path / "s.json"
    path.write_text(dump_snapshot(snapshot))
    assert dump_snapshot(load_snapshot(path)) == path.read_text()


def test_invalid_snapshot_error_names_the_json_path(cloudtrail_dir, tmp_path):
    snapshot = import_cloudtrail(
        [str(cloudtrail_dir)], jobs=1, show_progress=False
    ).builder.render()
    snapshot["principals"][0]["usage"][0]["outcome"] = "maybe"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(snapshot))
    with pytest.raises(UsageInputError) as raised:
        load_snapshot(path)
    assert "$.principals[0].usage[0].outcome" in str(raised.value)
    assert str(path) in str(raised.value)


def test_malformed_json_names_the_line(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{\n  "schema": "iamlint.usage/v1",\n  oops\n}')
    with pytest.raises(UsageInputError) as raised:
        load_snapshot(path)
    assert raised.value.line == 3


def test_wrong_schema_id_is_rejected(tmp_path):
    data = empty_snapshot()
    data["schema"] = "usage-snapshot/v0"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageInputError, match=r"\$\.schema"):
        load_snapshot(path)
