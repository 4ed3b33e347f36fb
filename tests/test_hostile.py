"""Whole cycles against hostile feeds served from 127.0.0.1: error storms, hostile content, the benchmark.

Fetch-level cases (hangs, drips, bombs, redirects) are in test_fetch.py and document-level
ones (entities, encodings, huge fields) in test_parse.py; here a real `run_cycle` on SQLite
(and PostgreSQL when CI provides one) must finish, record every feed and keep every good item.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from pipeline import cycle
from pipeline.analysis import Matcher, compile_baseline
from pipeline.baseline import load_baseline
from pipeline.config import Config
from pipeline.db.engine import create_db_engine, migrate
from pipeline.db.store import Store

ROOT = Path(__file__).parent.parent
HOSTILE = Path(__file__).parent / "fixtures" / "feeds" / "hostile"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FAST = {
    "retries": 1,
    "retry_backoff": 0.01,
    "max_retry_after": 0.5,
    "connect_timeout": 2.0,
    "read_timeout": 2.0,
    "total_timeout": 5.0,
    "cycle_deadline": 60.0,
    "concurrency": 20,
    "per_host": 20,
}


def make_config(database_url: str, feeds: list[dict[str, str]]) -> Config:
    return Config.model_validate(
        {
            "database": {"url": database_url},
            "baseline": {"file": str(ROOT / "config/baselines/bakhmut-2023-01-26.toml")},
            "fetch": FAST,
            "feeds": feeds,
        }
    )


@pytest.fixture
def matcher() -> Matcher:
    config = make_config("sqlite://", [])
    return compile_baseline(load_baseline(config.baseline.file), config.analysis)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = create_db_engine(database_url)
    migrate(engine)
    with Store(engine) as store:
        yield store


def good_feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Report {n}.{i}</title><link>http://wire.test/{n}/{i}</link><guid>{n}-{i}</guid>"
        f"<pubDate>Wed, 25 Nov 2026 10:0{i}:00 GMT</pubDate><description>Text {n}.{i}</description></item>"
        for i in range(2)
    )
    return f'<rss version="2.0"><channel><title>good {n}</title>{items}</channel></rss>'.encode()


STORM = {
    404: {},
    410: {},
    401: {},
    403: {},
    500: {},
    502: {},
    503: {"Retry-After": "0"},
    429: {"Retry-After": "3600"},  # longer than max_retry_after: left for a later cycle
}


def test_error_storm_across_many_feeds_is_recorded_feed_by_feed(
    httpserver: HTTPServer, database_url: str, store: Store, matcher: Matcher
) -> None:
    expected: dict[str, str | None] = {}
    feeds = []
    for n in range(5):
        for code, headers in STORM.items():
            name = f"e{code}-{n}"
            httpserver.expect_request(f"/{name}").respond_with_data("nope", code, headers)
            expected[name] = f"http_{code}"
            feeds.append({"name": name, "url": httpserver.url_for(f"/{name}")})
        name = f"good-{n}"
        httpserver.expect_request(f"/{name}").respond_with_data(
            good_feed(n), content_type="application/rss+xml"
        )
        expected[name] = None
        feeds.append({"name": name, "url": httpserver.url_for(f"/{name}")})
    config = make_config(database_url, feeds)

    summary = cycle.run_cycle(config, store, matcher, now=NOW)

    assert (summary.feeds_ok, summary.feeds_failed, summary.new_items) == (5, 40, 10)
    statuses = {status.name: status for status in store.feed_statuses()}
    assert {name: statuses[name].last_error_code for name in expected} == expected
    for name, error in expected.items():
        status = statuses[name]
        assert status.consecutive_failures == (0 if error is None else 1)
        assert status.last_fetched == NOW
        assert status.next_due is not None
        assert status.next_due > NOW
        assert (status.items_seen == 2) == (error is None)
    requests = [request.path for request, _ in httpserver.log]
    assert requests.count("/e503-0") == 2  # retried once
    assert requests.count("/e429-0") == requests.count("/e404-0") == 1

    # Every feed is due again only later (failing ones after a backoff): nobody is due now.
    again = cycle.run_cycle(config, store, matcher, now=NOW, only_due=True)
    assert (again.feeds_ok + again.feeds_failed, again.feeds_skipped) == (0, 45)


def test_hostile_content_is_stored_as_inert_text(
    httpserver: HTTPServer, database_url: str, store: Store, matcher: Matcher
) -> None:
    names = ["hostile-content.xml", "nul-and-controls.xml", "duplicate-guids.xml"]
    for name in names:
        body = (HOSTILE / name).read_bytes()
        httpserver.expect_request(f"/{name}").respond_with_data(body, content_type="application/rss+xml")
    config = make_config(database_url, [{"name": n, "url": httpserver.url_for(f"/{n}")} for n in names])

    summary = cycle.run_cycle(config, store, matcher, now=NOW)

    assert (summary.feeds_ok, summary.feeds_failed) == (3, 0)
    stored = list(store.items_for_analysis(only_unanalysed=False))
    items = {item.title: item for item in stored if item.feed_name == "hostile-content.xml"}
    # SQL-looking text is data: stored verbatim, and the tables it names are still there.
    sql = items["Robert'); DROP TABLE items;--"]
    assert sql.summary.startswith("1' OR '1'='1; SELECT * FROM feeds")
    assert store.counts()["items"] == len(stored) == 6 + 1 + 4
    # Markup is gone from HTML fields; a plain-text title keeps its characters for renderers to escape.
    assert items["Shelling near Bakhmut"].summary == "Fighting continued. More"
    assert "<script>alert(1)</script> in a plain title" in items
    assert not any("javascript:" in (item.url or "").lower() for item in items.values())
    # A NUL in a link is percent-encoded (PostgreSQL refuses NUL in text), never stored raw.
    assert "https://noisy.example.org/a%00b" in {item.url for item in stored}
    assert all("\x00" not in item.title + item.summary + (item.url or "") for item in stored)
    # Two different stories under one guid are both kept; a story listed twice is one item.
    lazy = [item.title for item in stored if item.feed_name == "duplicate-guids.xml"]
    assert sorted(lazy) == [
        "A story listed twice",
        "First story",
        "No link, own guid",
        "Second story, same guid",
    ]


def run_benchmark(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "hostile.py"), *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


def test_hostile_benchmark_runs_a_cycle_and_reports_each_feed() -> None:
    out = run_benchmark("--small")
    outcomes = dict(re.findall(r"^  (\S+)\s+(\S+)\s+\d+ items", out, re.MULTILINE))
    expected: dict[str, Any] = {
        "hang": "timeout",
        "drip": "timeout",
        "huge-body": "body_too_large",
        "gzip-bomb": "body_too_large",
        "nested-gzip-bomb": "body_too_large",
        "deflate-bomb": "body_too_large",
        "cut-mid-body": "transport_error",
        "redirect-loop": "redirect_loop",
        "html-page": "not_a_feed",
        "json": "not_a_feed",
        "entity-bomb": "ok",
        "many-items": "ok",
    }
    for name, code in expected.items():
        assert outcomes[name] == code, name
    assert {outcomes[name] for name in outcomes if name.startswith("storm-")} <= {
        "http_500",
        "http_503",
        "http_429",
    }
    assert all(outcomes[name] == "ok" for name in outcomes if name.startswith("good-"))
    assert re.search(r"good feeds: (\d+)/\1 items kept", out)
    assert out.rstrip().splitlines()[-1].startswith("hostile cycle:")
