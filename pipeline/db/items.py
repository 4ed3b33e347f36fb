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

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from pipeline.db import driversql
from pipeline.db.feeds import lock_feed
from pipeline.db.models import FeedRow, ItemRow, dialect_of, row_id, table
from pipeline.db.rows import NewItem, StoredItem

_ITEM = table("item")
_ITEM_SOURCE = table("item_source")
_ROWS = 500  # rows per multi-row statement
_T = TypeVar("_T")


def add_items(
    session: Session, feed_name: str, items: Sequence[NewItem], *, now: datetime, feed_id: int | None = None
) -> list[StoredItem]:
    """Store the items a feed gave; return only those never seen before, in input order.

    A few multi-row statements per feed, however many items it has (chunks of `_ROWS`): which
    guids the feed already gave, one `INSERT ... ON CONFLICT DO NOTHING RETURNING` for the rest,
    the ids of the URLs that were already stored, and the item_source rows. An original's
    story_id stays NULL (it is its own story); a syndicated copy's is its original's.
    """
    if feed_id is None or dialect_of(session) == "postgresql":
        # PostgreSQL: the row lock that keeps two workers on one feed apart. SQLite: the one runner
        # already holds the database's write lock, so a known id needs no statement.
        feed_id = lock_feed(session, feed_name)
    # Insert in canonical URL order: two transactions that insert the same URLs then take
    # their unique-key locks in the same order, so PostgreSQL cannot deadlock.
    ordered = sorted(enumerate(items), key=lambda pair: pair[1].canonical_url)
    known = _items_by_guid(session, feed_id, [new.guid for _, new in ordered if new.guid])
    # The first of several items with one canonical URL (or one guid) is the one inserted.
    first_of_url: dict[str, int] = {}
    first_of_guid: dict[str, int] = {}
    to_insert: list[tuple[int, NewItem]] = []
    for position, new in ordered:
        if new.guid and (new.guid in known or new.guid in first_of_guid):
            continue
        if new.canonical_url in first_of_url:
            continue
        first_of_url[new.canonical_url] = position
        if new.guid:
            first_of_guid[new.guid] = position
        to_insert.append((position, new))
    created = _insert_items(session, feed_id, [new for _, new in to_insert], now)
    existing = _ids_by_url(
        session, [new.canonical_url for _, new in to_insert if new.canonical_url not in created]
    )
    ids: dict[int, int] = {}
    for position, new in ordered:
        if new.guid and new.guid in known:
            ids[position] = known[new.guid]
        elif new.guid and first_of_guid.get(new.guid, position) != position:
            ids[position] = ids[first_of_guid[new.guid]]
        else:
            ids[position] = created.get(new.canonical_url) or existing[new.canonical_url]
    sources = [(ids[position], feed_id, new.guid) for position, new in ordered]
    for chunk in chunks(sources):
        driversql.insert_sources(session.connection(), chunk)
    stored: dict[int, StoredItem] = {}
    for position, new in to_insert:
        item_id = created.get(new.canonical_url)
        if item_id is not None and first_of_url[new.canonical_url] == position:
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


def claim_unanalysed(
    session: Session, limit: int, ids: Sequence[int] | None = None
) -> list[tuple[ItemRow, StoredItem]]:
    """Lock up to `limit` unanalysed items (of `ids`, when given) that no other transaction holds, in id order.

    SKIP LOCKED (PostgreSQL) passes over the rows another worker is analysing, so two
    workers take different batches; the locks last until the caller's transaction ends.
    """
    statement = _with_feed_name().where(col(ItemRow.analysed_at).is_(None))
    if ids is not None:
        statement = statement.where(col(ItemRow.id).in_(ids))
    statement = (
        statement.order_by(col(ItemRow.id))
        .limit(limit)
        .with_for_update(skip_locked=True, of=ItemRow)  # not the feed rows: add_items locks those
    )
    return [(row, stored_item(row, feed_name)) for row, feed_name in session.exec(statement).all()]


def lock_unanalysed(session: Session, ids: Sequence[int]) -> list[int]:
    """Lock the items of `ids` still unanalysed that no other transaction holds; their ids, in id order.

    `claim_unanalysed` without reading the rows: what saving findings computed elsewhere needs.
    """
    locked: list[int] = []
    for chunk in chunks(sorted(ids)):
        locked += driversql.unanalysed_of(session.connection(), chunk)
    return locked


def mark_analysed(session: Session, ids: Sequence[int], now: datetime) -> None:
    """Set `analysed_at` on locked items (one UPDATE per chunk)."""
    for chunk in chunks(list(ids)):
        driversql.mark_analysed(session.connection(), chunk, now)


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


# The statements every feed runs are driver SQL (`driversql`). This one runs only when a URL was
# already stored; it is built once, Core, not ORM: a column select needs no ORM context.
_URLS = sa_select(_ITEM.c.canonical_url, _ITEM.c.id).where(
    _ITEM.c.canonical_url.in_(bindparam("b_urls", expanding=True))
)


def _items_by_guid(session: Session, feed_id: int, guids: Sequence[str]) -> dict[str, int]:
    """guid -> item id for the guids this feed already gave."""
    found: dict[str, int] = {}
    for chunk in chunks(list(guids)):
        for guid, item_id in driversql.known_guids(session.connection(), feed_id, chunk):
            if guid is not None:
                found.setdefault(guid, item_id)
    return found


def _insert_items(session: Session, feed_id: int, items: Sequence[NewItem], now: datetime) -> dict[str, int]:
    """Insert the items whose canonical URL is not stored yet; return canonical URL -> id of those inserted."""
    created: dict[str, int] = {}
    for chunk in chunks(list(items)):
        for item_id, url in driversql.insert_items(session.connection(), feed_id, chunk, now):
            created[url] = item_id
    return created


def _ids_by_url(session: Session, urls: Sequence[str]) -> dict[str, int]:
    """canonical URL -> id of stored items."""
    found: dict[str, int] = {}
    for chunk in chunks(list(urls)):
        for url, item_id in session.connection().execute(_URLS, {"b_urls": chunk}).all():
            found[url] = int(item_id)
    return found


def chunks(values: list[_T]) -> Iterator[list[_T]]:
    """`values` in lists of at most `_ROWS`, the size of one statement's IN list or VALUES."""
    # Bounded statements: SQLite allows 32,766 parameters, and an item row binds 11.
    for start in range(0, len(values), _ROWS):
        yield values[start : start + _ROWS]
