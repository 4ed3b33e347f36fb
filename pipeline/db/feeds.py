"""Feed rows: matching the config, what the fetcher needs, how each fetch went.

Functions here take an open Session; `Store` owns the transactions. Claims (which worker is
fetching a feed now) are `worker.py`'s; recording a fetch ends the feed's claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Update, bindparam, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pipeline.config import FeedConfig
from pipeline.db.models import FeedRow, insert, table
from pipeline.db.rows import FeedStatus, FetchRecord
from pipeline.records import FeedState, FetchResult

_FEED = table("feed")


def sync_feeds(session: Session, feeds: Sequence[FeedConfig]) -> None:
    """Make the feed table match the config: add new feeds (due now), update sources, retire the rest."""
    wanted = {feed.name: feed for feed in feeds}
    statement = select(FeedRow.name, FeedRow.url, FeedRow.path, FeedRow.active).order_by(col(FeedRow.name))
    stored = session.exec(statement).all()
    known = {name for name, *_ in stored}
    added = [
        {"name": feed.name, "url": feed.url, "path": _path(feed), "active": True}
        for feed in feeds
        if feed.name not in known
    ]
    if added:
        # One executemany for the new feeds, not a statement per configured feed each cycle; a feed
        # another worker adds meanwhile is skipped (ON CONFLICT), and the next sync settles its source.
        session.connection().execute(
            insert(session, _FEED).on_conflict_do_nothing(index_elements=["name"]), added
        )
    # Only rows that change are written (and so locked), and each UPDATE re-checks the change
    # under the row lock: several workers syncing one config at the start of their cycles take
    # no locks at all, and a change another worker already made is not made again.
    for name, url, path, active in stored:
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
        .values(url=url, path=path, etag=None, last_modified=None, body_hash=None, next_due=None)
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
        body_hash=row.body_hash,
        id=row.id,
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
    """Store how a fetch went (validators and success, or the error and one more failure); end the claim."""
    record_fetches(session, [FetchRecord(result, now, next_due, warning, new_items)])


def record_fetches(session: Session, records: Sequence[FetchRecord]) -> None:
    """`record_fetch` for many feeds: one UPDATE statement per kind of outcome, sent with every feed's values.

    The counters and the kept validators are computed in SQL: no read of the row first. The
    statements are built once (`_RECORD`), so SQLAlchemy neither re-coerces values nor re-keys
    its statement cache per feed: this runs once per feed per cycle, most often for a 304.
    """
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        result = record.result
        kind = "failed" if not result.ok else "not_modified" if result.not_modified else "ok"
        by_kind.setdefault(kind, []).append(
            {
                "b_name": result.feed_name,
                "b_now": record.now,
                "b_next_due": record.next_due,
                "b_status": result.status,
                "b_new_items": record.new_items,
                "b_error": result.error_message or result.error_code,
                "b_code": result.error_code,
                # a 304 may omit the validators: the ones sent are still the right ones (see _RECORD)
                "b_etag": (result.etag or None) if result.not_modified else result.etag,
                "b_last_modified": (result.last_modified or None)
                if result.not_modified
                else result.last_modified,
                "b_warning": (record.warning or None) if result.not_modified else record.warning,
                "b_body_hash": result.body_hash,
            }
        )
    connection = session.connection()
    for kind, rows in by_kind.items():
        done = connection.execute(_RECORD[kind], rows)
        if connection.dialect.supports_sane_multi_rowcount and done.rowcount != len(rows):
            raise ValueError(_unknown(", ".join(sorted(r["b_name"] for r in rows))))


def _record_statement(kind: str) -> Update:
    feed = _FEED.c

    def param(name: str, column: ColumnElement[Any]) -> BindParameter[Any]:
        return bindparam(f"b_{name}", type_=column.type)

    values: dict[str, Any] = {
        "claimed_by": None,
        "claimed_until": None,
        "last_fetched": param("now", feed.last_fetched),
        "next_due": param("next_due", feed.next_due),
        "last_status": param("status", feed.last_status),
        "items_seen": feed.items_seen + param("new_items", feed.items_seen),
    }
    if kind == "failed":
        # The validators and the warning still describe the last good body.
        values |= {
            "consecutive_failures": feed.consecutive_failures + 1,
            "last_error": param("error", feed.last_error),
            "last_error_code": param("code", feed.last_error_code),
        }
    else:
        values |= {
            "consecutive_failures": 0,
            "last_success": param("now", feed.last_success),
            "last_error": None,
            "last_error_code": None,
        }
        kept = ("etag", "last_modified", "warning", "body_hash")
        if kind == "not_modified":  # a 304 keeps what it does not send
            values |= {name: func.coalesce(param(name, feed[name]), feed[name]) for name in kept}
        else:
            values |= {name: param(name, feed[name]) for name in kept}
    return update(_FEED).where(feed.name == bindparam("b_name", type_=feed.name.type)).values(values)


_RECORD: dict[str, Update] = {kind: _record_statement(kind) for kind in ("failed", "not_modified", "ok")}


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


_LOCK = sa_select(_FEED.c.id).where(_FEED.c.name == bindparam("b_name")).with_for_update()


def lock_feed(session: Session, name: str) -> int:
    """The feed's id, its row locked until commit (PostgreSQL; SQLite's write lock is already held)."""
    # one statement for every call: building it per feed cost more than running it
    feed_id = session.connection().execute(_LOCK, {"b_name": name}).scalar_one_or_none()
    if feed_id is None:
        raise ValueError(_unknown(name))
    return int(feed_id)


def _unknown(name: str) -> str:
    return f"unknown feed {name!r}: call sync_feeds() with the configured feeds first"


def _path(feed: FeedConfig) -> str | None:
    return str(feed.path) if feed.path is not None else None
