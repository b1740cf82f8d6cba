"""An order-independent, mergeable accumulator that renders the canonical snapshot.

Every importer adds observations here and `merge` folds whole snapshots back in. Because every
field is combined with a commutative operation (sums, min/max, set unions, the smallest-N
resource samples), the rendered snapshot does not depend on file order or on how work was split
between processes; rendering sorts every collection.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from iamlint.usage.resources import DistinctValues, generalize_arn
from iamlint.usage.snapshot import Snapshot, empty_snapshot

# (kind, policy_type, policy_arn, via, encoded_only)
DenialKey = tuple[str, str | None, str | None, str | None, bool]


def _min(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _max(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def principal_kind(arn: str) -> str:
    if arn.startswith("service:"):
        return "service"
    resource = arn.split(":", 5)[-1]
    if resource.startswith("role/"):
        return "role"
    if resource.startswith("user/"):
        return "user"
    if resource.startswith("group/"):
        return "group"
    if resource == "root":
        return "root"
    if resource.startswith("federated-user/"):
        return "federated"
    return "other"


def principal_account(arn: str) -> str | None:
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return None


# Rows' label sets (regions, events, mappings, sources) are small and mostly identical across
# rows ({"us-east-1"}, {"cloudtrail-…"}): one shared frozenset each instead of a set per row
# keeps a large aggregate's memory to a few pointers per row.
_INTERNED: dict[frozenset[str], frozenset[str]] = {}
_INTERN_LIMIT = 100_000
EMPTY_LABELS: frozenset[str] = frozenset()


def labels(values: Iterable[str]) -> frozenset[str]:
    frozen = frozenset(values)
    found = _INTERNED.get(frozen)
    if found is not None:
        return found
    if len(_INTERNED) < _INTERN_LIMIT:
        _INTERNED[frozen] = frozen
    return frozen


def with_label(current: frozenset[str], value: str) -> frozenset[str]:
    return current if value in current else labels((*current, value))


def union_labels(current: frozenset[str], other: frozenset[str]) -> frozenset[str]:
    return current if other <= current else labels(current | other)


@dataclass(slots=True)
class UsageRow:
    action: str
    granularity: str
    resource: str | None
    resources: DistinctValues = field(default_factory=DistinctValues)
    distinct_floor: int = 0
    counts: list[int] | None = None  # allowed, denied, error
    first_seen: str | None = None
    last_seen: str | None = None
    regions: frozenset[str] = EMPTY_LABELS
    denials: Counter[DenialKey] | None = None  # created on the first denial
    events: frozenset[str] = EMPTY_LABELS
    mapping: frozenset[str] = EMPTY_LABELS
    sources: frozenset[str] = EMPTY_LABELS

    def add_counts(self, allowed: int, denied: int, error: int) -> None:
        if self.counts is None:
            self.counts = [0, 0, 0]
        self.counts[0] += allowed
        self.counts[1] += denied
        self.counts[2] += error

    def add_denials(self, denial: DenialKey, count: int) -> None:
        if self.denials is None:
            self.denials = Counter()
        self.denials[denial] += count

    def seen(self, first: str | None, last: str | None) -> None:
        self.first_seen = _min(self.first_seen, first)
        self.last_seen = _max(self.last_seen, last)

    def _samples_incomplete(self) -> bool:
        # Rows loaded from a snapshot keep only a few samples of a larger distinct set.
        return self.distinct_floor > self.resources.count()

    def merge(self, other: UsageRow) -> None:
        incomplete = self._samples_incomplete() or other._samples_incomplete()
        self.resources.update(other.resources)
        if incomplete:
            self.resources.exact = False
        self.distinct_floor = max(self.distinct_floor, other.distinct_floor)
        if other.counts is not None:
            self.add_counts(*other.counts)
        self.seen(other.first_seen, other.last_seen)
        self.regions = union_labels(self.regions, other.regions)
        if other.denials:
            for denial, count in other.denials.items():
                self.add_denials(denial, count)
        self.events = union_labels(self.events, other.events)
        self.mapping = union_labels(self.mapping, other.mapping)
        self.sources = union_labels(self.sources, other.sources)

    def outcome(self) -> str:
        if self.counts is None:
            return "attempted"
        succeeded = self.counts[0] + self.counts[2]
        if self.counts[1] and succeeded:
            return "mixed"
        if self.counts[1]:
            return "denied"
        return "allowed"

    def render(self) -> dict[str, Any]:
        has_resource = self.resource is not None
        return {
            "action": self.action,
            "granularity": self.granularity,
            "resource": self.resource,
            "resource_samples": self.resources.samples() if has_resource else [],
            "distinct_resources": (
                max(self.distinct_floor, self.resources.count()) if has_resource else None
            ),
            "distinct_resources_exact": self.resources.is_exact() if has_resource else True,
            "outcome": self.outcome(),
            "counts": (
                None
                if self.counts is None
                else dict(zip(("allowed", "denied", "error"), self.counts, strict=True))
            ),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "regions": sorted(self.regions),
            "denials": [
                {
                    "kind": kind,
                    "policy_type": policy_type,
                    "policy_arn": policy_arn,
                    "via": via,
                    "encoded_only": encoded,
                    "count": count,
                }
                for (kind, policy_type, policy_arn, via, encoded), count in sorted(
                    (self.denials or {}).items(), key=lambda item: _denial_sort_key(item[0])
                )
            ],
            "events": sorted(self.events),
            "mapping": sorted(self.mapping),
            "sources": sorted(self.sources),
        }


def _denial_sort_key(key: DenialKey) -> tuple[str, str, str, str, bool]:
    kind, policy_type, policy_arn, via, encoded = key
    return (kind, policy_type or "", policy_arn or "", via or "", encoded)


RowKey = tuple[str, str, str]  # action, granularity, resource ("" for none)


@dataclass(slots=True)
class PrincipalUsage:
    arn: str
    aliases: set[str] = field(default_factory=set)
    rows: dict[RowKey, UsageRow] = field(default_factory=dict)
    # (scope, name) → [last_accessed, sources]
    unused: dict[tuple[str, str], tuple[str | None, frozenset[str]]] = field(default_factory=dict)
    recommendations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def row(self, action: str, granularity: str, resource: str | None) -> UsageRow:
        key = (action, granularity, resource or "")
        found = self.rows.get(key)
        if found is None:
            found = self.rows[key] = UsageRow(action, granularity, resource)
        return found

    def add_unused(self, scope: str, name: str | None, last: str | None, source: str) -> None:
        key = (scope, name or "")
        old_last, old_sources = self.unused.get(key, (None, frozenset()))
        self.unused[key] = (_max(old_last, last), old_sources | {source})

    def add_recommendation(self, recommendation: dict[str, Any]) -> None:
        self.recommendations[json.dumps(recommendation, sort_keys=True)] = recommendation

    def merge(self, other: PrincipalUsage) -> None:
        self.aliases |= other.aliases
        for key, row in other.rows.items():
            mine = self.rows.get(key)
            if mine is None:
                self.rows[key] = row
            else:
                mine.merge(row)
        for (scope, name), (last, sources) in other.unused.items():
            for source in sources:
                self.add_unused(scope, name or None, last, source)
        self.recommendations.update(other.recommendations)

    def render(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "kind": principal_kind(self.arn),
            "account": principal_account(self.arn),
            "aliases": sorted(self.aliases),
            "usage": [self.rows[key].render() for key in sorted(self.rows)],
            "unused": [
                {
                    "scope": scope,
                    "name": name or None,
                    "last_accessed": last,
                    "sources": sorted(sources),
                }
                for (scope, name), (last, sources) in sorted(self.unused.items())
            ],
            "recommendations": [self.recommendations[key] for key in sorted(self.recommendations)],
        }


UnmappedKey = tuple[str, str, str]  # event_source, event_name, principal


@dataclass(slots=True)
class UnmappedEvents:
    count: int = 0
    first_seen: str | None = None
    last_seen: str | None = None
    sources: set[str] = field(default_factory=set)


class SnapshotBuilder:
    """Accumulates evidence from any number of sources; `render` gives the canonical snapshot."""

    def __init__(self) -> None:
        self.sources: dict[str, dict[str, Any]] = {}
        self.principals: dict[str, PrincipalUsage] = {}
        self.unmapped: dict[UnmappedKey, UnmappedEvents] = {}

    # -- adding evidence -------------------------------------------------------------------
    def add_source(self, source: dict[str, Any]) -> None:
        self.sources[source["id"]] = source

    def principal(self, arn: str) -> PrincipalUsage:
        found = self.principals.get(arn)
        if found is None:
            found = self.principals[arn] = PrincipalUsage(arn)
        return found

    def observe(
        self,
        principal: str,
        action: str,
        raw_resource: str | None,
        source: str,
        *,
        granularity: str = "action",
        counts: tuple[int, int, int] | None = None,
        first_seen: str | None = None,
        last_seen: str | None = None,
        region: str | None = None,
        event: str | None = None,
        mapping: str | None = None,
        denial: DenialKey | None = None,
    ) -> None:
        resource = generalize_arn(raw_resource) if raw_resource is not None else None
        row = self.principal(principal).row(action, granularity, resource)
        if raw_resource is not None:
            row.resources.add(raw_resource)
        if counts is not None:
            row.add_counts(*counts)
        row.seen(first_seen, last_seen)
        if region:
            row.regions = with_label(row.regions, region)
        if event:
            row.events = with_label(row.events, event)
        if mapping:
            row.mapping = with_label(row.mapping, mapping)
        if denial is not None and counts is not None:
            row.add_denials(denial, counts[1])
        row.sources = with_label(row.sources, source)

    def add_unmapped(
        self,
        event_source: str,
        event_name: str,
        principal: str,
        count: int,
        first_seen: str | None,
        last_seen: str | None,
        source: str,
    ) -> None:
        key = (event_source, event_name, principal)
        entry = self.unmapped.get(key)
        if entry is None:
            entry = self.unmapped[key] = UnmappedEvents()
        entry.count += count
        entry.first_seen = _min(entry.first_seen, first_seen)
        entry.last_seen = _max(entry.last_seen, last_seen)
        entry.sources.add(source)

    # -- combining -------------------------------------------------------------------------
    def merge(self, other: SnapshotBuilder) -> None:
        for source_id, source in other.sources.items():
            self.sources.setdefault(source_id, source)
        for principal in other.principals.values():
            self.merge_principal(principal)
        for key, entry in other.unmapped.items():
            self.add_unmapped(*key, entry.count, entry.first_seen, entry.last_seen, "")
            self.unmapped[key].sources.discard("")
            self.unmapped[key].sources |= entry.sources

    def merge_principal(self, principal: PrincipalUsage) -> None:
        """Fold in one principal's usage (taking the object over if it is new here)."""
        mine = self.principals.get(principal.arn)
        if mine is None:
            self.principals[principal.arn] = principal
        else:
            mine.merge(principal)

    # -- output ----------------------------------------------------------------------------
    def render(self, lazy: bool = False) -> Snapshot:
        """The canonical snapshot. With ``lazy``, principals are an iterator rendered as they
        are read (for `write_snapshot`, so a large snapshot is never whole in memory)."""
        snapshot = empty_snapshot()
        sources = [self.sources[key] for key in sorted(self.sources)]
        starts = [s["window"]["start"] for s in sources if s["window"]["start"]]
        ends = [s["window"]["end"] for s in sources if s["window"]["end"]]
        snapshot["window"] = {
            "start": min(starts) if starts else None,
            "end": max(ends) if ends else None,
        }
        snapshot["sources"] = sources
        principals = (self.principals[arn].render() for arn in sorted(self.principals))
        snapshot["principals"] = principals if lazy else list(principals)
        snapshot["unmapped"] = [
            {
                "event_source": event_source,
                "event_name": event_name,
                "principal": principal,
                "count": entry.count,
                "first_seen": entry.first_seen,
                "last_seen": entry.last_seen,
                "sources": sorted(entry.sources),
            }
            for (event_source, event_name, principal), entry in sorted(self.unmapped.items())
        ]
        return snapshot
