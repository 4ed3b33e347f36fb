"""`feeds list` and `feeds status`: the configured feeds and how their fetches went."""

from __future__ import annotations

import typer

from pipeline.cli._shared import (
    FormatOption,
    ListFormat,
    config_of,
    feeds_app,
    open_store,
    print_json,
    print_table,
    user_errors,
)


@feeds_app.command("list")
def feeds_list(ctx: typer.Context, fmt: FormatOption = ListFormat.TABLE) -> None:
    """List the feeds in the config file."""
    with user_errors():
        config = config_of(ctx)
        rows = [{"name": f.name, "url": f.source, "kind": "url" if f.url else "file"} for f in config.feeds]
        if fmt is ListFormat.JSON:
            print_json(rows)
        else:
            print_table(["name", "kind", "url"], [(r["name"], r["kind"], r["url"]) for r in rows])


@feeds_app.command("status")
def feeds_status(ctx: typer.Context, fmt: FormatOption = ListFormat.TABLE) -> None:
    """Show each configured feed's fetch state (status, errors, items seen, next due)."""
    with user_errors():
        config = config_of(ctx)
        with open_store(config) as store:
            store.sync_feeds(config.feeds)
            configured = {f.name for f in config.feeds}
            statuses = [s.to_dict() for s in store.feed_statuses() if s.name in configured]
        if fmt is ListFormat.JSON:
            print_json(statuses)
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
        print_table(columns, [[s[c] for c in columns] for s in statuses])
