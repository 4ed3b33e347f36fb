"""One worker's place on the database: the feeds it is fetching, and on SQLite that it runs alone.

How several workers (`run --once`, `serve`) share one PostgreSQL database without doing work
twice:

- A worker claims the feeds it will fetch in one short transaction: `SELECT ... FOR UPDATE
  SKIP LOCKED` picks feeds no other worker holds (passing over rows another claim is taking
  at that instant) and sets `claimed_by`/`claimed_until` on them before commit. The claim
  outlives the transaction, so the fetch runs with no transaction open; recording the fetch
  ends the claim (`feeds.record_fetch`), and so does the end of the worker.
- A claim holds while its worker's session lives and its lease runs. `claimed_by` is the
  backend pid of a connection the worker keeps open for its whole cycle: a worker killed with
  kill -9 loses that connection at once, so the next worker takes its feeds straight away;
  one on a host that vanished, whose connection the server has not yet found dead, loses
  them when the lease ends. (A server that closes idle sessions sooner than a cycle lasts,
  `idle_session_timeout`, ends claims early: a feed may then be fetched twice, still stored once.)
- Analysis takes its batches of items with SKIP LOCKED in the transaction that saves their
  findings (`items.claim_unanalysed`): one worker per batch, and a crash rolls the batch back.

SQLite has one writer at a time, so newswatch runs one worker at a time on it: a lock file
beside the database (flock, released by the kernel when the process dies, however it dies)
makes a second runner stop at once with a message that says why. Any claim found in a SQLite
database is therefore a dead runner's, and is taken over.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import ColumnElement, column, exists, func, or_, select, true, update
from sqlalchemy import table as sql_table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from pipeline.db.engine import WRITE, database_errors
from pipeline.db.feeds import is_due
from pipeline.db.models import table
from pipeline.errors import DatabaseError
from pipeline.records import FeedState

logger = logging.getLogger(__name__)

_FEED = table("feed")
_SESSIONS = sql_table("pg_stat_activity", column("pid"))


@dataclass(frozen=True, slots=True)
class Claim:
    """The feeds a worker took, and how many of those asked for another live worker holds."""

    feeds: list[FeedState]
    held_elsewhere: int


class Worker:
    """A worker for one cycle: claims feeds on its own connection, whose life bounds the claims."""

    def __init__(self, engine: Engine, connection: Connection, worker_id: int) -> None:
        self._engine = engine
        self._connection = connection
        self.id = worker_id

    def claim_feeds(
        self,
        names: Sequence[str],
        *,
        now: datetime,
        lease: timedelta,
        due_only: bool,
        limit: int | None = None,
    ) -> Claim:
        """Claim the active feeds among `names` that no live worker holds (only due ones when `due_only`)."""
        free = self._free(now)
        asked = [_FEED.c.active.is_(True), _FEED.c.name.in_(names)]
        wanted = [*asked, free, *([is_due(now)] if due_only else [])]
        claimable = (
            select(_FEED).where(*wanted).order_by(_FEED.c.id).limit(limit).with_for_update(skip_locked=True)
        )
        held = select(func.count()).select_from(_FEED).where(*asked, ~free)
        with database_errors(self._engine), self._connection.begin():
            rows = self._connection.execute(claimable).all()
            self._connection.execute(
                update(_FEED)
                .where(_FEED.c.id.in_([row.id for row in rows]))
                .values(claimed_by=self.id, claimed_until=now + lease)
            )
            held_elsewhere = self._connection.execute(held).scalar_one()
        feeds = [
            FeedState(
                row.name,
                row.url,
                row.path,
                row.etag,
                row.last_modified,
                row.consecutive_failures,
                row.body_hash,
                row.id,
            )
            for row in rows
        ]
        return Claim(feeds, held_elsewhere)

    def release(self) -> None:
        """End every claim this worker still holds (feeds it claimed but did not record)."""
        with database_errors(self._engine), self._connection.begin():
            self._connection.execute(
                update(_FEED).where(_FEED.c.claimed_by == self.id).values(claimed_by=None, claimed_until=None)
            )

    def _free(self, now: datetime) -> ColumnElement[bool]:
        """The condition for a feed no live worker holds."""
        if self._connection.dialect.name != "postgresql":
            return true()  # the runner lock: no other worker is alive on this database
        holder = _FEED.c.claimed_by
        holder_alive = exists().where(_SESSIONS.c.pid == holder)
        return or_(holder.is_(None), holder == self.id, _FEED.c.claimed_until <= now, ~holder_alive)


@contextmanager
def open_worker(engine: Engine) -> Iterator[Worker]:
    """Be a worker until the block ends; on SQLite, raise DatabaseError if another runner is one."""
    lock = _lock_runner(engine)
    try:
        with database_errors(engine):
            connection = engine.connect().execution_options(**{WRITE: True})
        if connection.dialect.name == "postgresql":
            # Closed, not pooled, at the end: the session dies with the worker, and so do its claims.
            connection.detach()
        try:
            with database_errors(engine):
                worker = Worker(engine, connection, _worker_id(connection))
            try:
                yield worker
            finally:
                _release_quietly(worker)
        finally:
            connection.close()
    finally:
        if lock is not None:
            lock.close()  # closing the file drops the flock


def _worker_id(connection: Connection) -> int:
    if connection.dialect.name != "postgresql":
        return os.getpid()
    with connection.begin():
        return int(connection.execute(select(func.pg_backend_pid())).scalar_one())


def _release_quietly(worker: Worker) -> None:
    try:
        worker.release()
    except (DatabaseError, SQLAlchemyError) as exc:
        # The database is gone or the connection broken: the claims die with the session anyway,
        # and the error that ended the cycle is the one to report.
        logger.warning("could not release feed claims", extra={"error": str(exc)})


def _lock_runner(engine: Engine) -> IO[str] | None:
    """Take the SQLite database's runner lock, or raise DatabaseError naming its holder."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    path = Path(database)
    lock_path = path.with_name(f"{path.name}.lock")
    try:
        handle = lock_path.open("a+", encoding="utf-8")
    except OSError as exc:
        raise DatabaseError(f"cannot open the runner lock {lock_path}: {exc.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise DatabaseError(
            f"another newswatch run (pid {holder}) is using {path}: SQLite takes one runner at a time, "
            "so this one stops here; run again when it has finished, or use PostgreSQL to run "
            "several workers"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
