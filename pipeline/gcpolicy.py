"""Fewer garbage collections while a cycle runs: a cold cycle keeps what it stores in memory.

A cold cycle of 1,000 feeds keeps ~20,000 items alive in the syndication check's index and the
pending analyses, so the heap grows all cycle long; with CPython's default thresholds that
growth set off six full collections, each walking the whole heap (0.33 s of a 6 s cycle, the event
loop's process being the one the cycle waits for; benchmarks/README.md, finding 40). While a cycle
runs, a full collection waits for `FULL_EVERY` collections of the middle generation instead of 10.
Young collections were the rest: ~640 in that process's cold cycle, ~0.5 s in all (finding 45).
While a cycle runs one comes every `YOUNG_EVERY` allocations instead of 700, and they took
~0.2 s: most of a request's or a parse's objects are freed by reference counting long before,
and the few cycles of garbage wait a little longer. The thresholds come back when the last cycle
running in the process ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

FULL_EVERY = 100  # middle-generation collections per full one while a cycle runs (CPython's default: 10)
YOUNG_EVERY = 10_000  # allocations per young collection while a cycle runs (CPython's default: 700)

_lock = threading.Lock()
_running = 0  # cycles in this process inside `fewer_collections` (a service may overlap two)
_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the young and full thresholds to `YOUNG_EVERY` and `FULL_EVERY` for the block.

    They are restored when the last block running in the process ends.
    """
    global _running, _saved  # the collector is one per process: so is what it was set to
    with _lock:
        if _running == 0:
            _saved = gc.get_threshold()
            young, middle, full = _saved
            gc.set_threshold(max(young, YOUNG_EVERY), middle, max(full, FULL_EVERY))
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                gc.set_threshold(*_saved)
