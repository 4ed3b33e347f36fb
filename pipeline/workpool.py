"""The CPU-bound stages of a cycle, parse and analysis, off the event loop and on every core.

feedparser and the analysis core are pure Python, so threads would share one core with the
event loop that fetches. A cycle of many feeds therefore hands both to a process pool, whose
processes run `pipeline.poolwork`: each is started with the baseline (a `Matcher` holds caches
that do not pickle; the plain values it was compiled from, `Matcher.terms`, do) and compiles it
at its first analysis, then parses bodies and analyses items as the cycle sends them. Starting the
pool costs a few tenths of a second, so a small cycle (or one that is all 304s) parses in a
thread and leaves analysis to `cycle.analyse_pending`. Each parsed feed comes back with its
items' duplicate keys (`dedupe.item_keys`), so the process that stores does not spend its time
hashing and folding text. The pool tells the cycle how many
calls wait (`backlog`) and gives back the analyses no worker has started (`withdraw`), so that
the event loop's process can do them when it would otherwise wait.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.forkserver
import os
import pickle
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from pipeline.affinity import CorePlan, give_back, keep_on, thread_cores
from pipeline.analysis import Matcher
from pipeline.poolwork import PreparedFeed, analyse_texts, parse_body, ready, start_worker
from pipeline.processes import make_executor, pool_context
from pipeline.records import Finding, ItemText

_T = TypeVar("_T")

# Below this many feeds a cycle works in threads: starting the processes costs more than it saves.
POOL_MIN_FEEDS = 32


def pool_size(processes: int | None, feeds: int) -> int:
    """How many processes a cycle of `feeds` feeds uses: the setting, or one per usable core but the event loop's for a big cycle.

    The event loop's process fetches and stores about as much CPU as the pool parses and analyses,
    so it keeps a core of its own: on 2 cores one pool process ran `run --once` over 250 feeds in
    4.65 s, two in 4.9-5.1 s (three processes taking turns on two cores).
    """
    if processes is not None:
        return processes
    cores = usable_cores()
    return cores - 1 if cores >= 2 and feeds >= POOL_MIN_FEEDS else 0


def warm_up(processes: int | None, feeds: int) -> None:
    """Start the fork server now if a cycle of `feeds` feeds will want a pool: it is ready when the pool starts.

    The fork server imports `pipeline.poolwork` (~0.1 s) before it forks the first worker; started at
    the top of a cycle, it does that while the cycle reads its feeds, instead of after. It
    lives as long as this process (a service starts it once) and costs nothing while idle.
    """
    if pool_size(processes, feeds) > 0 and isinstance(
        pool_context(), multiprocessing.context.ForkServerContext
    ):
        multiprocessing.forkserver.ensure_running()


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (taskset, a container's cpuset), else every core.

    A worker given one core of a bigger machine would otherwise start a pool process per core
    of the machine, and its processes would take turns on its one core.
    """
    cores = thread_cores()  # None on macOS and Windows: no affinity call
    return len(cores) if cores is not None else os.cpu_count() or 1


class WorkPool:
    """Parse and analyse in `size` processes (started at first use), or parse in a thread when 0."""

    def __init__(self, size: int, matcher: Matcher, cores: CorePlan | None = None) -> None:
        self.size = size
        self._matcher = matcher
        self._cores = cores  # where the event loop thread and the processes run once started (`affinity`)
        self._loop_cores: frozenset[int] | None = None  # the event loop thread's cores before, to give back
        self._pool: ProcessPoolExecutor | None = None
        self._sent: set[Future[Any]] = set()  # every call sent and not done
        self._analyses: list[Future[list[list[Finding]]]] = []  # the analyses among them, in order
        self._starting: asyncio.Task[Future[None]] | None = None  # `start` in its thread, until it returns

    @property
    def analyses(self) -> bool:
        """Whether items are analysed here (else `cycle.analyse_pending` does it in this process)."""
        return self.size > 0

    def __enter__(self) -> WorkPool:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        give_back(self._loop_cores)
        self._loop_cores = None

    async def parse(self, body: bytes, url: str, now: datetime) -> PreparedFeed | tuple[str, str]:
        """`parse_body` in a worker process, or in a thread when the pool has none."""
        if self.size == 0:
            return await asyncio.to_thread(parse_body, body, url, now)
        await self._started()
        return await self._run(self._executor().submit(parse_body, body, url, now))

    def start(self) -> None:
        """Start the processes now, in a thread, rather than at the first parse; call it in the event loop.

        The first process takes a few tenths of a second to be ready (the fork server starts), and the
        first `submit` waits for it: in a thread, the event loop fetches meanwhile (the cycle's
        first feeds are fetched and waiting when the pool is up), and calls sent in the meantime
        wait for it without holding the loop.
        """
        if self.size > 0 and self._starting is None:
            executor = self._executor()  # built here, in the loop's thread: spawning waits for the submit
            self._starting = asyncio.create_task(asyncio.to_thread(executor.submit, ready))

    async def _started(self) -> None:
        starting = self._starting
        if starting is not None:
            if not starting.done():
                await asyncio.shield(starting)  # a cancelled caller must not cancel the start
            starting.result()  # a start that failed fails every call, as a failed submit would

    async def analyse(self, items: Sequence[ItemText]) -> list[list[Finding]]:
        """The findings of each item, analysed in a worker process (the pool must have some).

        Raises CancelledError when `withdraw` took the call back before a worker started it.
        """
        assert self.size > 0, "a pool without processes leaves analysis to analyse_pending"
        await self._started()
        future = self._executor().submit(analyse_texts, list(items))
        self._analyses.append(future)
        try:
            return await self._run(future)
        finally:
            self._analyses.remove(future)

    def backlog(self) -> int:
        """About how many calls (parses and analyses) wait for a worker: those not done, less one a process.

        Counted, not asked of each call: the cycle asks once per stored feed, and asking each of
        hundreds of waiting futures whether it runs took a lock per future.
        """
        return max(0, len(self._sent) - self.size)

    def withdraw(self, share: float) -> int:
        """Take back the last `share` of the analyses no worker has started; returns how many.

        At the end of a cycle the pool may still have a backlog while the event loop's process has
        nothing left to do: that process then analyses the calls taken back, in parallel.
        """
        waiting = [future for future in self._analyses if not future.running() and not future.done()]
        return sum(future.cancel() for future in waiting[len(waiting) - int(len(waiting) * share) :])

    async def _run(self, future: Future[_T]) -> _T:
        self._sent.add(future)
        future.add_done_callback(self._sent.discard)
        return await asyncio.wrap_future(future)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            plan = self._cores
            workers_on: frozenset[int] | None
            if plan is not None:  # before the executor's threads start: they keep to the loop's core too
                self._loop_cores = keep_on(plan.loop)
                workers_on = plan.pool
            else:
                # the cores this thread has: a fork server started while a thread was pinned (it
                # restarts when it died) would otherwise give its workers that thread's one core
                workers_on = thread_cores()
            terms = pickle.dumps(self._matcher.terms)
            self._pool = make_executor(self.size, start_worker, (terms, workers_on))
        return self._pool
