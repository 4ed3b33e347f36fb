"""Plain, frozen records handed from one stage to the next (stdlib only).

Stages never pass ORM rows or library objects to each other: `db.store` converts rows to
these records in one place, and every datetime here is timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from operator import attrgetter
from typing import Any, TypeVar

_R = TypeVar("_R")


def pickled_as_arguments(cls: type[_R]) -> type[_R]:
    """Pickle a frozen dataclass as its class and field values, unpickled by calling it.

    For the records that cross the worker pool's process boundary, thousands a cycle: a slots
    dataclass's own pickling asks `fields()` of every object, each way, in Python; this reads the
    values in one C call (benchmarks/README.md, finding 48).
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    if not all(f.init for f in fields(cls)):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__} has fields that its constructor does not take")
    values = attrgetter(*names)
    several = len(names) > 1  # attrgetter of one name gives the value, not a tuple

    def reduce(record: Any) -> tuple[type[_R], tuple[Any, ...]]:
        found = values(record)
        return cls, found if several else (found,)

    cls.__reduce__ = reduce  # type: ignore[assignment,method-assign]
    return cls


class Relation(StrEnum):
    """How a report relates to one baseline claim."""

    CONFIRMS = "confirms"
    UPDATES = "updates"
    CONTRADICTS = "contradicts"


class ReviewState(StrEnum):
    """An analyst's decision on a finding."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the fetcher needs to know about one feed before fetching it."""

    name: str
    url: str | None  # http(s) feed
    path: str | None  # or a local file (offline demo, tests)
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    body_hash: str | None = None  # digest of the last body whose items were stored (`dedupe.body_digest`)
    id: int | None = None  # the feed row's id, when read from the database


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of fetching one feed; failures are data, never exceptions."""

    feed_name: str
    url: str  # the URL (or file path) finally read
    status: int | None  # HTTP status; 200 for a local file; None when no response came
    body: bytes | None = None  # None when not modified or failed
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    error_code: str | None = None  # stable code: timeout, http_404, body_too_large, ...
    error_message: str | None = None
    elapsed_ms: int = 0
    body_hash: str | None = None  # digest of the body read, kept when the body is dropped

    @property
    def ok(self) -> bool:
        """True when the feed answered with content or with 304."""
        return self.error_code is None


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class ParsedItem:
    """One feed entry, cleaned: plain text, UTC dates, capped lengths."""

    guid: str | None
    url: str | None
    title: str
    summary: str
    published: datetime  # UTC; the fetch time when the feed gave none
    flags: tuple[str, ...] = ()  # e.g. "date_missing", "date_clamped", "title_truncated"


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document: its entries and any parser warning."""

    title: str | None
    items: tuple[ParsedItem, ...]
    warning: str | None = None  # set when the feed was malformed but still usable


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class ItemText:
    """The text of one report as the analysis sees it."""

    title: str
    body: str
    published: datetime | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place found in a text: the canonical name and the surface form that matched."""

    place_id: str
    canonical: str
    surface: str
    score: float  # 0-1, 1.0 for an exact alias match
    sentence_index: int


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class Finding:
    """One report's relation to one baseline claim, with its evidence."""

    claim_id: str
    relation: Relation
    places: tuple[str, ...]  # canonical names
    evidence: str  # the sentence, as published
    score: float  # 0.0-1.0
    reasons: tuple[str, ...] = field(default=())  # why, in words an analyst can check


@dataclass(frozen=True, slots=True)
class CycleSummary:
    """What one fetch cycle did, for the one-line summary and the logs."""

    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    feeds_skipped: int = 0  # not due (with --due) or being fetched by another worker
    new_items: int = 0
    duplicate_stories: int = 0
    new_findings: int = 0
    errors: tuple[str, ...] = ()

    def line(self) -> str:
        """The one-line summary printed at the end of a cycle."""
        total = self.feeds_ok + self.feeds_not_modified + self.feeds_failed
        text = (
            f"{total} feeds: {self.feeds_ok} ok, {self.feeds_not_modified} not modified, "
            f"{self.feeds_failed} failed"
        )
        if self.feeds_skipped:
            text += f", {self.feeds_skipped} skipped (not due or busy elsewhere)"
        return f"{text}; {self.new_items} new items; {self.new_findings} new findings"


@dataclass(frozen=True, slots=True)
class DatabaseTotals:
    """What the shared database holds, for the metrics endpoint."""

    items: int
    findings_by_relation: dict[str, int] = field(default_factory=dict)
    feeds: int = 0
    feeds_failing: int = 0  # active feeds whose last fetch failed (in backoff)
