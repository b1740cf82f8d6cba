from __future__ import annotations

import datetime as dt

from iamlint.checks.finding import Finding, Severity
from iamlint.checks.suppressions import apply_suppressions, parse_suppressions
from iamlint.model import Location

TF = """\
data "aws_iam_policy_document" "d" {
  # iamlint:ignore[W203,W204] the bucket is a scratch area until=2027-03-01
  statement {
    actions   = ["s3:*"]
    resources = ["*"] // iamlint:ignore[W205]
  }

  statement {
    actions = ["kms:*"]
    description = "not # iamlint:ignore[W203] a comment, a string"
  }
}
"""


def finding(rule: str, line: int, file: str = "main.tf") -> Finding:
    return Finding(rule, Severity.MEDIUM, "m", Location(file, 0, 1, line, 1, line, 2))


def apply(findings, sups, today=dt.date(2027, 1, 1), known=("W2", "P3", "S9")):
    return apply_suppressions(
        findings,
        sups,
        known_rule=lambda s: any(s.startswith(k) or k.startswith(s) for k in known),
        checked_rule=lambda s: True,
        severity=lambda r: Severity.LOW,
        today=today,
    )


def test_parse_block_and_line_scopes():
    sups = parse_suppressions("main.tf", TF)
    assert len(sups) == 2  # the one inside a string is not a comment
    block, line = sups
    assert block.rules == ("W203", "W204")
    assert block.reason == "the bucket is a scratch area"
    assert block.until == dt.date(2027, 3, 1)
    assert (block.first_line, block.last_line) == (3, 6)  # the statement block below
    assert (block.location.line, block.location.column) == (2, 5)
    assert line.rules == ("W205",)
    assert line.reason == ""
    assert (line.first_line, line.last_line) == (5, 5)


def test_suppresses_inside_its_scope_only():
    sups = parse_suppressions("main.tf", TF)
    result = apply([finding("W203", 4), finding("W203", 9), finding("W205", 5)], sups)
    assert [f.location.line for f in result.suppressed] == [4, 5]
    assert [f.location.line for f in result.kept] == [9]
    # the reasonless one is reported, W204 suppressed nothing
    assert sorted((f.rule, f.subject) for f in result.problems) == [
        ("S901", "W205"),
        ("S903", "W204"),
    ]


def test_other_file_is_not_suppressed():
    sups = parse_suppressions("main.tf", TF)
    result = apply([finding("W203", 4, file="other.tf")], sups)
    assert len(result.kept) == 1


def test_expired_does_not_apply():
    sups = parse_suppressions("main.tf", TF)
    result = apply([finding("W203", 4)], sups, today=dt.date(2027, 3, 2))
    assert len(result.kept) == 1
    assert "S902" in {f.rule for f in result.problems}


def test_invalid_id_and_date():
    text = (
        "# iamlint:ignore[W2O3] typo\nlocals {}\n"
        "# iamlint:ignore[W203] until=31/01/2027 bad date\nlocals {}\n"
    )
    sups = parse_suppressions("main.tf", text)
    result = apply([finding("W203", 4)], sups)
    messages = [f.message for f in result.problems if f.rule == "S904"]
    assert any("'W2O3', which is no rule" in m for m in messages)
    assert any("until=31/01/2027" in m for m in messages)
    assert len(result.kept) == 1  # a bad date does not suppress


def test_prefix_selector():
    sups = parse_suppressions("main.tf", "# iamlint:ignore[P3] reviewed\nlocals {\n}\n")
    result = apply([finding("P305", 3)], sups)
    assert result.suppressed and not result.problems


def test_trailing_comment_on_block_opener_covers_the_block():
    text = 'resource "aws_iam_user_policy" "u" { # iamlint:ignore[T407] legacy\n  user = "x"\n}\n'
    (sup,) = parse_suppressions("main.tf", text)
    assert (sup.first_line, sup.last_line) == (1, 3)


def test_heredoc_and_templates_do_not_confuse_the_scanner():
    text = (
        'resource "aws_iam_policy" "p" {\n'
        "  policy = <<EOF\n"
        '{"Statement": [{"Resource": "arn:aws:s3:::b/${var.x}/#notacomment"}]}\n'
        "EOF\n"
        '  name = "${var.prefix}-{x}"\n'
        "}\n"
        "# iamlint:ignore[W203] after the heredoc\n"
        "locals {\n"
        "}\n"
    )
    (sup,) = parse_suppressions("main.tf", text)
    assert (sup.first_line, sup.last_line) == (8, 9)


def test_json_comment_key_covers_its_object():
    text = (
        '{\n  "resource": {\n    "aws_iam_policy": {\n      "p": {\n'
        '        "//": "iamlint:ignore[W201] break-glass role, owned by secops",\n'
        '        "policy": "{}"\n      }\n    }\n  },\n  "locals": {}\n}\n'
    )
    (sup,) = parse_suppressions("main.tf.json", text)
    assert sup.rules == ("W201",)
    assert sup.reason == "break-glass role, owned by secops"
    assert (sup.first_line, sup.last_line) == (4, 7)


def test_no_marker_is_cheap():
    assert parse_suppressions("main.tf", "locals {}\n" * 1000) == []


def test_comment_above_a_heredoc_covers_it():
    text = (
        'resource "aws_iam_policy" "p" {\n'
        "  # iamlint:ignore[W201] break-glass\n"
        "  policy = <<-EOF\n"
        '    {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}\n'
        "  EOF\n"
        "}\n"
    )
    (sup,) = parse_suppressions("main.tf", text)
    assert (sup.first_line, sup.last_line) == (3, 5)
