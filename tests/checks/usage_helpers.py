"""Small, schema-valid usage snapshots for the usage rule tests (importable through conftest.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from iamlint.checks.context import CheckContext, Config
from iamlint.checks.registry import load_registry
from iamlint.policy.catalog import default_catalog
from iamlint.terraform.project import Project, load_project
from iamlint.usage.snapshot import Snapshot, empty_snapshot, validate_snapshot

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "checks" / "usage"
ACCOUNT = "111122223333"
CT = "cloudtrail-test"
START, END = "2026-09-01T00:00:00Z", "2026-11-20T00:00:00Z"


def role(name: str, path: str = "/", account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role{path}{name}"


def source(
    *,
    id: str = CT,
    kind: str = "cloudtrail",
    start: str | None = START,
    end: str | None = END,
    data: Iterable[str] = ("s3",),
    accounts: Iterable[str] = (ACCOUNT,),
    complete: bool | None = None,
    problems: Iterable[str] = (),
) -> dict[str, Any]:
    coverage: dict[str, Any] = {
        "accounts": sorted(accounts),
        "regions": ["eu-west-1"],
        "event_categories": ["Data", "Management"] if data else ["Management"],
        "data_event_services": sorted(data),
    }
    if complete is not None:
        coverage["complete"] = complete
    return {
        "id": id,
        "kind": kind,
        "locator": "test",
        "engine": "python" if kind == "cloudtrail" else None,
        "window": {"start": start, "end": end},
        "granularity": "action",
        "coverage": coverage,
        "problems": [{"file": p, "line": None, "message": "cannot read"} for p in problems],
    }


def denial(policy_type: str = "identity", kind: str = "implicit", count: int = 2) -> dict:
    return {
        "kind": kind,
        "policy_type": policy_type,
        "policy_arn": None,
        "via": None,
        "encoded_only": False,
        "count": count,
    }


def row(
    action: str,
    resource: str | None = None,
    *,
    denials: Iterable[dict[str, Any]] = (),
    granularity: str = "action",
    source_id: str = CT,
) -> dict[str, Any]:
    denied = sum(d["count"] for d in denials)
    return {
        "action": action,
        "granularity": granularity,
        "resource": resource,
        "resource_samples": [resource] if resource else [],
        "distinct_resources": 1 if resource else 0,
        "distinct_resources_exact": True,
        "outcome": "denied" if denied else "allowed",
        "counts": {"allowed": 0 if denied else 3, "denied": denied, "error": 0},
        "first_seen": "2026-10-01T10:00:00Z",
        "last_seen": "2026-10-02T10:00:00Z",
        "regions": ["eu-west-1"],
        "denials": list(denials),
        "events": [],
        "mapping": ["table"],
        "sources": [source_id],
    }


def principal(arn: str, rows: Iterable[dict[str, Any]] = (), **extra: Any) -> dict[str, Any]:
    kind = "user" if ":user/" in arn else "role"
    name = arn.rsplit("/", 1)[-1]
    aliases = [f"arn:aws:sts::{arn.split(':')[4]}:assumed-role/{name}/*"] if kind == "role" else []
    return {
        "arn": arn,
        "kind": kind,
        "account": arn.split(":")[4],
        "aliases": aliases,
        "usage": sorted(rows, key=lambda r: (r["action"], r["resource"] or "")),
        "unused": extra.get("unused", []),
        "recommendations": [],
    }


def snapshot(
    principals: Iterable[dict[str, Any]],
    sources: Iterable[dict[str, Any]] | None = None,
    unmapped: Iterable[dict[str, Any]] = (),
) -> Snapshot:
    snap = empty_snapshot()
    snap["sources"] = list(sources) if sources is not None else [source()]
    starts = [s["window"]["start"] for s in snap["sources"] if s["window"]["start"]]
    ends = [s["window"]["end"] for s in snap["sources"] if s["window"]["end"]]
    snap["window"] = {"start": min(starts, default=None), "end": max(ends, default=None)}
    snap["principals"] = sorted(principals, key=lambda p: p["arn"])
    snap["unmapped"] = list(unmapped)
    return validate_snapshot(snap)


_PROJECT: dict[str, Project] = {}


def project() -> Project:
    if "p" not in _PROJECT:
        loaded = load_project([FIXTURE], cwd=ROOT)
        assert not loaded.errors, loaded.errors
        _PROJECT["p"] = loaded
    return _PROJECT["p"]


def context(usage: Any, config: Config | None = None) -> CheckContext:
    return CheckContext(
        project(),
        config or Config(),
        default_catalog(),
        severities=load_registry([]).severities(),
        usage=usage,
    )
