"""The command line (Typer): the only module that prints.

Commands are thin: parse options, load config, call one function, render. Data goes to
stdout; progress, warnings and messages to stderr. Exit codes: 0 done (a cycle where some
feeds failed still completed), 1 operational failure, 2 usage or configuration error.
"""

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

from pipeline import __version__
from pipeline.analysis import Matcher, analyse, compile_baseline, match_places
from pipeline.baseline import load_baseline
from pipeline.config import DEFAULT_CONFIG, Config, describe_url, load_config
from pipeline.cycle import reanalyse_all, run_cycle
from pipeline.db.engine import create_db_engine, ensure_schema, migrate
from pipeline.db.store import Store
from pipeline.errors import ConfigError, NewswatchError
from pipeline.logs import setup_logging
from pipeline.records import ItemText

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
def _user_errors() -> Iterator[None]:
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


def _config(ctx: typer.Context) -> Config:
    path: Path = ctx.obj["config_path"]
    return load_config(path, environ=os.environ)


def _store(config: Config) -> Store:
    """The store on an up-to-date schema (a fresh machine gets its database created here)."""
    engine = create_db_engine(config.database.url)
    try:
        ensure_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


def _matcher(config: Config) -> Matcher:
    return compile_baseline(load_baseline(config.baseline.file), config.analysis)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _print_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
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
def _progress_bar() -> Iterator[_Bar | None]:
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


@app.command()
def version() -> None:
    """Print the newswatch version."""
    typer.echo(f"newswatch {__version__}")


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the database or migrate it to the latest schema."""
    with _user_errors():
        config = _config(ctx)
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
    with _user_errors():
        config = _config(ctx)
        matcher = _matcher(config)
        with _store(config) as store, _progress_bar() as bar:
            summary = run_cycle(config, store, matcher, now=datetime.now(UTC), only_due=due, progress=bar)
        for error in summary.errors:
            stderr.print(f"[yellow]feed failed:[/yellow] {error}", highlight=False, soft_wrap=True)
        typer.echo(summary.line())


@app.command()
def serve(ctx: typer.Context) -> None:
    """Run as a service: fetch on schedule, report daily, stop cleanly on SIGTERM/SIGINT."""
    from pipeline.service import build_scheduler, serve_forever

    with _user_errors():
        config = _config(ctx)
        matcher = _matcher(config)
        store = _store(config)

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


@feeds_app.command("list")
def feeds_list(ctx: typer.Context, fmt: FormatOption = ListFormat.TABLE) -> None:
    """List the feeds in the config file."""
    with _user_errors():
        config = _config(ctx)
        rows = [{"name": f.name, "url": f.source, "kind": "url" if f.url else "file"} for f in config.feeds]
        if fmt is ListFormat.JSON:
            _print_json(rows)
        else:
            _print_table(["name", "kind", "url"], [(r["name"], r["kind"], r["url"]) for r in rows])


@feeds_app.command("status")
def feeds_status(ctx: typer.Context, fmt: FormatOption = ListFormat.TABLE) -> None:
    """Show each configured feed's fetch state (status, errors, items seen, next due)."""
    with _user_errors():
        config = _config(ctx)
        with _store(config) as store:
            store.sync_feeds(config.feeds)
            configured = {f.name for f in config.feeds}
            statuses = [s.to_dict() for s in store.feed_statuses() if s.name in configured]
        if fmt is ListFormat.JSON:
            _print_json(statuses)
            return
        columns = [
            "name",
            "last_status",
            "consecutive_failures",
            "items_seen",
            "last_fetched",
            "next_due",
            "last_error",
        ]
        _print_table(columns, [[s[c] for c in columns] for s in statuses])


@baseline_app.command("check")
def baseline_check(file: Annotated[Path, typer.Argument(help="Baseline TOML file.")]) -> None:
    """Validate a baseline file and summarise it."""
    with _user_errors():
        baseline = load_baseline(file)
        typer.echo(
            f"{file}: ok — {baseline.id}, as of {baseline.as_of}: {len(baseline.places)} places, "
            f"{len(baseline.claims)} claims"
        )


