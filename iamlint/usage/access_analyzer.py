"""IAM Access Analyzer evidence: generated policies, unused-access findings, recommendations.

Shapes follow the AWS CLI output of ``get-generated-policy``, ``list-findings-v2``,
``get-finding-v2`` and ``get-finding-recommendation``. A generated policy is observed usage
(action level, no counts, no data events, no ``iam:PassRole``); unused-access findings are
evidence of *non*-use; recommendations are passed through for reviewers, never trusted as usage.
"""

from __future__ import annotations

import json
from typing import Any

from iamlint.usage.builder import SnapshotBuilder
from iamlint.usage.errors import UsageInputError
from iamlint.usage.evidence_files import (
    as_list,
    expect,
    granularity_of,
    normalize_action,
    normalize_timestamp,
    policy_grants,
    read_json,
)
from iamlint.usage.source_ids import source_id_for


def _source(
    source_id: str,
    kind: str,
    file: str,
    window: tuple[str | None, str | None],
    granularity: str,
    coverage: dict[str, Any],
) -> dict[str, Any]:
    return {
        "id": source_id,
        "kind": kind,
        "locator": file,
        "engine": None,
        "window": {"start": window[0], "end": window[1]},
        "granularity": granularity,
        "coverage": coverage,
        "problems": [],
    }


def _content_id(kind: str, data: Any) -> str:
    return source_id_for(kind, [json.dumps(data, sort_keys=True)])


def import_generated_policy(path: str, builder: SnapshotBuilder) -> None:
    data = read_json(path)
    expect(isinstance(data, dict), path, "$", "get-generated-policy output (a JSON object)")
    status = (data.get("jobDetails") or {}).get("status")
    if status is not None and status != "SUCCEEDED":
        raise UsageInputError(path, f"at $.jobDetails.status: expected SUCCEEDED, got {status!r}")
    result = data.get("generatedPolicyResult")
    expect(isinstance(result, dict), path, "$.generatedPolicyResult", "an object")
    properties = result.get("properties") or {}
    principal = properties.get("principalArn")
    expect(
        isinstance(principal, str) and principal.startswith("arn:"),
        path,
        "$.generatedPolicyResult.properties.principalArn",
        "the principal's ARN",
    )
    trail = properties.get("cloudTrailProperties") or {}
    where = "$.generatedPolicyResult.properties.cloudTrailProperties"
    start = normalize_timestamp(trail.get("startTime"), path, f"{where}.startTime")
    end = normalize_timestamp(trail.get("endTime"), path, f"{where}.endTime")
    regions: set[str] = set()
    for trail_props in as_list(trail.get("trailProperties")):
        if isinstance(trail_props, dict):
            regions.update(r for r in as_list(trail_props.get("regions")) if isinstance(r, str))
    source_id = _content_id("access_analyzer.generated_policy", data)
    granularities: set[str] = set()
    for index, generated in enumerate(as_list(result.get("generatedPolicies"))):
        here = f"$.generatedPolicyResult.generatedPolicies[{index}].policy"
        text = generated.get("policy") if isinstance(generated, dict) else None
        expect(isinstance(text, str), path, here, "a policy document as a JSON string")
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageInputError(
                path, f"at {here}: expected a JSON policy string: {exc.msg}"
            ) from None
        for action, resource in policy_grants(document, path, here):
            granularity = granularity_of(action)
            granularities.add(granularity)
            builder.observe(
                principal,
                action,
                resource,
                source_id,
                granularity=granularity,
                first_seen=start,
                last_seen=end,
                mapping="native",
            )
    builder.principal(principal)
    coverage: dict[str, Any] = {
        "regions": sorted(regions),
        # Policy generation does not identify data events at action level.
        "event_categories": ["Management"],
        "data_event_services": [],
        "complete": bool(properties.get("isComplete")) if "isComplete" in properties else None,
    }
    granularity = (
        "mixed" if len(granularities) > 1 else (granularities.pop() if granularities else "action")
    )
    builder.add_source(
        _source(
            source_id,
            "access_analyzer.generated_policy",
            path,
            (start, end),
            granularity,
            coverage,
        )
    )


_UNUSED_SCOPES = {
    "UnusedIAMRole": ("role", "unusedIamRoleDetails"),
    "UnusedIAMUserAccessKey": ("access_key", "unusedIamUserAccessKeyDetails"),
    "UnusedIAMUserPassword": ("password", "unusedIamUserPasswordDetails"),
}


