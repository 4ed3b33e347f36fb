"""Shared test fixtures: a clean environment and the PostgreSQL URL (when CI provides one)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.runners import Process, Snapshot, corpus_server, run_in_process, snapshot, write_config

# Read once at import, before the autouse fixture below clears NEWSWATCH_* for each test.
POSTGRES_URL = os.environ.get("NEWSWATCH_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NEWSWATCH_* setting of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("NEWSWATCH_") and not name.startswith("NEWSWATCH_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, and a PostgreSQL schema when CI provides a server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("NEWSWATCH_TEST_POSTGRES_URL not set")
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def hanging_server() -> Iterator[HTTPServer]:
    """A threaded server whose /feed hangs until the test ends, then is released."""
    release = threading.Event()
    server = HTTPServer(threaded=True)

    def hang(_request: Request) -> Response:
        release.wait(10)
        return Response("<rss version='2.0'><channel><title>late</title></channel></rss>")

    server.expect_request("/feed").respond_with_handler(hang)
    server.start()
    yield server
    release.set()
    server.clear()
    server.stop()


@pytest.fixture(scope="session")
def corpus_reference(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """What one uninterrupted `run --once` over the corpus feeds stores (SQLite), for the crash tests."""
    directory = tmp_path_factory.mktemp("reference")
    database_url = f"sqlite:///{directory / 'reference.db'}"
    with corpus_server() as server:
        code, out, err = run_in_process(write_config(directory, database_url, server), "run", "--once")
    assert code == 0, err
    reference = snapshot(database_url)
    assert f"{len(reference.items)} new items" in out
    assert len(reference.sources) > len(reference.items), "feeds overlap: some articles come from two feeds"
    assert len(reference.findings) > 60
    return reference


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for tests of several workers (skipped without NEWSWATCH_TEST_POSTGRES_URL)."""
    if not POSTGRES_URL:
        pytest.skip("NEWSWATCH_TEST_POSTGRES_URL not set: several workers need PostgreSQL")
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def start_newswatch() -> Iterator[Callable[..., Process]]:
    """Start `newswatch --config CONFIG -v ARGS` processes; any still running at the end is killed."""
    started: list[Process] = []

    def start(config: Path, *args: str) -> Process:
        started.append(Process(config, *args))
        return started[-1]

    yield start
    for process in started:
        process.stop()
