"""`doctor`: check the config, database, baseline and feeds, and say what to fix."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape

from pipeline.cli._shared import FormatOption, ListFormat, app, print_json, stderr
from pipeline.doctor import Outcome, diagnose

_MARKS = {
    Outcome.OK: "[green]ok[/green]  ",
    Outcome.WARN: "[yellow]warn[/yellow]",
    Outcome.FAIL: "[red]FAIL[/red]",
}
_MARKS[Outcome.SKIPPED] = "[dim]skip[/dim]"


@app.command()
def doctor(
    ctx: typer.Context,
    offline: Annotated[bool, typer.Option("--offline", help="Do not fetch the feeds.")] = False,
    fmt: FormatOption = ListFormat.TABLE,
) -> None:
    """Check the config, the database and its migrations, the baseline and each feed; exit 1 on failure."""
    checks = diagnose(ctx.obj["config_path"], os.environ, probe_feeds=not offline)
    if fmt is ListFormat.JSON:
        print_json([asdict(check) for check in checks])
    else:
        for check in checks:
            stderr.print(
                f"{_MARKS[check.outcome]} {check.name}: {check.detail}", highlight=False, soft_wrap=True
            )
            if check.fix and check.outcome in (Outcome.FAIL, Outcome.WARN):
                stderr.print(f"      → {escape(check.fix)}", highlight=False, soft_wrap=True)
    failed = sum(check.outcome is Outcome.FAIL for check in checks)
    if fmt is ListFormat.TABLE:
        stderr.print(f"{len(checks)} checks, {failed} failed", highlight=False)
    if failed:
        raise typer.Exit(1)
