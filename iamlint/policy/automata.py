"""Which combinations of wildcard patterns can one string satisfy at once?

Containment needs to know, for a set of patterns, every *cell*: a set of patterns that some single
string matches while the others do not, with such a string as a witness. Each pattern is a small
nondeterministic automaton over its tokens; a breadth-first walk of their product over a finite
alphabet (every literal character used, the colon, each policy variable's symbol, and one
stand-in for "any other character") visits every reachable combination. The walk is exact, so
the cells it reports are exactly the realizable ones.

Policy variables: a ``${key}`` is one opaque symbol, the variable's value in the request. It is
matched by the same variable and by ``*`` (a value is assumed to contain no colon for the
segment-bounded ``*``), never by literal text or ``?``: the *generic-value* assumption, which
containment reports whenever it relies on it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iamlint.policy.patterns import Tok, Token, Variable

_SYMBOL_BASE = 0xE000  # Unicode private-use area: never in a real ARN or action name


class TooComplex(Exception):
    """The product grew past the limit; callers answer "not provable" instead of guessing."""


@dataclass(frozen=True, slots=True)
class Automaton:
    tokens: tuple[Token, ...]


def _closure(tokens: Sequence[Token], states: set[int]) -> frozenset[int]:
    stack = list(states)
    seen = set(states)
    while stack:
        i = stack.pop()
        skippable = i < len(tokens) and tokens[i] in (Tok.STAR, Tok.SEGMENT_STAR)
        if skippable and i + 1 not in seen:
            seen.add(i + 1)
            stack.append(i + 1)
    return frozenset(seen)


class Alphabet:
    """Maps variables to private symbols and picks a stand-in for every other character."""

    def __init__(self) -> None:
        self.variables: dict[Variable, str] = {}

    def symbol(self, variable: Variable) -> str:
        # Variables with the same key are the same value, whatever their defaults.
        key = Variable(variable.key.lower())
        if key not in self.variables:
            self.variables[key] = chr(_SYMBOL_BASE + len(self.variables))
        return self.variables[key]

    def is_symbol(self, ch: str) -> bool:
        return _SYMBOL_BASE <= ord(ch) < _SYMBOL_BASE + 0x1000

    def variable_for(self, ch: str) -> Variable | None:
        for variable, symbol in self.variables.items():
            if symbol == ch:
                return variable
        return None


def _step(
    tokens: Sequence[Token], states: frozenset[int], ch: str, symbolic: bool, alphabet: Alphabet
) -> frozenset[int]:
    if not states:
        return states  # a dead automaton stays dead
    out: set[int] = set()
    for i in states:
        if i >= len(tokens):
            continue
        token = tokens[i]
        if token is Tok.STAR:
            out.add(i)
        elif token is Tok.SEGMENT_STAR:
            if ch != ":":
                out.add(i)
        elif token is Tok.ONE:
            if not symbolic:
                out.add(i + 1)
        elif token is Tok.SEGMENT_ONE:
            if not symbolic and ch != ":":
                out.add(i + 1)
        elif isinstance(token, Variable):
            if symbolic and alphabet.symbol(token) == ch:
                out.add(i + 1)
        elif token == ch:
            out.add(i + 1)
    return _closure(tokens, out) if out else frozenset()


def enumerate_cells(
    automata: Sequence[Automaton],
    alphabet: Alphabet,
    *,
    keep: Callable[[tuple[bool, ...]], bool],
    alive: Callable[[tuple[bool, ...]], bool],
    limit: int = 50_000,
    prefer: str = "x",
    first_only: bool = False,
) -> dict[tuple[bool, ...], str]:
    """Every reachable acceptance vector (which automata accept) with a shortest witness.

    ``keep(vector)``: whether a vector is worth reporting. ``alive(live)``: given which automata
    can still accept some continuation, whether exploring further can matter (prunes the walk).
    ``first_only``: stop at the first kept vector (an existence question).
    """
    literals: set[str] = {":"}
    for automaton in automata:
        for token in automaton.tokens:
            if isinstance(token, str):
                literals.add(token)
            elif isinstance(token, Variable):
                literals.add(alphabet.symbol(token))
    # One character no pattern spells stands for every such character: they all behave alike.
    other = next(c for c in [prefer, *"qzj0123456789", "\u2603"] if c not in literals)
    chars = literals | {other}
    ordered = [
        (c, alphabet.is_symbol(c)) for c in sorted(chars, key=lambda c: (alphabet.is_symbol(c), c))
    ]
    token_lists = [a.tokens for a in automata]

    start = tuple(_closure(a.tokens, {0}) for a in automata)
    lengths = [len(a.tokens) for a in automata]
    seen = {start: ""}
    queue = deque([start])
    found: dict[tuple[bool, ...], str] = {}
    while queue:
        state = queue.popleft()
        word = seen[state]
        vector = tuple(lengths[i] in s for i, s in enumerate(state))
        if vector not in found and keep(vector):
            found[vector] = word
            if first_only:
                return found
        live = tuple(bool(s) for s in state)
        if not alive(live):
            continue
        for ch, symbolic in ordered:
            nxt = tuple(
                _step(tokens, s, ch, symbolic, alphabet)
                for tokens, s in zip(token_lists, state, strict=True)
            )
            if nxt not in seen:
                seen[nxt] = word + ch
                if len(seen) > limit:
                    raise TooComplex(f"more than {limit} pattern combinations")
                queue.append(nxt)
    return found
