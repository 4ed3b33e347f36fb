"""`baseline check`, `draft` and `status`: validate a baseline file, draft one, or show its claims' status."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.baseline import load_baseline
from pipeline.cli._shared import (
    FormatOption,
    ListFormat,
    baseline_app,
    config_of,
    open_store,
    print_json,
    print_table,
    stderr,
    user_errors,
)
from pipeline.errors import ConfigError
from pipeline.records import ReviewState
from pipeline.report import ClaimStatus, claim_statuses


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


@baseline_app.command("status")
def baseline_status(ctx: typer.Context, fmt: FormatOption = ListFormat.TABLE) -> None:
    """Show every claim's current status and the finding behind it (dismissed findings never count)."""
    with user_errors():
        config = config_of(ctx)
        baseline = load_baseline(config.baseline.file)
        with open_store(config) as store:
            found = store.findings(review=[ReviewState.PENDING, ReviewState.ACCEPTED])
        statuses = [_status_dict(status) for status in claim_statuses(baseline, found)]
        if fmt is ListFormat.JSON:
            print_json(statuses)
            return
        rows = []
        for s in statuses:
            f = s["finding"] or {}
            day = f.get("published", "")[:10]
            rows.append(
                (
                    s["id"],
                    s["status"],
                    f.get("id"),
                    f.get("relation"),
                    day,
                    f.get("feed"),
                    f.get("title"),
                    f.get("url"),
                )
            )
        print_table(["claim", "status", "finding", "relation", "published", "outlet", "title", "url"], rows)


def _status_dict(status: ClaimStatus) -> dict[str, Any]:
    """A claim's status as JSON: the same keys for the finding as the report's `item`."""
    f = status.finding
    finding = None
    if f is not None:
        finding = {
            "id": f.id,
            "relation": f.relation.value,
            "review": f.review_state.value,
            "published": f.published.isoformat(),
            "feed": f.feed_name,
            "title": f.title,
            "url": f.url,
        }
    return {"id": status.claim_id, "text": status.text, "status": status.status.value, "finding": finding}
