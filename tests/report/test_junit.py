from __future__ import annotations

import xml.etree.ElementTree as ET

from iamlint.report.junit import render_junit


def test_suites_per_file_and_errors(result):
    root = ET.fromstring(render_junit(result))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "3", "2")
    suites = {s.get("name"): s for s in root}
    assert set(suites) == {"infra/main.tf", "infra/users dir/iam.tf", "iamlint errors"}
    failures = suites["infra/main.tf"].findall("testcase/failure")
    assert [f.get("type") for f in failures] == ["critical", "low"]
    assert "second line" in failures[1].get("message")
    assert suites["iamlint errors"].find("testcase/error").get("type") == "input"


def test_clean_run_has_one_passing_case(clean):
    root = ET.fromstring(render_junit(clean))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")
