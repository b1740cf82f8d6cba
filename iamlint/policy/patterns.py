"""IAM wildcard patterns: actions (case-insensitive globs) and resource ARNs (case-sensitive,
wildcards bounded by ARN segments), with policy variables.

A pattern is compiled once into a small token list. The same tokens drive both the matcher of
one request and the automata that `containment` uses to compare whole sets of patterns, so the
two can never disagree about what a pattern means.

Matching takes time linear in the value for each piece of the pattern (O(len(value) *
len(pattern)) at worst), whatever the pattern: ``s3:*?*?*?...`` must not backtrack
exponentially as a naive translation to a regular expression does. See `_glob_regex`.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

ARN_SEGMENTS = 6  # arn:partition:service:region:account:resource


class Tok(enum.Enum):
    STAR = "*"  # any run of characters, colons included
    SEGMENT_STAR = "*:"  # any run of characters inside one ARN segment (no colon)
    ONE = "?"  # exactly one character
    SEGMENT_ONE = "?:"  # one character other than a colon

    # Members are singletons: identity hashing is right, and ten times faster than Enum's own
    # (token tuples are hashed on every lookup of a compiled pattern).
    __hash__ = object.__hash__


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
    """Actions match case-insensitively; ``*`` and ``?`` are the only wildcards. The regex
    cannot backtrack (`_glob_regex`); use it with ``fullmatch``."""
    regex = _glob_regex(tokenize(pattern.lower(), variables=False))
    assert regex is not None  # action patterns have no segment-bounded wildcards
    return re.compile(regex, re.DOTALL)


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


@functools.lru_cache(maxsize=65536)
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


def _glob_regex(tokens: Sequence[Token]) -> str | None:
    """A regular expression for ``fullmatch`` that matches what the tokens match, in time
    O(len(value) * len(tokens)) at worst; None for a token order it cannot handle.

    A glob is pieces of fixed length (literals and ``?``) between stars: ``P0 * P1 * ... * Pk``.
    P0 is anchored at the start and Pk at the end; each middle piece can be placed at its
    *earliest* occurrence after the previous one, because a later placement never leaves more
    room for the rest. ``(?>.*?P)`` (an atomic group, Python 3.11) finds exactly that
    occurrence and never tries another, so the engine cannot backtrack across stars (a plain
    ``.*P1.*P2...`` is exponential on ``s3:*?*?*?...``).

    Segment-bounded stars (``[^:]*``) keep the argument only while no unbounded wildcard comes
    before them: then a piece either holds a colon, which pins it to the value's next colon,
    or spans no colon at all. Segment-aware tokenizing always produces that order (bounded
    wildcards in the first five ARN segments, unbounded ones after); anything else is left to
    `_NfaMatcher`.
    """
    pieces: list[list[Token]] = [[]]
    gaps: list[Tok] = []  # the star before each piece after the first
    unbounded_seen = False
    for token in tokens:
        if token is Tok.STAR or token is Tok.SEGMENT_STAR:
            if gaps and not pieces[-1]:
                # Consecutive stars are one star; an unbounded one absorbs a bounded one.
                if token is Tok.STAR:
                    gaps[-1] = Tok.STAR
                    unbounded_seen = True
                continue
            if token is Tok.SEGMENT_STAR and unbounded_seen:
                return None
            unbounded_seen = unbounded_seen or token is Tok.STAR
            gaps.append(token)
            pieces.append([])
            continue
        if isinstance(token, Variable):
            raise ValueError("resolve variables before compiling")  # programming error
        unbounded_seen = unbounded_seen or token is Tok.ONE
        pieces[-1].append(token)
    parts = [_piece_regex(pieces[0])]
    for index, (gap, piece) in enumerate(zip(gaps, pieces[1:], strict=True)):
        star = ".*" if gap is Tok.STAR else "[^:]*"
        if index == len(gaps) - 1:
            parts.append(star + _piece_regex(piece))  # the last piece: anchored at the end
        else:
            parts.append(f"(?>{star}?{_piece_regex(piece)})")
    return "".join(parts)


def _piece_regex(piece: Sequence[Token]) -> str:
    out: list[str] = []
    for token in piece:
        if token is Tok.ONE:
            out.append(".")
        elif token is Tok.SEGMENT_ONE:
            out.append("[^:]")
        else:
            out.append(re.escape(str(token)))
    return "".join(out)


class _NfaMatcher:
    """The tokens as a nondeterministic automaton run over the value, all states at once (a
    bit per token position): O(len(value) * len(tokens) / 64) for any token order."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.accept = 1 << len(tokens)
        self.star = self.segment_star = self.one = self.segment_one = 0
        self.literal: dict[str, int] = {}
        for i, token in enumerate(tokens):
            bit = 1 << i
            if token is Tok.STAR:
                self.star |= bit
            elif token is Tok.SEGMENT_STAR:
                self.segment_star |= bit
            elif token is Tok.ONE:
                self.one |= bit
            elif token is Tok.SEGMENT_ONE:
                self.segment_one |= bit
            elif isinstance(token, Variable):
                raise ValueError("resolve variables before compiling")  # programming error
            else:
                self.literal[token] = self.literal.get(token, 0) | bit

    def _closure(self, states: int) -> int:
        stars = self.star | self.segment_star  # a star may match nothing: skip it
        while True:
            wider = states | ((states & stars) << 1)
            if wider == states:
                return states
            states = wider

    def fullmatch(self, value: str) -> bool | None:
        states = self._closure(1)
        for ch in value:
            colon = ch == ":"
            consume = self.literal.get(ch, 0) | self.one | (0 if colon else self.segment_one)
            stay = self.star | (0 if colon else self.segment_star)
            states = self._closure(((states & consume) << 1) | (states & stay))
            if not states:
                return None
        return True if states & self.accept else None


