"""Crash safety: kill -9 at any moment of `run --once`, or lose the database mid-cycle, then run again.

The final items, feed sources, story links and findings must equal those of one uninterrupted
run (`corpus_reference`), with no duplicate rows and no feed left claimed. Runs on SQLite and,
when CI provides one, PostgreSQL.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.runners import (
    CorpusServer,
    Process,
    Rows,
    Snapshot,
    corpus_server,
    run_in_process,
    snapshot,
    wait_until,
    write_config,
)


@dataclass(frozen=True)
class KillPoint:
    """When to kill the first run, and what it must have left undone (so the kill was mid-way)."""

    name: str
    reached: Callable[[Rows, CorpusServer], bool]
    left_undone: Callable[[Snapshot, Snapshot], bool]


KILL_POINTS = [
    # Schema created, nothing fetched yet: the kill lands in sync, claim or the first requests.
    KillPoint("schema-ready", lambda rows, _: rows("alembic_version") > 0, lambda got, _: not got.items),
    # Feeds claimed and half of them requested, not all stored (a feed is stored as soon as it is
    # parsed, while later feeds are still being fetched): a dead worker holds the claims.
    KillPoint(
        "fetching", lambda _, server: server.served() >= 4, lambda got, ref: len(got.items) < len(ref.items)
    ),
    # Some feeds' items stored, others not yet.
    KillPoint(
        "storing", lambda rows, _: rows("item") > 0, lambda got, ref: 0 < len(got.items) < len(ref.items)
    ),
    # Some analysis batches committed, others not.
    KillPoint("analysing", lambda rows, _: rows("finding") > 0, lambda got, _: got.unanalysed > 0),
]


def assert_same_as_reference(got: Snapshot, reference: Snapshot) -> None:
    assert got.items == reference.items
    assert got.sources == reference.sources
    assert got.stories == reference.stories
    assert got.findings == reference.findings
    assert got.rows == reference.rows, "no duplicate rows"
    assert (got.unanalysed, got.claimed) == (0, 0)


@pytest.mark.parametrize("point", KILL_POINTS, ids=lambda point: point.name)
def test_kill_9_then_run_again_ends_as_an_uninterrupted_run(
    start_newswatch: Callable[..., Process],
    point: KillPoint,
    database_url: str,
    tmp_path: Path,
    corpus_reference: Snapshot,
) -> None:
    rows = Rows(database_url)
    try:
        with corpus_server(delay=0.15) as server:
            config = write_config(tmp_path, database_url, server)
            first = start_newswatch(config, "run", "--once")
            reached = wait_until(lambda: point.reached(rows, server), first)
            first.popen.send_signal(signal.SIGKILL)
            code, _ = first.finish()
            assert reached, f"the cycle ended before {point.name}:\n{first.stderr()}"
            assert code == -signal.SIGKILL
            left = snapshot(database_url)
            assert point.left_undone(left, corpus_reference), f"killed too late: {left.rows}"

            code, out, err = run_in_process(config, "run", "--once")
    finally:
        rows.close()
    assert code == 0, err
    assert "8 feeds: " in out
    assert_same_as_reference(snapshot(database_url), corpus_reference)


LOST_MESSAGES = {"sqlite": "disk I/O error", "postgresql": "server closed the connection unexpectedly"}


class LostDatabase:
    """From the `occurrence`-th statement containing `marker` on, every statement fails: the server is gone."""

    def __init__(self, marker: str, occurrence: int) -> None:
        self.marker, self.occurrence = marker, occurrence
        self.matched = 0

    def __call__(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.matched += self.marker in statement
        if self.matched >= self.occurrence:
            dbapi = connection.dialect.loaded_dbapi
            raise dbapi.OperationalError(LOST_MESSAGES[connection.dialect.name])


@contextmanager
def database_lost(marker: str, occurrence: int) -> Iterator[LostDatabase]:
    """Make every engine in this process lose its database at a given statement, until the block ends."""
    lost = LostDatabase(marker, occurrence)
    event.listen(Engine, "before_cursor_execute", lost)
    try:
        yield lost
    finally:
        event.remove(Engine, "before_cursor_execute", lost)


LOSS_POINTS = {
    "claiming": ("UPDATE feed SET claimed_by=", 1),
    "storing": ("INSERT INTO item ", 4),  # one multi-row INSERT per feed: the 4th of 8 feeds
    "recording": ("last_fetched=", 3),
    "analysing": ("INSERT INTO finding ", 2),  # one INSERT per batch of items: the second batch
}


@pytest.mark.parametrize("where", LOSS_POINTS)
def test_database_lost_mid_cycle_fails_clearly_and_the_next_cycle_finishes(
    where: str, database_url: str, tmp_path: Path, corpus_reference: Snapshot
) -> None:
    with corpus_server() as server:
        config = write_config(tmp_path, database_url, server)
        with database_lost(*LOSS_POINTS[where]) as lost:
            code, out, err = run_in_process(config, "run", "--once")
        assert lost.matched >= lost.occurrence, f"the cycle never reached {where}"
        assert code == 1
        assert out == ""
        assert "error: database error on " in err
        assert LOST_MESSAGES["postgresql" if database_url.startswith("postgresql") else "sqlite"] in err
        assert snapshot(database_url).rows != corpus_reference.rows, "the loss must leave work undone"

        code, out, err = run_in_process(config, "run", "--once")
    assert code == 0, err
    assert_same_as_reference(snapshot(database_url), corpus_reference)
