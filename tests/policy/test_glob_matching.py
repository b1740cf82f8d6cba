"""The wildcard matcher gives the same answers as the plain regex translation it replaced (kept
here as the oracle). That it takes linear time is tested in test_bounded_work.py."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from iamlint.policy.patterns import (
    Tok,
    Token,
    _NfaMatcher,
    action_matches,
    glob_could_match,
    resource_tokens,
    tokenize,
    tokens_match,
)


def oracle_regex(tokens: Sequence[Token]) -> str:
    """The translation iamlint used before: right, but exponential on ``*?*?*?...``."""
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
        else:
            parts.append(re.escape(str(token)))
    return "".join(parts)


def oracle(tokens: Sequence[Token], value: str, flags: int = 0) -> bool:
    return re.fullmatch(oracle_regex(tokens), value, re.DOTALL | flags) is not None


# Few characters, so that patterns and values collide often; ":" and "/" matter to ARNs.
TEXT = st.text(alphabet="ab:/", max_size=12)
PATTERN_TEXT = st.text(alphabet="ab:/*?", max_size=12)
ANY_TOKEN = st.sampled_from(
    ["a", "b", ":", "/", Tok.STAR, Tok.SEGMENT_STAR, Tok.ONE, Tok.SEGMENT_ONE]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(ANY_TOKEN, max_size=9), TEXT)
def test_any_token_sequence_matches_as_the_regex_translation_does(tokens, value):
    assert tokens_match(tuple(tokens), value) is oracle(tokens, value)


@settings(max_examples=600, deadline=None)
@given(PATTERN_TEXT, TEXT, st.booleans())
def test_tokenized_patterns_match_as_the_regex_translation_does(pattern, value, segment_aware):
    tokens = tokenize(pattern, variables=False, segment_aware=segment_aware)
    assert tokens_match(tokens, value) is oracle(tokens, value)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab:*?", max_size=10), st.text(alphabet="ab:/", max_size=10))
def test_resource_arn_patterns_match_as_the_regex_translation_does(tail, value):
    pattern = "arn:" + tail
    arn = "arn:" + value
    tokens = resource_tokens(pattern, variables=False)
    assert tokens_match(tokens, arn) is oracle(tokens, arn)


@settings(max_examples=400, deadline=None)
@given(st.lists(ANY_TOKEN, max_size=9), TEXT)
def test_the_automaton_fallback_agrees_with_the_regex_translation(tokens, value):
    assert (_NfaMatcher(tokens).fullmatch(value) is not None) is oracle(tokens, value)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="aBc:*?", max_size=10), st.text(alphabet="AbC:", max_size=10))
def test_actions_match_case_insensitively_as_before(pattern, action):
    tokens = tokenize(pattern.lower(), variables=False)
    assert action_matches(pattern, action) is oracle(tokens, action.lower())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.none() | PATTERN_TEXT, max_size=4), st.text(alphabet="aB:/", max_size=10))
def test_partly_unknown_patterns_match_as_before(parts, value):
    tokens: list[Token] = []
    for part in parts:
        tokens.extend((Tok.STAR,) if part is None else tokenize(part, variables=False))
    assert glob_could_match(parts, value, ignore_case=True) is oracle(tokens, value, re.IGNORECASE)


def test_every_short_token_sequence_matches_every_short_value_as_before():
    alphabet = ["a", ":", Tok.STAR, Tok.SEGMENT_STAR, Tok.ONE, Tok.SEGMENT_ONE]
    values = ["".join(v) for n in range(5) for v in itertools.product("ab:", repeat=n)]
    for n in range(5):
        for tokens in itertools.product(alphabet, repeat=n):
            for value in values:
                assert tokens_match(tokens, value) is oracle(tokens, value), (tokens, value)
