"""Terraform's built-in functions, over values that may be unknown.

Each function gets already-evaluated arguments. When an argument it needs is unknown, the result
is unknown (the caller turns `NEEDS_UNKNOWN` into an `Unknown` carrying the call's source text);
a function we do not implement is unknown too, never an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from iamlint.model import Unknown
from iamlint.terraform.values import (
    Encoded,
    LDict,
    LList,
    PolicyDocumentValue,
    contains_unknown,
    plain,
)


class CannotEvaluate(Exception):
    """Raised by a function whose result depends on something unknown."""


def _known(*values: Any) -> None:
    for value in values:
        if contains_unknown(value):
            raise CannotEvaluate


def _list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, dict):
        return list(value.values())
    raise CannotEvaluate


def _to_json(value: Any) -> Any:
    if isinstance(value, PolicyDocumentValue):
        raise CannotEvaluate
    return plain(value)


def jsonencode(value: Any) -> Any:
    # Unknowns inside are fine: the policy reader walks `.data`; the text is only a stand-in.
    try:
        text = json.dumps(_to_json(value), separators=(",", ":"), default=str)
    except (CannotEvaluate, TypeError, ValueError):
        text = ""
    return Encoded(text, value, None)


def jsondecode(value: Any) -> Any:
    if isinstance(value, Encoded):
        return value.data
    _known(value)
    try:
        return json.loads(str(value))
    except ValueError:
        raise CannotEvaluate from None


def concat(*lists: Any) -> Any:
    out = LList()
    for item in lists:
        if isinstance(item, Unknown):
            out.append(item)  # an unknown splice: zero or more unknown items
        else:
            out.extend(_list(item))
    return out


def merge(*maps: Any) -> Any:
    out = LDict()
    for item in maps:
        if item is None:
            continue
        if not isinstance(item, dict):
            raise CannotEvaluate
        out.update(item)
    return out


def _format(fmt: Any, *args: Any) -> str:
    _known(fmt, *args)
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        verb = match.group(0)
        if verb == "%%":
            return "%"
        value = next(values, "")
        if verb.endswith("q"):
            return json.dumps(str(value))
        if verb.endswith("d"):
            return str(int(value))
        return value if isinstance(value, str) else json.dumps(plain(value))

    return re.sub(r"%%|%[-+#0 ]*\d*(?:\.\d+)?[sdvqftbeEgGxXo]", one, str(fmt))


def _join(sep: Any, *lists: Any) -> Any:
    items = [
        x for item in lists for x in (_list(item) if not isinstance(item, Unknown) else [item])
    ]
    if len(items) == 1 and isinstance(items[0], PolicyDocumentValue | Encoded):
        return items[0]  # join("", data.x.*.json): the one document of a counted data source
    _known(sep, *lists)
    return str(sep).join(str(x) for item in lists for x in _list(item))


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    _known(key)
    if not isinstance(mapping, dict):
        raise CannotEvaluate
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise CannotEvaluate


def _element(items: Any, index: Any) -> Any:
    _known(index)
    seq = _list(items)
    if not seq or any(isinstance(x, Unknown) for x in seq):
        raise CannotEvaluate
    return seq[int(index) % len(seq)]


def _flatten(items: Any) -> Any:
    out = LList()
    for item in _list(items):
        if isinstance(item, list | tuple):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _distinct(items: Any) -> Any:
    out = LList()
    for item in _list(items):
        if isinstance(item, Unknown) or item not in out:
            out.append(item)
    return out


def _compact(items: Any) -> Any:
    return LList(x for x in _list(items) if x is None or isinstance(x, Unknown) or x != "")


def _coalesce(*values: Any) -> Any:
    for value in values:
        if isinstance(value, Unknown):
            raise CannotEvaluate
        if value is not None and value != "":
            return value
    raise CannotEvaluate


def _keys(mapping: Any) -> Any:
    if not isinstance(mapping, dict):
        raise CannotEvaluate
    return LList(sorted(mapping.keys(), key=str))


def _values(mapping: Any) -> Any:
    if not isinstance(mapping, dict):
        raise CannotEvaluate
    return LList(mapping[k] for k in sorted(mapping.keys(), key=str))


def _length(value: Any) -> int:
    _known(value)
    return len(value)


def _replace(text: Any, search: Any, replacement: Any) -> str:
    _known(text, search, replacement)
    text, search, replacement = str(text), str(search), str(replacement)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        go_style = re.sub(r"\$\{?(\d+)\}?", r"\\\1", replacement)
        return re.sub(search[1:-1], go_style, text)
    return text.replace(search, replacement)


def _tolist(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value if isinstance(value, LList) else LList(value)
    raise CannotEvaluate


def _toset(value: Any) -> Any:
    items = _distinct(value)
    if any(isinstance(x, Unknown) for x in items):
        return items
    return LList(sorted(items, key=lambda x: json.dumps(plain(x), sort_keys=True)))


def _zipmap(keys: Any, values: Any) -> Any:
    _known(keys)
    return LDict(zip(_list(keys), _list(values), strict=False))


def _contains(items: Any, value: Any) -> bool:
    _known(items, value)
    return value in _list(items)


def _split(sep: Any, text: Any) -> Any:
    _known(sep, text)
    return LList(str(text).split(str(sep)))


def _str1(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        _known(value)
        return fn(str(value))

    return apply


def _tostring(value: Any) -> Any:
    _known(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, list | dict):
        raise CannotEvaluate
    return value if isinstance(value, str) else str(value)


def _identity(value: Any) -> Any:
    return value


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": jsonencode,
    "jsondecode": jsondecode,
    "concat": concat,
    "merge": merge,
    "format": _format,
    "join": _join,
    "lookup": _lookup,
    "element": _element,
    "flatten": _flatten,
    "distinct": _distinct,
    "compact": _compact,
    "coalesce": _coalesce,
    "keys": _keys,
    "values": _values,
    "length": _length,
    "replace": _replace,
    "tolist": _tolist,
    "toset": _toset,
    "tomap": _identity,
    "zipmap": _zipmap,
    "contains": _contains,
    "split": _split,
    "lower": _str1(str.lower),
    "upper": _str1(str.upper),
    "trimspace": _str1(str.strip),
    "chomp": _str1(lambda s: s.rstrip("\r\n")),
    "title": _str1(str.title),
    "tostring": _tostring,
    "startswith": lambda s, p: _str1(lambda x: x.startswith(str(p)))(s),
    "endswith": lambda s, p: _str1(lambda x: x.endswith(str(p)))(s),
    "trimprefix": lambda s, p: _str1(lambda x: x.removeprefix(str(p)))(s),
    "trimsuffix": lambda s, p: _str1(lambda x: x.removesuffix(str(p)))(s),
    "sort": lambda items: _known(items) or LList(sorted(_list(items), key=str)),
    "reverse": lambda items: LList(reversed(_list(items))),
    "one": lambda items: (_list(items) or [None])[0] if len(_list(items)) <= 1 else None,
    "sensitive": _identity,
    "nonsensitive": _identity,
}
