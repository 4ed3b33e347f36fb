"""Engine: SQLite pragmas, connection errors that name the database without its password."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pipeline.db import create_db_engine
from pipeline.errors import DatabaseError


def test_sqlite_creates_folder_and_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "newswatch.db"
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    finally:
        engine.dispose()


def test_sqlite_transactions_roll_back(tmp_path: Path) -> None:
    # newswatch issues BEGIN itself on SQLite; a failed transaction must still leave nothing behind.
    engine = create_db_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))

        def insert_then_fail() -> None:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (1)"))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            insert_then_fail()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        engine.dispose()


def test_sqlite_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(DatabaseError, match="cannot create the database folder"):
        create_db_engine(f"sqlite:///{tmp_path / 'file' / 'newswatch.db'}")


def test_unreachable_postgresql_names_server_but_not_password() -> None:
    # Port 1 refuses at once; plain postgresql:// must get the installed psycopg 3 driver.
    with pytest.raises(DatabaseError) as caught:
        create_db_engine("postgresql://watcher:s3cret@127.0.0.1:1/newswatch")
    message = str(caught.value)
    assert message.startswith(
        "cannot connect to the database postgresql://watcher:***@127.0.0.1:1/newswatch: "
    )
    assert "s3cret" not in message
    assert "NEWSWATCH_DATABASE_URL" in message


def test_unknown_driver_is_a_database_error() -> None:
    with pytest.raises(DatabaseError, match="invalid database URL"):
        create_db_engine("postgresql+nosuchdriver://u:pw@127.0.0.1/db")


def test_engine_fixture_connects(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