class _Matcher(Protocol):
    def fullmatch(self, value: str) -> object: ...


@functools.lru_cache(maxsize=65536)
def _compiled(tokens: tuple[Token, ...], ignore_case: bool = False) -> _Matcher:
    regex = _glob_regex(tokens)
    if regex is None:
        return _NfaMatcher(tokens)  # (never with ignore_case: those tokens are not segmented)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def compiled_tokens(tokens: tuple[Token, ...]) -> _Matcher:
    """The matcher of variable-free tokens: ``.fullmatch(value)`` is not None on a match."""
    return _compiled(tokens)


def tokens_match(tokens: tuple[Token, ...], value: str, *, once: bool = False) -> bool:
    """``once``: a question not asked again (one entry of a list of thousands against ``*``):
    run the automaton rather than compile and cache a regex for it."""
    if once:
        return _NfaMatcher(tokens).fullmatch(value) is not None
    return _compiled(tokens).fullmatch(value) is not None


def resource_matches(
    pattern: str,
    resource: str,
    context: Mapping[str, Sequence[str]] | None = None,
    *,
    variables: bool = True,
    once: bool = False,
) -> bool | None:
    """Does a Resource pattern match a request's resource ARN? (``once``: see `tokens_match`.)

    Returns None when the pattern holds a policy variable that the context cannot resolve and
    some value of it would match: AWS then treats the statement as invalid, and a caller with an
    incomplete context may want to say "unknown" instead.
    """
    if pattern == "*":
        return True
    if _plain(pattern):
        return pattern == resource  # most Resource entries: no tokens, no regex
    tokens = resource_tokens(pattern, variables=variables)
    if any(isinstance(t, Variable) for t in tokens):
        resolved = resolve_variables(tokens, context or {})
        if resolved is None:
            # An unresolvable variable invalidates the pattern only when the ARN's fixed part
            # (partition, service, region, account and resource-type prefix) matches; otherwise
            # it is an ordinary non-match. This follows the reading of iam-simulate.
            return None if tokens_match(_fixed_part(pattern), resource, once=once) else False
        tokens = resolved
    return tokens_match(tokens, resource, once=once)


def _plain(pattern: str) -> bool:
    """A pattern that matches only itself: no wildcard, no variable, not padded (a full ARN)."""
    if "*" in pattern or "?" in pattern or "$" in pattern:
        return False
    return not pattern.startswith("arn:") or pattern.count(":") >= ARN_SEGMENTS - 1


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
    tokens: list[Token] = []
    for part in parts:
        if part is None:
            tokens.append(Tok.STAR)
        else:
            tokens.extend(tokenize(part, variables=False))
    return _compiled(tuple(tokens), ignore_case).fullmatch(value) is not None
