"""Records the store hands out and takes in: plain frozen dataclasses, JSON-ready where listed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from pipeline.records import FetchResult, Relation, ReviewState


@dataclass(frozen=True, slots=True)
class NewItem:
    """A parsed, deduplicated item ready to store."""

    canonical_url: str
    url: str | None  # as published
    guid: str | None
    title: str
    summary: str
    published: datetime
    content_hash: str
    flags: tuple[str, ...] = ()
    story_id: int | None = None  # link to this story (a syndicated copy); None: a story of its own


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """How one fetch went, as `record_fetches` writes it."""

    result: FetchResult
    now: datetime
    next_due: datetime
    warning: str | None
    new_items: int


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as stored; `story_id` is its own id unless it is a syndicated copy."""

    id: int
    story_id: int
    feed_name: str  # the feed that first brought it
    canonical_url: str
    url: str | None
    title: str
    summary: str
    published: datetime
    fetched: datetime


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A stored finding with its review and the item it was found in."""

    id: int
    item_id: int
    claim_id: str
    relation: Relation
    places: tuple[str, ...]
    evidence: str
    score: float
    reasons: tuple[str, ...]
    review_state: ReviewState
    reviewed_at: datetime | None
    note: str | None
    created: datetime
    updated: datetime  # last time analysis or review changed it
    story_id: int  # the item's story: syndicated copies share the first copy's id
    title: str  # the item's
    url: str  # the item's, as published (else canonical)
    published: datetime  # the item's
    feed_name: str  # the feed that first brought the item

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: datetimes as ISO 8601 strings, tuples as lists."""
        return _json_ready(asdict(self))


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """How a feed is doing, for `feeds status` and the web page."""

    name: str
    url: str  # the URL, or the file path
    last_status: int | None
    last_error: str | None
    last_error_code: str | None
    items_seen: int
    consecutive_failures: int
    last_fetched: datetime | None
    last_success: datetime | None
    next_due: datetime | None
    warning: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: datetimes as ISO 8601 strings."""
        return _json_ready(asdict(self))


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, tuple):
            return list(value)
        return value

    return {key: convert(value) for key, value in data.items()}
