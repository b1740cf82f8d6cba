"""What usage evidence can and cannot see, action by action.

"Absence of evidence is not non-use": an action may be called unused only if some source in
the snapshot could have recorded it. Three tables drive that, each tested:

* permission-only actions that no log records (``iam:PassRole`` is "not tracked by CloudTrail");
* data-plane actions that CloudTrail records only as *data events*, which are off by default;
* per source, which services it saw at action level and which only at service level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iamlint.usage.snapshot import Snapshot

# Checked only as a permission during another call; never an event of its own.
NEVER_LOGGED: dict[str, str] = {
    "iam:PassRole": "iam:PassRole is checked when a role is handed to a service; CloudTrail never "
    "logs it and Access Analyzer policy generation excludes it",
    "sts:TagSession": "sts:TagSession is checked inside AssumeRole* calls that pass session tags",
    "sts:SetSourceIdentity": "sts:SetSourceIdentity is checked inside AssumeRole* calls",
    "sts:SetContext": "sts:SetContext is checked inside AssumeRole* calls",
    "s3:BypassGovernanceRetention": "s3:BypassGovernanceRetention is checked inside object "
    "deletes and retention changes",
    "s3:ObjectOwnerOverrideToBucketOwner": "checked during replication, never its own event",
}

# Actions CloudTrail records only as data events (off unless the trail selects them).
_S3_BUCKET_DATA_ACTIONS = frozenset(
    {
        "ListBucket",
        "ListBucketVersions",
        "ListBucketMultipartUploads",
        "ListMultipartUploadParts",
        "AbortMultipartUpload",
    }
)
DATA_EVENT_ACTIONS: dict[str, frozenset[str]] = {
    "dynamodb": frozenset(
        {
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "BatchGetItem",
            "BatchWriteItem",
            "Query",
            "Scan",
            "ConditionCheckItem",
            "PartiQLSelect",
            "PartiQLInsert",
            "PartiQLUpdate",
            "PartiQLDelete",
            "GetRecords",
            "GetShardIterator",
        }
    ),
    "lambda": frozenset({"InvokeFunction", "InvokeFunctionUrl"}),
    "sqs": frozenset({"SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility"}),
    "sns": frozenset({"Publish"}),
    "kinesis": frozenset(
        {"PutRecord", "PutRecords", "GetRecords", "GetShardIterator", "SubscribeToShard"}
    ),
    "s3-object-lambda": frozenset({"WriteGetObjectResponse"}),
    # Log ingestion and reading are not management events (the volume would dwarf the trail);
    # treated as data events so that a missing PutLogEvents is never read as non-use.
    "logs": frozenset({"PutLogEvents", "GetLogEvents", "FilterLogEvents"}),
}


def never_logged_reason(action: str) -> str | None:
    if action in NEVER_LOGGED:
        return NEVER_LOGGED[action]
    prefix, _, name = action.partition(":")
    if name.startswith("Pass") and prefix != "iam":
        # lambda:PassCapacityProvider and friends: permission-only by the same pattern as PassRole.
        return f"{action} is a permission-only Pass* action checked inside another call"
    return None


def is_data_event_action(action: str) -> bool:
    prefix, _, name = action.partition(":")
    if prefix == "s3":
        return "Object" in name or name in _S3_BUCKET_DATA_ACTIONS
    return name in DATA_EVENT_ACTIONS.get(prefix, frozenset())


@dataclass(frozen=True, slots=True)
class Observability:
    """How well the snapshot's evidence could see one action.

    ``level``: ``action`` (an unused action really was unused, as far as the evidence goes),
    ``service`` (only "the service was or was not used"), or ``none`` (absence means nothing).
    ``sources`` are the source ids that could see it at ``level``; ``reasons`` explain gaps.
    """

    action: str
    level: str
    sources: tuple[str, ...]
    reasons: tuple[str, ...]


def _tracked_actions(snapshot: Snapshot, source_id: str) -> set[str]:
    """Actions a last-accessed report listed as tracked (used or not) for its principal."""
    tracked: set[str] = set()
    for principal in snapshot["principals"]:
        for row in principal["usage"]:
            if source_id in row["sources"] and row["granularity"] == "action":
                tracked.add(row["action"])
        for unused in principal["unused"]:
            if source_id in unused["sources"] and unused["scope"] == "action" and unused["name"]:
                tracked.add(unused["name"])
    return tracked


def _source_sees(snapshot: Snapshot, source: dict[str, Any], action: str) -> tuple[str, str | None]:
    """(level, reason-if-not-action-level) for one source and one action."""
    prefix = action.partition(":")[0]
    kind = source["kind"]
    coverage = source.get("coverage", {})
    if kind == "cloudtrail":
        if is_data_event_action(action) and prefix not in coverage.get("data_event_services", []):
            return "none", (
                f"{action} is a CloudTrail data event and no {prefix} data events were logged "
                f"by {source['id']} (data events are off by default)"
            )
        return "action", None
    if kind == "access_analyzer.generated_policy":
        if is_data_event_action(action):
            return "none", f"Access Analyzer policy generation does not see data events ({action})"
        return "action", None
    if kind == "iam.last_accessed":
        if prefix in coverage.get("action_level_services", []):
            if action in _tracked_actions(snapshot, source["id"]):
                return "action", None
            return "service", f"{source['id']} tracks {prefix} actions but not {action}"
        if prefix in coverage.get("service_level_only_services", []):
            return "service", f"{source['id']} reports {prefix} at service level only"
        return "none", None
    if kind == "access_analyzer.unused_access":
        return "service", None
    # iamlive and recommendations show what was used or proposed, never what was not.
    return "none", None


def observability(snapshot: Snapshot, action: str) -> Observability:
    never = never_logged_reason(action)
    if never is not None:
        return Observability(action, "none", (), (never,))
    best = "none"
    sources: list[str] = []
    reasons: list[str] = []
    rank = {"none": 0, "service": 1, "action": 2}
    for source in snapshot["sources"]:
        level, reason = _source_sees(snapshot, source, action)
        if reason:
            reasons.append(reason)
        if rank[level] > rank[best]:
            best, sources = level, [source["id"]]
        elif level == best and level != "none":
            sources.append(source["id"])
    if best == "none" and not reasons:
        reasons.append(f"no source in the snapshot could record {action}")
    return Observability(action, best, tuple(sorted(sources)), tuple(sorted(set(reasons))))
