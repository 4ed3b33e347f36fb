"""The SQLModel tables; only `db/` imports this module, and its query modules turn rows into records.

Datetimes are stored as UTC and come back timezone-aware on SQLite too (`UTCDateTime`).
The Alembic migrations in `migrations/versions/` must create exactly these tables; a test
compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Float, Index, Integer, Table, Text, UniqueConstraint, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: store UTC wall time, and add the zone back on read.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FeedRow(SQLModel, table=True):
    """A configured feed and how its last fetches went."""

    __tablename__ = "feed"
    __table_args__ = (UniqueConstraint("name", name="uq_feed_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=Text, nullable=False)
    url: str | None = Field(default=None, sa_type=Text)
    path: str | None = Field(default=None, sa_type=Text)
    active: bool = Field(default=True, nullable=False)  # still in the config file
    etag: str | None = Field(default=None, sa_type=Text)
    last_modified: str | None = Field(default=None, sa_type=Text)
    last_status: int | None = Field(default=None)
    last_error: str | None = Field(default=None, sa_type=Text)
    last_error_code: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = Field(default=0, nullable=False)
    items_seen: int = Field(default=0, nullable=False)  # new items stored from this feed, ever
    last_fetched: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_due: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: due now
    warning: str | None = Field(default=None, sa_type=Text)  # parser warning from the last body
    # digest of the last body whose items were stored: the same body again is not parsed again
    body_hash: str | None = Field(default=None, sa_type=Text)
    created: datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime, nullable=False)
    # The worker fetching this feed right now (see worker.py): its PostgreSQL session's backend
    # pid (SQLite: its process id), and when the claim lapses if that worker never reports back.
    claimed_by: int | None = Field(default=None)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ItemRow(SQLModel, table=True):
    """One article, stored once however many feeds carried it."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("canonical_url", name="uq_item_canonical_url"),
        # Workers take the next unanalysed items in id order: only those rows are indexed.
        Index(
            "ix_item_unanalysed",
            "id",
            postgresql_where=text("analysed_at IS NULL"),
            sqlite_where=text("analysed_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    canonical_url: str = Field(sa_type=Text, nullable=False)
    url: str | None = Field(default=None, sa_type=Text)  # as published
    guid: str | None = Field(default=None, sa_type=Text)
    feed_id: int = Field(sa_type=Integer, foreign_key="feed.id", nullable=False)  # the first feed
    title: str = Field(sa_type=Text, nullable=False)
    summary: str = Field(sa_type=Text, nullable=False)
    published: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    fetched: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    content_hash: str = Field(sa_type=Text, nullable=False)
    # The id of the first item of its syndicated story; NULL for an original, its own story
    # (readers take COALESCE(story_id, id)). Rows stored by earlier versions hold their own id:
    # the same meaning. NULL saves an UPDATE per new item (and a dead row version on PostgreSQL).
    # Neither it nor content_hash is indexed: no query reads by them (migration 0006).
    story_id: int | None = Field(default=None)
    flags: str = Field(default="", sa_type=Text, nullable=False)  # comma-joined
    analysed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ItemSourceRow(SQLModel, table=True):
    """Which feeds carried an item, and under which guid."""

    __tablename__ = "item_source"
    __table_args__ = (Index("ix_item_source_feed_guid", "feed_id", "guid"),)

    item_id: int = Field(
        sa_type=Integer, foreign_key="item.id", ondelete="CASCADE", primary_key=True, nullable=False
    )
    feed_id: int = Field(
        sa_type=Integer, foreign_key="feed.id", ondelete="CASCADE", primary_key=True, nullable=False
    )
    guid: str | None = Field(default=None, sa_type=Text)


class FindingRow(SQLModel, table=True):
    """One item's relation to one baseline claim, and the analyst's review of it."""

    __tablename__ = "finding"
    __table_args__ = (UniqueConstraint("item_id", "claim_id", name="uq_finding_item_claim"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(sa_type=Integer, foreign_key="item.id", ondelete="CASCADE", nullable=False)
    claim_id: str = Field(sa_type=Text, nullable=False, index=True)
    relation: str = Field(sa_type=Text, nullable=False)
    places: str = Field(default="[]", sa_type=Text, nullable=False)  # JSON list of canonical names
    evidence: str = Field(sa_type=Text, nullable=False)
    score: float = Field(sa_type=Float, nullable=False)
    reasons: str = Field(default="[]", sa_type=Text, nullable=False)  # JSON list
    review_state: str = Field(default="pending", sa_type=Text, nullable=False)  # ReviewState
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str | None = Field(default=None, sa_type=Text)
    created: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    updated: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ReportRunRow(SQLModel, table=True):
    """A daily report some worker took on: the first to insert the row sends it, the others don't."""

    __tablename__ = "report_run"

    baseline_id: str = Field(sa_type=Text, primary_key=True)
    day: str = Field(sa_type=Text, primary_key=True)  # ISO date of the report
    worker: str = Field(sa_type=Text, nullable=False)  # host:pid, for the log
    created: datetime = Field(sa_type=UTCDateTime, nullable=False)


metadata = SQLModel.metadata


def table(name: str) -> Table:
    """The Core table behind a model, for INSERT ... ON CONFLICT statements."""
    return metadata.tables[name]


def dialect_of(session: Session) -> str:
    """ "postgresql" or "sqlite": the two databases newswatch runs on."""
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def insert(session: Session, target: Table) -> postgresql.Insert | sqlite.Insert:
    """A dialect INSERT on `target`, so that statements can say ON CONFLICT DO NOTHING."""
    return postgresql.insert(target) if dialect_of(session) == "postgresql" else sqlite.insert(target)


def row_id(value: int | None) -> int:
    """The id of a row read from the database (only unflushed rows have none: a bug here)."""
    if value is None:
        raise AssertionError("row without an id")
    return value
