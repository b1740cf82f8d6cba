from __future__ import annotations

import pytest

from iamlint.usage.catalog import canonical_action
from iamlint.usage.event_mapping import KNOWN_MISMATCHES, map_event, service_prefix


@pytest.mark.parametrize(("key", "actions"), sorted(KNOWN_MISMATCHES.items()))
def test_every_table_target_exists_in_the_pinned_catalog(key, actions):
    for action in actions:
        prefix, _, name = action.partition(":")
        assert canonical_action(prefix, name) == action, f"{key} → {action} is not in the catalog"


@pytest.mark.parametrize(
    ("source", "name", "expected", "method"),
    [
        ("s3.amazonaws.com", "ListObjectsV2", ("s3:ListBucket",), "table"),
        ("s3.amazonaws.com", "ListObjects", ("s3:ListBucket",), "table"),
        ("s3.amazonaws.com", "HeadObject", ("s3:GetObject",), "table"),
        ("s3.amazonaws.com", "ListBuckets", ("s3:ListAllMyBuckets",), "table"),
        ("s3.amazonaws.com", "CopyObject", ("s3:GetObject", "s3:PutObject"), "table"),
        ("s3.amazonaws.com", "PutBucketReplication", ("s3:PutReplicationConfiguration",), "table"),
        ("s3.amazonaws.com", "GetObject", ("s3:GetObject",), "catalog"),
        ("monitoring.amazonaws.com", "PutMetricData", ("cloudwatch:PutMetricData",), "catalog"),
        ("tagging.amazonaws.com", "GetResources", ("tag:GetResources",), "catalog"),
        ("streams.dynamodb.amazonaws.com", "GetRecords", ("dynamodb:GetRecords",), "catalog"),
        ("email.amazonaws.com", "SendEmail", ("ses:SendEmail",), "catalog"),
        (
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            ("lambda:UpdateFunctionConfiguration",),
            "rule",
        ),
        ("lambda.amazonaws.com", "CreateFunction20150331", ("lambda:CreateFunction",), "rule"),
        ("lambda.amazonaws.com", "TagResource20170331v2", ("lambda:TagResource",), "rule"),
        ("lambda.amazonaws.com", "Invoke", ("lambda:InvokeFunction",), "table"),
        ("apigateway.amazonaws.com", "GetRestApis", ("apigateway:GET",), "rule"),
        ("apigateway.amazonaws.com", "CreateDeployment", ("apigateway:POST",), "rule"),
        ("apigateway.amazonaws.com", "UpdateStage", ("apigateway:PATCH",), "rule"),
        ("apigateway.amazonaws.com", "DeleteRestApi", ("apigateway:DELETE",), "rule"),
        ("apigateway.amazonaws.com", "PutIntegration", ("apigateway:PUT",), "rule"),
        ("ec2.amazonaws.com", "DescribeInstances", ("ec2:DescribeInstances",), "catalog"),
        ("iam.amazonaws.com", "createrole", ("iam:CreateRole",), "catalog"),
    ],
)
def test_known_mismatches_and_rules(source, name, expected, method):
    mapping = map_event(source, name)
    assert mapping.actions == expected
    assert mapping.method == method


def test_unknown_service_and_unknown_action_are_unmapped_not_guessed():
    assert map_event("example-preview.amazonaws.com", "ListWidgets").method == "unmapped"
    assert map_event("example-preview.amazonaws.com", "ListWidgets").actions == ()
    assert map_event("s3.amazonaws.com", "NoSuchOperation").actions == ()


def test_permissionless_calls_are_neither_usage_nor_unmapped():
    mapping = map_event("sts.amazonaws.com", "GetCallerIdentity")
    assert mapping == map_event("sts.amazonaws.com", "GetCallerIdentity")
    assert mapping.actions == () and mapping.method == "permissionless"


def test_service_prefix_strips_the_host_and_renames():
    assert service_prefix("monitoring.amazonaws.com") == "cloudwatch"
    assert service_prefix("S3.amazonaws.com") == "s3"
    assert service_prefix("ec2.amazonaws.com.cn") == "ec2"
