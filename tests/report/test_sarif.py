from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from iamlint.report.sarif import render_sarif

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(SCHEMA)


def test_valid_against_the_official_schema(result, clean, validator):
    for case in (result, clean):
        log = json.loads(render_sarif(case))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
        assert errors == []


def test_rule_metadata_fingerprints_and_fixes(result):
    log = json.loads(render_sarif(result))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) == len(result.registry.rules)
    by_id = {r["id"]: r for r in rules}
    w203 = by_id["W203"]
    assert w203["name"] == "service-wildcard"
    assert w203["help"]["markdown"].startswith("**W203 service-wildcard**")
    assert w203["properties"]["security-severity"] == "5.5"
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["W201", "W203", "T406"]
    first = results[0]
    assert first["level"] == "error"
    assert rules[first["ruleIndex"]]["id"] == "W201"
    assert first["partialFingerprints"]["iamlint/v1"] == result.findings[0].fingerprint
    region = first["locations"][0]["physicalLocation"]["region"]
    assert region == {
        "startLine": 50,
        "startColumn": 12,
        "endLine": 50,
        "endColumn": 17,
        "charOffset": 900,
        "charLength": 5,
    }
    fix = results[1]["fixes"][0]
    replacement = fix["artifactChanges"][0]["replacements"][0]
    assert replacement == {
        "deletedRegion": {"charOffset": 1300, "charLength": 6},
        "insertedContent": {"text": '"s3:GetObject"'},
    }
    assert results[1]["properties"]["certainty"] == "possible"
    assert "fixes" not in first
    uri = results[2]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "infra/users%20dir/iam.tf", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///work/repo/"


def test_problems_are_notifications(result, clean):
    invocation = json.loads(render_sarif(result))["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert notes[0]["message"]["text"] == "expected an expression"
    assert json.loads(render_sarif(clean))["runs"][0]["invocations"][0]["executionSuccessful"]
