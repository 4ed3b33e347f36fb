"""Running newswatch: init, one cycle, the scheduled service, version."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

import typer

from pipeline import __version__
from pipeline.cli._shared import app, config_of, matcher_of, open_store, progress_bar, stderr, user_errors
from pipeline.config import describe_url
from pipeline.cycle import run_cycle
from pipeline.db.engine import create_db_engine, migrate

logger = logging.getLogger(__name__)


@app.command()
def version() -> None:
    """Print the newswatch version."""
    typer.echo(f"newswatch {__version__}")


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the database or migrate it to the latest schema."""
    with user_errors():
        config = config_of(ctx)
        engine = create_db_engine(config.database.url)
        try:
            revision = migrate(engine)
        finally:
            engine.dispose()
        stderr.print(
            f"database ready: {describe_url(config.database.url)} (schema {revision})", highlight=False
        )


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle now and exit.")] = False,
    due: Annotated[
        bool, typer.Option("--due", help="Only fetch feeds that are due (honours backoff).")
    ] = False,
) -> None:
    """Run one fetch-and-analyse cycle (use `serve` for the scheduled service)."""
    if not once:
        raise typer.BadParameter(
            "`run` needs --once; use `newswatch serve` to run on a schedule", param_hint="--once"
        )
    with user_errors():
        config = config_of(ctx)
        matcher = matcher_of(config)
        with open_store(config) as store, progress_bar() as bar:
            summary = run_cycle(config, store, matcher, now=datetime.now(UTC), only_due=due, progress=bar)
        for error in summary.errors:
            stderr.print(f"[yellow]feed failed:[/yellow] {error}", highlight=False, soft_wrap=True)
        typer.echo(summary.line())


@app.command()
def serve(ctx: typer.Context) -> None:
    """Run as a service: fetch on schedule, report daily, stop cleanly on SIGTERM/SIGINT."""
    from pipeline.service import build_scheduler, serve_forever

    with user_errors():
        config = config_of(ctx)
        matcher = matcher_of(config)
        store = open_store(config)

        def cycle() -> None:
            run_cycle(config, store, matcher, now=datetime.now(UTC), only_due=True)

        def report() -> None:
            since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            logger.info("daily report", extra={"findings_today": len(store.findings(found_since=since))})

        stderr.print(
            f"newswatch {__version__} serving {len(config.feeds)} feeds every "
            f"{config.schedule.fetch_every_minutes} min; report at {config.schedule.report_at}",
            highlight=False,
        )
        try:
            serve_forever(build_scheduler(config.schedule, cycle, report))
        finally:
            store.close()
