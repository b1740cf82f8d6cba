"""CloudTrail ``eventSource``/``eventName`` → IAM actions.

CloudTrail logs API operations, policies grant actions, and the two differ often enough that a
naive ``prefix:EventName`` produces wrong least-privilege policies. The order of trust is:

1. ``KNOWN_MISMATCHES``: a hand table for documented mismatches (S3 renames, multi-permission
   calls such as ``CopyObject``), every target checked against the catalog by the tests so the
   table cannot silently rot;
2. service-specific rules (Lambda's dated names, API Gateway's HTTP-verb actions);
3. the pinned catalog: ``prefix:EventName`` when the catalog knows that action;
4. otherwise the event is *unmapped* and listed as such, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iamlint.usage.catalog import canonical_action, service_exists

# eventSource host label → IAM service prefix, where they differ.
EVENT_SOURCE_PREFIXES: dict[str, str] = {
    "monitoring": "cloudwatch",
    "tagging": "tag",
    "models.lex": "lex",
    "runtime.lex": "lex",
    "streams.dynamodb": "dynamodb",
    "email": "ses",
    "cloudcontrolapi": "cloudformation",
    "runtime.sagemaker": "sagemaker",
    "api.ecr": "ecr",
    "api.ecr-public": "ecr-public",
    "bedrock-runtime": "bedrock",
    "data.iot": "iot",
}

# (IAM prefix, eventName) → actions it needs. One event may need several permissions.
KNOWN_MISMATCHES: dict[tuple[str, str], tuple[str, ...]] = {
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "ListBuckets"): ("s3:ListAllMyBuckets",),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "UploadPartCopy"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "CopyObject"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "SelectObjectContent"): ("s3:GetObject",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "ListParts"): ("s3:ListMultipartUploadParts",),
    ("s3", "ListMultipartUploads"): ("s3:ListBucketMultipartUploads",),
    ("s3", "GetBucketCors"): ("s3:GetBucketCORS",),
    ("s3", "PutBucketCors"): ("s3:PutBucketCORS",),
    ("s3", "DeleteBucketCors"): ("s3:PutBucketCORS",),
    ("s3", "GetBucketReplication"): ("s3:GetReplicationConfiguration",),
    ("s3", "PutBucketReplication"): ("s3:PutReplicationConfiguration",),
    ("s3", "DeleteBucketReplication"): ("s3:PutReplicationConfiguration",),
    ("s3", "GetBucketLifecycle"): ("s3:GetLifecycleConfiguration",),
    ("s3", "GetBucketLifecycleConfiguration"): ("s3:GetLifecycleConfiguration",),
    ("s3", "PutBucketLifecycle"): ("s3:PutLifecycleConfiguration",),
    ("s3", "PutBucketLifecycleConfiguration"): ("s3:PutLifecycleConfiguration",),
    ("s3", "DeleteBucketLifecycle"): ("s3:PutLifecycleConfiguration",),
    ("s3", "GetBucketEncryption"): ("s3:GetEncryptionConfiguration",),
    ("s3", "PutBucketEncryption"): ("s3:PutEncryptionConfiguration",),
    ("s3", "DeleteBucketEncryption"): ("s3:PutEncryptionConfiguration",),
    ("s3", "DeleteBucketTagging"): ("s3:PutBucketTagging",),
    ("s3", "GetBucketNotificationConfiguration"): ("s3:GetBucketNotification",),
    ("s3", "PutBucketNotificationConfiguration"): ("s3:PutBucketNotification",),
    ("s3", "GetPublicAccessBlock"): ("s3:GetBucketPublicAccessBlock",),
    ("s3", "PutPublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "DeletePublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "DeleteBucketPublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "GetObjectLockConfiguration"): ("s3:GetBucketObjectLockConfiguration",),
    ("s3", "PutObjectLockConfiguration"): ("s3:PutBucketObjectLockConfiguration",),
    ("s3", "GetBucketAccelerateConfiguration"): ("s3:GetAccelerateConfiguration",),
    ("s3", "PutBucketAccelerateConfiguration"): ("s3:PutAccelerateConfiguration",),
    ("s3", "GetBucketAnalyticsConfiguration"): ("s3:GetAnalyticsConfiguration",),
    ("s3", "PutBucketAnalyticsConfiguration"): ("s3:PutAnalyticsConfiguration",),
    ("s3", "GetBucketInventoryConfiguration"): ("s3:GetInventoryConfiguration",),
    ("s3", "PutBucketInventoryConfiguration"): ("s3:PutInventoryConfiguration",),
    ("s3", "GetBucketMetricsConfiguration"): ("s3:GetMetricsConfiguration",),
    ("s3", "PutBucketMetricsConfiguration"): ("s3:PutMetricsConfiguration",),
    ("s3", "GetBucketIntelligentTieringConfiguration"): ("s3:GetIntelligentTieringConfiguration",),
    ("s3", "PutBucketIntelligentTieringConfiguration"): ("s3:PutIntelligentTieringConfiguration",),
    ("s3", "DeleteBucketOwnershipControls"): ("s3:PutBucketOwnershipControls",),
    ("lambda", "Invoke"): ("lambda:InvokeFunction",),
    ("bedrock", "Converse"): ("bedrock:InvokeModel",),
    ("bedrock", "ConverseStream"): ("bedrock:InvokeModelWithResponseStream",),
}

# Calls that need no IAM permission at all: neither usage nor unmapped.
PERMISSIONLESS: frozenset[tuple[str, str]] = frozenset(
    {
        ("sts", "GetCallerIdentity"),
    }
)

# Lambda (and a few older APIs) log the API version in the event name:
# UpdateFunctionConfiguration20150331v2, TagResource20170331v2, PublishLayerVersion20181031.
_DATED_NAME = re.compile(r"^([A-Za-z]+?)(?:19|20)\d{6}(?:v\d+)?$")

# API Gateway's management API is authorized per HTTP verb (apigateway:GET on a path).
_APIGATEWAY_VERBS: tuple[tuple[str, str], ...] = (
    ("Get", "GET"),
    ("Create", "POST"),
    ("Import", "POST"),
    ("Generate", "POST"),
    ("Test", "POST"),
    ("Update", "PATCH"),
    ("Put", "PUT"),
    ("Tag", "PUT"),
    ("Delete", "DELETE"),
    ("Flush", "DELETE"),
    ("Untag", "DELETE"),
)


@dataclass(frozen=True, slots=True)
class EventMapping:
    """What one (eventSource, eventName) needs; no ``actions`` when unmapped or permissionless.

    ``method`` says how the answer was found, so reviewers know how far to trust it:
    ``table`` | ``rule`` | ``catalog`` | ``permissionless`` | ``unmapped``.
    """

    actions: tuple[str, ...]
    method: str


def service_prefix(event_source: str) -> str:
    """``monitoring.amazonaws.com`` → ``cloudwatch``; unknown hosts pass through lower-cased."""
    host = event_source.strip().lower()
    for suffix in (".amazonaws.com.cn", ".amazonaws.com"):
        if host.endswith(suffix):
            host = host[: -len(suffix)]
            break
    return EVENT_SOURCE_PREFIXES.get(host, host)


def map_event(event_source: str, event_name: str) -> EventMapping:
    prefix = service_prefix(event_source)
    if (prefix, event_name) in PERMISSIONLESS:
        return EventMapping((), "permissionless")
    known = KNOWN_MISMATCHES.get((prefix, event_name))
    if known is not None:
        return EventMapping(known, "table")
    if not service_exists(prefix):
        return EventMapping((), "unmapped")
    direct = canonical_action(prefix, event_name)
    if direct is not None:
        return EventMapping((direct,), "catalog")
    dated = _DATED_NAME.match(event_name)
    if dated:
        undated = canonical_action(prefix, dated.group(1))
        if undated is not None:
            return EventMapping((undated,), "rule")
        known = KNOWN_MISMATCHES.get((prefix, dated.group(1)))
        if known is not None:
            return EventMapping(known, "table")
    if prefix == "apigateway":
        for verb_prefix, verb in _APIGATEWAY_VERBS:
            if event_name.startswith(verb_prefix):
                return EventMapping((f"apigateway:{verb}",), "rule")
    return EventMapping((), "unmapped")
