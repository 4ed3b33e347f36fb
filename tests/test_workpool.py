"""How many pool processes a cycle uses, and the context they start from."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline import poolwork, workpool
from pipeline.affinity import CorePlan
from pipeline.analysis import analyse, compile_baseline
from pipeline.baseline import load_baseline
from pipeline.config import AnalysisSettings
from pipeline.processes import QUEUED_CALLS
from pipeline.records import ItemText
from pipeline.workpool import POOL_MIN_FEEDS, pool_size
from tests.test_affinity import in_thread

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cores", "feeds", "expected"),
    [
        (2, POOL_MIN_FEEDS, 1),  # the event loop's process keeps a core of its own
        (8, 1000, 7),
        (1, 1000, 0),  # one core: parse in a thread, analyse after the fetches
        (8, POOL_MIN_FEEDS - 1, 0),  # a small cycle is not worth starting processes
    ],
)
def test_a_big_cycle_uses_every_core_but_the_event_loops(
    monkeypatch: pytest.MonkeyPatch, cores: int, feeds: int, expected: int
) -> None:
    monkeypatch.setattr(
        "pipeline.workpool.os.sched_getaffinity", lambda pid: set(range(cores)), raising=False
    )
    assert pool_size(None, feeds) == expected


def test_a_worker_pinned_to_fewer_cores_sizes_its_pool_to_them(monkeypatch: pytest.MonkeyPatch) -> None:
    # taskset or a container's cpuset: the machine has 8 cores, this process may use one of them
    monkeypatch.setattr("pipeline.workpool.os.cpu_count", lambda: 8)
    monkeypatch.setattr("pipeline.workpool.os.sched_getaffinity", lambda pid: {3}, raising=False)
    assert workpool.usable_cores() == 1
    assert pool_size(None, 1000) == 0


def test_without_an_affinity_call_every_core_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr("pipeline.workpool.os.sched_getaffinity", raising=False)
    monkeypatch.setattr("pipeline.workpool.os.cpu_count", lambda: 4)
    assert workpool.usable_cores() == 4


def test_the_setting_wins() -> None:
    assert pool_size(0, 10_000) == 0
    assert pool_size(3, 1) == 3


def test_withdraw_takes_back_the_last_share_of_the_analyses_no_worker_started() -> None:
    baseline = load_baseline(ROOT / "config/baselines/bakhmut-2023-01-26.toml")
    matcher = compile_baseline(baseline, AnalysisSettings())
    item = ItemText("Bakhmut", "Wagner fighters captured Bakhmut.", datetime(2023, 5, 21, tzinfo=UTC))

    async def run() -> tuple[int, int, list[object]]:
        with workpool.WorkPool(1, matcher) as pool:
            pool._executor().submit(time.sleep, 2.0)  # the one worker is busy: the calls queue up
            calls = [asyncio.create_task(pool.analyse([item])) for _ in range(QUEUED_CALLS + 6)]
            # Every call is submitted at once; the executor queues QUEUED_CALLS of them for the worker
            # (they count as started), one more if the worker took the sleep before the last submit,
            # and then no more until the sleep ends.
            await asyncio.sleep(0.3)
            waiting = sum(not f.running() for f in pool._analyses)
            taken = pool.withdraw(0.5)
            return waiting, taken, await asyncio.gather(*calls, return_exceptions=True)

    waiting, taken, results = asyncio.run(run())
    assert waiting in (5, 6)
    assert taken == waiting // 2, "half of the calls not started, rounded down, from the end"
    assert all(isinstance(r, asyncio.CancelledError) for r in results[-taken:])
    assert results[:-taken] == [[analyse(item, matcher)]] * (QUEUED_CALLS + 6 - taken)


def test_the_backlog_counts_the_calls_not_done_beyond_one_a_process() -> None:
    baseline = load_baseline(ROOT / "config/baselines/bakhmut-2023-01-26.toml")
    matcher = compile_baseline(baseline, AnalysisSettings())
    item = ItemText("Bakhmut", "Wagner fighters captured Bakhmut.", datetime(2023, 5, 21, tzinfo=UTC))

    async def run() -> tuple[int, int, int]:
        with workpool.WorkPool(1, matcher) as pool:
            idle = pool.backlog()
            pool._executor().submit(time.sleep, 0.5)  # the one worker is busy: the calls queue up
            calls = [asyncio.create_task(pool.analyse([item])) for _ in range(7)]
            await asyncio.sleep(0.1)
            waiting = pool.backlog()
            await asyncio.gather(*calls)
            return idle, waiting, pool.backlog()

    assert asyncio.run(run()) == (0, 6, 0)


def test_start_leaves_the_event_loop_free_and_a_parse_sent_meanwhile_waits_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    baseline = load_baseline(ROOT / "config/baselines/bakhmut-2023-01-26.toml")
    matcher = compile_baseline(baseline, AnalysisSettings())
    body = (ROOT / "tests/fixtures/feeds/atom10.xml").read_bytes()
    gate = threading.Event()  # holds the start's first submit, as a slow fork server would

    async def run() -> tuple[list[str], object]:
        events: list[str] = []
        with workpool.WorkPool(1, matcher) as pool:
            executor = pool._executor()
            real_submit = executor.submit

            def slow_first_submit(fn: Callable[..., object], /, *args: object) -> object:
                if fn is poolwork.ready:
                    assert gate.wait(10)
                    events.append("started")
                return real_submit(fn, *args)

            monkeypatch.setattr(executor, "submit", slow_first_submit)
            pool.start()
            parse = asyncio.create_task(pool.parse(body, "https://example.org/feed", NOW))
            await asyncio.sleep(0.05)
            events.append("the loop ran meanwhile")
            assert not parse.done()
            gate.set()
            return events, await parse

    events, parsed = asyncio.run(run())
    assert events == ["the loop ran meanwhile", "started"]
    assert isinstance(parsed, poolwork.PreparedFeed)
    assert parsed.feed.items


def test_warm_up_starts_the_fork_server_only_for_a_cycle_that_will_use_a_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform")
    started: list[bool] = []
    monkeypatch.setattr("multiprocessing.forkserver.ensure_running", lambda: started.append(True))
    workpool.warm_up(0, 10_000)  # processes = 0: parse in a thread
    workpool.warm_up(None, 1)  # too small a cycle for processes
    assert started == []
    workpool.warm_up(1, 10_000)
    assert started == [True]


needs_two_cores = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs two cores to pin to",
)


@needs_two_cores
def test_a_pool_with_a_core_plan_runs_on_its_cores_and_gives_the_event_loop_thread_its_own_back() -> None:
    matcher = compile_baseline(
        load_baseline(ROOT / "config/baselines/bakhmut-2023-01-26.toml"), AnalysisSettings()
    )
    allowed = frozenset(os.sched_getaffinity(0))
    plan = CorePlan(loop=frozenset({min(allowed)}), pool=allowed - {min(allowed)})

    async def run() -> tuple[object, object, object, object]:
        before = frozenset(os.sched_getaffinity(0))
        with workpool.WorkPool(1, matcher, plan) as pool:
            pool.start()
            worker = await asyncio.wrap_future(pool._executor().submit(os.sched_getaffinity, 0))
            during = frozenset(os.sched_getaffinity(0))
        return before, worker, during, frozenset(os.sched_getaffinity(0))

    assert in_thread(lambda: asyncio.run(run())) == (allowed, plan.pool, plan.loop, allowed)


@needs_two_cores
def test_a_pool_without_a_plan_runs_on_the_cores_of_the_thread_that_started_it() -> None:
    # not the fork server's: one started while a thread was pinned would hand its workers that thread's core
    matcher = compile_baseline(
        load_baseline(ROOT / "config/baselines/bakhmut-2023-01-26.toml"), AnalysisSettings()
    )
    workpool.warm_up(1, POOL_MIN_FEEDS)  # the fork server, started here on every core
    core = frozenset({max(os.sched_getaffinity(0))})

    async def run() -> object:
        with workpool.WorkPool(1, matcher) as pool:
            pool.start()
            return await asyncio.wrap_future(pool._executor().submit(os.sched_getaffinity, 0))

    def pinned() -> object:
        os.sched_setaffinity(0, core)  # this thread only, and it ends with the test
        return asyncio.run(run())

    assert in_thread(pinned) == core
