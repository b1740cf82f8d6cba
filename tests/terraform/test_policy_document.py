"""data "aws_iam_policy_document": statements, principals, conditions, dynamic, merging."""

from __future__ import annotations

from tf_helpers import load, record, source_text

from iamlint.model import Unknown


def test_merge_order_and_sid_semantics():
    doc = record(load("documents"), "aws_iam_policy.full").document
    statements = doc["Statement"]
    sids = [s.get("Sid") if isinstance(s, dict) else None for s in statements]
    # source statements first; the override replaces "Replaced" in place; own statements after.
    assert sids[:3] == ["Shared", "Replaced", "Read"]
    assert statements[1]["Action"] == ["s3:GetObjectTagging"]
    assert doc["Version"] == "2012-10-17"


def test_statement_elements_and_defaults():
    statements = record(load("documents"), "aws_iam_policy.full").document["Statement"]
    read = statements[2]
    assert read["Effect"] == "Allow"  # the data source's default
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert read["Resource"] == ["arn:aws:s3:::acme-${aws:username}/*"]  # &{} is an IAM variable
    deny = statements[3]
    assert deny == {
        "Effect": "Deny",
        "NotAction": ["iam:*"],
        "NotResource": ["arn:aws:iam::*:role/admin"],
    }


def test_principals_of_one_type_merge():
    read = record(load("documents"), "aws_iam_policy.full").document["Statement"][2]
    assert read["Principal"] == {
        "AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"]
    }


def test_condition_blocks_merge_and_escapes_unescape():
    condition = record(load("documents"), "aws_iam_policy.full").document["Statement"][2][
        "Condition"
    ]
    assert condition["StringEquals"] == {"aws:SourceVpc": ["vpc-1", "vpc-2"]}
    assert condition["StringLike"] == {"s3:prefix": ["${aws:username}/*", "%{literal}"]}


def test_dynamic_statement_over_literal_expands_and_over_unknown_stays_unknown():
    rec = record(load("documents"), "aws_iam_policy.full")
    statements = rec.document["Statement"]
    puts = [s for s in statements if isinstance(s, dict) and s.get("Action") == ["s3:PutObject"]]
    assert [p["Resource"] for p in puts] == [["arn:aws:s3:::logs/*"], ["arn:aws:s3:::data/*"]]
    assert isinstance(statements[-1], Unknown)
    assert statements[-1].text == "var.extra_statements"
    assert any(u.text == "var.extra_statements" for u in rec.unknowns)


def test_spans_point_at_the_source_of_each_value():
    rec = record(load("documents"), "aws_iam_policy.full")
    assert source_text(rec.spans["/Statement/2/Action"]).startswith('[\n      "s3:GetObject"')
    assert source_text(rec.spans["/Statement/2/Action/1"]) == '"s3:GetObjectVersion"'
    assert source_text(rec.spans["/Statement/1/Action"]) == '["s3:GetObjectTagging"]'
    assert source_text(rec.spans["/Statement/0"]).startswith("statement {")
    assert (
        source_text(rec.spans["/Statement/2/Resource/0"]) == '"arn:aws:s3:::acme-&{aws:username}/*"'
    )
    assert rec.origins[0] == "data.aws_iam_policy_document.full"
