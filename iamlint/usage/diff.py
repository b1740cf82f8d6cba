"""Semantic diff of two snapshots: principals and actions that appeared or stopped, resources
that widened or narrowed, outcomes that changed (e.g. an action now denied).

Counts and timestamps always change between runs and are deliberately left out; the comparison
runs DeepDiff over a reduced view keyed by principal and action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deepdiff import DeepDiff

from iamlint.usage.snapshot import Snapshot

View = dict[str, dict[str, dict[str, Any]]]


def usage_view(snapshot: Snapshot) -> View:
    """{principal: {action: {"outcome": ..., "resources": [...]}}}; service rows use ``s3:*``."""
    view: View = {}
    for principal in snapshot["principals"]:
        actions: dict[str, dict[str, Any]] = {}
        for row in principal["usage"]:
            entry = actions.setdefault(row["action"], {"outcomes": [], "resources": []})
            if row["outcome"] not in entry["outcomes"]:
                entry["outcomes"].append(row["outcome"])
            if row["resource"] is not None and row["resource"] not in entry["resources"]:
                entry["resources"].append(row["resource"])
        for entry in actions.values():
            entry["outcomes"].sort()
            entry["resources"].sort()
        view[principal["arn"]] = actions
    return view


@dataclass
class UsageDiff:
    new_principals: list[str] = field(default_factory=list)
    removed_principals: list[str] = field(default_factory=list)
    new_actions: list[tuple[str, str]] = field(default_factory=list)
    removed_actions: list[tuple[str, str]] = field(default_factory=list)
    new_resources: list[tuple[str, str, str]] = field(default_factory=list)
    removed_resources: list[tuple[str, str, str]] = field(default_factory=list)
    outcome_changes: list[tuple[str, str, str, str]] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def to_json(self) -> dict[str, Any]:
        return {
            "new_principals": sorted(self.new_principals),
            "removed_principals": sorted(self.removed_principals),
            "new_actions": [{"principal": p, "action": a} for p, a in sorted(self.new_actions)],
            "removed_actions": [
                {"principal": p, "action": a} for p, a in sorted(self.removed_actions)
            ],
            "new_resources": [
                {"principal": p, "action": a, "resource": r}
                for p, a, r in sorted(self.new_resources)
            ],
            "removed_resources": [
                {"principal": p, "action": a, "resource": r}
                for p, a, r in sorted(self.removed_resources)
            ],
            "outcome_changes": [
                {"principal": p, "action": a, "old": o, "new": n}
                for p, a, o, n in sorted(self.outcome_changes)
            ],
        }

    def to_text(self) -> str:
        lines: list[str] = []
        lines += [f"+ principal {p}" for p in sorted(self.new_principals)]
        lines += [f"- principal {p}" for p in sorted(self.removed_principals)]
        lines += [f"+ {p} now uses {a}" for p, a in sorted(self.new_actions)]
        lines += [f"- {p} no longer uses {a}" for p, a in sorted(self.removed_actions)]
        lines += [f"+ {p} {a} on {r}" for p, a, r in sorted(self.new_resources)]
        lines += [f"- {p} {a} on {r}" for p, a, r in sorted(self.removed_resources)]
        lines += [f"~ {p} {a}: {o} -> {n}" for p, a, o, n in sorted(self.outcome_changes)]
        return "\n".join(lines) if lines else "no usage changes"


def diff_snapshots(old: Snapshot, new: Snapshot) -> UsageDiff:
    old_view, new_view = usage_view(old), usage_view(new)
    result = UsageDiff()
    tree = DeepDiff(old_view, new_view, ignore_order=True, view="tree")
    for change in tree.get("dictionary_item_added", []):
        path = change.path(output_format="list")
        if len(path) == 1:
            result.new_principals.append(path[0])
        elif len(path) == 2:
            result.new_actions.append((path[0], path[1]))
    for change in tree.get("dictionary_item_removed", []):
        path = change.path(output_format="list")
        if len(path) == 1:
            result.removed_principals.append(path[0])
        elif len(path) == 2:
            result.removed_actions.append((path[0], path[1]))
    touched_outcomes: set[tuple[str, str]] = set()
    for kind in ("iterable_item_added", "iterable_item_removed", "values_changed"):
        for change in tree.get(kind, []):
            path = change.path(output_format="list")
            if len(path) < 3:
                continue
            principal, action, field_name = path[0], path[1], path[2]
            if field_name == "resources":
                if change.t2 is not None and kind != "iterable_item_removed":
                    result.new_resources.append((principal, action, change.t2))
                if change.t1 is not None and kind != "iterable_item_added":
                    result.removed_resources.append((principal, action, change.t1))
            elif field_name == "outcomes":
                touched_outcomes.add((principal, action))
    for principal, action in sorted(touched_outcomes):
        old_outcomes = "/".join(old_view[principal][action]["outcomes"])
        new_outcomes = "/".join(new_view[principal][action]["outcomes"])
        result.outcome_changes.append((principal, action, old_outcomes, new_outcomes))
    return result
