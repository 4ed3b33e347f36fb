"""`newswatch doctor`: check each thing a run depends on and say what to fix.

Checks run in dependency order (config, then database and baseline, then feeds); a check
whose prerequisite failed is not attempted, so each problem is reported once, where it
starts. Feed checks do one real fetch per feed (no retries, a short timeout) and parse the
body, so "reachable" means "answers with a feed", not merely "accepts a connection".
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pipeline.baseline import load_baseline
from pipeline.config import Config, FeedConfig, FetchSettings, describe_url, load_config
from pipeline.db.engine import check_schema, create_db_engine
from pipeline.errors import FetchError, NewswatchError
from pipeline.fetch import fetch_feed, make_client
from pipeline.parse import parse_feed
from pipeline.records import FeedState, FetchResult

# Doctor answers quickly: a feed that needs more than this to answer is reported as slow/unreachable.
_PROBE_TIMEOUT = 10.0


class Outcome(StrEnum):
    """How one check went."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Check:
    """One checked thing: what, how it went, the detail, and what to do about it."""

    name: str
    outcome: Outcome
    detail: str
    fix: str = ""


def diagnose(config_path: Path, environ: Mapping[str, str], *, probe_feeds: bool = True) -> list[Check]:
    """Run every check and return them in order; never raises for the things it checks."""
    try:
        config = load_config(config_path, environ)
    except NewswatchError as exc:
        return [Check("config", Outcome.FAIL, str(exc), "fix the lines named above in the config file")]
    checks = [Check("config", Outcome.OK, f"{config_path}: {len(config.feeds)} feeds")]
    checks.append(_check_database(config))
    checks.append(_check_baseline(config))
    if not config.feeds:
        checks.append(Check("feeds", Outcome.WARN, "no feeds configured", "add [[feeds]] entries"))
    elif probe_feeds:
        checks.extend(_check_feeds(config))
    return checks


def _check_database(config: Config) -> Check:
    where = describe_url(config.database.url)
    try:
        engine = create_db_engine(config.database.url)
        try:
            check_schema(engine)
        finally:
            engine.dispose()
    except NewswatchError as exc:
        fix = (
            "run `newswatch init`" if "init" in str(exc) else "check [database] url and that the server is up"
        )
        return Check("database", Outcome.FAIL, str(exc), fix)
    return Check("database", Outcome.OK, f"{where}: schema up to date")


def _check_baseline(config: Config) -> Check:
    try:
        baseline = load_baseline(config.baseline.file)
    except NewswatchError as exc:
        return Check("baseline", Outcome.FAIL, str(exc), "fix the baseline file or [baseline] file")
    return Check(
        "baseline",
        Outcome.OK,
        f"{config.baseline.file}: {baseline.id}, as of {baseline.as_of}, {len(baseline.places)} places, "
        f"{len(baseline.claims)} claims",
    )


def _check_feeds(config: Config) -> list[Check]:
    settings = config.fetch.model_copy(
        update={"retries": 0, "total_timeout": min(config.fetch.total_timeout, _PROBE_TIMEOUT)}
    )
    results = asyncio.run(_probe_all(config.feeds, settings))
    return [_feed_check(feed, result) for feed, result in zip(config.feeds, results, strict=True)]


async def _probe_all(feeds: list[FeedConfig], settings: FetchSettings) -> list[FetchResult]:
    limit = asyncio.Semaphore(settings.concurrency)
    async with make_client(settings) as client:

        async def probe(feed: FeedConfig) -> FetchResult:
            state = FeedState(name=feed.name, url=feed.url, path=str(feed.path) if feed.path else None)
            async with limit:
                return await fetch_feed(client, state, settings)

        return await asyncio.gather(*(probe(feed) for feed in feeds))


def _feed_check(feed: FeedConfig, result: FetchResult) -> Check:
    name = f"feed {feed.name}"
    if not result.ok:
        fix = (
            "check the URL in a browser; the service keeps retrying with backoff"
            if feed.url
            else "check the path"
        )
        return Check(name, Outcome.FAIL, f"{feed.source}: {result.error_code}: {result.error_message}", fix)
    if result.not_modified:
        return Check(name, Outcome.OK, f"{feed.source}: not modified since the last fetch")
    now = datetime.now(UTC)
    try:
        parsed = parse_feed(result.body or b"", source=result.url, fetched_at=now, now=now)
    except FetchError as exc:
        return Check(
            name,
            Outcome.FAIL,
            f"{feed.source}: {exc.code}: {exc.detail}",
            "point the feed at its RSS/Atom URL",
        )
    detail = f"{feed.source}: HTTP {result.status}, {len(parsed.items)} items in {result.elapsed_ms} ms"
    if parsed.warning:
        return Check(name, Outcome.WARN, f"{detail}; {parsed.warning}", "the feed is malformed but usable")
    if not parsed.items:
        return Check(name, Outcome.WARN, f"{detail}; no items", "check that this is the feed you meant")
    return Check(name, Outcome.OK, detail)
