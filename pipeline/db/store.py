"""Every query newswatch makes: `Store` wraps an Engine, and rows become records here only.

Each method is one short transaction. Items are deduplicated by canonical URL, enforced by
a UNIQUE constraint and `INSERT ... ON CONFLICT DO NOTHING`, so a crash, a retry or two
processes inserting the same article never store it twice; an article seen again through a
second feed only gains an `item_source` row. A feed that rewrites its links (tracking
parameters that change) is caught by its guid: the same guid from the same feed is the same
item. Writers lock the feed row (PostgreSQL) or take the write lock up front (SQLite) so two
cycles on one feed cannot both decide that a guid is new.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from pipeline.config import FeedConfig, describe_url
from pipeline.db.engine import WRITE
from pipeline.db.models import FeedRow, FindingRow, ItemRow, ItemSourceRow, table
from pipeline.db.rows import FeedStatus, NewItem, StoredFinding, StoredItem
from pipeline.errors import DatabaseError
from pipeline.records import FeedState, FetchResult, Finding, Relation, ReviewState

__all__ = ["FeedStatus", "NewItem", "Store", "StoredFinding", "StoredItem"]

logger = logging.getLogger(__name__)

_ITEM = table("item")
_ITEM_SOURCE = table("item_source")
_FEED = table("feed")
_FINDING = table("finding")


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
        try:
            with Session(self._writer if write else self._engine) as session, session.begin():
                yield session
        except OperationalError as exc:
            # Connection lost, server gone, database locked for longer than the busy timeout.
            reason = (
                str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
            )
            raise DatabaseError(f"database error on {describe_url(str(self._engine.url))}: {reason}") from exc

    # -- feeds ---------------------------------------------------------------------------

    def sync_feeds(self, feeds: Sequence[FeedConfig]) -> None:
        """Make the feed table match the config: add new feeds (due now), update sources, retire the rest."""
        with self._transaction(write=True) as session:
            for feed in feeds:
                session.exec(
                    _insert(session, _FEED)
                    .values(name=feed.name, url=feed.url, path=_path(feed), active=True)
                    .on_conflict_do_nothing(index_elements=["name"])
                )
            wanted = {feed.name: feed for feed in feeds}
            for row in session.exec(select(FeedRow).order_by(col(FeedRow.id)).with_for_update()).all():
                configured = wanted.get(row.name)
                row.active = configured is not None
                if configured is not None and (row.url, row.path) != (configured.url, _path(configured)):
                    row.url, row.path = configured.url, _path(configured)
                    # Validators and the schedule belonged to the old source.
                    row.etag = row.last_modified = row.next_due = None

    def feed_states(
        self, names: Sequence[str] | None = None, *, due_before: datetime | None = None
    ) -> list[FeedState]:
        """Configured feeds (optionally only `names`, or only those due by `due_before`), by name."""
        statement = select(FeedRow).where(col(FeedRow.active)).order_by(col(FeedRow.name))
        if names is not None:
            statement = statement.where(col(FeedRow.name).in_(names))
        if due_before is not None:
            due = col(FeedRow.next_due)
            statement = statement.where(or_(due.is_(None), due <= due_before))
        with self._transaction(write=False) as session:
            return [
                FeedState(
                    name=row.name,
                    url=row.url,
                    path=row.path,
                    etag=row.etag,
                    last_modified=row.last_modified,
                    consecutive_failures=row.consecutive_failures,
                )
                for row in session.exec(statement).all()
            ]

    def record_fetch(
        self, result: FetchResult, *, now: datetime, next_due: datetime, warning: str | None, new_items: int
    ) -> None:
        """Store how a fetch went: validators and success, or the error and one more failure."""
        with self._transaction(write=True) as session:
            row = _feed_for_update(session, result.feed_name)
            row.last_fetched = now
            row.next_due = next_due
            row.last_status = result.status
            row.items_seen += new_items
            if not result.ok:
                row.consecutive_failures += 1
                row.last_error = result.error_message or result.error_code
                row.last_error_code = result.error_code
                return  # validators and warning still describe the last good body
            row.consecutive_failures = 0
            row.last_success = now
            row.last_error = row.last_error_code = None
            if result.not_modified:
                # A 304 may omit the validators; the ones we sent are still the right ones.
                row.etag = result.etag or row.etag
                row.last_modified = result.last_modified or row.last_modified
                row.warning = warning or row.warning
            else:
                row.etag, row.last_modified, row.warning = result.etag, result.last_modified, warning

    def feed_statuses(self) -> list[FeedStatus]:
        """The status of every configured feed, by name."""
        statement = select(FeedRow).where(col(FeedRow.active)).order_by(col(FeedRow.name))
        with self._transaction(write=False) as session:
            return [
                FeedStatus(
                    name=row.name,
                    url=row.url if row.url is not None else row.path or "",
                    last_status=row.last_status,
                    last_error=row.last_error,
                    last_error_code=row.last_error_code,
                    items_seen=row.items_seen,
                    consecutive_failures=row.consecutive_failures,
                    last_fetched=row.last_fetched,
                    last_success=row.last_success,
                    next_due=row.next_due,
                    warning=row.warning,
                )
                for row in session.exec(statement).all()
            ]

    # -- items ---------------------------------------------------------------------------

    def add_items(self, feed_name: str, items: Sequence[NewItem], *, now: datetime) -> list[StoredItem]:
        """Store the items a feed gave; return only those never seen before, in input order."""
        stored: dict[int, StoredItem] = {}
        with self._transaction(write=True) as session:
            feed = _feed_for_update(session, feed_name)
            feed_id = _id(feed.id)
            # Insert in canonical URL order: two transactions that insert the same URLs then
            # take their unique-key locks in the same order, so PostgreSQL cannot deadlock.
            for position, new in sorted(enumerate(items), key=lambda pair: pair[1].canonical_url):
                item_id = _item_by_guid(session, feed_id, new.guid)
                created = False
                if item_id is None:
                    item_id, created = _insert_item(session, feed_id, new, now)
                session.exec(
                    _insert(session, _ITEM_SOURCE)
                    .values(item_id=item_id, feed_id=feed_id, guid=new.guid)
                    .on_conflict_do_nothing(index_elements=["item_id", "feed_id"])
                )
                if created:
                    stored[position] = StoredItem(
                        id=item_id,
                        story_id=new.story_id if new.story_id is not None else item_id,
                        feed_name=feed_name,
                        canonical_url=new.canonical_url,
                        url=new.url,
                        title=new.title,
                        summary=new.summary,
                        published=new.published,
                        fetched=now,
                    )
        if len(stored) < len(items):
            logger.debug("items already stored", extra={"feed": feed_name, "count": len(items) - len(stored)})
        return [stored[position] for position in sorted(stored)]

    def recent_story_candidates(self, since: datetime, limit: int = 5000) -> list[tuple[int, int, str, str]]:
        """(item_id, story_id, title, summary) of items fetched since `since`, newest first."""
        statement = (
            select(ItemRow.id, ItemRow.story_id, ItemRow.title, ItemRow.summary)
            .where(col(ItemRow.fetched) >= since)
            .order_by(col(ItemRow.fetched).desc(), col(ItemRow.id).desc())
            .limit(limit)
        )
        with self._transaction(write=False) as session:
            return [
                (_id(item_id), story_id if story_id is not None else _id(item_id), title, summary)
                for item_id, story_id, title, summary in session.exec(statement).all()
            ]

    def items_for_analysis(self, *, only_unanalysed: bool, batch_size: int = 500) -> Iterator[StoredItem]:
        """Items in id order, read in batches so that no transaction stays open while the caller works."""
        last_id = 0
        while True:
            statement = (
                select(ItemRow, FeedRow.name)
                .join(FeedRow, col(ItemRow.feed_id) == col(FeedRow.id))
                .where(col(ItemRow.id) > last_id)
                .order_by(col(ItemRow.id))
                .limit(batch_size)
            )
            if only_unanalysed:
                statement = statement.where(col(ItemRow.analysed_at).is_(None))
            with self._transaction(write=False) as session:
                batch = [_stored_item(row, feed_name) for row, feed_name in session.exec(statement).all()]
            if not batch:
                return
            yield from batch
            last_id = batch[-1].id

    # -- findings ------------------------------------------------------------------------

    def save_findings(self, item_id: int, findings: Sequence[Finding], *, now: datetime) -> int:
        """Replace an item's findings, keeping reviews; return how many findings are new.

        A finding that re-analysis changes is updated in place and keeps its review state and
        note; one that no longer appears is deleted unless an analyst has reviewed it.
        """
        best: dict[str, Finding] = {}
        for finding in findings:  # one finding per claim: keep the strongest
            if finding.claim_id not in best or finding.score > best[finding.claim_id].score:
                best[finding.claim_id] = finding
        new_rows = 0
        with self._transaction(write=True) as session:
            item = session.exec(select(ItemRow).where(col(ItemRow.id) == item_id).with_for_update()).first()
            if item is None:
                raise ValueError(f"no item with id {item_id}")
            existing = {
                row.claim_id: row
                for row in session.exec(select(FindingRow).where(col(FindingRow.item_id) == item_id)).all()
            }
            for claim_id, finding in best.items():
                values = _finding_values(finding)
                row = existing.get(claim_id)
                if row is None:
                    inserted = session.exec(
                        _insert(session, _FINDING)
                        .values(item_id=item_id, claim_id=claim_id, created=now, updated=now, **values)
                        .on_conflict_do_nothing(index_elements=["item_id", "claim_id"])
                        .returning(_FINDING.c.id)
                    ).scalar_one_or_none()
                    new_rows += inserted is not None
                elif any(getattr(row, key) != value for key, value in values.items()):
                    for key, value in values.items():
                        setattr(row, key, value)
                    row.updated = now
            for claim_id, row in existing.items():
                if claim_id not in best and row.review_state == ReviewState.PENDING:
                    session.delete(row)
            item.analysed_at = now
        return new_rows

    def set_review(
        self, finding_id: int, state: ReviewState, *, now: datetime, note: str | None = None
    ) -> bool:
        """Record an analyst's decision (and note, when given); False when there is no such finding."""
        with self._transaction(write=True) as session:
            row = session.get(FindingRow, finding_id)
            if row is None:
                return False
            row.review_state = state.value
            row.reviewed_at = row.updated = now
            if note is not None:
                row.note = note
            return True

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
        statement = (
            select(FindingRow, ItemRow, FeedRow.name)
            .join(ItemRow, col(FindingRow.item_id) == col(ItemRow.id))
            .join(FeedRow, col(ItemRow.feed_id) == col(FeedRow.id))
            .order_by(col(ItemRow.published).desc(), col(FindingRow.id).desc())
            .offset(offset)
            .limit(limit)
        )
        if since is not None:
            statement = statement.where(col(ItemRow.published) >= since)
        if until is not None:
            statement = statement.where(col(ItemRow.published) < until)
        if found_since is not None:
            statement = statement.where(col(FindingRow.updated) >= found_since)
        if claim_id is not None:
            statement = statement.where(col(FindingRow.claim_id) == claim_id)
        if review is not None:
            statement = statement.where(col(FindingRow.review_state).in_([state.value for state in review]))
        with self._transaction(write=False) as session:
            return [
                _stored_finding(row, item, feed_name)
                for row, item, feed_name in session.exec(statement).all()
            ]

    def finding(self, finding_id: int) -> StoredFinding | None:
        """One finding by id, or None."""
        statement = (
            select(FindingRow, ItemRow, FeedRow.name)
            .join(ItemRow, col(FindingRow.item_id) == col(ItemRow.id))
            .join(FeedRow, col(ItemRow.feed_id) == col(FeedRow.id))
            .where(col(FindingRow.id) == finding_id)
        )
        with self._transaction(write=False) as session:
            found = session.exec(statement).first()
            return None if found is None else _stored_finding(*found)

    def count_items(self, since: datetime, until: datetime) -> int:
        """How many items were published in [since, until)."""
        published = col(ItemRow.published)
        statement = select(func.count()).select_from(ItemRow).where(published >= since, published < until)
        with self._transaction(write=False) as session:
            return session.exec(statement).one()

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


