"""The statements run for every feed with new items and every batch of analyses, sent as driver SQL.

A feed's items take three statements: which guids it already gave, the multi-row INSERT of
its new items, and its item_source rows. Through SQLAlchemy's compiled statements each one
also rendered its expanding IN list, built a parameter dict per row, ran the type processors
column by column and re-batched the rows ("insertmanyvalues"): more than half of storing a
feed, and the process that stores is the one a cold cycle waits for (benchmarks/README.md,
finding 42). Saving a batch of analyses took four more: three with IN lists of a hundred ids
(which are still unanalysed, which have findings, marking them analysed) and the INSERT of its
findings. Here the SQL text is built once per dialect and row count, and the values go to the
driver as one flat tuple, still inside SQLAlchemy's connection, transaction and error wrapping.
Datetimes are converted by the column type's own bind processor, so they are stored exactly as
SQLAlchemy stores them (SQLite compares them as text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import StatementError

from pipeline.db.models import ItemRow, table
from pipeline.db.rows import NewItem

_ITEM_COLUMNS = (
    "canonical_url",
    "url",
    "guid",
    "feed_id",
    "title",
    "summary",
    "published",
    "fetched",
    "content_hash",
    "story_id",
    "flags",
)


def known_guids(connection: Connection, feed_id: int, guids: Sequence[str]) -> list[tuple[str, int]]:
    """(guid, item id) of the guids in `guids` that this feed already gave."""
    sql = _guids_sql(_mark(connection.dialect), len(guids))
    return [
        (guid, int(item_id)) for guid, item_id in connection.exec_driver_sql(sql, (feed_id, *guids)).all()
    ]


def insert_items(
    connection: Connection, feed_id: int, items: Sequence[NewItem], now: datetime
) -> list[tuple[int, str]]:
    """INSERT the items, skipping canonical URLs already stored; (id, canonical URL) of those inserted."""
    stamp = _datetime_processor(connection.dialect)
    sql = _insert_sql(
        "item", _ITEM_COLUMNS, "canonical_url", "id, canonical_url", _mark(connection.dialect), len(items)
    )
    with _naive_datetimes_refused(sql):
        values = _item_values(feed_id, items, stamp(now), stamp)
    return [(int(item_id), url) for item_id, url in connection.exec_driver_sql(sql, values).all()]


def _item_values(
    feed_id: int, items: Sequence[NewItem], fetched: Any, stamp: Callable[[datetime], Any]
) -> tuple[Any, ...]:
    values: list[Any] = []
    for new in items:
        values += (
            new.canonical_url,
            new.url,
            new.guid,
            feed_id,
            new.title,
            new.summary,
            stamp(new.published),
            fetched,
            new.content_hash,
            new.story_id,
            ",".join(new.flags),
        )
    return tuple(values)


# The columns a new finding row sets; `reviewed_at` and `note` stay NULL until an analyst reviews it.
FINDING_COLUMNS = (
    "item_id",
    "claim_id",
    "relation",
    "places",
    "evidence",
    "score",
    "reasons",
    "review_state",
    "created",
    "updated",
)


def insert_findings(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """INSERT finding rows (values in `FINDING_COLUMNS` order), skipping (item, claim) pairs already
    there; how many were inserted."""
    processor = _datetime_processor(connection.dialect)
    stamps: dict[datetime, Any] = {}

    def stamp(moment: datetime) -> Any:
        # A batch's rows share one `now`: converting it once per row was a fifth of the statement.
        if moment not in stamps:
            stamps[moment] = processor(moment)
        return stamps[moment]

    sql = _insert_sql(
        "finding", FINDING_COLUMNS, "item_id, claim_id", "id", _mark(connection.dialect), len(rows)
    )
    with _naive_datetimes_refused(sql):
        values = tuple(value for row in rows for value in (*row[:8], stamp(row[8]), stamp(row[9])))
    return len(connection.exec_driver_sql(sql, values).all())


_SOURCE_COLUMNS = ("item_id", "feed_id", "guid")


def insert_sources(connection: Connection, rows: Sequence[tuple[int, int, str | None]]) -> None:
    """INSERT (item id, feed id, guid) rows into item_source, skipping pairs already there."""
    sql = _insert_sql(
        "item_source", _SOURCE_COLUMNS, "item_id, feed_id", None, _mark(connection.dialect), len(rows)
    )
    connection.exec_driver_sql(sql, tuple(value for row in rows for value in row))


def unanalysed_of(connection: Connection, ids: Sequence[int]) -> list[int]:
    """Lock the items of `ids` still unanalysed that no other transaction holds; their ids, in id order."""
    sql = _unanalysed_sql(_mark(connection.dialect), len(ids), connection.dialect.name == "postgresql")
    return [int(item_id) for (item_id,) in connection.exec_driver_sql(sql, tuple(ids)).all()]


def mark_analysed(connection: Connection, ids: Sequence[int], now: datetime) -> None:
    """Set `analysed_at` on the items of `ids`."""
    sql = _mark_analysed_sql(_mark(connection.dialect), len(ids))
    connection.exec_driver_sql(sql, (_datetime_processor(connection.dialect)(now), *ids))


def having_findings(connection: Connection, ids: Sequence[int]) -> list[int]:
    """The items of `ids` that have finding rows."""
    sql = _having_findings_sql(_mark(connection.dialect), len(ids))
    return [int(item_id) for (item_id,) in connection.exec_driver_sql(sql, tuple(ids)).all()]


def _mark(dialect: Dialect) -> str:
    # sqlite3 takes qmark parameters; psycopg takes %s (its dialect's "pyformat", positionally)
    return "?" if dialect.paramstyle == "qmark" else "%s"


def _marks(mark: str, count: int) -> str:
    """`count` placeholders, comma-separated: an IN list or a VALUES row."""
    return ", ".join([mark] * count)


@cache
def _guids_sql(mark: str, count: int) -> str:
    return f"SELECT guid, item_id FROM item_source WHERE feed_id = {mark} AND guid IN ({_marks(mark, count)})"


@cache
def _insert_sql(
    table_name: str, columns: tuple[str, ...], conflict: str, returning: str | None, mark: str, count: int
) -> str:
    """A multi-row INSERT of `count` rows that skips rows clashing on `conflict`, RETURNING `returning` if given."""
    row = f"({_marks(mark, len(columns))})"
    tail = f" RETURNING {returning}" if returning else ""
    return (
        f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES {', '.join([row] * count)} "
        f"ON CONFLICT ({conflict}) DO NOTHING{tail}"
    )


@cache
def _unanalysed_sql(mark: str, count: int, row_locks: bool) -> str:
    # SKIP LOCKED passes over the rows another worker is analysing; SQLite has one writer, no row locks
    locks = " FOR UPDATE SKIP LOCKED" if row_locks else ""
    return (
        f"SELECT id FROM item WHERE id IN ({_marks(mark, count)}) AND analysed_at IS NULL ORDER BY id{locks}"
    )


@cache
def _mark_analysed_sql(mark: str, count: int) -> str:
    return f"UPDATE item SET analysed_at = {mark} WHERE id IN ({_marks(mark, count)})"


@cache
def _having_findings_sql(mark: str, count: int) -> str:
    return f"SELECT DISTINCT item_id FROM finding WHERE item_id IN ({_marks(mark, count)})"


@contextmanager
def _naive_datetimes_refused(sql: str) -> Iterator[None]:
    """A naive datetime met while building `sql`'s values is refused as SQLAlchemy's own statements refuse it."""
    try:
        yield
    except ValueError as exc:  # UTCDateTime's bind processor raises it for a datetime without a zone
        raise StatementError(str(exc), sql, None, exc) from exc


def _datetime_processor(dialect: Dialect) -> Callable[[datetime], Any]:
    """The bind processor of item's datetime columns (`UTCDateTime`) on `dialect`: what SQLAlchemy would send."""
    key = (dialect.name, dialect.driver)
    processor = _PROCESSORS.get(key)
    if processor is None:
        processor = table("item").c.published.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is None:  # pragma: no cover - UTCDateTime always has one
            raise AssertionError(f"{ItemRow.__tablename__}.published has no bind processor")
        _PROCESSORS[key] = processor
    return processor


# A cache of derived values (one processor per dialect and driver), not state: filled once, never changed.
_PROCESSORS: dict[tuple[str, str], Callable[[datetime], Any]] = {}
