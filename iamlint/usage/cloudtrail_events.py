"""CloudTrail records → snapshot evidence, through one *event plan* per kind of event.

A record is reduced to an event key: everything the snapshot needs from it except its
resources and time, with unbounded values (session names, error-message text) already reduced
by the same regexes the SQL path pushes into the engine. Records with the same key share an
`EventPlan`: the action mapping, the denial's reading, the principal and the usage rows it feeds
are worked out once per key, so a record only adds its resources and its time.

The streaming importer feeds records one at a time (`EventFolder.add_records`, the hot loop);
the DuckDB/Athena/Trino path feeds the engine's groups (`EventFolder.add_group`: generalized
resources with counts, plus samples of the raw ones). Both end in the same plans, which is what
makes their snapshots identical.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from iamlint.usage.builder import SnapshotBuilder, UsageRow, _max, _min, with_label
from iamlint.usage.catalog import action_resource_types
from iamlint.usage.cloudtrail_records import Record
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
    strip_sentence_end,
)
from iamlint.usage.event_mapping import EventMapping, map_event, service_prefix
from iamlint.usage.resources import generalize_arn

# Session ARNs carry a per-session name; the alias keeps only the role part.
SESSION_PREFIX_PATTERN = r"^(arn:[^:]+:sts::[0-9]+:assumed-role/[^/]+)/"

_SESSION_PREFIX = re.compile(SESSION_PREFIX_PATTERN)
_DENIED_ACTION = re.compile(DENIED_ACTION_PATTERN)
_DENY_REASON = re.compile(DENY_REASON_PATTERN)
_DENY_POLICY_ARN = re.compile(DENY_POLICY_ARN_PATTERN)
_MESSAGE_RESOURCE = re.compile(MESSAGE_RESOURCE_PATTERN)
_ENCODED = re.compile(ENCODED_PATTERN)

# Key layout: a plain tuple, built once per record. The resource an AccessDenied message names
# is not part of it (it is unbounded): it stands in for the record's resources when it lists
# none (`record_resources`), as the SQL adapters do.
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
    K_ENCODED,
) = range(13)
EventKey = tuple[Any, ...]
# (CloudTrail resource type, ARN) as a record lists them.
ResourcePair = tuple[str, str]


def _group1(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return found.group(1) if found else None


def record_key(record: Record) -> EventKey:
    """The event key of one record (without resources). Fields are strings or None (see
    `cloudtrail_records`); an empty one counts as absent."""
    identity = record.user_identity
    identity_arn = principal = None
    if identity is not None:
        identity_arn = identity.arn or None
        context = identity.session_context
        if context is not None and context.session_issuer is not None:
            principal = context.session_issuer.arn or None
        if principal is None:
            principal = identity_arn
            if principal is None:
                invoked_by = identity.invoked_by
                principal = f"service:{invoked_by}" if invoked_by else None
    session_prefix = None
    if identity_arn is not None and "assumed-role/" in identity_arn:
        session_prefix = _group1(_SESSION_PREFIX, identity_arn)
    message = record.error_message or None
    if message is None:
        denied_action = deny_reason = deny_policy_arn = None
        encoded = False
    else:
        denied_action = _group1(_DENIED_ACTION, message)
        deny_reason = _group1(_DENY_REASON, message)
        deny_policy_arn = _group1(_DENY_POLICY_ARN, message)
        encoded = _ENCODED.search(message) is not None
    return (
        record.event_type or None,
        record.event_source or None,
        record.event_name or None,
        record.event_category or None,
        record.aws_region or None,
        record.recipient_account_id or None,
        principal,
        session_prefix,
        record.error_code or None,
        denied_action,
        deny_reason,
        deny_policy_arn,
        encoded,
    )


def record_resources(record: Record) -> list[ResourcePair]:
    """The record's ``resources`` as (type, ARN) pairs; entries without an ARN are dropped.

    A record that lists none (AccessDenied events often do not) stands for the resource its
    error message names, as a pair of no type."""
    pairs: list[ResourcePair] = []
    for entry in record.resources or ():
        if entry.arn:
            pairs.append((entry.type or "", entry.arn))
    if not pairs:
        message = record.error_message
        if message:
            named = strip_sentence_end(_group1(_MESSAGE_RESOURCE, message))
            if named:
                pairs.append(("", named))
    return pairs


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


_TYPE_NAMES: dict[str, str] = {}


def _resource_type_name(cloudtrail_type: str) -> str:
    # "AWS::S3::Object" → "object", matching the catalog's resource type names.
    name = _TYPE_NAMES.get(cloudtrail_type)
    if name is None:
        name = cloudtrail_type.rsplit("::", 1)[-1].lower()
        if len(_TYPE_NAMES) < 4096:
            _TYPE_NAMES[cloudtrail_type] = name
    return name


@dataclass(slots=True)
class ActionTarget:
    """One action an event stands for, and the usage rows it has fed (by generalized ARN)."""

    action: str
    # Resource type names the action accepts: None when the catalog does not know the action,
    # empty when it accepts none (it can only be granted on "*").
    accepted: frozenset[str] | None
    rows: dict[str | None, UsageRow] = field(default_factory=dict)

    def resources_of(self, resources: Sequence[ResourcePair]) -> Sequence[str | None]:
        """Which of an event's resources this action applies to.

        ``GetObject`` events list the bucket *and* the object; only the object is the resource
        of ``s3:GetObject``.
        """
        accepted = self.accepted
        if accepted is not None and not accepted:
            return ("*",)
        if not resources:
            return (None,)
        if accepted:
            matching = [arn for kind, arn in resources if _resource_type_name(kind) in accepted]
            if matching:
                return matching
        return [arn for _, arn in resources]


class EventPlan:
    """Everything records with one event key contribute, worked out once for the key."""

    __slots__ = (
        "builder",
        "count",
        "counts_index",
        "denial",
        "first",
        "key",
        "last",
        "principal",
        "row_labels",
        "skip",
        "targets",
        "unmapped",
    )

    def __init__(self, key: EventKey, builder: SnapshotBuilder, source_id: str) -> None:
        self.key = key
        self.builder = builder
        self.count = 0
        self.first: str | None = None
        self.last: str | None = None
        self.skip: str | None = None  # why these records are not usage evidence
        self.unmapped = False
        self.targets: tuple[ActionTarget, ...] = ()
        self.counts_index = 0  # allowed, denied, error
        self.denial: tuple[Any, ...] | None = None
        self.principal = key[K_PRINCIPAL]
        self.row_labels: tuple[str | None, str, str, str] = ("", "", "", source_id)
        self._plan(source_id)

    def _plan(self, source_id: str) -> None:
        key = self.key
        if key[K_EVENT_TYPE] != "AwsApiCall":
            self.skip = f"eventType={key[K_EVENT_TYPE] or 'missing'}"
            return
        event_source, event_name = key[K_EVENT_SOURCE], key[K_EVENT_NAME]
        if not event_source or not event_name:
            self.skip = "missing eventSource/eventName"
            return
        if self.principal is None:
            self.skip = "no principal"
            return
        if key[K_SESSION_PREFIX]:
            self.builder.principal(self.principal).aliases.add(key[K_SESSION_PREFIX] + "/*")
        mapping = _mapping(event_source, event_name)
        actions, method = mapping.actions, mapping.method
        error_code = key[K_ERROR_CODE]
        if error_code is not None and is_authorization_error(error_code):
            self.counts_index = 1
            fields = normalize_fields(
                DenialFields(
                    key[K_DENIED_ACTION],
                    key[K_DENY_REASON],
                    key[K_DENY_POLICY_ARN],
                    None,  # the resource travels with the record's resources
                    bool(key[K_ENCODED]),
                )
            )
            if fields.action:
                # The message names the permission AWS actually checked (e.g. s3:GetObject for
                # a CopyObject source): more precise than the event-name mapping.
                actions, method = (fields.action,), "message"
            denial = interpret_denial(fields)
            self.denial = (
                denial.kind,
                denial.policy_type,
                denial.policy_arn,
                denial.via,
                denial.encoded_only,
            )
        elif error_code is not None:
            self.counts_index = 2
        if not actions:
            if mapping.method == "permissionless":
                self.skip = "permissionless call"
            else:
                self.unmapped = True
            return
        self.row_labels = (key[K_REGION], f"{event_source}:{event_name}", method, source_id)
        self.targets = tuple(
            ActionTarget(action, action_resource_types(action)) for action in actions
        )

    def tally(self, count: int, first: str | None, last: str | None) -> None:
        self.count += count
        self.first = _min(self.first, first)
        self.last = _max(self.last, last)

    def observe(
        self,
        resources: Sequence[ResourcePair],
        count: int,
        first: str | None,
        last: str | None,
        *,
        raw: bool = True,
    ) -> None:
        """Add records' resources to the rows of every action (a no-op for skipped events).

        With ``raw`` false the resources are already generalized: they count the records but
        are not raw values (those come through `observe_raw`)."""
        raw_values = raw
        index, denial = self.counts_index, self.denial
        for target in self.targets:
            rows = target.rows
            for arn in target.resources_of(resources):
                resource = None if arn is None else generalize_arn(arn)
                row = rows.get(resource)
                if row is None:
                    row = rows[resource] = self._row(target.action, resource)
                if arn is not None and (raw_values or target.accepted == frozenset()):
                    row.resources.add(arn)  # ("*" for an action of no resource type is raw)
                row.counts[index] += count  # type: ignore[index]  # set by _row
                row.seen(first, last)
                if denial is not None:
                    row.add_denials(denial, count)

    def observe_raw(
        self,
        resources: Sequence[ResourcePair],
        resource_type: str,
        resource: str,
        raws: Sequence[str],
        complete: bool,
    ) -> None:
        """Add the raw ARNs behind one generalized resource of a group to the distinct counts
        and samples of the rows it fed (``complete``: ``raws`` are all of them, not only the
        smallest). ``resources`` are the group's generalized resources: which of them an action
        applies to depends on the types listed beside it."""
        listed = {_resource_type_name(kind) for kind, _ in resources}
        name = _resource_type_name(resource_type)
        for target in self.targets:
            accepted = target.accepted
            if accepted is not None:
                if not accepted:
                    continue  # counted on "*"
                if listed & accepted and name not in accepted:
                    continue  # the action applies to the other resources of the record
            row = target.rows.get(generalize_arn(resource))
            if row is None:
                continue
            for arn in raws:
                row.resources.add(arn)
            if not complete:
                row.resources.saturate()

    def _row(self, action: str, resource: str | None) -> UsageRow:
        # What is the same for every record of the plan is added once, when a row is bound.
        row = self.builder.principal(self.principal).row(action, "action", resource)
        row.add_counts(0, 0, 0)
        region, event, method, source_id = self.row_labels
        if region:
            row.regions = with_label(row.regions, region)
        row.events = with_label(row.events, event)
        row.mapping = with_label(row.mapping, method)
        row.sources = with_label(row.sources, source_id)
        return row

    def finish(self, coverage: CloudTrailCoverage, source_id: str) -> None:
        """Account for the plan's records in the coverage (and the unmapped list)."""
        count, key = self.count, self.key
        coverage.records_read += count
        if self.skip is not None and not self.skip.startswith("permissionless"):
            coverage.skipped[self.skip] += count
            return
        coverage.records_used += count
        coverage.first_seen = _min(coverage.first_seen, self.first)
        coverage.last_seen = _max(coverage.last_seen, self.last)
        if key[K_ACCOUNT]:
            coverage.accounts.add(key[K_ACCOUNT])
        if key[K_REGION]:
            coverage.regions.add(key[K_REGION])
        category = key[K_EVENT_CATEGORY]
        if category:
            coverage.event_categories.add(category)
            if category == "Data":
                coverage.data_event_services.add(service_prefix(key[K_EVENT_SOURCE]))
        if self.skip is not None:
            coverage.skipped[self.skip] += count
        elif self.unmapped:
            self.builder.add_unmapped(
                key[K_EVENT_SOURCE],
                key[K_EVENT_NAME],
                self.principal,
                count,
                self.first,
                self.last,
                source_id,
            )


