"""Merging snapshots: load each back into a builder and fold them together.

Merging never double-counts: the same source (same content-derived id) in two inputs is an
error, because its counts would be added twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from iamlint.usage.builder import DenialKey, SnapshotBuilder, UsageRow, labels
from iamlint.usage.errors import UsageInputError
from iamlint.usage.resources import DistinctValues
from iamlint.usage.snapshot import Snapshot


def _row_from_json(row: dict[str, Any]) -> UsageRow:
    samples = row["resource_samples"]
    distinct = row["distinct_resources"] or 0
    counts = row["counts"]
    denials: Counter[DenialKey] = Counter()
    for denial in row["denials"]:
        key = (
            denial["kind"],
            denial["policy_type"],
            denial["policy_arn"],
            denial["via"],
            denial["encoded_only"],
        )
        denials[key] += denial["count"]
    return UsageRow(
        action=row["action"],
        granularity=row["granularity"],
        resource=row["resource"],
        resources=DistinctValues(samples, exact=row["distinct_resources_exact"]),
        distinct_floor=distinct,
        counts=None if counts is None else [counts["allowed"], counts["denied"], counts["error"]],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        regions=labels(row["regions"]),
        denials=denials or None,
        events=labels(row["events"]),
        mapping=labels(row["mapping"]),
        sources=labels(row["sources"]),
    )


def builder_from_snapshot(snapshot: Snapshot) -> SnapshotBuilder:
    builder = SnapshotBuilder()
    for source in snapshot["sources"]:
        builder.add_source(source)
    for principal in snapshot["principals"]:
        usage = builder.principal(principal["arn"])
        usage.aliases.update(principal["aliases"])
        for row in principal["usage"]:
            loaded = _row_from_json(row)
            usage.rows[(loaded.action, loaded.granularity, loaded.resource or "")] = loaded
        for unused in principal["unused"]:
            for source in unused["sources"]:
                usage.add_unused(unused["scope"], unused["name"], unused["last_accessed"], source)
        for recommendation in principal["recommendations"]:
            usage.add_recommendation(recommendation)
    for entry in snapshot["unmapped"]:
        for index, source in enumerate(entry["sources"]):
            builder.add_unmapped(
                entry["event_source"],
                entry["event_name"],
                entry["principal"],
                entry["count"] if index == 0 else 0,
                entry["first_seen"],
                entry["last_seen"],
                source,
            )
    return builder


def merge_snapshots(snapshots: Sequence[tuple[str, Snapshot]]) -> Snapshot:
    """Merge (name, snapshot) pairs; the name is used in errors."""
    merged = SnapshotBuilder()
    seen: dict[str, str] = {}
    for name, snapshot in snapshots:
        for source in snapshot["sources"]:
            if source["id"] in seen:
                raise UsageInputError(
                    name,
                    f"source {source['id']} ({source['locator']}) is already in "
                    f"{seen[source['id']]}; "
                    "merging it twice would double its counts",
                )
            seen[source["id"]] = name
        merged.merge(builder_from_snapshot(snapshot))
    return merged.render()
