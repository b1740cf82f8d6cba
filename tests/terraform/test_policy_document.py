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


def test_dynamic_conditions_and_principals_expand_or_stay_unknown(tmp_path):
    from iamlint.terraform.project import load_project

    (tmp_path / "main.tf").write_text(
        'variable "extra" {}\n'
        'locals {\n  subs = { sub = ["repo:acme/app:*"], aud = ["sts.amazonaws.com"] }\n}\n'
        'data "aws_iam_policy_document" "known" {\n  statement {\n'
        '    actions = ["sts:AssumeRoleWithWebIdentity"]\n'
        '    dynamic "principals" {\n      for_each = ["arn:aws:iam::1:oidc-provider/x"]\n'
        '      content {\n        type = "Federated"\n        identifiers = [principals.value]\n'
        "      }\n    }\n"
        '    dynamic "condition" {\n      for_each = local.subs\n      iterator = c\n'
        '      content {\n        test = "StringLike"\n'
        '        variable = "token.actions.githubusercontent.com:${c.key}"\n'
        "        values = c.value\n      }\n    }\n  }\n}\n"
        'data "aws_iam_policy_document" "unknown" {\n  statement {\n    actions = ["s3:*"]\n'
        '    resources = ["*"]\n'
        '    dynamic "condition" {\n      for_each = var.extra\n'
        "      content {\n        test = condition.value.test\n"
        "        variable = condition.value.variable\n        values = condition.value.values\n"
        "      }\n    }\n  }\n}\n"
    )
    project = load_project([tmp_path], cwd=tmp_path)
    known = record(project, "data.aws_iam_policy_document.known").document["Statement"][0]
    assert known["Principal"] == {"Federated": ["arn:aws:iam::1:oidc-provider/x"]}
    assert known["Condition"] == {
        "StringLike": {
            "token.actions.githubusercontent.com:sub": ["repo:acme/app:*"],
            "token.actions.githubusercontent.com:aud": ["sts.amazonaws.com"],
        }
    }
    unknown = record(project, "data.aws_iam_policy_document.unknown").document["Statement"][0]
    assert isinstance(unknown["Condition"], Unknown)  # never silently unconditional
    assert unknown["Condition"].text == "var.extra"


def test_dynamic_inline_policies(tmp_path):
    from iamlint.terraform.project import load_project

    (tmp_path / "main.tf").write_text(
        'variable "more" {}\n'
        'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = "{}"\n'
        '  dynamic "inline_policy" {\n    for_each = { a = "s3:GetObject" }\n'
        "    content {\n      name = inline_policy.key\n"
        '      policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",'
        ' Action = inline_policy.value, Resource = "*" }] })\n    }\n  }\n'
        '  dynamic "inline_policy" {\n    for_each = var.more\n'
        "    content {\n      name = inline_policy.key\n      policy = inline_policy.value\n"
        "    }\n  }\n}\n"
    )
    project = load_project([tmp_path], cwd=tmp_path)
    inline = [
        r for r in project.records if r.resource_type == "aws_iam_role" and r.kind == "identity"
    ]
    documents = [r.document for r in inline]
    assert {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]} in [
        d["Statement"][0] for d in documents if isinstance(d, dict)
    ]
    assert any(isinstance(d, Unknown) and d.text == "var.more" for d in documents)
    (role,) = project.principals
    assert sorted(role.identity_policies) == [
        "aws_iam_role.r.inline_policy",
        "aws_iam_role.r.inline_policy[*]",
    ]
