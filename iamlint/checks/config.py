"""Reading the configuration: `[tool.iamlint]` in pyproject.toml, or a `.iamlint.toml`.

Found by searching from the scanned path upwards, never past the repository (the git work
tree, or the scanned folder itself outside git): a file in a shared parent folder, such as a
temporary folder, must not configure (or silence) a scan. Like ruff, a pyproject.toml on the
way that cannot be read is an error: it may be the configuration, and running without it
would change every result silently.

Keys are kebab-case in the file and become `Config` fields. A key iamlint does not know, or a
value of the wrong type, is an error naming the file and line, never silently ignored: a
misspelt `ignore` would otherwise keep a rule on, a misspelt `fail-on` would change the exit
code.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from iamlint.checks.context import Config
from iamlint.checks.finding import Severity
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import Repository, read_regular, repository_root, resolved

CONFIG_FILES = (".iamlint.toml", "pyproject.toml")

_KEYS: dict[str, str] = {f.name.replace("_", "-"): f.name for f in fields(Config)}
_LIST_KEYS = {"select", "ignore", "approved-regions", "rule-packs"}
_OPTIONAL_STR_KEYS = {"required-boundary", "admin-role-pattern", "account-id"}


class ConfigError(Exception):
    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")
        self.file = file
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    config: Config
    source: Path | None  # the file it came from; None for the defaults
    searched_up_to: Path | None = None  # where the search stopped (None: --config was given)


def find_config(start: Path) -> Path | None:
    """The nearest `.iamlint.toml`, or pyproject.toml with a `[tool.iamlint]` table, from
    ``start`` upwards, stopping at the repository root (`repository_root`)."""
    return _search(start)[0]


def _search(start: Path) -> tuple[Path | None, Path]:
    """(the configuration file or None, the folder the search stopped at)."""
    folder = resolved(start)
    root = repository_root(folder)
    if not folder.is_dir():
        folder = folder.parent
    repository = Repository((root,))
    for candidate in (folder, *folder.parents):
        own = candidate / ".iamlint.toml"
        if os.path.lexists(own):
            _check_inside(own, repository)
            return own, root
        pyproject = candidate / "pyproject.toml"
        if os.path.lexists(pyproject) and _has_tool_table(pyproject, repository):
            return pyproject, root
        if candidate == root:
            break
    return None, root


def _check_inside(path: Path, repository: Repository) -> None:
    """A configuration found by searching is read only if it is inside the repository: a
    link out of it is an error (one given with --config is the user's choice)."""
    try:
        repository.check(path, str(path))
    except InputError as err:
        raise ConfigError(str(path), 0, err.message) from None


def _read(path: Path) -> str:
    try:
        raw = read_regular(path, str(path))
    except InputError as err:
        raise ConfigError(str(path), 0, f"cannot read the configuration: {err.message}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(str(path), line, "not valid UTF-8 text") from None


def _has_tool_table(path: Path, repository: Repository) -> bool:
    """Whether this pyproject.toml configures iamlint. One that cannot be read is an error, as
    in ruff: it may well be the configuration. One that is not valid TOML is read (and its
    error shown) only if it mentions iamlint: it may belong to a project that is none of ours.
    """
    _check_inside(path, repository)
    try:
        raw = read_regular(path, str(path))
    except InputError as err:
        raise ConfigError(
            str(path),
            0,
            f"cannot read {path.name}: {err.message}; it may hold [tool.iamlint] (--config "
            "names the configuration to use)",
        ) from None
    text = raw.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "tool.iamlint" in text
    tool = data.get("tool")
    return isinstance(tool, dict) and "iamlint" in tool


def load_config(path: Path | None, start: Path | None = None) -> LoadedConfig:
    """Read ``path`` (or the file `find_config` finds from ``start``); defaults if none."""
    searched_up_to = None
    if path is None and start is not None:
        path, searched_up_to = _search(start)
    if path is None:
        return LoadedConfig(Config(), None, searched_up_to)
    display = str(path)
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        line = _line_of_decode_error(str(err))
        raise ConfigError(display, line, f"not valid TOML: {err}") from None
    table = _iamlint_table(data, path, text)
    return LoadedConfig(parse_table(table, display, text, path.parent), path, searched_up_to)


def _iamlint_table(data: dict[str, Any], path: Path, text: str) -> dict[str, Any]:
    tool = data.get("tool")
    if path.name == "pyproject.toml":
        if tool is None:
            return {}
        if not isinstance(tool, dict):
            line = _line_of(text, "tool")
            raise ConfigError(str(path), line, f"tool must be a table, not {tool!r}")
        table = tool.get("iamlint", {})
    else:
        # A .iamlint.toml holds the keys themselves, or a [tool.iamlint] table like pyproject.
        table = tool["iamlint"] if isinstance(tool, dict) and "iamlint" in tool else data
    if not isinstance(table, dict):
        raise ConfigError(str(path), _line_of(text, "tool.iamlint") or _line_of(text, "iamlint"),
                          f"[tool.iamlint] must be a table, not {table!r}")  # fmt: skip
    return table


def _line_of_decode_error(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 0


def _line_of(text: str, key: str) -> int:
    """Where a key is written (tomllib keeps no positions); 0 if it cannot be found."""
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def parse_table(
    table: dict[str, Any], file: str, text: str = "", base: Path | None = None
) -> Config:
    config = Config()
    for key, value in table.items():
        line = _line_of(text, key)
        if key not in _KEYS:
            hint = difflib.get_close_matches(key, list(_KEYS), n=1)
            more = f"; did you mean {hint[0]!r}?" if hint else ""
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(file, line, f"unknown key {key!r}{more} (known keys: {known})")
        setattr(config, _KEYS[key], _value(key, value, file, line, base))
    return config


def _value(key: str, value: Any, file: str, line: int, base: Path | None) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(file, line, f"{key} must be {expected}, not {value!r}")

    if key in _LIST_KEYS:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("a list of strings")
        if key == "rule-packs" and base is not None:
            return [str((base / v).resolve()) for v in value]
        return list(value)
    if key in _OPTIONAL_STR_KEYS:
        if not isinstance(value, str) or not value:
            raise fail("a non-empty string")
        return value
    if key == "fail-on":
        if not isinstance(value, str) or not _is_severity(value):
            raise fail("one of info, low, medium, high, critical")
        return value.lower()
    if key == "max-session-duration":
        if isinstance(value, bool) or not isinstance(value, int) or not 900 <= value <= 43200:
            raise fail("a number of seconds between 900 and 43200")
        return value
    if key == "principals":
        return _principals(value, fail)
    if key == "severity":
        if not isinstance(value, dict) or not all(
            isinstance(v, str) and _is_severity(v) for v in value.values()
        ):
            raise fail("a table of rule id = severity (info, low, medium, high, critical)")
        return {str(k).upper(): str(v).lower() for k, v in value.items()}
    raise fail("set")  # a Config field without a parser here: a bug, shown plainly


def _principals(value: Any, fail: Callable[[str], ConfigError]) -> dict[str, list[str]]:
    """`[tool.iamlint.principals]`: address = "arn" or ["arn", ...]. An unquoted address
    (`aws_iam_role.ci = ...`) is read by TOML as nested tables; it is joined back with dots."""
    expected = 'a table of Terraform address = "ARN" (or a list of ARNs)'
    if not isinstance(value, dict):
        raise fail(expected)
    out: dict[str, list[str]] = {}

    def walk(table: dict[str, Any], prefix: str) -> None:
        for key, item in table.items():
            address = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(item, dict):
                walk(item, address)
                continue
            arns = [item] if isinstance(item, str) else item
            if not isinstance(arns, list) or not arns:
                raise fail(expected)
            if not all(isinstance(a, str) and a.startswith("arn:") for a in arns):
                raise fail(expected + f"; {address} has a value that is not an ARN")
            out[address] = list(arns)

    walk(value, "")
    return out


def _is_severity(text: str) -> bool:
    try:
        Severity.parse(text)
    except KeyError:
        return False
    return True
