"""Tests for pipeline.runahead: fetch slots, bytes held until stored, claim order, no deadlock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine

from pipeline.runahead import RunAhead


async def _let_in(gate: RunAhead, positions: range, order: list[int]) -> list[asyncio.Task[None]]:
    """Start one task per position, each noting its position in `order` once its turn comes."""

    async def one(position: int) -> None:
        await gate.turn(position)
        order.append(position)

    tasks = [asyncio.create_task(one(position)) for position in positions]
    await asyncio.sleep(0)
    return tasks


def _run(test: Callable[[], Coroutine[object, object, None]]) -> None:
    asyncio.run(test())


def test_feeds_take_their_turn_in_claim_order_as_slots_free_up() -> None:
    async def test() -> None:
        gate, order = RunAhead(slots=2, limit=1_000), list[int]()
        tasks = await _let_in(gate, range(5), order)
        assert order == [0, 1]
        gate.fetched(1, 10)
        await asyncio.sleep(0)
        assert order == [0, 1, 2]
        gate.fetched(0, 10)
        gate.fetched(2, 10)
        await asyncio.sleep(0)
        assert order == [0, 1, 2, 3, 4]
        await asyncio.gather(*tasks)

    _run(test)


def test_fetching_waits_while_the_feeds_fetched_and_not_stored_are_over_the_limit() -> None:
    async def test() -> None:
        gate, order = RunAhead(slots=10, limit=100), list[int]()
        tasks = await _let_in(gate, range(4), order)
        assert order == [0, 1, 2, 3]
        for position in range(4):
            gate.fetched(position, 60)
        later = await _let_in(gate, range(4, 6), order)
        assert gate.held_bytes == 240
        assert order == [0, 1, 2, 3], "feeds fetched and not yet stored count, parsed or not"
        gate.stored(0)
        gate.stored(1)
        await asyncio.sleep(0)
        assert order == [0, 1, 2, 3], "120 bytes still held"
        gate.stored(2)
        await asyncio.sleep(0)
        assert order == [0, 1, 2, 3, 4, 5]
        await asyncio.gather(*tasks, *later)

    _run(test)


def test_a_feed_larger_than_the_limit_still_goes_once_every_feed_before_it_is_stored() -> None:
    async def test() -> None:
        gate, order = RunAhead(slots=10, limit=100), list[int]()
        tasks = await _let_in(gate, range(1), order)
        gate.fetched(0, 5_000)
        later = await _let_in(gate, range(1, 3), order)
        assert order == [0]
        gate.stored(0)  # nothing held now: the next goes whatever its size, the one after waits for it
        await asyncio.sleep(0)
        assert order == [0, 1, 2]
        gate.fetched(1, 5_000)
        gate.fetched(2, 0)
        assert gate.held_bytes == 5_000
        await asyncio.gather(*tasks, *later)

    _run(test)


def test_a_feed_cancelled_while_it_waits_or_before_it_ran_keeps_no_slot() -> None:
    async def test() -> None:
        gate, order = RunAhead(slots=1, limit=100), list[int]()
        tasks = await _let_in(gate, range(4), order)
        tasks[1].cancel()  # waiting: skipped when slot 0 frees
        gate.fetched(0, 0)
        tasks[2].cancel()  # let in by that `fetched`, then cancelled before it ran: its slot comes back
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)  # a slot kept: 3 never runs
        assert order == [0, 3]
        gate.stored(1)  # a feed that never had its turn frees nothing
        assert gate.held_bytes == 0

    _run(test)


def test_a_parsed_feed_counts_as_four_times_its_body_until_stored() -> None:
    async def test() -> None:
        gate, order = RunAhead(slots=10, limit=100), list[int]()
        tasks = await _let_in(gate, range(2), order)
        gate.fetched(0, 20)
        gate.fetched(1, 20)
        later = await _let_in(gate, range(2, 3), order)
        assert order == [0, 1, 2], "40 bytes of bodies: under the limit"
        gate.fetched(2, 0)
        gate.parsed(0)
        gate.parsed(1)
        assert gate.held_bytes == 160
        last = await _let_in(gate, range(3, 4), order)
        assert order == [0, 1, 2], "two parsed feeds of 20-byte bodies: over the limit"
        gate.stored(0)
        await asyncio.sleep(0)
        assert (order, gate.held_bytes) == ([0, 1, 2, 3], 80)
        await asyncio.gather(*tasks, *later, *last)

    _run(test)
