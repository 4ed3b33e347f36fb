"""How many pool processes a cycle uses, and the context they start from."""

from __future__ import annotations

import multiprocessing

import pytest

from pipeline import workpool
from pipeline.workpool import POOL_MIN_FEEDS, pool_size


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
    monkeypatch.setattr("pipeline.workpool.os.cpu_count", lambda: cores)
    assert pool_size(None, feeds) == expected


def test_the_setting_wins() -> None:
    assert pool_size(0, 10_000) == 0
    assert pool_size(3, 1) == 3


def test_workers_fork_from_a_fork_server_never_from_the_parent() -> None:
    context = workpool._context()
    if "forkserver" in multiprocessing.get_all_start_methods():
        assert context.get_start_method() == "forkserver"
    else:
        assert context.get_start_method() == "spawn"
