"""`baseline check` and `baseline draft`: validate a baseline file, or draft one from an article."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.baseline import load_baseline
from pipeline.cli._shared import baseline_app, stderr, user_errors
from pipeline.errors import ConfigError


@baseline_app.command("check")
def baseline_check(file: Annotated[Path, typer.Argument(help="Baseline TOML file.")]) -> None:
    """Validate a baseline file and summarise it."""
    with user_errors():
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

    with user_errors():
        try:
            text = article.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{article}: cannot read article: {exc}") from None
        stderr.print("loading gazetteer…", highlight=False)
        typer.echo(render_draft_toml(draft_baseline(text, load_gazetteer(), source=source)), nl=False)