PLAN_LIMIT = 20_000


class EventFolder:
    """Folds records (or the SQL path's groups) into a builder and a coverage record."""

    def __init__(
        self, builder: SnapshotBuilder, coverage: CloudTrailCoverage, source_id: str
    ) -> None:
        self.builder = builder
        self.coverage = coverage
        self.source_id = source_id
        self.plans: dict[EventKey, EventPlan] = {}

    def plan(self, key: EventKey) -> EventPlan:
        plan = self.plans.get(key)
        if plan is None:
            if len(self.plans) >= PLAN_LIMIT:
                # Keys that carry a denial's resource are unbounded. Plans only cache work and
                # their accounting is additive, so retiring them all and planning again is
                # equivalent, and memory stays bounded.
                self.finish()
            plan = self.plans[key] = EventPlan(key, self.builder, self.source_id)
        return plan

    def add_records(self, records: Iterable[Record]) -> None:
        """The importer's hot loop: one key, one plan lookup and the resources per record."""
        plans = self.plans
        for record in records:
            key = record_key(record)
            plan = plans.get(key)
            if plan is None:
                plan = self.plan(key)
            when = record.event_time or None
            # plan.tally(1, when, when), inlined: this runs once per record.
            plan.count += 1
            if when is not None:
                if plan.first is None or when < plan.first:
                    plan.first = when
                if plan.last is None or when > plan.last:
                    plan.last = when
            if plan.targets:
                plan.observe(record_resources(record), 1, when, when)

    def add_group(
        self,
        key: EventKey,
        resources: Sequence[ResourcePair],
        count: int,
        first: str | None,
        last: str | None,
        *,
        raw: Sequence[tuple[str, str, int, Sequence[str]]],
    ) -> None:
        """A group of records with the same key and the same *generalized* resources.

        ``raw`` holds, per generalized resource (type, ARN), how many distinct raw ARNs were
        behind it and the smallest of them (at most ``DISTINCT_LIMIT`` + 1).
        """
        plan = self.plan(key)
        plan.tally(count, first, last)
        plan.observe(resources, count, first, last, raw=False)
        for resource_type, resource, distinct, raws in raw:
            plan.observe_raw(resources, resource_type, resource, raws, distinct <= len(raws))

    def finish(self) -> None:
        for plan in self.plans.values():
            plan.finish(self.coverage, self.source_id)
        self.plans.clear()
