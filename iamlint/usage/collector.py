"""Pausing Python's cyclic garbage collector around allocation-heavy work that makes no cycles.

Reading CloudTrail files and rendering a snapshot each allocate hundreds of thousands of small
dicts, lists and rows, and every allocation burst triggers collections that traverse everything
alive, including the growing aggregate: measured, that cost as much as parsing, and a third of
a snapshot's write. None of it forms reference cycles (decoded records, the builder and the
rendered snapshot are trees), so reference counting frees it all anyway.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
