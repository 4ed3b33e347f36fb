"""Feed rows: matching the config, what the fetcher needs, how each fetch went.

Functions here take an open Session; `Store` owns the transactions. Claims (which worker is
fetching a feed now) are `worker.py`'s; recording a fetch ends the feed's claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pipeline.config import FeedConfig
from pipeline.db.models import FeedRow, insert, table
from pipeline.db.rows import FeedStatus
from pipeline.records import FeedState, FetchResult

_FEED = table("feed")


def sync_feeds(session: Session, feeds: Sequence[FeedConfig]) -> None:
    """Make the feed table match the config: add new feeds (due now), update sources, retire the rest."""
    for feed in feeds:
        session.exec(
            insert(session, _FEED)
            .values(name=feed.name, url=feed.url, path=_path(feed), active=True)
            .on_conflict_do_nothing(index_elements=["name"])
        )
    wanted = {feed.name: feed for feed in feeds}
    statement = select(FeedRow.name, FeedRow.url, FeedRow.path, FeedRow.active).order_by(col(FeedRow.name))
    # Only rows that change are written (and so locked), and each UPDATE re-checks the change
    # under the row lock: several workers syncing one config at the start of their cycles take
    # no locks at all, and a change another worker already made is not made again.
    for name, url, path, active in session.exec(statement).all():
        configured = wanted.get(name)
        if active != (configured is not None):
            _set_active(session, name, configured is not None)
        if configured is not None and (url, path) != (configured.url, _path(configured)):
            _set_source(session, name, configured.url, _path(configured))


def _set_active(session: Session, name: str, active: bool) -> None:
    session.exec(
        update(_FEED).where(_FEED.c.name == name, _FEED.c.active.is_not(active)).values(active=active)
    )


def _set_source(session: Session, name: str, url: str | None, path: str | None) -> None:
    # Validators and the schedule belonged to the old source.
    changed = or_(_FEED.c.url.is_distinct_from(url), _FEED.c.path.is_distinct_from(path))
    session.exec(
        update(_FEED)
        .where(_FEED.c.name == name, changed)
        .values(url=url, path=path, etag=None, last_modified=None, next_due=None)
    )


def feed_states(
    session: Session, names: Sequence[str] | None = None, *, due_before: datetime | None = None
) -> list[FeedState]:
    """Configured feeds (optionally only `names`, or only those due by `due_before`), by name."""
    statement = select(FeedRow).where(col(FeedRow.active)).order_by(col(FeedRow.name))
    if names is not None:
        statement = statement.where(col(FeedRow.name).in_(names))
    if due_before is not None:
        statement = statement.where(is_due(due_before))
    return [feed_state(row) for row in session.exec(statement).all()]


def is_due(now: datetime) -> ColumnElement[bool]:
    """The SQL condition for a feed whose next fetch (healthy interval or backoff) has come."""
    due = col(FeedRow.next_due)
    return or_(due.is_(None), due <= now)


def feed_state(row: FeedRow) -> FeedState:
    """What the fetcher needs from a feed row."""
    return FeedState(
        name=row.name,
        url=row.url,
        path=row.path,
        etag=row.etag,
        last_modified=row.last_modified,
        consecutive_failures=row.consecutive_failures,
    )


def record_fetch(
    session: Session,
    result: FetchResult,
    *,
    now: datetime,
    next_due: datetime,
    warning: str | None,
    new_items: int,
) -> None:
    """Store how a fetch went (validators and success, or the error and one more failure); end the claim.

    One UPDATE by name, with the counters and the kept validators computed in SQL: no read of
    the row first (this runs once per feed per cycle, most often for a 304).
    """
    feed = _FEED.c
    values: dict[str, Any] = {
        "claimed_by": None,
        "claimed_until": None,
        "last_fetched": now,
        "next_due": next_due,
        "last_status": result.status,
        "items_seen": feed.items_seen + new_items,
    }
    if not result.ok:
        # The validators and the warning still describe the last good body.
        values |= {
            "consecutive_failures": feed.consecutive_failures + 1,
            "last_error": result.error_message or result.error_code,
            "last_error_code": result.error_code,
        }
    else:
        values |= {
            "consecutive_failures": 0,
            "last_success": now,
            "last_error": None,
            "last_error_code": None,
        }
        if result.not_modified:
            # A 304 may omit the validators; the ones we sent are still the right ones.
            values |= {
                "etag": func.coalesce(result.etag or None, feed.etag),
                "last_modified": func.coalesce(result.last_modified or None, feed.last_modified),
                "warning": func.coalesce(warning or None, feed.warning),
            }
        else:
            values |= {"etag": result.etag, "last_modified": result.last_modified, "warning": warning}
    done = session.connection().execute(update(_FEED).where(feed.name == result.feed_name).values(values))
    if done.rowcount != 1:
        raise ValueError(_unknown(result.feed_name))


def feed_statuses(session: Session) -> list[FeedStatus]:
    """The status of every configured feed, by name."""
    statement = select(FeedRow).where(col(FeedRow.active)).order_by(col(FeedRow.name))
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


def lock_feed(session: Session, name: str) -> int:
    """The feed's id, its row locked until commit (PostgreSQL; SQLite's write lock is already held)."""
    feed_id = (
        session.connection()
        .execute(sa_select(_FEED.c.id).where(_FEED.c.name == name).with_for_update())
        .scalar_one_or_none()
    )
    if feed_id is None:
        raise ValueError(_unknown(name))
    return int(feed_id)


def _unknown(name: str) -> str:
    return f"unknown feed {name!r}: call sync_feeds() with the configured feeds first"


def _path(feed: FeedConfig) -> str | None:
    return str(feed.path) if feed.path is not None else None
