"""Item rows: storing a feed's items once, reading them back for dedupe and analysis.

Functions here take an open Session; `Store` owns the transactions. Items are deduplicated by
canonical URL, enforced by a UNIQUE constraint and `INSERT ... ON CONFLICT DO NOTHING`, so a
crash, a retry or two workers inserting the same article never store it twice; an article
seen again through a second feed only gains an `item_source` row. A feed that rewrites its
links (tracking parameters that change) is caught by its guid: the same guid from the same
feed is the same item. The feed row is locked while its items are stored, so two workers on
one feed cannot both decide that a guid is new.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from pipeline.db.feeds import feed_for_update
from pipeline.db.models import FeedRow, ItemRow, ItemSourceRow, insert, row_id, table
from pipeline.db.rows import NewItem, StoredItem

_ITEM = table("item")
_ITEM_SOURCE = table("item_source")


def add_items(
    session: Session, feed_name: str, items: Sequence[NewItem], *, now: datetime
) -> list[StoredItem]:
    """Store the items a feed gave; return only those never seen before, in input order."""
    stored: dict[int, StoredItem] = {}
    feed_id = row_id(feed_for_update(session, feed_name).id)
    # Insert in canonical URL order: two transactions that insert the same URLs then take
    # their unique-key locks in the same order, so PostgreSQL cannot deadlock.
    for position, new in sorted(enumerate(items), key=lambda pair: pair[1].canonical_url):
        item_id = _item_by_guid(session, feed_id, new.guid)
        created = False
        if item_id is None:
            item_id, created = _insert_item(session, feed_id, new, now)
        session.exec(
            insert(session, _ITEM_SOURCE)
            .values(item_id=item_id, feed_id=feed_id, guid=new.guid)
            .on_conflict_do_nothing(index_elements=["item_id", "feed_id"])
        )
        if created:
            story_id = new.story_id if new.story_id is not None else item_id
            stored[position] = _new_stored_item(item_id, story_id, feed_name, new, now)
    return [stored[position] for position in sorted(stored)]


def recent_story_candidates(session: Session, since: datetime, limit: int) -> list[tuple[int, int, str, str]]:
    """(item_id, story_id, title, summary) of items fetched since `since`, newest first."""
    statement = (
        select(ItemRow.id, ItemRow.story_id, ItemRow.title, ItemRow.summary)
        .where(col(ItemRow.fetched) >= since)
        .order_by(col(ItemRow.fetched).desc(), col(ItemRow.id).desc())
        .limit(limit)
    )
    return [
        (row_id(item_id), story_id if story_id is not None else row_id(item_id), title, summary)
        for item_id, story_id, title, summary in session.exec(statement).all()
    ]


def items_after(session: Session, last_id: int, *, only_unanalysed: bool, limit: int) -> list[StoredItem]:
    """The next `limit` items with an id above `last_id`, in id order."""
    statement = _with_feed_name().where(col(ItemRow.id) > last_id).order_by(col(ItemRow.id)).limit(limit)
    if only_unanalysed:
        statement = statement.where(col(ItemRow.analysed_at).is_(None))
    return [stored_item(row, feed_name) for row, feed_name in session.exec(statement).all()]


def claim_unanalysed(session: Session, limit: int) -> list[tuple[ItemRow, StoredItem]]:
    """Lock up to `limit` unanalysed items that no other transaction holds, in id order.

    SKIP LOCKED (PostgreSQL) passes over the rows another worker is analysing, so two
    workers take different batches; the locks last until the caller's transaction ends.
    """
    statement = (
        _with_feed_name()
        .where(col(ItemRow.analysed_at).is_(None))
        .order_by(col(ItemRow.id))
        .limit(limit)
        .with_for_update(skip_locked=True, of=ItemRow)  # not the feed rows: add_items locks those
    )
    return [(row, stored_item(row, feed_name)) for row, feed_name in session.exec(statement).all()]


def count_unanalysed(session: Session) -> int:
    """How many stored items wait for analysis."""
    statement = select(func.count()).select_from(ItemRow).where(col(ItemRow.analysed_at).is_(None))
    return session.exec(statement).one()


def stored_item(row: ItemRow, feed_name: str) -> StoredItem:
    """The record for an item row (`feed_name`: the feed that first brought it)."""
    item_id = row_id(row.id)
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


def _with_feed_name() -> Select[ItemRow, str]:
    return select(ItemRow, FeedRow.name).join(FeedRow, col(ItemRow.feed_id) == col(FeedRow.id))


def _new_stored_item(item_id: int, story_id: int, feed_name: str, new: NewItem, now: datetime) -> StoredItem:
    return StoredItem(
        id=item_id,
        story_id=story_id,
        feed_name=feed_name,
        canonical_url=new.canonical_url,
        url=new.url,
        title=new.title,
        summary=new.summary,
        published=new.published,
        fetched=now,
    )


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
        insert(session, _ITEM)
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
        return row_id(existing), False
    if new.story_id is None:
        session.exec(_ITEM.update().where(_ITEM.c.id == inserted).values(story_id=inserted))
    return int(inserted), True
