from __future__ import annotations

import pytest

from iamlint.policy.patterns import action_matches, glob_could_match, resource_matches


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "S3:getobject", True),  # action names are case-insensitive
        ("s3:Get*", "s3:GetObjectAcl", True),
        ("s3:?utObject", "s3:PutObject", True),
        ("s3:?etObject", "s3:GetObjectAcl", False),
        ("*", "iam:CreateUser", True),
        ("s3:*", "s3express:CreateSession", False),
        ("*:Describe*", "ec2:DescribeInstances", True),
        ("s3:[G]etObject", "s3:GetObject", False),  # brackets are literal, not a class
    ],
)
def test_action_matching(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("*", "arn:aws:s3:::b/k", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/dir/k", True),  # * crosses "/"
        ("arn:aws:s3:::B/*", "arn:aws:s3:::b/k", False),  # ARNs are case-sensitive
        ("arn:aws:s3:::b", "arn:aws:s3:::b/k", False),
        ("arn:aws:s3:::b*", "arn:aws:s3:::b/k", True),
        ("arn:aws:s3", "arn:aws:s3:::b/k", True),  # short ARNs are padded with "*" segments
        # a wildcard in one of the first five segments stays inside that segment
        ("arn:aws:sqs:*:queue", "arn:aws:sqs:us-east-1:111:queue", False),
        ("arn:aws:sqs:*:111:queue", "arn:aws:sqs:us-east-1:111:queue", True),
        # the resource id (sixth segment) may hold colons, and its * crosses them
        (
            "arn:aws:logs:us-east-1:111:log-group:*",
            "arn:aws:logs:us-east-1:111:log-group:g:*",
            True,
        ),
        ("arn:aws:s3:::b/?", "arn:aws:s3:::b/k", True),
        ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", True),  # ${*} is a literal asterisk
        ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/k", False),
    ],
)
def test_resource_matching(pattern: str, resource: str, expected: bool) -> None:
    assert resource_matches(pattern, resource) is expected


def test_policy_variables_resolve_from_context() -> None:
    pattern = "arn:aws:s3:::home/${aws:username}/*"
    assert resource_matches(pattern, "arn:aws:s3:::home/alice/x", {"aws:username": ("alice",)})
    assert not resource_matches(pattern, "arn:aws:s3:::home/bob/x", {"aws:username": ("alice",)})
    # unresolvable: None when the fixed part matches, an ordinary miss when it cannot
    assert resource_matches(pattern, "arn:aws:s3:::home/alice/x", {}) is None
    assert resource_matches(pattern, "arn:aws:sqs:us-east-1:1:q", {}) is False
    defaulted = "arn:aws:s3:::home/${aws:username, 'nobody'}/*"
    assert resource_matches(defaulted, "arn:aws:s3:::home/nobody/x", {})
    # Without Version 2012-10-17 a variable is literal text.
    assert resource_matches(pattern, "arn:aws:s3:::home/${aws:username}/x", variables=False)


def test_partly_unknown_patterns() -> None:
    assert glob_could_match([None, "/*"], "arn:aws:s3:::b/k", ignore_case=False)
    assert not glob_could_match([None, "/*"], "arn:aws:s3:::b", ignore_case=False)
    assert glob_could_match(["s3:", None], "S3:GetObject", ignore_case=True)
