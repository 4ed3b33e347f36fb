"""`review list|accept|dismiss`: an analyst's decisions on findings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from pipeline.cli._shared import (
    FormatOption,
    ListFormat,
    app,
    config_of,
    open_store,
    print_json,
    print_table,
    user_errors,
)
from pipeline.errors import ConfigError
from pipeline.records import ReviewState

review_app = typer.Typer(help="List findings and accept or dismiss them.", no_args_is_help=True)
app.add_typer(review_app, name="review")

FindingId = Annotated[int, typer.Argument(help="The finding's id (see `review list`).", min=1)]
NoteOption = Annotated[str | None, typer.Option("--note", help="Why: kept with the decision.")]
LIST_COLUMNS = ("id", "claim", "relation", "score", "review", "published", "outlet", "title", "url")


@review_app.command("list")
def review_list(
    ctx: typer.Context,
    pending: Annotated[bool, typer.Option("--pending", help="Only findings not yet reviewed.")] = False,
    claim: Annotated[str | None, typer.Option("--claim", help="Only this claim's findings.")] = None,
    fmt: FormatOption = ListFormat.TABLE,
) -> None:
    """List findings to review, newest report first."""
    with user_errors():
        with open_store(config_of(ctx)) as store:
            found = store.findings(claim_id=claim, review=[ReviewState.PENDING] if pending else None)
        if fmt is ListFormat.JSON:
            print_json([f.to_dict() for f in found])
            return
        rows = [
            (
                f.id,
                f.claim_id,
                f.relation,
                f"{f.score:.2f}",
                f.review_state,
                f.published.strftime("%Y-%m-%d %H:%M"),
                f.feed_name,
                f.title,
                f.url,
            )
            for f in found
        ]
        print_table(LIST_COLUMNS, rows)


@review_app.command("accept")
def review_accept(ctx: typer.Context, finding_id: FindingId, note: NoteOption = None) -> None:
    """Accept a finding: the analyst agrees with it."""
    _decide(ctx, finding_id, ReviewState.ACCEPTED, note)


@review_app.command("dismiss")
def review_dismiss(ctx: typer.Context, finding_id: FindingId, note: NoteOption = None) -> None:
    """Dismiss a finding: it leaves the report and no longer sets its claim's status."""
    _decide(ctx, finding_id, ReviewState.DISMISSED, note)


def _decide(ctx: typer.Context, finding_id: int, state: ReviewState, note: str | None) -> None:
    with user_errors(), open_store(config_of(ctx)) as store:
        before = store.finding(finding_id)
        if before is None or not store.set_review(finding_id, state, now=datetime.now(UTC), note=note):
            raise ConfigError(f"no finding with id {finding_id} (see `newswatch review list`)")
        change = f"{before.review_state} → {state}" if before.review_state != state else f"already {state}"
        typer.echo(
            f"finding {finding_id}: {change} ({before.claim_id}, {before.relation}: {before.title!r})"
            + (f"; note: {note!r}" if note is not None else "")
        )
