"""Alembic environment: run by `engine.migrate()` with a connection in `config.attributes`.

No alembic.ini is needed at runtime. For writing a new revision by hand, point Alembic at a
database with `-x url=sqlite:///dev.db` (or set `sqlalchemy.url` in a local ini file) and use
`alembic -c <ini> revision --autogenerate -m "..."` with `script_location` set to this folder.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from pipeline.db.engine import create_db_engine
from pipeline.db.models import metadata

config = context.config


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass a connection in config.attributes or -x url=...")
    return url


def run_offline() -> None:
    """Emit the SQL to stdout instead of running it."""
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run against the connection `migrate()` passed in, or a fresh one from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = create_db_engine(_url())
    try:
        with engine.begin() as fresh:
            _configure_and_run(fresh)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
