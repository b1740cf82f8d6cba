from __future__ import annotations

import pytest

from iamlint.policy.tri import Tri, all_of, any_of

T, F, U = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN


def test_kleene_tables() -> None:
    assert (T & U, F & U, U & U) == (U, F, U)
    assert (T | U, F | U, U | U) == (T, U, U)
    assert (~T, ~F, ~U) == (F, T, U)
    assert any_of([F, U]) is U and any_of([]) is F and any_of([U, T]) is T
    assert all_of([T, U]) is U and all_of([]) is T and all_of([U, F]) is F


def test_no_implicit_truthiness() -> None:
    with pytest.raises(TypeError):
        bool(U)
    assert U.possible and not U.certain and T.certain and not F.possible
