"""Three-valued (Kleene) truth: a check over partly unknown input can only say true, false or
"it depends on something nobody knows yet"."""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Tri(enum.Enum):
    FALSE = 0
    UNKNOWN = 1
    TRUE = 2

    @staticmethod
    def of(value: bool) -> Tri:
        return Tri.TRUE if value else Tri.FALSE

    def __invert__(self) -> Tri:
        return Tri(2 - self.value)

    def __and__(self, other: Tri) -> Tri:
        return Tri(min(self.value, other.value))

    def __or__(self, other: Tri) -> Tri:
        return Tri(max(self.value, other.value))

    def __bool__(self) -> bool:
        # Forbidding implicit truthiness keeps "unknown" from silently becoming True or False.
        raise TypeError("Tri has no implicit truth value; compare with Tri.TRUE / Tri.FALSE")

    @property
    def possible(self) -> bool:
        """True or unknown: what an over-approximating check uses."""
        return self is not Tri.FALSE

    @property
    def certain(self) -> bool:
        """Known to be true: what an under-approximating proof uses."""
        return self is Tri.TRUE


def any_of(values: Iterable[Tri]) -> Tri:
    result = Tri.FALSE
    for value in values:
        result = result | value
        if result is Tri.TRUE:
            break
    return result


def all_of(values: Iterable[Tri]) -> Tri:
    result = Tri.TRUE
    for value in values:
        result = result & value
        if result is Tri.FALSE:
            break
    return result
