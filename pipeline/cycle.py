"""One fetch cycle: fetch → parse → dedupe → store → analyse → store.

This module only wires stages together and owns the concurrency: each stage is a plain
function (async only in `fetch`). A cycle is one worker (`Store.worker`, explained in
`pipeline/db/worker.py`): it fetches only the feeds it claims and analyses items in batches no
other worker holds. A feed's items are stored (idempotently, by canonical URL) before its fetch
is recorded, and analysis picks up every stored item not analysed yet, so a crash anywhere —
kill -9, a database that goes away — loses nothing and a re-run duplicates nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from pipeline.analysis import Matcher, analyse
from pipeline.config import Config, FetchSettings
from pipeline.db.store import NewItem, Store, StoredItem
from pipeline.db.worker import Worker
from pipeline.dedupe import StoryCandidate, canonical_url, content_hash, find_syndicated, story_text
from pipeline.errors import FetchError
from pipeline.fetch import failure_backoff, fetch_feed, make_client
from pipeline.parse import parse_feed
from pipeline.records import CycleSummary, FeedState, FetchResult, Finding, ItemText, ParsedItem

logger = logging.getLogger(__name__)

# How far back a new item is compared with stored ones to find syndicated copies.
SYNDICATION_WINDOW = timedelta(days=3)
# How long a feed claim outlives the cycle deadline (see `_lease`).
LEASE_MARGIN = timedelta(minutes=10)
# Items analysed per transaction: long enough to amortise the commit, short enough that the
# batch's row locks (and SQLite's write lock) are held for well under a second.
ANALYSIS_BATCH = 100


class Progress(Protocol):
    """Receives progress events; the CLI draws a bar, the service ignores them."""

    def start(self, stage: str, total: int) -> None: ...
    def advance(self, stage: str) -> None: ...


class _NoProgress:
    def start(self, stage: str, total: int) -> None:
        return None

    def advance(self, stage: str) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _FeedOutcome:
    status: str  # ok | not_modified | failed
    new_items: int
    duplicate_stories: int


def run_cycle(
    config: Config,
    store: Store,
    matcher: Matcher,
    *,
    now: datetime,
    only_due: bool = False,
    progress: Progress | None = None,
) -> CycleSummary:
    """Run one complete cycle as one worker and return what it did; feed failures are recorded, never raised.

    Every configured feed that no other worker is fetching is fetched (only the due ones with
    `only_due`); the feeds held elsewhere count as skipped. Raises DatabaseError when the
    database fails mid-cycle (the next cycle picks up where this one stopped) and, on SQLite,
    when another runner is using the database.
    """
    progress = progress or _NoProgress()
    with store.worker() as worker:
        store.sync_feeds(config.feeds)
        feeds, skipped = _claim(worker, config, now=now, only_due=only_due)
        progress.start("fetch", len(feeds))
        results = asyncio.run(fetch_all(feeds, config.fetch, on_done=lambda _: progress.advance("fetch")))
        candidates = _story_candidates(store, now)
        outcomes = [
            _store_feed(result, store, config, candidates, now=now, failures=feed.consecutive_failures)
            for feed, result in zip(feeds, results, strict=True)
        ]
        new_findings = analyse_pending(store, matcher, now=now, progress=progress)

    summary = CycleSummary(
        feeds_ok=sum(o.status == "ok" for o in outcomes),
        feeds_not_modified=sum(o.status == "not_modified" for o in outcomes),
        feeds_failed=sum(o.status == "failed" for o in outcomes),
        feeds_skipped=skipped,
        new_items=sum(o.new_items for o in outcomes),
        duplicate_stories=sum(o.duplicate_stories for o in outcomes),
        new_findings=new_findings,
        errors=tuple(f"{r.feed_name}: {r.error_message}" for r in results if not r.ok),
    )
    logger.info("cycle finished", extra={"summary": summary.line()})
    return summary


def _claim(worker: Worker, config: Config, *, now: datetime, only_due: bool) -> tuple[list[FeedState], int]:
    """The feeds this cycle fetches, in config order, and how many configured feeds it skips."""
    order = {feed.name: position for position, feed in enumerate(config.feeds)}
    claim = worker.claim_feeds(list(order), now=now, lease=_lease(config.fetch), due_only=only_due)
    # Config order decides which feed is credited with an article that several feeds carry.
    feeds = sorted(claim.feeds, key=lambda feed: order[feed.name])
    logger.info(
        "cycle started",
        extra={"feeds": len(feeds), "only_due": only_due, "held_elsewhere": claim.held_elsewhere},
    )
    return feeds, len(order) - len(feeds)


def _lease(settings: FetchSettings) -> timedelta:
    """How long a feed claim lasts if its worker never reports back (a killed worker's end sooner)."""
    return timedelta(seconds=settings.cycle_deadline) + LEASE_MARGIN


async def fetch_all(
    feeds: Sequence[FeedState],
    settings: FetchSettings,
    *,
    on_done: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch feeds concurrently (bounded overall and per host) within the cycle deadline."""
    overall = asyncio.Semaphore(settings.concurrency)
    per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(settings.per_host))

    async with make_client(settings) as client:

        async def one(feed: FeedState) -> FetchResult:
            host = (urlsplit(feed.url).hostname or "") if feed.url else "(local)"
            async with overall, per_host[host]:
                result = await fetch_feed(client, feed, settings)
            if on_done:
                on_done(result)
            return result

        tasks = [asyncio.create_task(one(feed)) for feed in feeds]
        if tasks:
            await asyncio.wait(tasks, timeout=settings.cycle_deadline)
        results = []
        for feed, task in zip(feeds, tasks, strict=True):
            if task.done() and not task.cancelled() and task.exception() is None:
                results.append(task.result())
                continue
            task.cancel()
            results.append(_deadline_result(feed, settings, task))
        await asyncio.gather(*tasks, return_exceptions=True)
    return results


def _deadline_result(
    feed: FeedState, settings: FetchSettings, task: asyncio.Task[FetchResult]
) -> FetchResult:
    source = feed.url or feed.path or feed.name
    if task.done() and not task.cancelled() and task.exception() is not None:
        # fetch_feed promises not to raise; if it does, that is a bug worth a traceback in the log.
        logger.error("fetch crashed", extra={"feed": feed.name}, exc_info=task.exception())
        return FetchResult(
            feed.name, source, None, error_code="internal_error", error_message=repr(task.exception())
        )
    return FetchResult(
        feed.name,
        source,
        None,
        error_code="cycle_deadline",
        error_message=f"not finished within the cycle deadline of {settings.cycle_deadline:g} s",
    )


def _store_feed(
    result: FetchResult,
    store: Store,
    config: Config,
    candidates: list[StoryCandidate],
    *,
    now: datetime,
    failures: int,
) -> _FeedOutcome:
    warning = None
    stored: list[StoredItem] = []
    if result.ok and result.body is not None:
        try:
            parsed = parse_feed(result.body, source=result.url, fetched_at=now, now=now)
        except FetchError as exc:
            result = replace(result, body=None, error_code=exc.code, error_message=exc.detail)
        else:
            warning = parsed.warning
            new_items = _dedupe(parsed.items, candidates, config.analysis.syndication_min_similarity)
            stored = store.add_items(result.feed_name, new_items, now=now)
            candidates.extend(
                StoryCandidate(s.id, s.story_id, story_text(s.title, s.summary)) for s in stored
            )
    if result.ok:
        next_due = now + timedelta(minutes=config.schedule.fetch_every_minutes)
        status = "not_modified" if result.not_modified else "ok"
    else:
        backoff = failure_backoff(
            failures + 1, config.schedule.fetch_every_minutes, config.fetch.failure_backoff_max_minutes
        )
        next_due, status = now + backoff, "failed"
        logger.warning(
            "feed failed",
            extra={"feed": result.feed_name, "code": result.error_code, "error": result.error_message},
        )
    store.record_fetch(result, now=now, next_due=next_due, warning=warning, new_items=len(stored))
    return _FeedOutcome(status, len(stored), sum(1 for s in stored if s.story_id != s.id))


def _dedupe(
    items: Sequence[ParsedItem], candidates: Sequence[StoryCandidate], min_similarity: float
) -> list[NewItem]:
    """Turn parsed items into storable ones: canonical URL, hash, syndicated story link."""
    seen: set[str] = set()
    out: list[NewItem] = []
    for item in items:
        key = _item_key(item)
        if key in seen:
            continue
        seen.add(key)
        text = story_text(item.title, item.summary)
        original = find_syndicated(text, candidates, min_similarity)
        out.append(
            NewItem(
                canonical_url=key,
                url=item.url or key,
                guid=item.guid,
                title=item.title,
                summary=item.summary,
                published=item.published,
                content_hash=content_hash(item.title, item.summary),
                flags=item.flags,
                story_id=original.story_id if original else None,
            )
        )
    return out


def _item_key(item: ParsedItem) -> str:
    # Entries without a link still need a stable unique key: their guid, else their text.
    if item.url:
        return canonical_url(item.url)
    if item.guid:
        return f"urn:guid:{item.guid}"
    return f"urn:sha256:{content_hash(item.title, item.summary)}"


def _story_candidates(store: Store, now: datetime) -> list[StoryCandidate]:
    rows = store.recent_story_candidates(since=now - SYNDICATION_WINDOW)
    return [
        StoryCandidate(item_id, story_id, story_text(title, summary))
        for item_id, story_id, title, summary in rows
    ]


def analyse_pending(
    store: Store, matcher: Matcher, *, now: datetime, progress: Progress | None = None
) -> int:
    """Analyse every stored item not analysed yet, in batches no other worker holds; return the new findings."""
    progress = progress or _NoProgress()
    progress.start("analyse", store.count_unanalysed())

    def findings_of(item: StoredItem) -> list[Finding]:
        progress.advance("analyse")
        return _findings(item, matcher)

    new = 0
    while True:
        batch = store.analyse_batch(findings_of, now=now, size=ANALYSIS_BATCH)
        new += batch.new_findings
        if batch.items == 0:  # none left, or the rest held by other workers
            return new


def reanalyse_all(store: Store, matcher: Matcher, *, now: datetime, progress: Progress | None = None) -> int:
    """Recompute findings for every stored item (after a baseline change); reviews are kept."""
    progress = progress or _NoProgress()
    items = list(store.items_for_analysis(only_unanalysed=False))
    progress.start("analyse", len(items))
    new = 0
    for item in items:
        new += store.save_findings(item.id, _findings(item, matcher), now=now)
        progress.advance("analyse")
    return new


def _findings(item: StoredItem, matcher: Matcher) -> list[Finding]:
    # A syndicated copy is the same story: its findings are counted once, on the original.
    return [] if item.story_id != item.id else analyse(_item_text(item), matcher)


def _item_text(item: StoredItem) -> ItemText:
    return ItemText(title=item.title, body=item.summary, published=item.published, url=item.url)
