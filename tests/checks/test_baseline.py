from __future__ import annotations

import json

import pytest

from iamlint.checks.baseline import BaselineError, read_baseline, render_baseline
from iamlint.checks.finding import Finding, Severity
from iamlint.model import Location


def finding(subject: str, line: int = 1) -> Finding:
    loc = Location("main.tf", line * 10, line * 10 + 3, line, 3, line, 6)
    return Finding("W203", Severity.MEDIUM, "m", loc, "aws_iam_policy.p", "#0", subject)


def test_round_trip_ignores_positions_and_counts_duplicates(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(render_baseline([finding("s3:*"), finding("kms:*")]))
    baseline = read_baseline(path)
    new, known = baseline.split([finding("s3:*", line=40), finding("s3:*", 41), finding("ec2:*")])
    assert [f.subject for f in known] == ["s3:*"]
    assert [f.subject for f in new] == ["s3:*", "ec2:*"]


def test_file_is_sorted_and_has_no_timestamps():
    text = render_baseline([finding("s3:*"), finding("kms:*")])
    data = json.loads(text)
    assert [e["subject"] for e in data["findings"]] == ["kms:*", "s3:*"]
    assert set(data) == {"format_version", "tool", "findings"}
    assert text == render_baseline([finding("kms:*"), finding("s3:*")])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "invalid JSON"),
        ('{"format_version": 9}', "not an iamlint baseline"),
        ('{"format_version": 1, "findings": [{}]}', "fingerprint"),
    ],
)
def test_bad_baseline(tmp_path, text, message):
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(BaselineError, match=message):
        read_baseline(path)
