"""What every command shares: the Typer apps, config and store loading, error handling, output."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.analysis import Matcher, compile_baseline
from pipeline.baseline import load_baseline
from pipeline.config import DEFAULT_CONFIG, Config, load_config
from pipeline.db.engine import create_db_engine, ensure_schema
from pipeline.db.store import Store
from pipeline.errors import ConfigError, NewswatchError
from pipeline.logs import setup_logging

logger = logging.getLogger(__name__)
app = typer.Typer(
    help="Watch news feeds for reports that confirm, update or contradict a baseline article.",
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
    add_completion=False,
)
feeds_app = typer.Typer(help="List configured feeds and their fetch state.", no_args_is_help=True)
baseline_app = typer.Typer(help="Check or draft baseline files.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")
app.add_typer(baseline_app, name="baseline")
stderr = Console(stderr=True)


class ListFormat(StrEnum):
    """Output formats for listings."""

    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn user-facing errors into a message and an exit code; anything else is a bug."""
    try:
        yield
    except NewswatchError as exc:
        stderr.print(f"[red]error:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception:
        logger.exception("unexpected error (this is a bug; please report it)")
        raise typer.Exit(1) from None


def config_of(ctx: typer.Context) -> Config:
    path: Path = ctx.obj["config_path"]
    return load_config(path, environ=os.environ)


def open_store(config: Config) -> Store:
    """The store on an up-to-date schema (a fresh machine gets its database created here)."""
    engine = create_db_engine(config.database.url)
    try:
        ensure_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


def matcher_of(config: Config) -> Matcher:
    return compile_baseline(load_baseline(config.baseline.file), config.analysis)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(*columns, box=None, header_style="bold")
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    # Piped output keeps whole values on one line instead of wrapping them at 80 columns.
    Console(width=None if sys.stdout.isatty() else 240).print(table)


class _Bar:
    """A rich progress bar on stderr, one task per stage (only on a terminal)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def start(self, stage: str, total: int) -> None:
        self._tasks[stage] = self._progress.add_task(stage, total=total)

    def advance(self, stage: str) -> None:
        self._progress.advance(self._tasks[stage])


@contextmanager
def progress_bar() -> Iterator[_Bar | None]:
    if not sys.stderr.isatty():
        yield None
        return
    columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr, transient=True) as progress:
        yield _Bar(progress)


@app.callback()
def _main(
    ctx: typer.Context,
    config: Annotated[Path, typer.Option("--config", "-c", help="Config file (TOML).")] = DEFAULT_CONFIG,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output (-v, -vv).")
    ] = 0,
    log_format: Annotated[str, typer.Option("--log-format", help="Log lines as 'text' or 'json'.")] = "text",
) -> None:
    """newswatch: keep a baseline article and watch feeds for reports that change it."""
    if log_format not in {"text", "json"}:
        raise typer.BadParameter("use 'text' or 'json'", param_hint="--log-format")
    setup_logging(["WARNING", "INFO", "DEBUG"][min(verbose, 2)], log_format)
    ctx.obj = {"config_path": config}


def read_text_file(path: Path | None) -> str:
    assert path is not None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def parse_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(12), tzinfo=UTC)
    except ValueError:
        raise ConfigError(f"not a date YYYY-MM-DD: {value!r}") from None
