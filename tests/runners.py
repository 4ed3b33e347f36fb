"""Real newswatch processes against a local corpus feed server, and what they leave in the database.

Used by the crash and concurrent-runner tests. The corpus is the labelled reports of
`tests/fixtures/analysis/corpus.toml` (its first 120 short reports), served as eight RSS feeds
from 127.0.0.1 with ETags; each feed also carries two items of the next one, so several feeds
bring the same article. The server counts requests per path, can delay every response, and
can hold every response until the test opens its gate.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as day_time
from email.utils import format_datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.engine import create_db_engine

ROOT = Path(__file__).parent.parent
BASELINE = ROOT / "config" / "baselines" / "bakhmut-2023-01-26.toml"
CORPUS = ROOT / "tests/fixtures/analysis/corpus.toml"
FEEDS = 8
CASES = 120  # enough for several analysis batches; few enough to keep a cycle near a second
LINK = "https://corpus.newswatch.invalid/items/"
CLI = [sys.executable, "-c", "from pipeline.cli import main; main()"]


@cache
def feed_documents() -> dict[str, bytes]:
    """Path → RSS document of each corpus feed."""
    cases = tomllib.loads(CORPUS.read_text("utf-8"))["case"][:CASES]
    parts = [cases[n::FEEDS] for n in range(FEEDS)]
    return {
        f"/feeds/feed{n}.xml": _rss(f"corpus {n}", parts[n] + parts[(n + 1) % FEEDS][:2]).encode()
        for n in range(FEEDS)
    }


def _rss(title: str, cases: list[dict[str, object]]) -> str:
    items = "".join(
        f"<item><title>{escape(str(c['title']))}</title><link>{LINK}{c['id']}</link>"
        f"<guid>{c['id']}</guid><pubDate>{format_datetime(_published(c['published']))}</pubDate>"
        f"<description>{escape(str(c.get('body', '')))}</description></item>\n"
        for c in cases
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{title}</title>'
        f"<link>{LINK}</link><description>corpus</description>\n{items}</channel></rss>\n"
    )


def _published(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    assert isinstance(value, date)
    return datetime.combine(value, day_time(12), tzinfo=UTC)


@dataclass
class CorpusServer:
    """The running server: its URL, requests per path, and the gate every response waits on."""

    url: str
    delay: float
    requests: Counter[str] = field(default_factory=Counter)
    gate: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def feeds(self) -> list[tuple[str, str]]:
        """(name, url) of every feed, in config order."""
        return [(Path(path).stem, f"{self.url}{path}") for path in feed_documents()]

    def served(self) -> int:
        """How many requests have come in so far."""
        with self.lock:
            return sum(self.requests.values())


@contextmanager
def corpus_server(delay: float = 0.0, *, gated: bool = False) -> Iterator[CorpusServer]:
    """Serve the corpus feeds on 127.0.0.1; with `gated`, responses wait until `gate` is set."""
    documents = feed_documents()
    state = CorpusServer(url="", delay=delay)
    if not gated:
        state.gate.set()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.lock:
                state.requests[self.path] += 1
            state.gate.wait(60)
            time.sleep(state.delay)
            body = documents.get(self.path)
            if body is None:
                self.send_error(404)
                return
            etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.gate.set()
        server.shutdown()
        server.server_close()
        thread.join()


def write_config(directory: Path, database_url: str, server: CorpusServer, extra: str = "") -> Path:
    """A config for the corpus feeds: no retries, no deadline to speak of, reports in `directory`."""
    lines = [
        f'[database]\nurl = "{database_url}"',
        f'[baseline]\nfile = "{BASELINE}"',
        "[fetch]\nretries = 0\nread_timeout = 60\ntotal_timeout = 60\ncycle_deadline = 120",
        f'[report]\ndirectory = "{directory / "reports"}"',
        extra,
    ]
    lines += [f'[[feeds]]\nname = "{name}"\nurl = "{url}"' for name, url in server.feeds()]
    path = directory / "newswatch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_in_process(config: Path, *args: str) -> tuple[int, str, str]:
    """`newswatch --config CONFIG ARGS` through Typer's runner: exit code, stdout, stderr."""
    result = CliRunner().invoke(app, ["--config", str(config), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


class Process:
    """`newswatch -v --config CONFIG ARGS` as a real process; its stderr lines are collected as they come."""

    def __init__(self, config: Path, *args: str) -> None:
        self.popen = subprocess.Popen(
            [*CLI, "--config", str(config), "-v", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:  # end of output: wake anyone still waiting for a line
            self._changed.notify_all()

    def wait_for(self, marker: str, timeout: float = 60) -> None:
        """Block until a stderr line contains `marker` (AssertionError if the process ends first)."""

        def seen() -> bool:
            return any(marker in line for line in self.lines) or not self._reader.is_alive()

        with self._changed:
            self._changed.wait_for(seen, timeout)
        assert any(marker in line for line in self.lines), f"no {marker!r} in:\n{self.stderr()}"

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """Wait for the exit: exit code and stdout."""
        assert self.popen.stdout is not None
        assert self.popen.stderr is not None
        out = self.popen.stdout.read()
        code = self.popen.wait(timeout)
        self._reader.join(timeout)
        self.popen.stdout.close()
        self.popen.stderr.close()
        return code, out

    def stop(self) -> None:
        """Kill the process if it still runs and close its pipes (cleanup after a failed test)."""
        if self.popen.poll() is None:
            self.popen.kill()
        if self.popen.stdout is not None and not self.popen.stdout.closed:
            self.finish()

    def stderr(self) -> str:
        """Everything the process wrote to stderr so far."""
        return "".join(self.lines)


def wait_until(condition: Callable[[], bool], process: Process, timeout: float = 60) -> bool:
    """Poll `condition` every few milliseconds; False if the process ended before it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.popen.poll() is not None:
            return False
        time.sleep(0.005)
    raise AssertionError(f"timed out; stderr:\n{process.stderr()}")


@dataclass(frozen=True)
class Snapshot:
    """What a database holds, keyed so that two runs can be compared (ids differ between runs)."""

    items: frozenset[str]  # canonical URLs
    sources: frozenset[tuple[str, str]]  # (canonical URL, feed)
    stories: frozenset[tuple[str, str]]  # (canonical URL, canonical URL of its story)
    findings: frozenset[tuple[str, str, str]]  # (canonical URL, claim, relation)
    rows: dict[str, int]  # rows per table, to catch duplicates the keys above would hide
    unanalysed: int
    claimed: int  # feeds still claimed by some worker


def snapshot(database_url: str) -> Snapshot:
    """Read what the database holds."""
    engine = create_db_engine(database_url)

    def query(sql: str) -> list[tuple[object, ...]]:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]

    try:
        return Snapshot(
            items=frozenset(str(url) for (url,) in query("SELECT canonical_url FROM item")),
            sources=frozenset(
                (str(url), str(feed))
                for url, feed in query(
                    "SELECT item.canonical_url, feed.name FROM item_source "
                    "JOIN item ON item.id = item_source.item_id JOIN feed ON feed.id = item_source.feed_id"
                )
            ),
            stories=frozenset(
                (str(url), str(story))
                for url, story in query(
                    "SELECT item.canonical_url, story.canonical_url FROM item "
                    "JOIN item AS story ON story.id = COALESCE(item.story_id, item.id)"
                )
            ),
            findings=frozenset(
                (str(url), str(claim), str(relation))
                for url, claim, relation in query(
                    "SELECT item.canonical_url, finding.claim_id, finding.relation FROM finding "
                    "JOIN item ON item.id = finding.item_id"
                )
            ),
            rows={
                name: int(str(query(f"SELECT count(*) FROM {name}")[0][0]))
                for name in ("item", "item_source", "finding")
            },
            unanalysed=int(str(query("SELECT count(*) FROM item WHERE analysed_at IS NULL")[0][0])),
            claimed=int(str(query("SELECT count(*) FROM feed WHERE claimed_by IS NOT NULL")[0][0])),
        )
    finally:
        engine.dispose()


class Rows:
    """Counts rows while a process writes: one engine, reused for every poll."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_db_engine(database_url)

    def __call__(self, table: str) -> int:
        """Rows in `table`; 0 while the schema does not exist yet."""
        try:
            with self.engine.connect() as connection:
                return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        except DBAPIError:
            return 0

    def close(self) -> None:
        """Close the polling connection."""
        self.engine.dispose()
