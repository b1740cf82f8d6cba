from __future__ import annotations

from iamlint.model import Unknown
from iamlint.policy.document import Effect, PolicyKind, parse_policy


def test_parses_normalized_document() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Read",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject"],
                    "Resource": ["arn:aws:s3:::b/*"],
                    "Condition": {"StringEquals": {"aws:SourceVpc": ["vpc-1"]}},
                }
            ],
        },
        name="p",
    )
    (statement,) = policy.statements
    assert statement.effect is Effect.ALLOW and statement.label == "statement 0 (Read)"
    assert statement.actions == ("s3:GetObject",)
    (clause,) = statement.conditions  # type: ignore[misc]
    assert (clause.operator, clause.key, clause.values) == (
        "StringEquals",
        "aws:SourceVpc",
        ("vpc-1",),
    )
    assert policy.fully_known and not policy.problems


def test_tolerates_unnormalized_shapes() -> None:
    policy = parse_policy(
        {
            "Statement": {
                "Effect": "Deny",
                "NotAction": "iam:*",
                "NotResource": "arn:aws:s3:::b",
                "Principal": "*",
                "Condition": {"Bool": {"aws:SecureTransport": False}},
            }
        }
    )
    (statement,) = policy.statements
    assert statement.not_action and statement.actions == ("iam:*",)
    assert statement.not_resource and statement.resources == ("arn:aws:s3:::b",)
    assert statement.principal is not None and statement.principal.everyone  # type: ignore[union-attr]
    assert statement.conditions[0].values == ("false",)  # type: ignore[index]
    assert policy.version is None and not policy.variables_enabled


def test_keeps_unknowns_where_they_stand() -> None:
    unknown_list = Unknown("var.actions")
    unknown_item = Unknown("aws_s3_bucket.b.arn", parts=(None, "/*"))
    unknown_statement = Unknown("dynamic statement")
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": Unknown("var.effect"),
                    "Action": unknown_list,
                    "Resource": [unknown_item],
                },
                unknown_statement,
            ],
        }
    )
    (statement,) = policy.statements
    assert statement.actions is unknown_list and statement.resources == (unknown_item,)
    assert isinstance(statement.effect, Unknown)
    assert policy.unknown_statements == (unknown_statement,)
    assert {u.text for u in statement.unknowns()} == {
        "var.effect",
        "var.actions",
        "aws_s3_bucket.b.arn",
    }
    assert not policy.fully_known
    whole = parse_policy(Unknown("var.policy"), kind=PolicyKind.SCP)
    assert whole.unknown_statements and whole.kind is PolicyKind.SCP


def test_records_problems_instead_of_raising() -> None:
    policy = parse_policy({"Statement": [{"Effect": "Alow", "Resource": "*"}, 42]})
    assert any("Effect" in p for p in policy.problems)
    assert any("no Action" in p for p in policy.problems)
    assert any("not an object" in p for p in policy.problems)
    assert parse_policy("not a policy").problems
