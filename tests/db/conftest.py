"""Storage fixtures: every test runs on SQLite and, when CI provides one, on PostgreSQL.

`database_url` (tests/conftest.py) gives a fresh SQLite file or a fresh PostgreSQL schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from pipeline.config import FeedConfig
from pipeline.db import Store, create_db_engine, migrate


@pytest.fixture
def bare_engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database, not migrated."""
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(bare_engine: Engine) -> Engine:
    """An engine on a migrated, empty database."""
    migrate(bare_engine)
    return bare_engine


@pytest.fixture
def store(engine: Engine) -> Store:
    """A store with two configured feeds, `alpha` (a URL) and `beta` (a file)."""
    store = Store(engine)
    store.sync_feeds(
        [
            FeedConfig(name="alpha", url="https://alpha.example/rss"),
            FeedConfig(name="beta", path=Path("feeds/beta.xml")),
        ]
    )
    return store
