"""Records cross the worker pool's process boundary pickled as their constructor arguments."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.dedupe import ItemKeys, item_keys
from pipeline.poolwork import PreparedFeed, parse_body
from pipeline.records import Finding, ItemText, ParsedFeed, ParsedItem, Relation, pickled_as_arguments

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
NOW = datetime(2023, 1, 26, 12, 0, tzinfo=UTC)


def test_every_record_sent_to_or_from_the_pool_comes_back_equal() -> None:
    item = ParsedItem("g-1", "https://news.example/1", "Бахмут", "Summary", NOW, ("date_missing",))
    records: list[object] = [
        item,
        ParsedFeed("Wire", (item, item), warning="recovered"),
        ParsedFeed(None, ()),
        ItemText("Title", "Body", NOW, "https://news.example/1"),
        ItemText("Title", "Body"),
        Finding("c1", Relation.CONTRADICTS, ("Bakhmut",), "Evidence.", 0.75, ("cue: denied",)),
        item_keys(item),
        PreparedFeed(ParsedFeed("Wire", (item,)), (item_keys(item),)),
    ]
    for record in records:
        # pickled as the class and its field values, not through the dataclass's own state methods
        assert record.__reduce__() == (type(record), tuple(getattr(record, f.name) for f in fields(record)))  # type: ignore[arg-type]
        back = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == record
        assert type(back) is type(record)
    assert type(pickle.loads(pickle.dumps(item_keys(item))).fingerprints) is frozenset
    assert isinstance(records[6], ItemKeys)


def test_a_parsed_fixture_feed_comes_back_equal() -> None:
    prepared = parse_body((FIXTURES / "cp1251-cyrillic.xml").read_bytes(), "https://news.example/rss", NOW)
    assert isinstance(prepared, PreparedFeed)
    assert prepared.feed.items
    assert pickle.loads(pickle.dumps(prepared)) == prepared


def test_a_record_whose_constructor_skips_a_field_is_refused() -> None:
    with pytest.raises(TypeError, match="constructor"):

        @pickled_as_arguments
        @dataclass(frozen=True)
        class Derived:
            value: int
            double: int = field(init=False, default=0)
