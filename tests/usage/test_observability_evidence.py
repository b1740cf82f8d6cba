from __future__ import annotations

import pytest

from iamlint.usage.builder import SnapshotBuilder
from iamlint.usage.cloudtrail_import import import_cloudtrail
from iamlint.usage.evidence import (
    blind_spots,
    denied_actions,
    find_principal,
    observed_actions,
    used_actions,
    used_services,
)
from iamlint.usage.last_accessed import import_last_accessed
from iamlint.usage.merge import merge_snapshots
from iamlint.usage.observability import is_data_event_action, never_logged_reason, observability

ETL = "arn:aws:iam::111122223333:role/app-etl"
DEPLOYER = "arn:aws:iam::111122223333:role/deployer"


@pytest.fixture
def cloudtrail(cloudtrail_dir):
    return import_cloudtrail([str(cloudtrail_dir)], jobs=1, show_progress=False).builder.render()


def test_data_event_table():
    assert is_data_event_action("s3:GetObject")
    assert is_data_event_action("s3:ListBucket")
    assert not is_data_event_action("s3:CreateBucket")
    assert is_data_event_action("dynamodb:GetItem")
    assert not is_data_event_action("dynamodb:DescribeTable")
    assert is_data_event_action("lambda:InvokeFunction")
    assert not is_data_event_action("kms:Decrypt")


def test_pass_role_is_never_observable(cloudtrail):
    assert never_logged_reason("iam:PassRole")
    seen = observability(cloudtrail, "iam:PassRole")
    assert seen.level == "none" and "never" in seen.reasons[0]
    assert never_logged_reason("lambda:PassCapacityProvider")
    assert never_logged_reason("iam:CreateRole") is None


def test_data_events_only_for_services_whose_data_events_were_logged(cloudtrail):
    # the fixture trail logged S3 data events but no DynamoDB data events
    assert observability(cloudtrail, "s3:PutObject").level == "action"
    dynamo = observability(cloudtrail, "dynamodb:GetItem")
    assert dynamo.level == "none"
    assert "data events" in dynamo.reasons[0]
    assert observability(cloudtrail, "dynamodb:DeleteTable").level == "action"


def test_last_accessed_service_level_is_not_action_level(fixtures):
    builder = SnapshotBuilder()
    import_last_accessed(str(fixtures / "last-accessed/action-level.json"), builder, ETL)
    snapshot = builder.render()
    assert observability(snapshot, "s3:PutBucketPolicy").level == "action"  # tracked action
    assert observability(snapshot, "s3:CreateBucket").level == "service"  # not tracked
    kms = observability(snapshot, "kms:Decrypt")
    assert kms.level == "service" and "service level only" in kms.reasons[0]
    assert observability(snapshot, "ec2:RunInstances").level == "none"


def test_observed_actions_and_aliases(cloudtrail):
    by_session = observed_actions(cloudtrail, "arn:aws:sts::111122223333:assumed-role/app-etl/x")
    assert by_session == observed_actions(cloudtrail, ETL)
    assert "s3:GetObject" in used_actions(cloudtrail, ETL)
    assert "s3" in used_services(cloudtrail, ETL)
    get = next(o for o in observed_actions(cloudtrail, ETL) if o.action == "s3:GetObject")
    assert (get.allowed, get.denied) == (4, 0)
    assert observed_actions(cloudtrail, "arn:aws:iam::111122223333:role/nobody") == []
    assert find_principal(cloudtrail, "arn:aws:iam::111122223333:role/nobody") is None


def test_denied_actions_say_when_a_grant_would_fix_it(cloudtrail):
    denied = {d.action: d for d in denied_actions(cloudtrail, DEPLOYER)}
    assert denied["ec2:RunInstances"].grant_would_fix is False  # SCP: a guardrail working
    assert denied["secretsmanager:GetSecretValue"].grant_would_fix is False  # explicit deny
    assert denied["iam:CreateRole"].grant_would_fix is False  # permissions boundary
    put = next(d for d in denied_actions(cloudtrail, ETL) if d.action == "s3:PutObject")
    assert put.grant_would_fix is True and put.count == 1


def test_blind_spots(cloudtrail, fixtures):
    spots = blind_spots(cloudtrail)
    assert spots.window_days == pytest.approx(19.42, abs=0.01)
    assert spots.short_window is True
    assert spots.data_event_services == ("s3",)
    assert "iam:PassRole" in spots.never_logged_actions
    assert spots.unmapped_events == 1
    builder = SnapshotBuilder()
    import_last_accessed(str(fixtures / "last-accessed/action-level.json"), builder, ETL)
    merged = merge_snapshots([("ct", cloudtrail), ("la", builder.render())])
    assert blind_spots(merged).service_level_only_services == ("dynamodb", "kms")
