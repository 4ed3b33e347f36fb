"""Connecting to the database and bringing its schema to the current Alembic revision.

SQLite gets WAL (readers never block the writer), foreign keys and a busy timeout, and
newswatch issues BEGIN itself so that write transactions can take the lock up front
(`WRITE` below). PostgreSQL gets pre-ping so a restarted server costs one retry, not a crash.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, NoSuchModuleError, OperationalError

from pipeline.config import describe_url, sqlite_path
from pipeline.errors import DatabaseError

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option: on SQLite, start the transaction with BEGIN IMMEDIATE so that two
# writers queue on the busy timeout instead of one failing when it upgrades a read lock.
WRITE = "newswatch_write"

# Any constant: serialises concurrent `migrate()` calls on one PostgreSQL database.
_MIGRATION_LOCK_ID = 0x6E657773


def create_db_engine(url: str) -> Engine:
    """An Engine for a sqlite:// or postgresql:// URL; raise DatabaseError if it cannot connect."""
    shown = describe_url(url)
    url = re.sub(r"^postgresql://", "postgresql+psycopg://", url)
    path = sqlite_path(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create the database folder {path.parent}: {exc.strerror}") from None
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url)
            _configure_sqlite(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"invalid database URL {shown}: {exc}") from None
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseError(
            f"cannot connect to the database {shown}: {_first_line(exc.orig)} (check [database] url "
            "in the config or NEWSWATCH_DATABASE_URL, and that the server is running)"
        ) from None
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop pysqlite from issuing BEGIN/COMMIT on its own; `_on_begin` does it (the
        # SQLAlchemy pysqlite recipe), so transactions and SAVEPOINTs mean what they say.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL syncs at checkpoints, not at each commit: a killed process still
        # loses nothing committed (the WAL is in the OS's hands); only a power cut can lose the
        # last transactions, never corrupt the file. A 304 cycle is one commit per feed: 3x faster.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def database_errors(engine: Engine) -> Iterator[None]:
    """Turn a lost or refused connection into a DatabaseError that names the database."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        # Connection lost, server gone, database locked for longer than the busy timeout.
        raise DatabaseError(
            f"database error on {describe_url(str(engine.url))}: {_first_line(exc.orig)}"
        ) from exc


def _first_line(error: object) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _alembic_config(connection: Connection | None = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _head() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _schema_error(engine: Engine, exc: DBAPIError) -> DatabaseError:
    return DatabaseError(f"database error on {describe_url(str(engine.url))}: {_first_line(exc.orig)}")


def migrate(engine: Engine) -> str:
    """Upgrade the schema to the newest revision and return it; a no-op when already there."""
    try:
        with engine.execution_options(**{WRITE: True}).begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
            before = _current(connection)
            _refuse_unknown(before)
            command.upgrade(_alembic_config(connection), "head")
            after = _current(connection)
    except DBAPIError as exc:
        raise _schema_error(engine, exc) from exc
    if after is None:
        raise DatabaseError("no migrations found in the installed newswatch package")
    if before != after:
        logger.info("database migrated", extra={"from_revision": before, "to_revision": after})
    return after


def _refuse_unknown(current: str | None) -> None:
    if current is None:
        return
    try:
        ScriptDirectory.from_config(_alembic_config()).get_revision(current)
    except CommandError:
        raise DatabaseError(
            f"the database schema is at revision {current!r}, which this newswatch does not know: "
            "it was written by a newer version, so upgrade newswatch"
        ) from None


def _current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return _current(connection)
    except DBAPIError as exc:
        raise _schema_error(engine, exc) from exc


def check_schema(engine: Engine) -> None:
    """Raise DatabaseError unless the schema is at the newest revision."""
    current, head = _current_revision(engine), _head()
    if current == head:
        return
    if current is None:
        raise DatabaseError("database not initialised: run `newswatch init`")
    _refuse_unknown(current)
    raise DatabaseError(
        f"database schema is at revision {current}, this newswatch needs {head}: run `newswatch init`"
    )


def ensure_schema(engine: Engine) -> None:
    """Migrate when the schema is missing or behind; cheap when it is current."""
    if _current_revision(engine) != _head():
        migrate(engine)
