"""One CloudTrail record → an *event group key*, and groups of keys → snapshot evidence.

The key holds exactly what the snapshot needs from a record, with unbounded values (session
names, error-message text) already reduced by the same regexes the SQL path pushes into the
engine. The streaming importer and the DuckDB/Athena/Trino path therefore both produce
``(key, count, first_seen, last_seen)`` groups and share `fold_groups`, which is what makes their
snapshots identical.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from iamlint.usage.builder import SnapshotBuilder, _max, _min
from iamlint.usage.catalog import action_resource_types
from iamlint.usage.denials import (
    DENIED_ACTION_PATTERN,
    DENY_POLICY_ARN_PATTERN,
    DENY_REASON_PATTERN,
    ENCODED_PATTERN,
    MESSAGE_RESOURCE_PATTERN,
    DenialFields,
    interpret_denial,
    is_authorization_error,
    normalize_fields,
)
from iamlint.usage.event_mapping import EventMapping, map_event, service_prefix

# Session ARNs carry a per-session name; the alias keeps only the role part.
SESSION_PREFIX_PATTERN = r"^(arn:[^:]+:sts::[0-9]+:assumed-role/[^/]+)/"
# Unit separator: never in an ARN (S3 keys may hold spaces and newlines), harmless in CSV.
RESOURCE_SEPARATOR = "\x1f"

_SESSION_PREFIX = re.compile(SESSION_PREFIX_PATTERN)
_DENIED_ACTION = re.compile(DENIED_ACTION_PATTERN)
_DENY_REASON = re.compile(DENY_REASON_PATTERN)
_DENY_POLICY_ARN = re.compile(DENY_POLICY_ARN_PATTERN)
_MESSAGE_RESOURCE = re.compile(MESSAGE_RESOURCE_PATTERN)
_ENCODED = re.compile(ENCODED_PATTERN)

# Key layout (a plain tuple: this runs once per record, so no per-record object allocation).
(
    K_EVENT_TYPE,
    K_EVENT_SOURCE,
    K_EVENT_NAME,
    K_EVENT_CATEGORY,
    K_REGION,
    K_ACCOUNT,
    K_PRINCIPAL,
    K_SESSION_PREFIX,
    K_ERROR_CODE,
    K_DENIED_ACTION,
    K_DENY_REASON,
    K_DENY_POLICY_ARN,
    K_DENY_RESOURCE,
    K_ENCODED,
    K_RESOURCES,
) = range(15)
EventKey = tuple[Any, ...]


def _group1(pattern: re.Pattern[str], text: str | None) -> str | None:
    if not text:
        return None
    found = pattern.search(text)
    return found.group(1) if found else None


def _str_or_none(value: Any) -> str | None:
    # Fields are strings in every documented record; anything else is treated as absent.
    return value if isinstance(value, str) and value else None


def event_key(record: dict[str, Any]) -> EventKey:
    """The group key of one record. Tolerates missing or mistyped fields (they become None)."""
    identity = record.get("userIdentity")
    if not isinstance(identity, dict):
        identity = {}
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if isinstance(context, dict) else None
    issuer_arn = _str_or_none(issuer.get("arn")) if isinstance(issuer, dict) else None
    identity_arn = _str_or_none(identity.get("arn"))
    invoked_by = _str_or_none(identity.get("invokedBy"))
    principal = issuer_arn or identity_arn or (f"service:{invoked_by}" if invoked_by else None)

    error_code = _str_or_none(record.get("errorCode"))
    message = _str_or_none(record.get("errorMessage"))
    resources = record.get("resources")
    resource_text = ""
    if isinstance(resources, list) and resources:
        resource_text = RESOURCE_SEPARATOR.join(
            sorted(
                f"{r.get('type') or ''}|{r.get('ARN') or ''}"
                for r in resources
                if isinstance(r, dict)
            )
        )
    return (
        _str_or_none(record.get("eventType")),
        _str_or_none(record.get("eventSource")),
        _str_or_none(record.get("eventName")),
        _str_or_none(record.get("eventCategory")),
        _str_or_none(record.get("awsRegion")),
        _str_or_none(record.get("recipientAccountId")),
        principal,
        _group1(_SESSION_PREFIX, identity_arn),
        error_code,
        _group1(_DENIED_ACTION, message),
        _group1(_DENY_REASON, message),
        _group1(_DENY_POLICY_ARN, message),
        _group1(_MESSAGE_RESOURCE, message),
        bool(message and _ENCODED.search(message)),
        resource_text,
    )


@dataclass(slots=True)
class CloudTrailCoverage:
    """What the CloudTrail evidence could see; mergeable like the builder."""

    records_read: int = 0
    records_used: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    accounts: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    event_categories: set[str] = field(default_factory=set)
    data_event_services: set[str] = field(default_factory=set)
    first_seen: str | None = None
    last_seen: str | None = None

    def merge(self, other: CloudTrailCoverage) -> None:
        self.records_read += other.records_read
        self.records_used += other.records_used
        self.skipped.update(other.skipped)
        self.accounts |= other.accounts
        self.regions |= other.regions
        self.event_categories |= other.event_categories
        self.data_event_services |= other.data_event_services
        self.first_seen = _min(self.first_seen, other.first_seen)
        self.last_seen = _max(self.last_seen, other.last_seen)

    def render(self) -> dict[str, Any]:
        return {
            "accounts": sorted(self.accounts),
            "regions": sorted(self.regions),
            "event_categories": sorted(self.event_categories),
            "data_event_services": sorted(self.data_event_services),
            "records_read": self.records_read,
            "records_used": self.records_used,
            "records_skipped": dict(sorted(self.skipped.items())),
        }


@lru_cache(maxsize=4096)
def _mapping(event_source: str, event_name: str) -> EventMapping:
    return map_event(event_source, event_name)


def _resource_type_name(cloudtrail_type: str) -> str:
    # "AWS::S3::Object" → "object", matching the catalog's resource type names.
    return cloudtrail_type.rsplit("::", 1)[-1].lower()


def _resources_for(action: str, resources: list[tuple[str, str]]) -> list[str | None]:
    """Which of an event's resources the action applies to.

    ``GetObject`` events list the bucket *and* the object; only the object is the resource of
    ``s3:GetObject``. Actions that accept no resource type can only be granted on ``*``.
    """
    accepted = action_resource_types(action)
    if accepted is not None and not accepted:
        return ["*"]
    if not resources:
        return [None]
    if accepted:
        matching = [arn for kind, arn in resources if _resource_type_name(kind) in accepted]
        if matching:
            return list(matching)
    return [arn for _, arn in resources]


def _parse_resources(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not text:
        return out
    for item in text.split(RESOURCE_SEPARATOR):
        kind, _, arn = item.partition("|")
        if arn:
            out.append((kind, arn))
    return out


def fold_groups(
    groups: Iterable[tuple[EventKey, int, str | None, str | None]],
    builder: SnapshotBuilder,
    coverage: CloudTrailCoverage,
    source_id: str,
) -> None:
    """Turn event groups into usage rows, unmapped events and coverage."""
    for key, count, first, last in groups:
        coverage.records_read += count
        if key[K_EVENT_TYPE] != "AwsApiCall":
            coverage.skipped[f"eventType={key[K_EVENT_TYPE] or 'missing'}"] += count
            continue
        event_source, event_name, principal = (
            key[K_EVENT_SOURCE],
            key[K_EVENT_NAME],
            key[K_PRINCIPAL],
        )
        if not event_source or not event_name:
            coverage.skipped["missing eventSource/eventName"] += count
            continue
        if principal is None:
            coverage.skipped["no principal"] += count
            continue
        coverage.records_used += count
        coverage.first_seen = _min(coverage.first_seen, first)
        coverage.last_seen = _max(coverage.last_seen, last)
        region = key[K_REGION]
        if key[K_ACCOUNT]:
            coverage.accounts.add(key[K_ACCOUNT])
        if region:
            coverage.regions.add(region)
        category = key[K_EVENT_CATEGORY]
        if category:
            coverage.event_categories.add(category)
            if category == "Data":
                coverage.data_event_services.add(service_prefix(event_source))
        if key[K_SESSION_PREFIX]:
            builder.principal(principal).aliases.add(key[K_SESSION_PREFIX] + "/*")

        error_code = key[K_ERROR_CODE]
        mapping = _mapping(event_source, event_name)
        actions, method = mapping.actions, mapping.method
        denial_key = None
        fields = None
        if error_code is None:
            counts = (count, 0, 0)
        elif is_authorization_error(error_code):
            counts = (0, count, 0)
            fields = normalize_fields(
                DenialFields(
                    key[K_DENIED_ACTION],
                    key[K_DENY_REASON],
                    key[K_DENY_POLICY_ARN],
                    key[K_DENY_RESOURCE],
                    bool(key[K_ENCODED]),
                )
            )
            if fields.action:
                # The message names the permission AWS actually checked (e.g. s3:GetObject for
                # a CopyObject source): more precise than the event-name mapping.
                actions, method = (fields.action,), "message"
            denial = interpret_denial(fields)
            denial_key = (
                denial.kind,
                denial.policy_type,
                denial.policy_arn,
                denial.via,
                denial.encoded_only,
            )
        else:
            counts = (0, 0, count)
        if not actions:
            if mapping.method == "permissionless":
                coverage.skipped["permissionless call"] += count
            else:
                builder.add_unmapped(
                    event_source, event_name, principal, count, first, last, source_id
                )
            continue
        resources = _parse_resources(key[K_RESOURCES])
        if not resources and fields is not None and fields.resource:
            resources = [("", fields.resource)]
        for action in actions:
            for resource in _resources_for(action, resources):
                builder.observe(
                    principal,
                    action,
                    resource,
                    source_id,
                    counts=counts,
                    first_seen=first,
                    last_seen=last,
                    region=region,
                    event=f"{event_source}:{event_name}",
                    mapping=method,
                    denial=denial_key,
                )
