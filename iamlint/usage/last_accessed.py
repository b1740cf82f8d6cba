"""IAM last-accessed data (Access Advisor): ``get-service-last-accessed-details`` output.

Two pitfalls shape this importer. The report counts *attempts*, including denied ones, so rows
get no counts and the outcome ``attempted``. And most services are reported only at service
level: a service-level "last authenticated" says nothing about which actions were used, so it
becomes a ``granularity: service`` row (``s3:*``) that later checks must not read as action use.
Action-level rows exist only for a service's *tracked* actions.
"""

from __future__ import annotations

import json

from iamlint.usage.builder import SnapshotBuilder
from iamlint.usage.errors import UsageInputError
from iamlint.usage.evidence_files import (
    as_list,
    expect,
    normalize_action,
    normalize_timestamp,
    read_json,
)
from iamlint.usage.source_ids import source_id_for


def import_last_accessed(
    path: str, builder: SnapshotBuilder, principal: str | None
) -> list[UsageInputError]:
    data = read_json(path)
    expect(isinstance(data, dict), path, "$", "get-service-last-accessed-details output")
    if not principal:
        raise UsageInputError(
            path,
            "last-accessed reports do not name their principal: pass --principal ARN "
            "(the --arn given to generate-service-last-accessed-details)",
        )
    status = data.get("JobStatus")
    if status != "COMPLETED":
        raise UsageInputError(path, f"at $.JobStatus: expected COMPLETED, got {status!r}")
    job_type = data.get("JobType", "SERVICE_LEVEL")
    expect(
        job_type in ("SERVICE_LEVEL", "ACTION_LEVEL"),
        path,
        "$.JobType",
        "SERVICE_LEVEL or ACTION_LEVEL",
    )
    services = data.get("ServicesLastAccessed")
    expect(isinstance(services, list), path, "$.ServicesLastAccessed", "a list")
    source_id = source_id_for("iam.last_accessed", [principal, json.dumps(data, sort_keys=True)])
    problems: list[UsageInputError] = []
    if data.get("IsTruncated"):
        problems.append(
            UsageInputError(path, "the report is truncated (IsTruncated); import the next page too")
        )
    action_level: set[str] = set()
    service_only: set[str] = set()
    usage = builder.principal(principal)
    for index, service in enumerate(services):
        where = f"$.ServicesLastAccessed[{index}]"
        expect(isinstance(service, dict), path, where, "an object")
        namespace = service.get("ServiceNamespace")
        expect(
            isinstance(namespace, str) and namespace,
            path,
            f"{where}.ServiceNamespace",
            "a service prefix",
        )
        last = normalize_timestamp(
            service.get("LastAuthenticated"), path, f"{where}.LastAuthenticated"
        )
        region = service.get("LastAuthenticatedRegion")
        tracked = service.get("TrackedActionsLastAccessed")
        if tracked:
            action_level.add(namespace)
        else:
            service_only.add(namespace)
        if last is None:
            usage.add_unused("service", namespace, None, source_id)
        else:
            builder.observe(
                principal,
                f"{namespace.lower()}:*",
                None,
                source_id,
                granularity="service",
                last_seen=last,
                region=region if isinstance(region, str) else None,
                mapping="native",
            )
        for a_index, entry in enumerate(as_list(tracked)):
            a_where = f"{where}.TrackedActionsLastAccessed[{a_index}]"
            expect(isinstance(entry, dict), path, a_where, "an object")
            name = entry.get("ActionName")
            expect(isinstance(name, str) and name, path, f"{a_where}.ActionName", "an action name")
            action = normalize_action(name if ":" in name else f"{namespace}:{name}")
            when = normalize_timestamp(
                entry.get("LastAccessedTime"), path, f"{a_where}.LastAccessedTime"
            )
            if when is None:
                usage.add_unused("action", action, None, source_id)
                continue
            a_region = entry.get("LastAccessedRegion")
            builder.observe(
                principal,
                action,
                None,
                source_id,
                last_seen=when,
                region=a_region if isinstance(a_region, str) else None,
                mapping="native",
            )
    completed = normalize_timestamp(data.get("JobCompletionDate"), path, "$.JobCompletionDate")
    builder.add_source(
        {
            "id": source_id,
            "kind": "iam.last_accessed",
            "locator": path,
            "engine": None,
            # The tracking period (up to 400 days, shorter for newer services) has no start date
            # in the report, so the window start is unknown rather than guessed.
            "window": {"start": None, "end": completed},
            "granularity": "mixed" if job_type == "ACTION_LEVEL" else "service",
            "coverage": {
                "action_level_services": sorted(action_level),
                "service_level_only_services": sorted(service_only),
            },
            "problems": [{"file": p.file, "line": p.line, "message": p.message} for p in problems],
        }
    )
    return problems
