"""Running newswatch: init, one cycle, the scheduled service, version."""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from wsgiref.simple_server import WSGIServer

import typer

from pipeline import __version__
from pipeline.analysis import compile_baseline
from pipeline.baseline import load_baseline
from pipeline.cli._shared import app, config_of, matcher_of, open_store, progress_bar, stderr, user_errors
from pipeline.config import describe_url, parse_listen
from pipeline.cycle import run_cycle
from pipeline.db.engine import create_db_engine, migrate
from pipeline.db.store import Store
from pipeline.errors import ConfigError, NewswatchError
from pipeline.metrics import Metrics

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
def serve(
    ctx: typer.Context,
    metrics_listen: Annotated[
        str | None,
        typer.Option(
            "--metrics", metavar="HOST:PORT", help="Serve Prometheus /metrics here ([metrics] listen)."
        ),
    ] = None,
) -> None:
    """Run as a service: fetch on schedule, write and send the daily report, stop cleanly on SIGTERM/SIGINT."""
    from pipeline.notify import url_problems
    from pipeline.service import build_scheduler, serve_forever, service_jobs

    with user_errors():
        config = config_of(ctx)
        problems = url_problems(config.notify)
        if problems:
            raise ConfigError("\n".join(f"{ctx.obj['config_path']}: {problem}" for problem in problems))
        _check_writable(config.report.directory)
        baseline = load_baseline(config.baseline.file)
        matcher = compile_baseline(baseline, config.analysis)
        store = open_store(config)
        metrics, endpoint = _start_metrics(metrics_listen or config.metrics.listen, store)
        jobs = service_jobs(config, store, matcher, baseline, metrics=metrics)
        count = len(config.notify.urls)
        services = f"; sent through {count} apprise URL{'s' if count != 1 else ''}" if count else ""
        stderr.print(
            f"newswatch {__version__} serving {len(config.feeds)} feeds every "
            f"{config.schedule.fetch_every_minutes} min; report at {config.schedule.report_at} "
            f"{config.schedule.timezone} into {config.report.directory}/{services}",
            highlight=False,
        )
        try:
            serve_forever(build_scheduler(config.schedule, jobs.cycle, jobs.report, at_start=jobs.at_start))
        finally:
            if endpoint is not None:
                endpoint.shutdown()
            store.close()


def _start_metrics(listen: str | None, store: Store) -> tuple[Metrics | None, WSGIServer | None]:
    """The metrics object and its /metrics endpoint, or (None, None) when not asked for."""
    if listen is None:
        return None, None
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        raise ConfigError(f"--metrics / metrics.listen: {exc} (got {listen!r})") from None
    metrics = Metrics(store.database_stats)
    try:
        endpoint = metrics.serve(host, port)
    except OSError as exc:
        raise NewswatchError(f"cannot serve metrics on {listen}: {exc.strerror}") from None
    stderr.print(f"metrics on http://{listen}/metrics", highlight=False)
    return metrics, endpoint


def _check_writable(directory: Path) -> None:
    """Fail at start, not at the first report, when the report directory cannot be written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise NewswatchError(
            f"{directory}: cannot write reports there ({exc.strerror}); set report.directory in the config"
        ) from None
