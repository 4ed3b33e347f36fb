"""How far a cycle's fetching runs ahead of its storing: fetch slots, and bytes fetched but not yet stored.

A cycle stores feeds in claim order (so which of two copies is the original never depends on
which server answered first), parses them in the pool and fetches in the event loop's process.
Fetching ran ahead until 16 MiB of bodies waited for their parse, but a parsed feed waiting for
the feeds before it to be stored was no longer counted: when storing fell behind (the event
loop's process analysing items itself while the pool was busy), parsed feeds piled up, 400 to
1,100 of them at ~100 kB each in one 4,000-feed cycle in three, and the cycle's peak RSS went
from ~190 to 270-417 MB (finding 60 of benchmarks/README.md). So a feed's bytes count from its
fetch until it is stored, and fetching waits while they are over the limit. A parsed feed's items,
texts and fingerprints take about PARSED_WEIGHT times its body's bytes, and it counts as that
much once parsed: bodies can run far ahead while the pool starts (nothing is parsed yet), parsed
feeds only a quarter as far.

Feeds are let in strictly in claim order, the order they are stored in, so the feed the store
waits for is never kept waiting behind later ones: once every feed let in is stored, nothing is
held and the next goes, however large its body turns out to be.
"""

from __future__ import annotations

import asyncio
from collections import deque

# A parsed feed's memory over its body's bytes: ~100 kB a feed for bodies of ~25 kB (finding 60).
PARSED_WEIGHT = 4


class RunAhead:
    """Lets feeds fetch in claim order, `slots` at once, while those fetched and not stored hold under `limit` bytes."""

    def __init__(self, slots: int, limit: int) -> None:
        self._slots = slots
        self._limit = max(1, limit)  # over 0: with nothing held, the next feed always goes
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._held: dict[int, int] = {}  # position -> its body's bytes, from its turn until stored
        self._bytes = 0
        self._fetching = 0

    @property
    def held_bytes(self) -> int:
        """Bytes held by the feeds fetched and not yet stored (a parsed one's weighted)."""
        return self._bytes

    async def turn(self, position: int) -> None:
        """Wait until the feed at `position` (claim order; call in that order) may fetch, then call `fetched`."""
        if not self._waiting and self._open():
            self._let_in(position)
            return
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((position, future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # let in, then cancelled before it ran
                self.fetched(position, 0)
            raise  # else `_admit` skips it

    def fetched(self, position: int, size: int) -> None:
        """The feed's fetch is over (`size` bytes of body, 0 if none): its slot is free, its bytes are held."""
        self._fetching -= 1
        self._held[position] = size
        self._bytes += size
        self._admit()

    def parsed(self, position: int) -> None:
        """The feed is parsed: it holds PARSED_WEIGHT times its body's bytes until stored."""
        size = self._held.get(position, 0)
        self._held[position] = size * PARSED_WEIGHT
        self._bytes += size * (PARSED_WEIGHT - 1)

    def stored(self, position: int) -> None:
        """The feed is stored (or given up): its bytes are free. A feed that never had its turn frees nothing."""
        self._bytes -= self._held.pop(position, 0)
        self._admit()

    def _open(self) -> bool:
        return self._fetching < self._slots and self._bytes < self._limit

    def _let_in(self, position: int) -> None:
        self._fetching += 1
        self._held[position] = 0

    def _admit(self) -> None:
        while self._waiting and self._open():
            position, future = self._waiting.popleft()
            if not future.done():  # else cancelled while it waited
                self._let_in(position)
                future.set_result(None)
