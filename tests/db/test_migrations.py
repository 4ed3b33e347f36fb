"""Migrations: idempotent, the same schema as the models, and a clear error for unknown schemas."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from pipeline.db import check_schema, ensure_schema, migrate
from pipeline.db.engine import MIGRATIONS_DIR
from pipeline.db.models import metadata
from pipeline.errors import DatabaseError
from tests.db.concurrently import run_at_once

HEAD = "0006"
TABLES = {"alembic_version", "feed", "item", "item_source", "finding", "report_run"}


def test_migrate_twice_is_idempotent(bare_engine: Engine) -> None:
    assert migrate(bare_engine) == HEAD
    assert migrate(bare_engine) == HEAD
    assert set(inspect(bare_engine).get_table_names()) == TABLES
    with bare_engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]


def test_check_schema_before_and_after_migrate(bare_engine: Engine) -> None:
    with pytest.raises(DatabaseError, match=r"database not initialised: run `newswatch init`"):
        check_schema(bare_engine)
    migrate(bare_engine)
    check_schema(bare_engine)


def test_ensure_schema_migrates_a_fresh_database_once(bare_engine: Engine) -> None:
    ensure_schema(bare_engine)
    check_schema(bare_engine)
    ensure_schema(bare_engine)
    check_schema(bare_engine)


def test_migrations_create_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_downgrade_then_upgrade_again(engine: Engine) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    assert migrate(engine) == HEAD
    check_schema(engine)


def test_0002_renames_review_states_in_place(engine: Engine) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO feed (name, active, consecutive_failures, items_seen, created) VALUES ('f', true, 0, 0, '2024-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO item (canonical_url, feed_id, title, summary, published, fetched, content_hash, flags)"
                " VALUES ('u', 1, 't', 's', '2024-01-01', '2024-01-01', 'h', '')"
            )
        )
        for claim, state in (("a", "new"), ("b", "accepted"), ("c", "rejected")):
            connection.execute(
                text(
                    "INSERT INTO finding (item_id, claim_id, relation, places, evidence, score, reasons,"
                    " review_state, created, updated) VALUES (1, :claim, 'confirms', '[]', 'e', 0.5, '[]',"
                    " :state, '2024-01-01', '2024-01-01')"
                ),
                {"claim": claim, "state": state},
            )
    assert migrate(engine) == HEAD
    with engine.connect() as connection:
        states = connection.execute(
            text("SELECT claim_id, review_state FROM finding ORDER BY claim_id")
        ).all()
    assert [tuple(row) for row in states] == [("a", "pending"), ("b", "accepted"), ("c", "dismissed")]


def test_schema_from_a_newer_version_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'fffffffff'"))
    for action in (check_schema, ensure_schema, migrate):
        with pytest.raises(DatabaseError, match=r"revision 'fffffffff'.*upgrade newswatch"):
            action(engine)


def test_concurrent_first_runs_migrate_once(database_url: str) -> None:
    # Two `run --once` on a fresh machine at the same time: both succeed, one creates the tables.
    results = run_at_once(database_url, 3, lambda _, engine: migrate(engine))
    assert results == [HEAD] * 3