def _findings_in(data: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(data, dict) and isinstance(data.get("findings"), list):
        return [(f"$.findings[{i}]", f) for i, f in enumerate(data["findings"])]
    if isinstance(data, dict) and "findingType" in data:
        return [("$", data)]
    if isinstance(data, list):
        return [(f"$[{i}]", f) for i, f in enumerate(data)]
    raise UsageInputError(
        path, 'expected list-findings-v2 output ({"findings": [...]}) or get-finding-v2 output'
    )


def import_unused_findings(path: str, builder: SnapshotBuilder) -> list[UsageInputError]:
    """Returns non-fatal problems (e.g. findings listed without details)."""
    data = read_json(path)
    source_id = _content_id("access_analyzer.unused_access", data)
    problems: list[UsageInputError] = []
    latest: str | None = None
    for where, finding in _findings_in(data, path):
        expect(isinstance(finding, dict), path, where, "a finding object")
        finding_type = finding.get("findingType")
        principal = finding.get("resource")
        expect(isinstance(principal, str), path, f"{where}.resource", "the principal's ARN")
        if finding.get("status", "ACTIVE") != "ACTIVE":
            continue  # archived or resolved: no longer a claim about the principal
        analyzed = normalize_timestamp(finding.get("analyzedAt"), path, f"{where}.analyzedAt")
        latest = max(filter(None, (latest, analyzed)), default=None)
        details = as_list(finding.get("findingDetails"))
        if finding_type in _UNUSED_SCOPES:
            scope, detail_key = _UNUSED_SCOPES[finding_type]
            last = None
            for index, detail in enumerate(details):
                inner = detail.get(detail_key) if isinstance(detail, dict) else None
                if isinstance(inner, dict):
                    last = normalize_timestamp(
                        inner.get("lastAccessed"),
                        path,
                        f"{where}.findingDetails[{index}].{detail_key}.lastAccessed",
                    )
            name = None
            if scope == "access_key":
                for detail in details:
                    inner = detail.get(detail_key) if isinstance(detail, dict) else None
                    if isinstance(inner, dict) and isinstance(inner.get("accessKeyId"), str):
                        name = inner["accessKeyId"]
            builder.principal(principal).add_unused(scope, name, last, source_id)
        elif finding_type == "UnusedPermission":
            if not details:
                problems.append(
                    UsageInputError(
                        path,
                        f"at {where}: UnusedPermission finding {finding.get('id')!r} has no "
                        "details; save `aws accessanalyzer get-finding-v2` output for it",
                    )
                )
                continue
            for index, detail in enumerate(details):
                inner = detail.get("unusedPermissionDetails") if isinstance(detail, dict) else None
                here = f"{where}.findingDetails[{index}].unusedPermissionDetails"
                if inner is None:
                    continue
                expect(isinstance(inner, dict), path, here, "an object")
                namespace = inner.get("serviceNamespace")
                expect(isinstance(namespace, str), path, f"{here}.serviceNamespace", "a string")
                actions = as_list(inner.get("actions"))
                if not actions:
                    last = normalize_timestamp(
                        inner.get("lastAccessed"), path, f"{here}.lastAccessed"
                    )
                    builder.principal(principal).add_unused("service", namespace, last, source_id)
                for a_index, unused in enumerate(actions):
                    a_where = f"{here}.actions[{a_index}]"
                    expect(isinstance(unused, dict), path, a_where, "an object")
                    name = unused.get("action")
                    expect(isinstance(name, str), path, f"{a_where}.action", "an action name")
                    action = normalize_action(name if ":" in name else f"{namespace}:{name}")
                    last = normalize_timestamp(
                        unused.get("lastAccessed"), path, f"{a_where}.lastAccessed"
                    )
                    builder.principal(principal).add_unused("action", action, last, source_id)
    builder.add_source(
        _source(source_id, "access_analyzer.unused_access", path, (None, latest), "mixed", {})
    )
    return problems


def import_recommendation(path: str, builder: SnapshotBuilder, principal: str | None) -> None:
    data = read_json(path)
    expect(isinstance(data, dict), path, "$", "get-finding-recommendation output (an object)")
    status = data.get("status")
    if status != "SUCCEEDED":
        raise UsageInputError(path, f"at $.status: expected SUCCEEDED, got {status!r}")
    arn = data.get("resourceArn") or principal
    expect(isinstance(arn, str), path, "$.resourceArn", "the principal's ARN (or pass --principal)")
    source_id = _content_id("access_analyzer.recommendation", data)
    for index, step in enumerate(as_list(data.get("recommendedSteps"))):
        here = f"$.recommendedSteps[{index}].unusedPermissionsRecommendedStep"
        inner = step.get("unusedPermissionsRecommendedStep") if isinstance(step, dict) else None
        expect(isinstance(inner, dict), path, here, "an object")
        action = inner.get("recommendedAction")
        expect(
            action in ("CREATE_POLICY", "DETACH_POLICY"),
            path,
            f"{here}.recommendedAction",
            "CREATE_POLICY or DETACH_POLICY",
        )
        policy_text = inner.get("recommendedPolicy")
        policy = None
        if policy_text is not None:
            try:
                policy = json.loads(policy_text) if isinstance(policy_text, str) else policy_text
            except json.JSONDecodeError as exc:
                raise UsageInputError(
                    path, f"at {here}.recommendedPolicy: expected JSON: {exc.msg}"
                ) from None
            expect(isinstance(policy, dict), path, f"{here}.recommendedPolicy", "a policy document")
        builder.principal(arn).add_recommendation(
            {
                "source": source_id,
                "step": action,
                "existing_policy": inner.get("existingPolicyId"),
                "recommended_policy": policy,
                "policy_updated_at": normalize_timestamp(
                    inner.get("policyUpdatedAt"), path, f"{here}.policyUpdatedAt"
                ),
            }
        )
    completed = normalize_timestamp(data.get("completedAt"), path, "$.completedAt")
    builder.add_source(
        _source(source_id, "access_analyzer.recommendation", path, (None, completed), "action", {})
    )
