"""Workers: feed claims (skip what another live worker holds, lapse with the worker) and the SQLite runner lock."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pipeline.config import FeedConfig
from pipeline.db import Store, create_db_engine, migrate
from pipeline.db.worker import Worker
from pipeline.errors import DatabaseError
from pipeline.records import FetchResult
from tests.db.concurrently import run_at_once

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=15)
BOTH = ["alpha", "beta"]


def claim(
    worker: Worker,
    names: list[str] = BOTH,
    *,
    now: datetime = NOW,
    due_only: bool = False,
    limit: int | None = None,
) -> list[str]:
    """Names of the feeds `worker` claims."""
    found = worker.claim_feeds(names, now=now, lease=LEASE, due_only=due_only, limit=limit)
    return [feed.name for feed in found.feeds]


def claimed_by(engine: Engine) -> dict[str, int | None]:
    with engine.connect() as connection:
        return {name: by for name, by in connection.execute(text("SELECT name, claimed_by FROM feed"))}


def recorded(store: Store, name: str, next_due: datetime) -> None:
    result = FetchResult(feed_name=name, url=f"https://{name}.example/rss", status=200, body=b"<rss/>")
    store.record_fetch(result, now=NOW, next_due=next_due, warning=None, new_items=0)


@pytest.fixture
def pg_stores(postgresql_url: str) -> Iterator[list[Store]]:
    """Two stores on one fresh PostgreSQL schema, as two worker processes would have."""
    engines = [create_db_engine(postgresql_url) for _ in range(2)]
    migrate(engines[0])
    stores = [Store(engine) for engine in engines]
    stores[0].sync_feeds(
        [
            FeedConfig(name="alpha", url="https://alpha.example/rss"),
            FeedConfig(name="beta", url="https://beta.example/rss"),
        ]
    )
    yield stores
    for store in stores:
        store.close()


# -- on every database -------------------------------------------------------------------


def test_claim_limit_due_and_release(store: Store, engine: Engine) -> None:
    with store.worker() as worker:
        assert claim(worker, limit=1) == ["alpha"]
        assert claimed_by(engine) == {"alpha": worker.id, "beta": None}
        recorded(store, "alpha", NOW + timedelta(minutes=30))
        assert claimed_by(engine)["alpha"] is None, "recording the fetch ends the claim"
        assert claim(worker, due_only=True) == ["beta"]
        assert claim(worker) == ["alpha", "beta"], "not due, but a plain run fetches every feed"
        assert claim(worker, ["beta"]) == ["beta"]
    assert claimed_by(engine) == {"alpha": None, "beta": None}, "the worker's end releases the rest"


def test_worker_releases_its_claims_when_the_cycle_fails(store: Store, engine: Engine) -> None:
    def cycle() -> None:
        with store.worker() as worker:
            claim(worker)
            raise RuntimeError("cycle crashed")

    with pytest.raises(RuntimeError):
        cycle()
    assert claimed_by(engine) == {"alpha": None, "beta": None}


# -- SQLite: one runner at a time --------------------------------------------------------


def test_a_second_sqlite_runner_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    first, second = Store(create_db_engine(url)), Store(create_db_engine(url))
    try:
        with first.worker():
            with pytest.raises(DatabaseError) as refused, second.worker():
                pass
            assert str(refused.value) == (
                f"another newswatch run (pid {os.getpid()}) is using {tmp_path / 'one.db'}: SQLite takes one "
                "runner at a time, so this one stops here; run again when it has finished, or use "
                "PostgreSQL to run several workers"
            )
        with second.worker():  # the first has finished
            pass
    finally:
        first.close()
        second.close()


def test_sqlite_runner_lock_that_cannot_be_created_is_a_database_error(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    (tmp_path / "x.db.lock").mkdir()  # in the lock file's way
    with (
        pytest.raises(DatabaseError, match=r"cannot open the runner lock .*x\.db\.lock: Is a directory"),
        Store(engine).worker(),
    ):
        pass
    engine.dispose()


def test_sqlite_takes_over_claims_a_dead_runner_left(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'left.db'}")
    migrate(engine)
    store = Store(engine)
    store.sync_feeds([FeedConfig(name=name, url=f"https://{name}.example/rss") for name in BOTH])
    with engine.begin() as connection:  # what a runner killed mid-fetch leaves behind
        connection.execute(text("UPDATE feed SET claimed_by = 999999, claimed_until = '2099-01-01 00:00:00'"))
    with store.worker() as worker:
        found = worker.claim_feeds(BOTH, now=NOW, lease=LEASE, due_only=False)
        assert ([feed.name for feed in found.feeds], found.held_elsewhere) == (BOTH, 0)
    store.close()


def test_in_memory_sqlite_needs_no_runner_lock() -> None:
    engine = create_db_engine("sqlite://")
    migrate(engine)
    store = Store(engine)
    store.sync_feeds([FeedConfig(name=name, url=f"https://{name}.example/rss") for name in BOTH])
    with store.worker() as first, store.worker() as second:
        assert claim(first) == BOTH
        assert claim(second) == BOTH, "one process: the lock and the claims are its own"
    assert store.counts()["feeds"] == 2, "the database outlives the workers' connections"
    store.close()


# -- PostgreSQL: several workers ---------------------------------------------------------


def test_a_feed_another_worker_holds_is_skipped_until_recorded(pg_stores: list[Store]) -> None:
    one, two = pg_stores
    with one.worker() as first, two.worker() as second:
        assert first.id != second.id
        assert claim(first) == BOTH
        held = second.claim_feeds(BOTH, now=NOW, lease=LEASE, due_only=False)
        assert (held.feeds, held.held_elsewhere) == ([], 2)
        recorded(one, "alpha", NOW + timedelta(minutes=30))
        assert claim(second, due_only=True) == [], "alpha is done for this interval, beta still held"
        assert claim(second) == ["alpha"], "a plain run fetches every feed no one is fetching now"


def test_claims_of_a_killed_worker_are_free_at_once(pg_stores: list[Store], postgresql_url: str) -> None:
    one, two = pg_stores
    with one.worker() as first:
        assert claim(first) == BOTH
        admin = create_db_engine(postgresql_url)
        with admin.begin() as connection:  # what kill -9 does to the worker's session
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first.id})
        admin.dispose()
        with two.worker() as second:
            assert claim(second) == BOTH
    # The first worker's release failed quietly (its session is gone); the second released.


def test_claims_of_a_silent_worker_lapse_with_the_lease(pg_stores: list[Store]) -> None:
    one, two = pg_stores
    with one.worker() as first, two.worker() as second:
        assert claim(first) == BOTH
        assert claim(second, now=NOW + LEASE - timedelta(seconds=1)) == []
        assert claim(second, now=NOW + LEASE) == BOTH


def test_workers_claiming_at_once_split_the_feeds(postgresql_url: str) -> None:
    names = [f"feed{n:02}" for n in range(40)]
    engine = create_db_engine(postgresql_url)
    migrate(engine)
    Store(engine).sync_feeds([FeedConfig(name=name, url=f"https://{name}.example/rss") for name in names])
    engine.dispose()
    all_claimed = threading.Barrier(4)

    def work(_: int, engine: Engine) -> list[str]:
        with Store(engine).worker() as worker:
            got = claim(worker, names, limit=15)
            all_claimed.wait()  # nobody releases before everybody has claimed
            return got

    claims = run_at_once(postgresql_url, 4, work)
    taken = [name for got in claims for name in got]
    assert sorted(taken) == names, "every feed claimed exactly once"
