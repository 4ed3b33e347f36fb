"""How the pool's processes are made and fed: a fork server, calls queued ahead, room for results.

`concurrent.futures.ProcessPoolExecutor` runs two threads in the calling process: one moves
calls to the workers' queue (whose own thread pickles and writes them) and reads the workers'
results. The cycle's event loop keeps that process busy, so those threads get the GIL only
when the loop gives it up, every 5 ms at most (`sys.getswitchinterval`). With the executor's
defaults, one call queued beyond each process's and a result pipe of 64 kB (two or three
parsed feeds), a worker waited for its next call and then to write its result: 0.5-1.2 s of
a 5.5 s cycle of 1,000 feeds, while the event loop's process analysed what the worker could
have (benchmarks/README.md, finding 53). So calls are queued QUEUED_CALLS ahead and the result
pipe holds RESULT_PIPE_BYTES. A queued call can no longer be withdrawn (`WorkPool.withdraw`):
eight analyses of a feed are ~20 ms of work.
"""

from __future__ import annotations

import concurrent.futures.process as stdlib_pool
import contextlib
import multiprocessing
import multiprocessing.context
import multiprocessing.queues
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from typing import Any

# Calls queued for the workers beyond the one each runs (the standard library queues one).
QUEUED_CALLS = 8
# The result pipe's size, Linux's default limit for an unprivileged process (/proc/sys/fs/pipe-max-size).
RESULT_PIPE_BYTES = 1 << 20


class _ForkServerContext(multiprocessing.context.ForkServerContext):
    """The fork server's context, whose SimpleQueue (the executor's results) has a pipe of RESULT_PIPE_BYTES."""

    def SimpleQueue(self) -> multiprocessing.queues.SimpleQueue[Any]:
        queue = super().SimpleQueue()
        _widen(queue)
        return queue


def _widen(queue: multiprocessing.queues.SimpleQueue[Any]) -> None:
    import fcntl  # here: POSIX only, as the fork server is

    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux
        # A system with a lower limit keeps the default size: slower, not wrong.
        with contextlib.suppress(OSError):
            fcntl.fcntl(queue._writer.fileno(), fcntl.F_SETPIPE_SZ, RESULT_PIPE_BYTES)  # type: ignore[attr-defined]


@cache
def pool_context() -> multiprocessing.context.BaseContext:
    """forkserver where the platform has it, else spawn; never fork.

    Not fork: the parent holds database connections and an event loop's threads. A spawned
    worker starts a fresh interpreter and imports the worker's side again, in every worker of
    every cycle. The fork server is spawned once per process with `pipeline.poolwork` imported
    (0.1 s), and forks each worker from that clean, single-threaded state in milliseconds.

    Each forked worker still runs the parent's main module again: `__main__` in the preload list
    is ignored up to Python 3.12 (CPython gh-126631, fixed in later 3.13 and 3.14 releases). So
    the module the `newswatch` script runs, `pipeline.__main__`, imports nothing at load.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = _ForkServerContext()
    context.set_forkserver_preload(["__main__", "pipeline.poolwork"])
    return context


def make_executor(
    size: int, initializer: Callable[..., object], initargs: tuple[Any, ...]
) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor of `size` processes from `pool_context()`, with QUEUED_CALLS calls queued ahead."""
    # The standard library's knob for this is a module constant, read once by the constructor;
    # it is restored at once, and executors are only made in the event loop's thread.
    default = stdlib_pool.EXTRA_QUEUED_CALLS
    stdlib_pool.EXTRA_QUEUED_CALLS = QUEUED_CALLS  # type: ignore[misc]  # typeshed calls it Final
    try:
        return ProcessPoolExecutor(
            size, mp_context=pool_context(), initializer=initializer, initargs=initargs
        )
    finally:
        stdlib_pool.EXTRA_QUEUED_CALLS = default  # type: ignore[misc]
