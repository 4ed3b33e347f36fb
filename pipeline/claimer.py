"""Which feeds a cycle fetches: claimed from the database, all at once or in batches as fetching goes."""

from __future__ import annotations

from datetime import datetime, timedelta

from pipeline.config import Config, FetchSettings
from pipeline.db.worker import Worker
from pipeline.records import FeedState

# How long a feed claim outlives the cycle deadline (see `_lease`).
LEASE_MARGIN = timedelta(minutes=10)


class FeedClaimer:
    """Takes this cycle's feeds from the database: all at once, or in batches as fetching goes.

    A full cycle (`only_due=False`) claims every feed at its start: a feed another worker
    finished meanwhile is not due-gated, so claiming later could fetch it twice. A due cycle
    (`serve`, `run --once --due`) claims `batch` feeds at a time, as fetch slots free up, so
    workers started together split the work instead of the first taking it all; a feed another
    worker has recorded is no longer due, so it is never taken twice.
    """

    def __init__(self, worker: Worker, config: Config, *, now: datetime, only_due: bool) -> None:
        self._worker, self._now, self._only_due = worker, now, only_due
        self._order = {feed.name: position for position, feed in enumerate(config.feeds)}
        self.names = list(self._order)
        self._left = dict.fromkeys(self.names)  # not claimed by this cycle yet, in config order
        self._lease = _lease(config.fetch)
        self.batch = 2 * config.fetch.concurrency if only_due else None
        self.held_elsewhere = 0

    def next(self) -> list[FeedState]:
        """The next feeds to fetch, in config order (which decides the feed credited with an
        article that several carry); empty when none is left."""
        if not self._left:
            return []
        claim = self._worker.claim_feeds(
            list(self._left), now=self._now, lease=self._lease, due_only=self._only_due, limit=self.batch
        )
        self.held_elsewhere = claim.held_elsewhere
        for feed in claim.feeds:
            self._left.pop(feed.name, None)
        if self.batch is None:
            self._left.clear()
        return sorted(claim.feeds, key=lambda feed: self._order[feed.name])


def _lease(settings: FetchSettings) -> timedelta:
    """How long a feed claim lasts if its worker never reports back (a killed worker's end sooner)."""
    return timedelta(seconds=settings.cycle_deadline) + LEASE_MARGIN
