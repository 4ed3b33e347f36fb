"""Several runners on one database, as real processes against a local feed server.

On PostgreSQL two `run --once` (with or without `--due`) or two `serve` processes split the
feeds: every feed is requested once, and the database ends as after one uninterrupted run. On
SQLite a second runner stops at once with a message naming the first.

The server holds every response until both runners have claimed their feeds, so the two cycles
always overlap: without the claims both would fetch every feed.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.runners import Process, Snapshot, corpus_server, feed_documents, snapshot, write_config

ONCE_EACH = dict.fromkeys(feed_documents(), 1)


def fetched(summary: str) -> tuple[int, int]:
    """(feeds fetched, feeds skipped) from a cycle's summary line."""
    match = re.search(r"(\d+) feeds: .*?(?:, (\d+) skipped \(not due or busy elsewhere\))?;", summary)
    assert match, summary
    return int(match[1]), int(match[2] or 0)


def assert_same_as_reference(got: Snapshot, reference: Snapshot) -> None:
    assert (got.items, got.sources, got.findings) == (reference.items, reference.sources, reference.findings)
    assert got.rows == reference.rows, "no duplicate rows"
    assert (got.unanalysed, got.claimed) == (0, 0)


@pytest.mark.parametrize("args", [("run", "--once"), ("run", "--once", "--due")], ids=["all", "due"])
def test_two_runs_on_postgresql_fetch_each_feed_once(
    start_newswatch: Callable[..., Process],
    args: tuple[str, ...],
    postgresql_url: str,
    tmp_path: Path,
    corpus_reference: Snapshot,
) -> None:
    with corpus_server(gated=True) as server:
        config = write_config(tmp_path, postgresql_url, server)
        runners = [start_newswatch(config, *args) for _ in range(2)]
        for runner in runners:
            runner.wait_for("cycle started")
        server.gate.set()
        results = [runner.finish() for runner in runners]
    assert [code for code, _ in results] == [0, 0], [runner.stderr() for runner in runners]
    assert dict(server.requests) == ONCE_EACH
    counts = [fetched(out) for _, out in results]
    assert sum(done for done, _ in counts) == len(ONCE_EACH)
    # Each skipped what the other held (with --due too: every feed is due on a fresh database).
    assert [skipped for _, skipped in counts] == [counts[1][0], counts[0][0]]
    assert_same_as_reference(snapshot(postgresql_url), corpus_reference)


def test_two_serve_workers_on_postgresql_fetch_each_feed_once(
    start_newswatch: Callable[..., Process], postgresql_url: str, tmp_path: Path, corpus_reference: Snapshot
) -> None:
    with corpus_server(gated=True) as server:
        config = write_config(tmp_path, postgresql_url, server)
        workers = [start_newswatch(config, "serve") for _ in range(2)]
        for worker in workers:
            worker.wait_for("cycle started")
        server.gate.set()
        for worker in workers:
            worker.wait_for("cycle finished")
            worker.popen.send_signal(signal.SIGTERM)
        codes = [worker.finish()[0] for worker in workers]
    assert codes == [0, 0], [worker.stderr() for worker in workers]
    assert dict(server.requests) == ONCE_EACH
    assert_same_as_reference(snapshot(postgresql_url), corpus_reference)


def test_a_second_runner_on_sqlite_stops_with_a_clear_message(
    start_newswatch: Callable[..., Process], tmp_path: Path, corpus_reference: Snapshot
) -> None:
    database = tmp_path / "newswatch.db"
    with corpus_server(gated=True) as server:
        config = write_config(tmp_path, f"sqlite:///{database}", server)
        first = start_newswatch(config, "run", "--once")
        first.wait_for("cycle started")
        second = start_newswatch(config, "run", "--once")
        code, out = second.finish()
        assert code == 1
        assert out == ""
        message = second.stderr()
        assert f"another newswatch run (pid {first.popen.pid}) is using {database}" in message
        assert "SQLite takes one runner at a time" in message
        server.gate.set()
        code, out = first.finish()
    assert code == 0, first.stderr()
    assert fetched(out) == (len(ONCE_EACH), 0)
    assert dict(server.requests) == ONCE_EACH
    assert_same_as_reference(snapshot(f"sqlite:///{database}"), corpus_reference)
