"""The collector's thresholds while a cycle runs, and after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from pipeline.gcpolicy import FULL_EVERY, YOUNG_EVERY, fewer_collections


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_young_and_full_collections_wait_longer_inside_and_come_back_after() -> None:
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_EVERY, 10, FULL_EVERY)
    assert gc.get_threshold() == (700, 10, 10)


def test_thresholds_come_back_after_an_exception() -> None:
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a cycle that failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_cycles_restore_only_when_the_last_ends() -> None:
    inside, release = threading.Event(), threading.Event()

    def other_cycle() -> None:
        with fewer_collections():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_cycle)
    thread.start()
    assert inside.wait(5)
    with fewer_collections():
        pass
    assert gc.get_threshold() == (YOUNG_EVERY, 10, FULL_EVERY)  # the other cycle still runs
    release.set()
    thread.join(5)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_threshold_already_higher_is_kept() -> None:
    gc.set_threshold(50_000, 10, 500)
    with fewer_collections():
        assert gc.get_threshold() == (50_000, 10, 500)
    assert gc.get_threshold() == (50_000, 10, 500)
