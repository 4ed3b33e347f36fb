"""`Store`: every query newswatch makes, each method one short transaction.

The queries live by concern in `feeds.py`, `items.py` and `findings.py` (functions on a
Session); `worker.py` holds the claims that let several workers share one database. Rows
become records in those modules only; nothing outside `db/` sees a row.

Crash safety comes from the transactions: items are stored idempotently (unique canonical
URL, `INSERT ... ON CONFLICT DO NOTHING`) before their feed's fetch is recorded, and an item's
findings are saved with the mark that it was analysed, so a crash at any point leaves work
that the next run finishes and nothing it would do twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pipeline.config import FeedConfig
from pipeline.db import feeds, findings, items
from pipeline.db.engine import WRITE, database_errors
from pipeline.db.models import FeedRow, FindingRow, ItemRow, insert, table
from pipeline.db.rows import FeedStatus, FetchRecord, NewItem, StoredFinding, StoredItem
from pipeline.db.worker import Worker, open_worker
from pipeline.records import DatabaseTotals, FeedState, FetchResult, Finding, ReviewState

__all__ = ["AnalysedBatch", "FeedStatus", "FetchBatch", "NewItem", "Store", "StoredFinding", "StoredItem"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AnalysedBatch:
    """What one `Store.analyse_batch` did: items analysed and findings new."""

    items: int
    new_findings: int


class FetchBatch:
    """Feeds' fetches saved in one open transaction (`Store.fetch_batch`); they land when it closes."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._records: list[FetchRecord] = []  # written together by `finish`, in the same transaction

    def save_fetch(
        self,
        result: FetchResult,
        new: Sequence[NewItem],
        *,
        now: datetime,
        next_due: datetime,
        warning: str | None,
        feed_id: int | None = None,
    ) -> list[StoredItem]:
        """Store a feed's new items (its fetch is recorded at `finish`); only items never seen before come back, in order.

        `feed_id` (the claimed row's id, when known) spares SQLite the look-up; PostgreSQL still locks the row.
        """
        stored = (
            items.add_items(self._session, result.feed_name, new, now=now, feed_id=feed_id) if new else []
        )
        self._records.append(FetchRecord(result, now, next_due, warning, len(stored)))
        return stored

    def finish(self) -> None:
        """Record the batch's fetches: one UPDATE for all of them, not one per feed."""
        feeds.record_fetches(self._session, self._records)
        self._records = []


