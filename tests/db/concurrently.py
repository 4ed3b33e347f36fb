"""Run the same database work from several engines at once, as separate processes would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine

from pipeline.db import create_db_engine

T = TypeVar("T")


def run_at_once(database_url: str, workers: int, work: Callable[[int, Engine], T]) -> list[T]:
    """Start `work(index, engine)` on `workers` threads released together; return results, raise the first error."""
    engines = [create_db_engine(database_url) for _ in range(workers)]
    barrier = threading.Barrier(workers)
    results: list[T] = []
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results.append(work(index, engines[index]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert errors == []
    return results
