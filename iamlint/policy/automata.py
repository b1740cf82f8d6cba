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


class _Masks:
    """One automaton's transitions as bit masks over its token positions (bit i: "before
    token i"), so that a step is a few integer operations whatever the pattern's length."""

    def __init__(
        self, tokens: Sequence[Token], ordered: Sequence[tuple[str, bool]], alphabet: Alphabet
    ) -> None:
        self.accept = 1 << len(tokens)
        star = segment_star = one = segment_one = 0
        literal: dict[str, int] = {}
        for i, token in enumerate(tokens):
            bit = 1 << i
            if token is Tok.STAR:
                star |= bit
            elif token is Tok.SEGMENT_STAR:
                segment_star |= bit
            elif token is Tok.ONE:
                one |= bit
            elif token is Tok.SEGMENT_ONE:
                segment_one |= bit
            else:
                # A variable is matched by its symbol alone, a literal by the same character.
                ch = alphabet.symbol(token) if isinstance(token, Variable) else token
                literal[ch] = literal.get(ch, 0) | bit
        self.skip = star | segment_star  # a star may match nothing
        # Per character of the walk's alphabet: (positions that advance, positions that stay).
        # A variable's symbol is no single character: "?" never matches it; a segment-bounded
        # "*" does (a value is assumed to hold no colon).
        self.moves: list[tuple[int, int]] = []
        for ch, symbolic in ordered:
            advance = literal.get(ch, 0)
            if not symbolic:
                advance |= one | (segment_one if ch != ":" else 0)
            self.moves.append((advance, star | (segment_star if ch != ":" else 0)))

    def closure(self, states: int) -> int:
        while True:
            wider = states | ((states & self.skip) << 1)
            if wider == states:
                return states
            states = wider


@dataclass(slots=True)
class Budget:
    """Automaton steps (one live automaton reading one character) a question may take; one
    budget can be shared by the walks of a larger question (one containment proof)."""

    steps: int = 1_000_000  # a few seconds at most; the test suite's largest walk takes 40,000

    def spend(self, steps: int) -> None:
        self.steps -= steps
        if self.steps < 0:
            raise TooComplex("the patterns are too complex to compare within the step budget")


def enumerate_cells(
    automata: Sequence[Automaton],
    alphabet: Alphabet,
    *,
    keep: Callable[[tuple[bool, ...]], bool],
    alive: Callable[[tuple[bool, ...]], bool],
    limit: int = 50_000,
    budget: Budget | None = None,
    prefer: str = "x",
    first_only: bool = False,
) -> dict[tuple[bool, ...], str]:
    """Every reachable acceptance vector (which automata accept) with a shortest witness.

    ``keep(vector)``: whether a vector is worth reporting. ``alive(live)``: given which automata
    can still accept some continuation, whether exploring further can matter (prunes the walk).
    ``first_only``: stop at the first kept vector (an existence question).

    Raises `TooComplex` past ``limit`` combinations or when ``budget`` (default: a fresh
    `Budget`) runs out: many long patterns make each combination costly. The caller then
    answers on the safe side ("not provable", "may overlap").
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
    width = len(ordered)
    masks = [_Masks(a.tokens, ordered, alphabet) for a in automata]
    moves = list(range(len(ordered)))

    start = tuple(m.closure(1) for m in masks)
    seen = {start: ""}
    queue = deque([start])
    found: dict[tuple[bool, ...], str] = {}
    budget = budget if budget is not None else Budget()
    while queue:
        state = queue.popleft()
        word = seen[state]
        vector = tuple(bool(s & m.accept) for s, m in zip(state, masks, strict=True))
        if vector not in found and keep(vector):
            found[vector] = word
            if first_only:
                return found
        live = tuple(bool(s) for s in state)
        if not alive(live):
            continue
        budget.spend(width * sum(1 for s in state if s))  # dead automata cost nothing
        for k in moves:
            nxt = tuple(
                m.closure(((s & m.moves[k][0]) << 1) | (s & m.moves[k][1])) if s else 0
                for s, m in zip(state, masks, strict=True)
            )
            if nxt not in seen:
                seen[nxt] = word + ordered[k][0]
                if len(seen) > limit:
                    raise TooComplex(f"more than {limit} pattern combinations")
                queue.append(nxt)
    return found
