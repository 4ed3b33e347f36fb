"""The pool's processes: forked from a fork server, with calls queued ahead and room for their results."""

from __future__ import annotations

import concurrent.futures.process as stdlib_pool
import multiprocessing
import threading
import time

import pytest

from pipeline import poolwork
from pipeline.processes import QUEUED_CALLS, RESULT_PIPE_BYTES, make_executor, pool_context

needs_fork_server = pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server on this platform"
)


def test_workers_fork_from_a_fork_server_never_from_the_parent() -> None:
    context = pool_context()
    if "forkserver" in multiprocessing.get_all_start_methods():
        assert context.get_start_method() == "forkserver"
    else:
        assert context.get_start_method() == "spawn"


def test_a_worker_has_calls_queued_beyond_the_one_it_runs() -> None:
    default = stdlib_pool.EXTRA_QUEUED_CALLS
    with make_executor(1, poolwork.start_worker, (b"",)) as executor:
        first = executor.submit(time.sleep, 1.0)
        rest = [executor.submit(time.sleep, 0) for _ in range(QUEUED_CALLS + 4)]
        deadline = time.monotonic() + 10
        while not first.running() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the executor's thread has queued what it will while the first call runs
        assert not first.done()
        # A queued call counts as running: it can no longer be cancelled. The executor's thread fills
        # the queue at each submit; one more fits if the worker took the first call before the last submit.
        assert sum(future.running() for future in rest) in (QUEUED_CALLS, QUEUED_CALLS + 1)
    assert default == stdlib_pool.EXTRA_QUEUED_CALLS  # other executors keep the standard library's


@needs_fork_server
def test_a_worker_writes_results_bigger_than_a_default_pipe_before_they_are_read() -> None:
    queue = pool_context().SimpleQueue()
    result = b"x" * (RESULT_PIPE_BYTES // 2)  # eight times a default pipe of 64 kB
    writer = threading.Thread(target=queue.put, args=(result,), daemon=True)
    writer.start()
    writer.join(5)
    assert not writer.is_alive(), "the write waited for a reader"
    assert queue.get() == result