class Store:
    """Every query on the newswatch database; each method is its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE: True})

    def close(self) -> None:
        """Release every pooled database connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Session]:
        bind = self._writer if write else self._engine
        with database_errors(self._engine), Session(bind) as session, session.begin():
            yield session

    def worker(self) -> AbstractContextManager[Worker]:
        """Act as one worker for a cycle: claim feeds; on SQLite, be the only runner (DatabaseError if not)."""
        return open_worker(self._engine)

    # -- feeds ---------------------------------------------------------------------------

    def sync_feeds(self, configured: Sequence[FeedConfig]) -> None:
        """Make the feed table match the config: add new feeds (due now), update sources, retire the rest."""
        with self._transaction(write=True) as session:
            feeds.sync_feeds(session, configured)

    def feed_states(
        self, names: Sequence[str] | None = None, *, due_before: datetime | None = None
    ) -> list[FeedState]:
        """Configured feeds (optionally only `names`, or only those due by `due_before`), by name."""
        with self._transaction(write=False) as session:
            return feeds.feed_states(session, names, due_before=due_before)

    def record_fetch(
        self, result: FetchResult, *, now: datetime, next_due: datetime, warning: str | None, new_items: int
    ) -> None:
        """Store how a fetch went: validators and success, or the error and one more failure; end the claim."""
        with self._transaction(write=True) as session:
            feeds.record_fetch(
                session, result, now=now, next_due=next_due, warning=warning, new_items=new_items
            )

    def record_fetches(self, records: Sequence[FetchRecord]) -> None:
        """`record_fetch` for many feeds in one transaction: the fetches that stored nothing (304s, failures).

        A crash before it loses only the records: those feeds are fetched again, with the
        validators they had, once their claims run out.
        """
        if records:
            with self._transaction(write=True) as session:
                feeds.record_fetches(session, records)

    @property
    def one_writer(self) -> bool:
        """Whether one runner writes at a time (SQLite), so that a transaction may store several feeds.

        On PostgreSQL several workers write at once: each inserts one feed's URLs at a time, in URL
        order, and two of them can never wait on each other's URLs; a transaction holding several
        feeds' URLs, each feed in its own order, could deadlock with another worker's.
        """
        return self._engine.dialect.name == "sqlite"

    @contextmanager
    def fetch_batch(self) -> Iterator[FetchBatch]:
        """One transaction for the fetches of several feeds, each saved with `FetchBatch.save_fetch`.

        A commit costs as much as storing a small feed, so a cycle stores the feeds that are ready
        together when `one_writer`. A crash before the commit leaves all of them undone: the next
        cycle fetches them again with the old validators and stores the same items, once.
        """
        with self._transaction(write=True) as session:
            batch = FetchBatch(session)
            yield batch
            batch.finish()

    def feed_statuses(self) -> list[FeedStatus]:
        """The status of every configured feed, by name."""
        with self._transaction(write=False) as session:
            return feeds.feed_statuses(session)

    # -- items ---------------------------------------------------------------------------

    def add_items(self, feed_name: str, new: Sequence[NewItem], *, now: datetime) -> list[StoredItem]:
        """Store the items a feed gave; return only those never seen before, in input order."""
        with self._transaction(write=True) as session:
            stored = items.add_items(session, feed_name, new, now=now)
        if len(stored) < len(new):
            logger.debug("items already stored", extra={"feed": feed_name, "count": len(new) - len(stored)})
        return stored

    def recent_story_candidates(self, since: datetime, limit: int = 5000) -> list[tuple[int, int, str, str]]:
        """(item_id, story_id, title, summary) of items fetched since `since`, newest first."""
        with self._transaction(write=False) as session:
            return items.recent_story_candidates(session, since, limit)

    def items_for_analysis(self, *, only_unanalysed: bool, batch_size: int = 500) -> Iterator[StoredItem]:
        """Items in id order, read in batches so that no transaction stays open while the caller works."""
        last_id = 0
        while True:
            with self._transaction(write=False) as session:
                batch = items.items_after(session, last_id, only_unanalysed=only_unanalysed, limit=batch_size)
            if not batch:
                return
            yield from batch
            last_id = batch[-1].id

    def count_unanalysed(self) -> int:
        """How many stored items wait for analysis."""
        with self._transaction(write=False) as session:
            return items.count_unanalysed(session)

    def analyse_batch(
        self, analyse: Callable[[StoredItem], Sequence[Finding]], *, now: datetime, size: int = 100
    ) -> AnalysedBatch:
        """Take up to `size` unanalysed items no other worker holds, save `analyse(item)` for each.

        One transaction holds the batch's row locks from taking it to saving its findings, so
        two workers never analyse the same item, and a crash (or an exception from `analyse`)
        leaves the whole batch for the next run. `items == 0` means nothing is left to take.
        """
        with self._transaction(write=True) as session:
            batch = items.claim_unanalysed(session, size)
            # One query for the batch's existing findings (a crashed re-analysis may have left some).
            existing = findings.findings_by_item(session, [item.id for _, item in batch])
            new = findings.save_many(
                session, [(row, analyse(item), existing.get(item.id, {})) for row, item in batch], now=now
            )
        return AnalysedBatch(len(batch), new)

    def save_analysis(self, results: Mapping[int, Sequence[Finding]], *, now: datetime) -> int:
        """Save findings computed elsewhere for items still unanalysed; return how many are new.

        The items are locked as `analyse_batch` locks them; one that another worker analysed
        meanwhile (or holds now) is passed over, so no item's findings are written twice.
        """
        with self._transaction(write=True) as session:
            locked = items.lock_unanalysed(session, list(results))
            return findings.save_new(session, {item_id: results[item_id] for item_id in locked}, now=now)

    # -- findings ------------------------------------------------------------------------

    def save_findings(self, item_id: int, found: Sequence[Finding], *, now: datetime) -> int:
        """Replace an item's findings, keeping reviews; return how many findings are new.

        A finding that re-analysis changes is updated in place and keeps its review state and
        note; one that no longer appears is deleted unless an analyst has reviewed it.
        """
        with self._transaction(write=True) as session:
            return findings.save_findings(session, findings.item_for_update(session, item_id), found, now=now)

    def set_review(
        self, finding_id: int, state: ReviewState, *, now: datetime, note: str | None = None
    ) -> bool:
        """Record an analyst's decision (and note, when given); False when there is no such finding."""
        with self._transaction(write=True) as session:
            return findings.set_review(session, finding_id, state, now=now, note=note)

    def findings(
        self,
        since: datetime | None = None,
        *,
        until: datetime | None = None,
        found_since: datetime | None = None,
        claim_id: str | None = None,
        review: Sequence[ReviewState] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StoredFinding]:
        """Findings, newest report first.

        `since` (inclusive) and `until` (exclusive) filter on the item's publication time (its
        fetch time when the feed gave none); `found_since` on when the finding was created or
        last changed (for digests); `claim_id` and `review` narrow further; `limit`/`offset` page.
        """
        with self._transaction(write=False) as session:
            return findings.find(
                session,
                since=since,
                until=until,
                found_since=found_since,
                claim_id=claim_id,
                review=review,
                limit=limit,
                offset=offset,
            )

    def finding(self, finding_id: int) -> StoredFinding | None:
        """One finding by id, or None."""
        with self._transaction(write=False) as session:
            found = findings.find(session, finding_id=finding_id)
        return found[0] if found else None

    def count_items(self, since: datetime, until: datetime) -> int:
        """How many items were published in [since, until)."""
        published = col(ItemRow.published)
        statement = select(func.count()).select_from(ItemRow).where(published >= since, published < until)
        with self._transaction(write=False) as session:
            return session.exec(statement).one()

    def claim_report_run(self, baseline_id: str, day: date, *, worker: str, now: datetime) -> bool:
        """Take on sending `day`'s report: True for the first worker to ask, False for every later one."""
        runs = table("report_run")
        with self._transaction(write=True) as session:
            statement = (
                insert(session, runs)
                .values(baseline_id=baseline_id, day=day.isoformat(), worker=worker, created=now)
                .on_conflict_do_nothing(index_elements=["baseline_id", "day"])
                .returning(runs.c.day)
            )
            return session.exec(statement).scalar_one_or_none() is not None

    def database_stats(self) -> DatabaseTotals:
        """Totals for the metrics endpoint: items, findings by relation, feeds and feeds failing."""
        relation = col(FindingRow.relation)
        active = col(FeedRow.active)
        with self._transaction(write=False) as session:
            by_relation = session.exec(select(relation, func.count()).group_by(relation)).all()
            return DatabaseTotals(
                items=session.exec(select(func.count()).select_from(ItemRow)).one(),
                findings_by_relation={str(name): int(count) for name, count in by_relation},
                feeds=session.exec(select(func.count()).where(active)).one(),
                feeds_failing=session.exec(
                    select(func.count()).where(active, col(FeedRow.consecutive_failures) > 0)
                ).one(),
            )

    def counts(self) -> dict[str, int]:
        """How many configured feeds, items, stories and findings are stored."""
        story = func.coalesce(col(ItemRow.story_id), col(ItemRow.id))
        with self._transaction(write=False) as session:
            return {
                "feeds": session.exec(select(func.count()).where(col(FeedRow.active))).one(),
                "items": session.exec(select(func.count()).select_from(ItemRow)).one(),
                "stories": session.exec(select(func.count(story.distinct()))).one(),
                "findings": session.exec(select(func.count()).select_from(FindingRow)).one(),
            }