@baseline_app.command("draft")
def baseline_draft(
    article: Annotated[Path, typer.Argument(help="Article as plain text.")],
    source: Annotated[str | None, typer.Option(help="Where the article was published.")] = None,
) -> None:
    """Draft a baseline file (places, aliases, candidate claims) from an article, for a person to edit."""
    from pipeline.analysis.draft import draft_baseline, render_draft_toml
    from pipeline.analysis.gazetteer import load_gazetteer

    with _user_errors():
        try:
            text = article.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{article}: cannot read article: {exc}") from None
        stderr.print("loading gazetteer…", highlight=False)
        typer.echo(render_draft_toml(draft_baseline(text, load_gazetteer(), source=source)), nl=False)


@app.command("analyse")
def analyse_text(
    ctx: typer.Context,
    text: Annotated[
        str | None, typer.Option("--text", help="The report text (first line is the title).")
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the report from a file.")] = None,
    published: Annotated[
        str | None, typer.Option(help="Publication date YYYY-MM-DD (default: after the baseline).")
    ] = None,
    fmt: FormatOption = ListFormat.TABLE,
) -> None:
    """Show what a text would give: places found, findings and the reasons behind them."""
    with _user_errors():
        if (text is None) == (file is None):
            raise ConfigError("give exactly one of --text or --file")
        body = text if text is not None else _read(file)
        title, _, rest = body.strip().partition("\n")
        when = _parse_date(published)
        matcher = _matcher(_config(ctx))
        findings = analyse(ItemText(title=title, body=rest, published=when), matcher)
        places = sorted({m.canonical for m in match_places(body, matcher)})
        if fmt is ListFormat.JSON:
            _print_json({"places": places, "findings": [_finding_dict(f) for f in findings]})
            return
        typer.echo(f"places: {', '.join(places) or '(none)'}")
        if not findings:
            typer.echo("no findings")
        for f in findings:
            typer.echo(
                f"\n{f.claim_id}: {f.relation} (score {f.score:.2f}; places {', '.join(f.places) or '-'})"
            )
            typer.echo(f"  evidence: {f.evidence}")
            for reason in f.reasons:
                typer.echo(f"  - {reason}")


@app.command()
def reanalyse(ctx: typer.Context) -> None:
    """Recompute findings for all stored items (after the baseline changed); reviews are kept."""
    with _user_errors():
        config = _config(ctx)
        matcher = _matcher(config)
        with _store(config) as store, _progress_bar() as bar:
            new = reanalyse_all(store, matcher, now=datetime.now(UTC), progress=bar)
            items = store.counts()["items"]
        typer.echo(f"{items} items re-analysed; {new} new findings")


@app.command()
def findings(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="Only findings on items published since YYYY-MM-DD.")
    ] = None,
    fmt: FormatOption = ListFormat.TABLE,
) -> None:
    """List stored findings with their evidence and links."""
    with _user_errors():
        with _store(_config(ctx)) as store:
            rows = [f.to_dict() for f in store.findings(since=_parse_date(since))]
        if fmt is ListFormat.JSON:
            _print_json(rows)
            return
        columns = ["claim_id", "relation", "score", "review_state", "title", "url"]
        _print_table(columns, [[r[c] for c in columns] for r in rows])


def _finding_dict(f: Any) -> dict[str, object]:
    return {
        "claim_id": f.claim_id,
        "relation": str(f.relation),
        "places": list(f.places),
        "evidence": f.evidence,
        "score": round(f.score, 3),
        "reasons": list(f.reasons),
    }


def _read(path: Path | None) -> str:
    assert path is not None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def _parse_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(12), tzinfo=UTC)
    except ValueError:
        raise ConfigError(f"not a date YYYY-MM-DD: {value!r}") from None


def main() -> None:
    """Console-script entry point."""
    app()
