from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def monkeypatch_session():
    """A monkeypatch that hypothesis examples can share (function-scoped fixtures cannot)."""
    with pytest.MonkeyPatch.context() as patcher:
        yield patcher