def _insert(session: Session, target: Table) -> postgresql.Insert | sqlite.Insert:
    """A dialect INSERT, for ON CONFLICT DO NOTHING."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


def _id(value: int | None) -> int:
    if value is None:  # only unflushed rows have no id; every row here was read back
        raise AssertionError("row without an id")
    return value


def _path(feed: FeedConfig) -> str | None:
    return str(feed.path) if feed.path is not None else None


def _feed_for_update(session: Session, name: str) -> FeedRow:
    """The feed row, locked until commit (PostgreSQL; SQLite's write lock is already held)."""
    row = session.exec(select(FeedRow).where(col(FeedRow.name) == name).with_for_update()).first()
    if row is None:
        raise ValueError(f"unknown feed {name!r}: call sync_feeds() with the configured feeds first")
    return row


def _item_by_guid(session: Session, feed_id: int, guid: str | None) -> int | None:
    if not guid:
        return None
    statement = (
        select(ItemSourceRow.item_id)
        .where(col(ItemSourceRow.feed_id) == feed_id, col(ItemSourceRow.guid) == guid)
        .limit(1)
    )
    return session.exec(statement).first()


def _insert_item(session: Session, feed_id: int, new: NewItem, now: datetime) -> tuple[int, bool]:
    """Insert unless the canonical URL is stored; return the item id and whether it is new."""
    inserted = session.exec(
        _insert(session, _ITEM)
        .values(
            canonical_url=new.canonical_url,
            url=new.url,
            guid=new.guid,
            feed_id=feed_id,
            title=new.title,
            summary=new.summary,
            published=new.published,
            fetched=now,
            content_hash=new.content_hash,
            story_id=new.story_id,
            flags=",".join(new.flags),
        )
        .on_conflict_do_nothing(index_elements=["canonical_url"])
        .returning(_ITEM.c.id)
    ).scalar_one_or_none()
    if inserted is None:
        existing = session.exec(
            select(ItemRow.id).where(col(ItemRow.canonical_url) == new.canonical_url)
        ).one()
        return _id(existing), False
    if new.story_id is None:
        session.exec(_ITEM.update().where(_ITEM.c.id == inserted).values(story_id=inserted))
    return int(inserted), True


def _finding_values(finding: Finding) -> dict[str, Any]:
    return {
        "relation": finding.relation.value,
        "places": json.dumps(list(finding.places), ensure_ascii=False),
        "evidence": finding.evidence,
        "score": finding.score,
        "reasons": json.dumps(list(finding.reasons), ensure_ascii=False),
    }


def _stored_item(row: ItemRow, feed_name: str) -> StoredItem:
    item_id = _id(row.id)
    return StoredItem(
        id=item_id,
        story_id=row.story_id if row.story_id is not None else item_id,
        feed_name=feed_name,
        canonical_url=row.canonical_url,
        url=row.url,
        title=row.title,
        summary=row.summary,
        published=row.published,
        fetched=row.fetched,
    )


def _stored_finding(row: FindingRow, item: ItemRow, feed_name: str) -> StoredFinding:
    return StoredFinding(
        id=_id(row.id),
        item_id=row.item_id,
        claim_id=row.claim_id,
        relation=Relation(row.relation),
        places=tuple(json.loads(row.places)),
        evidence=row.evidence,
        score=row.score,
        reasons=tuple(json.loads(row.reasons)),
        review_state=ReviewState(row.review_state),
        reviewed_at=row.reviewed_at,
        note=row.note,
        created=row.created,
        updated=row.updated,
        story_id=item.story_id if item.story_id is not None else row.item_id,
        title=item.title,
        url=item.url or item.canonical_url,
        published=item.published,
        feed_name=feed_name,
    )
