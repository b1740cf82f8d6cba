"""What the evidence says about one Terraform principal: used actions, denials, blind spots.

The planner asks only these questions; it never reads a snapshot itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iamlint.usage import evidence
from iamlint.usage.observability import observability


@dataclass(slots=True)
class PrincipalUsage:
    arn: str
    snapshot: Any
    used: set[str]  # lower-case actions the principal exercised and was allowed
    services: set[str]  # lower-case service prefixes it touched (any granularity)
    denied: list[evidence.DeniedAction]
    resources: dict[str, set[str]]  # lower-case action -> generalized resources observed
    _seen: dict[str, Any] = field(default_factory=dict)

    def service_calls_visible(self, service: str, catalog: Any) -> bool:
        """Would the evidence have seen this principal call the service at all? True when
        some ordinary (logged, management) action of it is visible call by call."""
        key = f"service:{service}"
        if key not in self._seen:
            from iamlint.usage.observability import never_logged_reason

            visible = False
            for info in catalog.service_actions(service)[:50]:
                if never_logged_reason(info.full_name) is None:
                    visible = self.visibility(info.full_name).level == "action"
                    if visible:
                        break
            self._seen[key] = visible
        return bool(self._seen[key])

    def visibility(self, action: str) -> Any:
        """How well the evidence could have seen ``action`` (`Observability`), memoized."""
        key = action.lower()
        if key not in self._seen:
            self._seen[key] = observability(self.snapshot, action)
        return self._seen[key]


def usage_for(snapshot: Any, arn: str) -> PrincipalUsage:
    observed = evidence.observed_actions(snapshot, arn)
    used = {
        o.action.lower()
        for o in observed
        if o.granularity == "action" and o.outcome in ("allowed", "mixed")
    }
    resources: dict[str, set[str]] = {}
    for o in observed:
        if o.granularity == "action" and o.resource:
            resources.setdefault(o.action.lower(), set()).add(o.resource)
    return PrincipalUsage(
        arn=arn,
        snapshot=snapshot,
        used=used,
        services={o.action.partition(":")[0].lower() for o in observed},
        denied=evidence.denied_actions(snapshot, arn),
        resources=resources,
    )
