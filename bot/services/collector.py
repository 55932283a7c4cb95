"""Python's cyclic garbage collector paused around a burst of allocations (the first chart's
import of matplotlib, an export's half a million rows): objects that die young, or that
live as long as the process, set off collections that walk everything else the process
holds, again and again."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside, left off if it was off already (another pause meanwhile),
    on again after, also on an error."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
