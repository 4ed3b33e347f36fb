"""Which cores a cycle's processes keep to, and that the event loop thread gets its own back."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from pipeline import affinity, poolwork
from pipeline.affinity import CorePlan, give_back, keep_on, plan_cores

_T = TypeVar("_T")
LINUX = hasattr(os, "sched_setaffinity") and Path("/proc/thread-self/stat").exists()
linux_only = pytest.mark.skipif(not LINUX, reason="thread affinity is a Linux call")


def _machine(monkeypatch: pytest.MonkeyPatch, cores: set[int], here: int | None) -> None:
    monkeypatch.setattr("pipeline.affinity.os.sched_getaffinity", lambda pid: cores, raising=False)
    monkeypatch.setattr(affinity, "current_core", lambda: here)


def test_the_event_loop_keeps_the_core_it_is_on_and_the_pool_takes_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _machine(monkeypatch, {0, 1, 2, 3}, here=2)
    assert plan_cores(3) == CorePlan(loop=frozenset({2}), pool=frozenset({0, 1, 3}))
    assert plan_cores(1) == CorePlan(loop=frozenset({2}), pool=frozenset({0, 1, 3}))


@pytest.mark.parametrize("processes", [4, 0])
def test_no_plan_when_processes_would_share_cores_or_there_is_no_pool(
    monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    _machine(monkeypatch, {0, 1, 2, 3}, here=0)
    assert plan_cores(processes) is None


def test_a_thread_on_an_unknown_or_forbidden_core_keeps_to_the_first_allowed_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _machine(monkeypatch, {4, 5}, here=None)
    assert plan_cores(1) == CorePlan(loop=frozenset({4}), pool=frozenset({5}))
    _machine(monkeypatch, {4, 5}, here=0)  # a cpuset changed since the thread last ran
    assert plan_cores(1) == CorePlan(loop=frozenset({4}), pool=frozenset({5}))


def test_without_an_affinity_call_nothing_is_planned_or_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr("pipeline.affinity.os.sched_getaffinity", raising=False)
    monkeypatch.delattr("pipeline.affinity.os.sched_setaffinity", raising=False)
    assert plan_cores(1) is None
    assert keep_on(frozenset({0})) is None
    give_back(frozenset({0}))  # nothing to undo, no error


def in_thread(work: Callable[[], _T]) -> _T:
    """`work`'s result, run in a thread of its own: affinity is per thread, and this one ends after."""
    out: list[_T] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    thread.join()
    return out[0]


@linux_only
def test_keep_on_pins_only_the_calling_thread_and_give_back_restores_it() -> None:
    allowed = frozenset(os.sched_getaffinity(0))
    core = min(allowed)

    def pinned() -> tuple[frozenset[int] | None, frozenset[int], frozenset[int], frozenset[int]]:
        before = keep_on(frozenset({core}))
        inside = frozenset(os.sched_getaffinity(0))
        started = in_thread(lambda: frozenset(os.sched_getaffinity(0)))  # a thread it starts now
        give_back(before)
        return before, inside, started, frozenset(os.sched_getaffinity(0))

    before, inside, started, after = in_thread(pinned)
    assert (before, inside, started, after) == (allowed, frozenset({core}), frozenset({core}), allowed)
    assert frozenset(os.sched_getaffinity(0)) == allowed, "the test's own thread was never pinned"


@linux_only
def test_a_refused_core_changes_nothing() -> None:
    allowed = frozenset(os.sched_getaffinity(0))
    assert in_thread(lambda: (keep_on(frozenset({10**6})), frozenset(os.sched_getaffinity(0)))) == (
        None,
        allowed,
    )


@linux_only
def test_current_core_is_one_this_thread_may_run_on() -> None:
    assert affinity.current_core() in os.sched_getaffinity(0)


@linux_only
def test_a_worker_started_with_cores_runs_on_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poolwork, "_terms", poolwork._terms)  # this process is no worker
    core = max(os.sched_getaffinity(0))

    def start() -> frozenset[int]:
        poolwork.start_worker(b"", frozenset({core}))
        return frozenset(os.sched_getaffinity(0))

    assert in_thread(start) == {core}
