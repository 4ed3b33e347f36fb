"""`report`: the change report for a window, as JSON, Markdown or HTML."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline.baseline import load_baseline
from pipeline.cli._shared import app, config_of, open_store, parse_date, user_errors
from pipeline.daily import found_late
from pipeline.errors import ConfigError, NewswatchError
from pipeline.report import build_report, report_window
from pipeline.report.render import render


class ReportFormat(StrEnum):
    """Output formats for reports."""

    JSON = "json"
    MD = "md"
    HTML = "html"


@app.command("report")
def report(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD (UTC); alone: from that day until now.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day, YYYY-MM-DD (UTC), included; alone: that one day.")
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Output format: json (the default), md or html.")
    ] = ReportFormat.JSON,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file (atomically) instead of stdout.")
    ] = None,
) -> None:
    """The change report: what reports published in the window say about each baseline claim.

    The window filters on the item's published time (its fetch time when the feed gave none).
    With neither --since nor --until it is the 24 hours before now.
    """
    with user_errors():
        config = config_of(ctx)
        baseline = load_baseline(config.baseline.file)
        now = datetime.now(UTC)
        try:
            window = report_window(_day(since), _day(until), now)
        except ValueError as exc:
            raise ConfigError(f"--since/--until: {exc}") from None
        with open_store(config) as store:
            findings = store.findings(window.since, until=window.until)
            items = store.count_items(window.since, window.until)
            late = found_late(store, window)
        built = build_report(baseline, findings, window=window, items=items, generated=now, late=late)
        text = render(built, fmt.value)
        if out is None:
            typer.echo(text, nl=False)
            return
        write_atomically(out, text)
        typer.echo(str(out), err=True)


def write_atomically(path: Path, text: str) -> None:
    """Write a file through a temporary file in the same directory and a rename: never half a report."""
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise NewswatchError(f"{path}: cannot write the report: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is as readable as any file
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise NewswatchError(f"{path}: cannot write the report: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _day(value: str | None) -> date | None:
    moment = parse_date(value)
    return None if moment is None else moment.date()
