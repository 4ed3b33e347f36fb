"""What the analysis says: `analyse` a text, `reanalyse` stored items, list `findings`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.analysis import analyse, match_places
from pipeline.cli._shared import (
    FormatOption,
    ListFormat,
    app,
    config_of,
    matcher_of,
    open_store,
    parse_date,
    print_json,
    print_table,
    progress_bar,
    read_text_file,
    user_errors,
)
from pipeline.cycle import reanalyse_all
from pipeline.errors import ConfigError
from pipeline.records import ItemText


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
    with user_errors():
        if (text is None) == (file is None):
            raise ConfigError("give exactly one of --text or --file")
        body = text if text is not None else read_text_file(file)
        title, _, rest = body.strip().partition("\n")
        when = parse_date(published)
        matcher = matcher_of(config_of(ctx))
        findings = analyse(ItemText(title=title, body=rest, published=when), matcher)
        places = sorted({m.canonical for m in match_places(body, matcher)})
        if fmt is ListFormat.JSON:
            print_json({"places": places, "findings": [_finding_dict(f) for f in findings]})
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
    with user_errors():
        config = config_of(ctx)
        matcher = matcher_of(config)
        with open_store(config) as store, progress_bar() as bar:
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
    with user_errors():
        with open_store(config_of(ctx)) as store:
            rows = [f.to_dict() for f in store.findings(since=parse_date(since))]
        if fmt is ListFormat.JSON:
            print_json(rows)
            return
        columns = ["claim_id", "relation", "score", "review_state", "title", "url"]
        print_table(columns, [[r[c] for c in columns] for r in rows])


def _finding_dict(f: Any) -> dict[str, object]:
    return {
        "claim_id": f.claim_id,
        "relation": str(f.relation),
        "places": list(f.places),
        "evidence": f.evidence,
        "score": round(f.score, 3),
        "reasons": list(f.reasons),
    }
