from __future__ import annotations

import json

from iamlint.report.json_report import render_json


def test_documented_shape(result):
    data = json.loads(render_json(result))
    assert data["format_version"] == 1
    assert set(data) == {"format_version", "tool", "findings", "errors", "summary", "statistics"}
    finding = data["findings"][1]
    assert set(finding) == {
        "rule",
        "name",
        "severity",
        "certainty",
        "message",
        "location",
        "address",
        "statement",
        "subject",
        "fingerprint",
        "fix",
        "related",
        "extra",
    }
    assert finding["name"] == "service-wildcard"
    assert finding["certainty"] == "possible"
    assert finding["fix"]["edits"] == [
        {"file": "infra/main.tf", "start": 1300, "end": 1306, "replacement": '"s3:GetObject"'}
    ]
    assert data["errors"][0] == {
        "kind": "input",
        "file": "infra/broken.tf",
        "line": 5,
        "column": 3,
        "message": "expected an expression",
    }
    summary = data["summary"]
    assert summary["by_severity"] == {"critical": 1, "high": 0, "medium": 1, "low": 1, "info": 0}
    assert (summary["suppressed"], summary["baselined"], summary["exit_code"]) == (2, 1, 2)


def test_deterministic(result):
    assert render_json(result) == render_json(result)


def test_extra_data_that_json_cannot_hold(result):
    result.findings[0].extra = {"actions": {"s3:b", "s3:a"}, "path": object}
    data = json.loads(render_json(result))
    assert data["findings"][0]["extra"]["actions"] == ["s3:a", "s3:b"]
    assert isinstance(data["findings"][0]["extra"]["path"], str)
