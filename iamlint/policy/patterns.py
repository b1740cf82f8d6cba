"""IAM wildcard patterns: actions (case-insensitive globs) and resource ARNs (case-sensitive,
wildcards bounded by ARN segments), with policy variables.

A pattern is compiled once into a small token list. The same tokens drive both the regular
expression used to match one request and the automata that `containment` uses to compare whole
sets of patterns, so the two can never disagree about what a pattern means.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ARN_SEGMENTS = 6  # arn:partition:service:region:account:resource


class Tok(enum.Enum):
    STAR = "*"  # any run of characters, colons included
    SEGMENT_STAR = "*:"  # any run of characters inside one ARN segment (no colon)
    ONE = "?"  # exactly one character
    SEGMENT_ONE = "?:"  # one character other than a colon


@dataclass(frozen=True, slots=True)
class Variable:
    """``${aws:username}`` or ``${aws:PrincipalTag/team, 'default'}`` inside a pattern."""

    key: str
    default: str | None = None

    @property
    def text(self) -> str:
        inner = self.key if self.default is None else f"{self.key}, '{self.default}'"
        return "${" + inner + "}"


Token = str | Tok | Variable  # a str token is one literal character


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}  # ${*} ${?} ${$} spell the literal character


def tokenize(text: str, *, variables: bool, segment_aware: bool = False) -> tuple[Token, ...]:
    """Split a pattern into tokens.

    ``variables``: whether ``${...}`` is a policy variable (only under Version 2012-10-17;
    otherwise it is literal text). ``segment_aware``: wildcards in the first five ARN segments do
    not cross a colon (the sixth, the resource id, may contain colons and its wildcards cross them).
    """
    tokens: list[Token] = []
    colons = 0
    i = 0
    while i < len(text):
        ch = text[i]
        bounded = segment_aware and colons < ARN_SEGMENTS - 1
        if variables and ch == "$" and text.startswith("${", i):
            end = text.find("}", i + 2)
            if end != -1:
                inner = text[i + 2 : end]
                if inner in _ESCAPES:
                    tokens.append(_ESCAPES[inner])
                else:
                    tokens.append(_parse_variable(inner))
                i = end + 1
                continue
        if ch == "*":
            tokens.append(Tok.SEGMENT_STAR if bounded else Tok.STAR)
        elif ch == "?":
            tokens.append(Tok.SEGMENT_ONE if bounded else Tok.ONE)
        else:
            if ch == ":":
                colons += 1
            tokens.append(ch)
        i += 1
    return tuple(tokens)


def _parse_variable(inner: str) -> Variable:
    key, sep, rest = inner.partition(",")
    rest = rest.strip()
    if sep and len(rest) >= 2 and rest[0] == rest[-1] == "'":
        return Variable(key.strip(), rest[1:-1])
    return Variable(inner.strip())


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


# --- actions ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def action_regex(pattern: str) -> re.Pattern[str]:
    """Actions match case-insensitively; ``*`` and ``?`` are the only wildcards."""
    return re.compile(_tokens_to_regex(tokenize(pattern.lower(), variables=False)), re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    return action_regex(pattern).fullmatch(action.lower()) is not None


def split_action(action: str) -> tuple[str, str]:
    service, _, name = action.partition(":")
    return service, name


# --- resources --------------------------------------------------------------------------------


def normalize_resource_pattern(pattern: str) -> str:
    """Pad a short ARN (``arn:aws:s3``) with ``*`` segments, as AWS does in identity policies."""
    if not pattern.startswith("arn:"):
        return pattern
    segments = pattern.count(":") + 1
    if segments < ARN_SEGMENTS:
        return pattern + ":*" * (ARN_SEGMENTS - segments)
    return pattern


def resource_tokens(pattern: str, *, variables: bool) -> tuple[Token, ...]:
    pattern = normalize_resource_pattern(pattern)
    return tokenize(pattern, variables=variables, segment_aware=pattern.startswith("arn:"))


def resolve_variables(
    tokens: Sequence[Token], context: Mapping[str, Sequence[str]]
) -> tuple[Token, ...] | None:
    """Substitute variables from the request context (keys lower-case). None: unresolvable."""
    out: list[Token] = []
    for token in tokens:
        if isinstance(token, Variable):
            values = context.get(token.key.lower())
            if values is not None and len(values) == 1:
                out.extend(values[0])  # a substituted value is literal text, wildcards included
            elif token.default is not None:
                out.extend(token.default)
            else:
                return None
        else:
            out.append(token)
    return tuple(out)


def _tokens_to_regex(tokens: Sequence[Token]) -> str:
    parts: list[str] = []
    for token in tokens:
        if token is Tok.STAR:
            parts.append(".*")
        elif token is Tok.SEGMENT_STAR:
            parts.append("[^:]*")
        elif token is Tok.ONE:
            parts.append(".")
        elif token is Tok.SEGMENT_ONE:
            parts.append("[^:]")
        elif isinstance(token, Variable):
            raise ValueError("resolve variables before compiling")  # programming error
        else:
            parts.append(re.escape(token))
    return "".join(parts)


@functools.lru_cache(maxsize=65536)
def _compiled(tokens: tuple[Token, ...]) -> re.Pattern[str]:
    return re.compile(_tokens_to_regex(tokens), re.DOTALL)


def tokens_match(tokens: tuple[Token, ...], value: str) -> bool:
    return _compiled(tokens).fullmatch(value) is not None


def resource_matches(
    pattern: str,
    resource: str,
    context: Mapping[str, Sequence[str]] | None = None,
    *,
    variables: bool = True,
) -> bool | None:
    """Does a Resource pattern match a request's resource ARN?

    Returns None when the pattern holds a policy variable that the context cannot resolve and
    some value of it would match: AWS then treats the statement as invalid, and a caller with an
    incomplete context may want to say "unknown" instead.
    """
    if pattern == "*":
        return True
    tokens = resource_tokens(pattern, variables=variables)
    if any(isinstance(t, Variable) for t in tokens):
        resolved = resolve_variables(tokens, context or {})
        if resolved is None:
            # An unresolvable variable invalidates the pattern only when the ARN's fixed part
            # (partition, service, region, account and resource-type prefix) matches; otherwise
            # it is an ordinary non-match. This follows the reading of iam-simulate.
            return None if tokens_match(_fixed_part(pattern), resource) else False
        tokens = resolved
    return tokens_match(tokens, resource)


def _fixed_part(pattern: str) -> tuple[Token, ...]:
    """``arn:aws:iam::1:user/${aws:username}`` → tokens of ``arn:aws:iam::1:user/*``."""
    pattern = normalize_resource_pattern(pattern)
    if not pattern.startswith("arn:"):
        return (Tok.STAR,)
    head = pattern.split(":", 5)
    resource_part = head[5]
    if head[2] == "s3" and head[3] == head[4] == "":
        product = ""  # S3 bucket and object ARNs have no resource-type prefix
    else:
        cuts = [i for i in (resource_part.find("/"), resource_part.find(":")) if i != -1]
        product = resource_part[: min(cuts) + 1] if cuts else ""
    if "${" in product:
        product = ""
    fixed = ":".join(head[:5]) + ":" + product
    return (*tokenize(fixed, variables=False, segment_aware=True), Tok.STAR)


def glob_could_match(parts: Sequence[str | None], value: str, *, ignore_case: bool) -> bool:
    """Could a partly unknown pattern (``None`` for each unknown piece) match ``value``?

    Each unknown piece may be anything, wildcards included, so it is read as ``*``; the known
    pieces keep their own wildcards.
    """
    regex: list[str] = []
    for part in parts:
        if part is None:
            regex.append(".*")
        else:
            regex.append(_tokens_to_regex(tokenize(part, variables=False)))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch("".join(regex), value, flags) is not None
