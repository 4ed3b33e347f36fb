"""One fetch cycle: fetch → parse → dedupe → store → analyse → store.

This module only wires stages together and owns the concurrency: each stage is a plain
function (async only in `fetch`). A cycle is one worker (`Store.worker`, explained in
`pipeline/db/worker.py`): it fetches only the feeds it claims and analyses items in batches no
other worker holds. A feed's items are stored (idempotently, by canonical URL) in the transaction
that records its fetch (feeds ready together share one), and analysis picks up every stored item
not analysed yet, so a crash anywhere — kill -9, a database that goes away — loses nothing and a
re-run duplicates nothing.

The work is shared between two processes' worth of CPU: this process fetches and stores, the
pool (`workpool.py`) parses and analyses. Fetching runs ahead of storing within a byte budget (`runahead.py`);
when the pool falls behind, this process analyses the feeds it stores itself, and at the end of
the fetches it takes back half of the pool's waiting analyses.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import count
from typing import Protocol
from urllib.parse import urlsplit

from pipeline.affinity import plan_cores
from pipeline.analysis import Matcher, analyse
from pipeline.claimer import FeedClaimer
from pipeline.config import Config, FetchSettings
from pipeline.db.rows import FetchRecord
from pipeline.db.store import FetchBatch, NewItem, Store, StoredItem
from pipeline.dedupe import StoryCandidate, body_digest, story_text
from pipeline.fetch import Clients, failure_backoff, fetch_feed
from pipeline.gcpolicy import fewer_collections
from pipeline.poolwork import PreparedFeed
from pipeline.records import CycleSummary, FeedState, FetchResult, Finding, ItemText
from pipeline.runahead import RunAhead
from pipeline.storyindex import StoryIndex
from pipeline.workpool import WorkPool, pool_size, warm_up

logger = logging.getLogger(__name__)

# How far back a new item is compared with stored ones to find syndicated copies.
SYNDICATION_WINDOW = timedelta(days=3)
# Items analysed per transaction: long enough to amortise the commit, short enough that the
# batch's row locks (and SQLite's write lock) are held for well under a second.
ANALYSIS_BATCH = 100
# Fetches that stored nothing (304s, failures) are recorded this many to a transaction: most of a
# steady cycle's feeds answer 304, and one commit per feed was most of the cost of such a cycle.
RECORD_BATCH = 100
# Bytes of fetched bodies whose feeds may wait to be parsed and stored, a parsed one's counted four
# times (`RunAhead`): enough to keep fetching for the second or so a process pool takes to start
# (~600 feeds of 25 kB), and ~160 parsed feeds waiting for the feeds before them to be stored.
BODY_BUDGET = 16 * 1024 * 1024
# Calls waiting per pool process above which a stored feed is analysed in the event loop's
# process instead: the pool is the slower stage then, and that process would wait for it.
POOL_BACKLOG = 16
# Feeds whose fetch and parse are done are stored this many to a transaction when one runner
# writes at a time (SQLite: `Store.one_writer`): the commit cost about as much as storing a feed
# of 20 items, and when storing is what the cycle waits for, several feeds are ready at once.
STORE_BATCH = 16


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
    error: str | None = None  # "feed: message" when it failed


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
    warm_up(config.fetch.processes, len(config.feeds))
    with fewer_collections(), store.worker() as worker:
        store.sync_feeds(config.feeds)
        claimer = FeedClaimer(worker, config, now=now, only_due=only_due)
        expected = len(store.feed_states(claimer.names, due_before=now if only_due else None))
        first = claimer.next()
        logger.info(
            "cycle started",
            extra={
                "feeds": expected,
                "claimed": len(first),
                "only_due": only_due,
                "held_elsewhere": claimer.held_elsewhere,
            },
        )
        progress.start("fetch", expected)
        cycle = _Cycle(store, config, matcher, now=now, progress=progress)
        outcomes = asyncio.run(cycle.fetch_and_store(first, claimer, expected))
        new_findings = cycle.new_findings + analyse_pending(store, matcher, now=now, progress=progress)

    summary = CycleSummary(
        feeds_ok=sum(o.status == "ok" for o in outcomes),
        feeds_not_modified=sum(o.status == "not_modified" for o in outcomes),
        feeds_failed=sum(o.status == "failed" for o in outcomes),
        feeds_skipped=len(claimer.names) - len(outcomes),
        new_items=sum(o.new_items for o in outcomes),
        duplicate_stories=sum(o.duplicate_stories for o in outcomes),
        new_findings=new_findings,
        errors=tuple(o.error for o in outcomes if o.error),
    )
    logger.info("cycle finished", extra={"summary": summary.line(), "held_elsewhere": claimer.held_elsewhere})
    return summary


class _Cycle:
    """One cycle's fetch → parse → store → analyse → store pipeline.

    Fetches run concurrently; parsing (and, with a process pool, analysis) runs in `WorkPool`;
    each feed is stored, in claim order, as soon as it and the feeds before it are in, and its
    new items are analysed while later feeds are still being fetched.
    """

    def __init__(
        self, store: Store, config: Config, matcher: Matcher, *, now: datetime, progress: Progress
    ) -> None:
        self.store, self.config, self.matcher, self.now, self.progress = store, config, matcher, now, progress
        self._index: StoryIndex | None = None
        self._analyses: list[asyncio.Task[None]] = []
        # The pool's results not saved yet: saved ANALYSIS_BATCH items at a time (one transaction
        # for several small feeds); lost in a crash, they stay unanalysed for analyse_pending.
        self._unsaved: dict[int, Sequence[Finding]] = {}
        self._unrecorded: list[FetchRecord] = []  # fetches that stored nothing, not yet written
        self.new_findings = 0  # saved by the pool's analyses

    def index(self) -> StoryIndex:
        """The recent stories, read at the first feed with content (a 304 cycle never needs them)."""
        if self._index is None:
            self._index = StoryIndex(_story_candidates(self.store, self.now))
        return self._index

    async def fetch_and_store(
        self, first: Sequence[FeedState], claimer: FeedClaimer, expected: int
    ) -> list[_FeedOutcome]:
        """Fetch, parse and store `first` and the feeds `claimer` hands out next, within the cycle
        deadline; one outcome each."""
        settings = self.config.fetch
        deadline = time.monotonic() + settings.cycle_deadline
        # `concurrency` fetches at once, in claim order, and fetching runs ahead of storing (while the
        # pool starts, or when parsing or storing is slower) only until BODY_BUDGET bytes wait for it
        gate = RunAhead(settings.concurrency, BODY_BUDGET)
        per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host)
        )
        batch = STORE_BATCH if self.store.one_writer else 1
        outcomes = []
        processes = pool_size(settings.processes, expected)
        with WorkPool(processes, self.matcher, plan_cores(processes) if settings.pin_cores else None) as pool:
            if any(feed.etag is None and feed.last_modified is None for feed in first):
                pool.start()  # feeds never fetched: bodies to parse soon (a 304 cycle may need no pool)
            async with Clients(settings) as clients:

                async def one(feed: FeedState, position: int) -> _Fetched:
                    host = (urlsplit(feed.url).hostname or "") if feed.url else "(local)"
                    await gate.turn(position)  # the task's first step: tasks start in claim order
                    size = 0
                    try:
                        async with per_host[host], clients.lease(host) as client:
                            result = await fetch_feed(client, feed, settings)
                        size = len(result.body or b"")
                    finally:
                        gate.fetched(position, size)  # held until the feed is stored
                    self.progress.advance("fetch")
                    fetched = await _parse(result, pool, self.now, feed.body_hash)
                    if fetched.parsed is not None:
                        gate.parsed(position)
                    return fetched

                positions = count()  # each feed's place in claim order, the order it is stored in

                def start(feeds: Sequence[FeedState]) -> list[tuple[FeedState, asyncio.Task[_Fetched], int]]:
                    return [
                        (feed, asyncio.create_task(one(feed, n)), n)
                        for feed, n in zip(feeds, positions, strict=False)
                    ]

                pending = deque(start(first))
                more = bool(first) and claimer.batch is not None
                try:
                    while True:
                        # Claim more while half a batch is still queued, so fetch slots never idle.
                        if more and time.monotonic() < deadline and len(pending) <= (claimer.batch or 0) // 2:
                            claimed = claimer.next()
                            more = bool(claimed) and claimer.batch is not None
                            pending.extend(start(claimed))
                        if not pending:
                            self._record_fetches()
                            break
                        await asyncio.wait([pending[0][1]], timeout=max(0.0, deadline - time.monotonic()))
                        ready = [pending.popleft()]  # the next in claim order, and those done behind it
                        while pending and pending[0][1].done() and len(ready) < batch:
                            ready.append(pending.popleft())
                        done = self._store_ready([(feed, task) for feed, task, _ in ready], settings)
                        for _, _, position in ready:
                            gate.stored(position)
                        for outcome, stored in done:
                            outcomes.append(outcome)
                            if stored and pool.analyses:
                                self._analyses.append(asyncio.create_task(self._analyse(stored, pool)))
                    if self._analyses:
                        # Nothing left to fetch or store: this process takes half the pool's backlog.
                        pool.withdraw(0.5)
                        # Items of an analysis cut off here stay unanalysed: analyse_pending takes them.
                        await asyncio.wait(self._analyses, timeout=max(0.0, deadline - time.monotonic()))
                    self._save_analyses()
                finally:
                    for _, task, _ in pending:
                        task.cancel()
                    for analysis in self._analyses:
                        analysis.cancel()
                    await asyncio.gather(
                        *(task for _, task, _ in pending), *self._analyses, return_exceptions=True
                    )
        return outcomes

    async def _analyse(self, stored: Sequence[StoredItem], pool: WorkPool) -> None:
        """Analyse a feed's new items in the pool and save their findings, unless another worker did."""
        originals = [item for item in stored if item.story_id == item.id]
        texts = [_item_text(item) for item in originals]
        found: list[list[Finding]] | None = None
        if pool.backlog() <= POOL_BACKLOG * pool.size:
            try:
                found = await pool.analyse(texts)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # the cycle is stopping; else `WorkPool.withdraw` took the call back
            except Exception:
                # A bug in the analysis: the items stay unanalysed and analyse_pending retries them here.
                logger.exception("analysis in the worker pool failed", extra={"items": len(originals)})
                return
        if found is None:  # the pool is behind, or gave the call back: this process would only wait
            try:
                found = [analyse(text, self.matcher) for text in texts]
            except Exception:
                logger.exception("analysis failed", extra={"items": len(originals)})  # retried as above
                return
        by_id = {item.id: findings for item, findings in zip(originals, found, strict=True)}
        # A syndicated copy is the same story: its findings are counted once, on the original.
        self._unsaved.update((item.id, by_id.get(item.id, [])) for item in stored)
        if len(self._unsaved) >= ANALYSIS_BATCH:
            self._save_analyses()

    def _save_analyses(self) -> None:
        """Save the pool's results gathered so far, unless another worker analysed those items."""
        if self._unsaved:
            results, self._unsaved = self._unsaved, {}
            self.new_findings += self.store.save_analysis(results, now=self.now)

    def _record_fetches(self) -> None:
        """Write the fetches that stored nothing, gathered so far, in one transaction."""
        records, self._unrecorded = self._unrecorded, []
        self.store.record_fetches(records)

    def _store_ready(
        self, ready: Sequence[tuple[FeedState, asyncio.Task[_Fetched]]], settings: FetchSettings
    ) -> list[tuple[_FeedOutcome, list[StoredItem]]]:
        """Store feeds in claim order, in one transaction; their items are analysed once it is committed."""
        with self.store.fetch_batch() as batch:
            done = [
                self._store(
                    batch,
                    _fetched_or_failure(feed, settings, task),
                    failures=feed.consecutive_failures,
                    feed_id=feed.id,
                )
                for feed, task in ready
            ]
        if len(self._unrecorded) >= RECORD_BATCH:  # after the batch: one write transaction at a time
            self._record_fetches()
        return done

    def _store(
        self, batch: FetchBatch, fetched: _Fetched, *, failures: int, feed_id: int | None
    ) -> tuple[_FeedOutcome, list[StoredItem]]:
        result, parsed, config, now = fetched.result, fetched.parsed, self.config, self.now
        new_items: list[NewItem] = []
        texts: dict[str, tuple[str, frozenset[int]]] = {}
        if parsed is not None:
            index = self.index()
            new_items, texts = _dedupe(parsed, index, config.analysis.syndication_min_similarity)
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
        warning = parsed.feed.warning if parsed is not None else None
        stored: list[StoredItem] = []
        if new_items:  # the items and the fetch land together
            stored = batch.save_fetch(
                result, new_items, now=now, next_due=next_due, warning=warning, feed_id=feed_id
            )
        else:
            self._unrecorded.append(FetchRecord(result, now, next_due, warning, 0))
        if stored:
            index = self.index()
            for s in stored:
                text, keys = texts[s.canonical_url]
                index.add(StoryCandidate(s.id, s.story_id, text), keys)
        error = None if result.ok else f"{result.feed_name}: {result.error_message}"
        copies = sum(1 for s in stored if s.story_id != s.id)
        return _FeedOutcome(status, len(stored), copies, error), stored


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A feed fetched and parsed: the result without its body, and the parsed feed if it had one."""

    result: FetchResult
    parsed: PreparedFeed | None


async def _parse(result: FetchResult, pool: WorkPool, now: datetime, stored_hash: str | None) -> _Fetched:
    """Parse the body off the event loop; the body is dropped either way.

    A body equal to the last one whose items were stored (`stored_hash`) is not parsed: many servers
    ignore If-None-Match and If-Modified-Since, and their unchanged feed is then recorded as not
    modified, at the cost of a 304.
    """
    if not result.ok or result.body is None:
        return _Fetched(replace(result, body=None), None)
    digest = body_digest(result.body)
    if digest == stored_hash:
        return _Fetched(replace(result, body=None, not_modified=True, body_hash=digest), None)
    outcome = await pool.parse(result.body, result.url, now)
    bare = replace(result, body=None, body_hash=digest)
    if isinstance(outcome, PreparedFeed):
        return _Fetched(bare, outcome)
    code, detail = outcome
    return _Fetched(replace(bare, error_code=code, error_message=detail), None)


def _fetched_or_failure(feed: FeedState, settings: FetchSettings, task: asyncio.Task[_Fetched]) -> _Fetched:
    if task.done() and not task.cancelled() and task.exception() is None:
        return task.result()
    task.cancel()
    return _Fetched(_deadline_result(feed, settings, task), None)


def _deadline_result(feed: FeedState, settings: FetchSettings, task: asyncio.Task[_Fetched]) -> FetchResult:
    source = feed.url or feed.path or feed.name
    if task.done() and not task.cancelled() and task.exception() is not None:
        # fetch_feed and the parse promise not to raise; if they do, that is a bug worth a traceback.
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


def _dedupe(
    feed: PreparedFeed, index: StoryIndex, min_similarity: float
) -> tuple[list[NewItem], dict[str, tuple[str, frozenset[int]]]]:
    """Turn parsed items into storable ones (canonical URL, hash, syndicated story link), with each one's
    story text and fingerprints by canonical URL (for `StoryIndex.add` once stored)."""
    out: list[NewItem] = []
    texts: dict[str, tuple[str, frozenset[int]]] = {}
    for item, keys in zip(feed.feed.items, feed.keys, strict=True):
        key = keys.canonical_url
        if key in texts:
            continue
        texts[key] = (keys.story_text, keys.fingerprints)
        original = index.find(keys.story_text, min_similarity, keys.fingerprints)
        out.append(
            NewItem(
                canonical_url=key,
                url=item.url or key,
                guid=item.guid,
                title=item.title,
                summary=item.summary,
                published=item.published,
                content_hash=keys.content_hash,
                flags=item.flags,
                story_id=original.story_id if original else None,
            )
        )
    return out, texts


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
