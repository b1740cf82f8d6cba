"""Plain questions about a snapshot, for the usage findings (U601–U606).

No Terraform knowledge here: callers pass principal ARNs and IAM action names. The join from
ARNs to Terraform addresses lives with the checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from iamlint.usage.observability import NEVER_LOGGED, observability
from iamlint.usage.snapshot import Snapshot

MONTHLY_JOB_DAYS = 35  # shorter windows miss monthly jobs


@dataclass(frozen=True, slots=True)
class ObservedAction:
    action: str
    granularity: str  # "action" or "service" (service rows read "s3:*" and mean "some s3 call")
    resource: str | None
    resource_samples: tuple[str, ...]
    outcome: str  # allowed | denied | mixed | attempted
    allowed: int | None
    denied: int | None
    first_seen: str | None
    last_seen: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeniedAction:
    action: str
    resource: str | None
    count: int
    first_seen: str | None
    last_seen: str | None
    denials: tuple[dict[str, Any], ...]
    # True only if every denial was an implicit deny by an identity-based policy: the one case
    # where adding a grant is the fix. SCP, boundary, explicit and VPC endpoint denials are
    # guardrails working, never a reason to widen the identity policy.
    grant_would_fix: bool


@dataclass(frozen=True, slots=True)
class BlindSpots:
    window_start: str | None
    window_end: str | None
    window_days: float | None
    short_window: bool
    data_event_services: tuple[str, ...]
    data_events_logged: bool
    never_logged_actions: tuple[str, ...]
    service_level_only_services: tuple[str, ...]
    incomplete_sources: tuple[str, ...]
    problems: tuple[str, ...]
    unmapped_events: int


def find_principal(snapshot: Snapshot, arn: str) -> dict[str, Any] | None:
    """The snapshot entry for a role/user ARN, or for a session ARN through the aliases."""
    for principal in snapshot["principals"]:
        if principal["arn"] == arn:
            return principal
    for principal in snapshot["principals"]:
        if any(fnmatchcase(arn, alias) for alias in principal["aliases"]):
            return principal
    return None


def observed_actions(snapshot: Snapshot, arn: str) -> list[ObservedAction]:
    principal = find_principal(snapshot, arn)
    if principal is None:
        return []
    out: list[ObservedAction] = []
    for row in principal["usage"]:
        counts = row["counts"]
        out.append(
            ObservedAction(
                action=row["action"],
                granularity=row["granularity"],
                resource=row["resource"],
                resource_samples=tuple(row["resource_samples"]),
                outcome=row["outcome"],
                allowed=None if counts is None else counts["allowed"] + counts["error"],
                denied=None if counts is None else counts["denied"],
                first_seen=row["first_seen"],
                last_seen=row["last_seen"],
                sources=tuple(row["sources"]),
            )
        )
    return out


def used_actions(snapshot: Snapshot, arn: str) -> set[str]:
    """Actions the principal exercised or attempted (denied calls included: they were needed)."""
    return {o.action for o in observed_actions(snapshot, arn) if o.granularity == "action"}


def used_services(snapshot: Snapshot, arn: str) -> set[str]:
    return {o.action.partition(":")[0] for o in observed_actions(snapshot, arn)}


def denied_actions(snapshot: Snapshot, arn: str) -> list[DeniedAction]:
    principal = find_principal(snapshot, arn)
    if principal is None:
        return []
    out: list[DeniedAction] = []
    for row in principal["usage"]:
        if not row["denials"]:
            continue
        denials = tuple(row["denials"])
        out.append(
            DeniedAction(
                action=row["action"],
                resource=row["resource"],
                count=sum(d["count"] for d in denials),
                first_seen=row["first_seen"],
                last_seen=row["last_seen"],
                denials=denials,
                grant_would_fix=all(
                    d["kind"] == "implicit" and d["policy_type"] == "identity" for d in denials
                ),
            )
        )
    return out


def unused_claims(snapshot: Snapshot, arn: str) -> list[dict[str, Any]]:
    """Access Analyzer / last-accessed statements that something was *not* used."""
    principal = find_principal(snapshot, arn)
    return list(principal["unused"]) if principal else []


def _days_between(start: str, end: str) -> float:
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds() / 86400


def blind_spots(snapshot: Snapshot) -> BlindSpots:
    """What the evidence as a whole could not see (for U605 and for hedging U601/U602)."""
    action_sources = [
        s
        for s in snapshot["sources"]
        if s["kind"] in ("cloudtrail", "access_analyzer.generated_policy")
    ]
    starts = [s["window"]["start"] for s in action_sources if s["window"]["start"]]
    ends = [s["window"]["end"] for s in action_sources if s["window"]["end"]]
    start, end = (min(starts) if starts else None), (max(ends) if ends else None)
    days = _days_between(start, end) if start and end else None
    data_services = sorted(
        {svc for s in snapshot["sources"] for svc in s["coverage"].get("data_event_services", [])}
    )
    service_only = sorted(
        {
            svc
            for s in snapshot["sources"]
            for svc in s["coverage"].get("service_level_only_services", [])
        }
    )
    return BlindSpots(
        window_start=start,
        window_end=end,
        window_days=None if days is None else round(days, 2),
        short_window=days is None or days < MONTHLY_JOB_DAYS,
        data_event_services=tuple(data_services),
        data_events_logged=bool(data_services),
        never_logged_actions=tuple(sorted(NEVER_LOGGED)),
        service_level_only_services=tuple(service_only),
        incomplete_sources=tuple(
            sorted(s["id"] for s in snapshot["sources"] if s["coverage"].get("complete") is False)
        ),
        problems=tuple(
            f"{p['file']}:{p['line']}: {p['message']}"
            if p["line"]
            else f"{p['file']}: {p['message']}"
            for s in snapshot["sources"]
            for p in s["problems"]
        ),
        unmapped_events=sum(u["count"] for u in snapshot["unmapped"]),
    )


__all__ = [
    "BlindSpots",
    "DeniedAction",
    "ObservedAction",
    "blind_spots",
    "denied_actions",
    "find_principal",
    "observability",
    "observed_actions",
    "unused_claims",
    "used_actions",
    "used_services",
]
