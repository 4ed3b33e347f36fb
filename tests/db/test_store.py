"""Store: dedupe on every path, fetch bookkeeping, findings that keep their reviews, UTC in and out."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from pipeline.config import FeedConfig
from pipeline.db import NewItem, Store, StoredItem
from pipeline.db.rows import FetchRecord
from pipeline.db.store import AnalysedBatch
from pipeline.records import FetchResult, Finding, Relation, ReviewState
from tests.db.concurrently import run_at_once

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def item(n: int, **changes: object) -> NewItem:
    """A distinct item; `changes` override its fields."""
    base = NewItem(
        canonical_url=f"https://news.example/story-{n}",
        url=f"https://news.example/story-{n}?utm_source=rss",
        guid=f"guid-{n}",
        title=f"Title {n}",
        summary=f"Summary {n}",
        published=datetime(2024, 2, 28, 8, n % 60, tzinfo=UTC),
        content_hash=f"hash-{n}",
        flags=(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]  # test helper: fields checked at runtime


def sources(engine: Engine) -> set[tuple[str, str, str | None]]:
    """(canonical_url, feed name, guid) of every item_source row."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT item.canonical_url, feed.name, item_source.guid FROM item_source "
                "JOIN item ON item.id = item_source.item_id JOIN feed ON feed.id = item_source.feed_id"
            )
        )
        return {(row[0], row[1], row[2]) for row in rows}


def finding(claim_id: str = "soledar-fell", **changes: object) -> Finding:
    base = Finding(
        claim_id=claim_id,
        relation=Relation.CONFIRMS,
        places=("Soledar", "Бахмут"),
        evidence="Soledar fell on 16 January.",
        score=0.8,
        reasons=("place: 'Soledar' → Soledar",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]  # test helper: fields checked at runtime


def ok(feed: str = "alpha", **changes: object) -> FetchResult:
    base = FetchResult(feed_name=feed, url="https://alpha.example/rss", status=200, body=b"<rss/>")
    return replace(base, **changes)  # type: ignore[arg-type]  # test helper: fields checked at runtime


# -- datetimes ---------------------------------------------------------------------------


def test_datetimes_come_back_aware_utc(store: Store) -> None:
    kyiv = timezone(timedelta(hours=2))
    published = datetime(2024, 2, 28, 10, 30, 15, 123456, tzinfo=kyiv)
    [stored] = store.add_items("alpha", [item(1, published=published)], now=NOW)
    [read] = store.items_for_analysis(only_unanalysed=True)
    assert read == stored
    assert read.published == published
    assert read.published.tzinfo is UTC
    assert read.published.hour == 8
    assert read.fetched == NOW
    assert read.fetched.tzinfo is UTC


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        store.add_items("alpha", [item(1, published=datetime(2024, 2, 28, 10, 30))], now=NOW)  # noqa: DTZ001  # the case under test
    assert store.counts()["items"] == 0


# -- items -------------------------------------------------------------------------------


def test_same_canonical_url_from_two_feeds_is_one_item_with_two_sources(store: Store, engine: Engine) -> None:
    first = store.add_items("alpha", [item(1)], now=NOW)
    again = store.add_items("beta", [item(1, url="https://mirror.example/1", guid="beta-1")], now=NOW)
    assert [s.feed_name for s in first] == ["alpha"]
    assert again == []
    assert store.counts()["items"] == 1
    assert sources(engine) == {
        ("https://news.example/story-1", "alpha", "guid-1"),
        ("https://news.example/story-1", "beta", "beta-1"),
    }
    [read] = store.items_for_analysis(only_unanalysed=False)
    assert read.feed_name == "alpha"
    assert read.url == "https://news.example/story-1?utm_source=rss"


def test_add_items_twice_adds_nothing(store: Store, engine: Engine) -> None:
    batch = [item(n) for n in range(5)]
    first = store.add_items("alpha", batch, now=NOW)
    second = store.add_items("alpha", batch, now=NOW + timedelta(minutes=30))
    assert [s.canonical_url for s in first] == [i.canonical_url for i in batch]
    assert [s.story_id for s in first] == [s.id for s in first]
    assert second == []
    assert store.counts()["items"] == 5
    assert len(sources(engine)) == 5


def test_duplicates_within_one_batch_are_stored_once(store: Store) -> None:
    batch = [item(1), item(2), item(1, guid="other-guid", title="Same URL, other guid"), item(2)]
    stored = store.add_items("alpha", batch, now=NOW)
    assert [s.title for s in stored] == ["Title 1", "Title 2"]
    assert store.counts()["items"] == 2


def test_guid_seen_from_same_feed_with_new_url_is_the_same_item(store: Store) -> None:
    store.add_items("alpha", [item(1)], now=NOW)
    moved = item(1, canonical_url="https://news.example/story-1-updated", url="https://news.example/x")
    assert store.add_items("alpha", [moved], now=NOW) == []
    assert store.counts()["items"] == 1


def test_same_guid_from_another_feed_is_not_trusted(store: Store) -> None:
    # Guids are only unique within a feed: "1" from two feeds are two articles.
    store.add_items("alpha", [item(1, guid="1")], now=NOW)
    stored = store.add_items("beta", [item(2, guid="1")], now=NOW)
    assert [s.canonical_url for s in stored] == ["https://news.example/story-2"]


def test_items_without_guid_dedupe_on_url_only(store: Store) -> None:
    store.add_items("alpha", [item(1, guid=None)], now=NOW)
    assert store.add_items("alpha", [item(2, guid=None)], now=NOW) != []
    assert store.add_items("alpha", [item(1, guid=None)], now=NOW) == []


def test_syndicated_copy_links_to_its_story(store: Store) -> None:
    [original] = store.add_items("alpha", [item(1)], now=NOW)
    [copy] = store.add_items("beta", [item(2, story_id=original.story_id)], now=NOW)
    assert copy.story_id == original.id != copy.id
    assert store.counts() == {"feeds": 2, "items": 2, "stories": 1, "findings": 0}
    candidates = store.recent_story_candidates(NOW - timedelta(days=1))
    assert sorted(candidates) == [
        (original.id, original.id, "Title 1", "Summary 1"),
        (copy.id, original.id, "Title 2", "Summary 2"),
    ]


def test_recent_story_candidates_window_and_limit(store: Store) -> None:
    store.add_items("alpha", [item(1)], now=NOW - timedelta(days=3))
    store.add_items("alpha", [item(2), item(3)], now=NOW)
    assert [c[2] for c in store.recent_story_candidates(NOW - timedelta(days=1))] == ["Title 3", "Title 2"]
    assert len(store.recent_story_candidates(NOW - timedelta(days=7), limit=2)) == 2


def test_add_items_for_unknown_feed_is_a_bug(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown feed 'gamma'"):
        store.add_items("gamma", [item(1)], now=NOW)


def test_concurrent_writers_never_duplicate(database_url: str, store: Store) -> None:
    # Two "processes" (separate engines) store overlapping batches from both feeds at once.
    batch = [item(n) for n in range(40)]

    def work(index: int, engine: Engine) -> int:
        feed = "alpha" if index % 2 else "beta"
        ordered = batch if index < 2 else list(reversed(batch))
        return len(Store(engine).add_items(feed, ordered, now=NOW))

    results = run_at_once(database_url, 4, work)
    assert sum(results) == 40
    assert store.counts()["items"] == 40


def test_items_for_analysis_batches_and_filters(store: Store) -> None:
    stored = store.add_items("alpha", [item(n) for n in range(7)], now=NOW)
    every = list(store.items_for_analysis(only_unanalysed=False, batch_size=3))
    assert every == stored
    store.save_findings(stored[0].id, [], now=NOW)
    store.save_findings(stored[4].id, [finding()], now=NOW)
    pending = list(store.items_for_analysis(only_unanalysed=True, batch_size=2))
    assert [s.id for s in pending] == [s.id for s in stored if s.id not in {stored[0].id, stored[4].id}]


# -- feeds -------------------------------------------------------------------------------


def test_sync_feeds_adds_updates_and_retires(store: Store) -> None:
    store.record_fetch(ok(etag='"v1"'), now=NOW, next_due=NOW + timedelta(hours=1), warning=None, new_items=0)
    store.sync_feeds(
        [
            FeedConfig(name="alpha", url="https://alpha.example/feed.xml"),
            FeedConfig(name="gamma", path=Path("gamma.xml")),
        ]
    )
    states = {s.name: s for s in store.feed_states()}
    assert sorted(states) == ["alpha", "gamma"]
    # A new source: the old validators do not apply, and it is due now.
    assert states["alpha"].url == "https://alpha.example/feed.xml"
    assert states["alpha"].etag is None
    assert [s.name for s in store.feed_states(due_before=NOW)] == ["alpha", "gamma"]
    gamma = states["gamma"]
    assert gamma.id is not None
    assert gamma == gamma.__class__(name="gamma", url=None, path="gamma.xml", id=gamma.id)
    assert [s.name for s in store.feed_statuses()] == ["alpha", "gamma"]
    # beta comes back with its history.
    store.sync_feeds([FeedConfig(name="beta", path=Path("feeds/beta.xml"))])
    assert [s.name for s in store.feed_states()] == ["beta"]


def test_sync_feeds_keeps_state_when_source_unchanged(store: Store) -> None:
    store.record_fetch(ok(etag='"v1"'), now=NOW, next_due=NOW + timedelta(hours=1), warning=None, new_items=3)
    store.sync_feeds([FeedConfig(name="alpha", url="https://alpha.example/rss")])
    [alpha] = store.feed_states()
    assert alpha.etag == '"v1"'
    assert store.feed_states(due_before=NOW) == []


def test_sync_feeds_adds_many_new_feeds_at_once_and_a_second_sync_changes_nothing(store: Store) -> None:
    configured = [FeedConfig(name="alpha", url="https://alpha.example/rss")] + [
        FeedConfig(name=f"feed-{n:03}", url=f"https://n{n}.example/rss") for n in range(600)
    ]
    store.record_fetch(ok(etag='"v1"'), now=NOW, next_due=NOW + timedelta(hours=1), warning=None, new_items=0)
    store.sync_feeds(configured)
    first = store.feed_states()
    assert [s.name for s in first] == sorted(feed.name for feed in configured)
    assert {s.name: s.url for s in first} == {feed.name: feed.url for feed in configured}
    assert next(s for s in first if s.name == "alpha").etag == '"v1"'  # an existing feed keeps its state
    store.sync_feeds(configured)
    assert store.feed_states() == first


def test_feed_states_filters_by_name_and_due(store: Store) -> None:
    store.record_fetch(ok(), now=NOW, next_due=NOW + timedelta(minutes=30), warning=None, new_items=0)
    assert [s.name for s in store.feed_states(["alpha"])] == ["alpha"]
    assert [s.name for s in store.feed_states(due_before=NOW)] == ["beta"]
    assert [s.name for s in store.feed_states(due_before=NOW + timedelta(minutes=30))] == ["alpha", "beta"]
    assert store.feed_states(["alpha"], due_before=NOW) == []


def test_record_fetch_success_failure_and_not_modified(store: Store) -> None:
    later = NOW + timedelta(minutes=30)
    store.record_fetch(
        ok(etag='"v1"', last_modified="Fri, 01 Mar 2024 11:00:00 GMT"),
        now=NOW,
        next_due=later,
        warning="not well-formed (invalid token): line 3",
        new_items=4,
    )
    [status] = [s for s in store.feed_statuses() if s.name == "alpha"]
    assert (status.last_status, status.items_seen, status.consecutive_failures) == (200, 4, 0)
    assert (status.last_fetched, status.last_success, status.next_due) == (NOW, NOW, later)
    assert status.warning == "not well-formed (invalid token): line 3"

    # Two failures: counted, explained, and the validators are kept for the next try.
    for attempt in (1, 2):
        store.record_fetch(
            ok(status=503, body=None, error_code="http_503", error_message="server error 503"),
            now=NOW + timedelta(hours=attempt),
            next_due=NOW + timedelta(hours=attempt + 1),
            warning=None,
            new_items=0,
        )
    [failing] = store.feed_states(["alpha"])
    assert (failing.etag, failing.last_modified) == ('"v1"', "Fri, 01 Mar 2024 11:00:00 GMT")
    assert failing.consecutive_failures == 2
    [status] = [s for s in store.feed_statuses() if s.name == "alpha"]
    assert (status.last_status, status.last_error_code, status.last_error) == (
        503,
        "http_503",
        "server error 503",
    )
    assert (status.last_fetched, status.last_success) == (NOW + timedelta(hours=2), NOW)
    assert status.warning == "not well-formed (invalid token): line 3"

    # A 304 without validators: success, old validators kept, error cleared.
    store.record_fetch(
        ok(status=304, body=None, not_modified=True),
        now=NOW + timedelta(hours=3),
        next_due=NOW + timedelta(hours=4),
        warning=None,
        new_items=0,
    )
    [state] = store.feed_states(["alpha"])
    assert (state.etag, state.last_modified, state.consecutive_failures) == (
        '"v1"',
        "Fri, 01 Mar 2024 11:00:00 GMT",
        0,
    )
    [status] = [s for s in store.feed_statuses() if s.name == "alpha"]
    assert (status.last_status, status.last_error, status.last_error_code) == (304, None, None)
    assert status.last_success == NOW + timedelta(hours=3)

    # A 304 with a new ETag takes it; a 200 without validators drops the stale ones.
    store.record_fetch(
        ok(status=304, body=None, not_modified=True, etag='"v2"'),
        now=NOW,
        next_due=NOW,
        warning=None,
        new_items=0,
    )
    assert store.feed_states(["alpha"])[0].etag == '"v2"'
    store.record_fetch(ok(), now=NOW, next_due=NOW, warning=None, new_items=1)
    [state] = store.feed_states(["alpha"])
    assert (state.etag, state.last_modified) == (None, None)
    [status] = [s for s in store.feed_statuses() if s.name == "alpha"]
    assert (status.items_seen, status.warning) == (5, None)


def test_record_fetches_writes_each_feed_by_its_outcome_in_one_call(store: Store) -> None:
    first = [
        FetchRecord(ok(feed, etag=f'"{feed}-1"'), NOW, NOW + timedelta(minutes=5), None, 2)
        for feed in ("alpha", "beta")
    ]
    store.record_fetches(first)
    later = NOW + timedelta(hours=1)
    store.record_fetches(
        [
            FetchRecord(ok("alpha", status=304, body=None, not_modified=True), later, later, None, 0),
            FetchRecord(
                ok("beta", status=503, body=None, error_code="http_503", error_message="server error 503"),
                later,
                later + timedelta(minutes=10),
                None,
                0,
            ),
        ]
    )
    alpha, beta = store.feed_states(["alpha", "beta"])
    assert (alpha.etag, alpha.consecutive_failures) == ('"alpha-1"', 0)  # a 304 keeps what it did not send
    assert (beta.etag, beta.consecutive_failures) == ('"beta-1"', 1)  # a failure keeps the validators
    statuses = {s.name: s for s in store.feed_statuses()}
    assert (statuses["alpha"].last_status, statuses["alpha"].last_success, statuses["alpha"].items_seen) == (
        304,
        later,
        2,
    )
    assert (statuses["beta"].last_status, statuses["beta"].last_error, statuses["beta"].last_success) == (
        503,
        "server error 503",
        NOW,
    )
    assert statuses["beta"].next_due == later + timedelta(minutes=10)


def test_record_fetches_with_an_unknown_feed_records_none_of_the_batch(store: Store) -> None:
    batch = [FetchRecord(ok("alpha"), NOW, NOW, None, 1), FetchRecord(ok("gamma"), NOW, NOW, None, 1)]
    with pytest.raises(ValueError, match="unknown feed"):
        store.record_fetches(batch)
    assert {s.name: s.last_status for s in store.feed_statuses()}["alpha"] is None


def test_record_fetch_with_no_response(store: Store) -> None:
    store.record_fetch(
        ok(status=None, body=None, error_code="timeout", error_message="no response in 20 s"),
        now=NOW,
        next_due=NOW + timedelta(hours=1),
        warning=None,
        new_items=0,
    )
    [status] = [s for s in store.feed_statuses() if s.name == "alpha"]
    assert (status.last_status, status.last_error_code, status.last_success) == (None, "timeout", None)


def test_feed_statuses_fields_and_json(store: Store) -> None:
    store.record_fetch(
        ok(feed="beta", url="feeds/beta.xml"),
        now=NOW,
        next_due=NOW + timedelta(hours=1),
        warning=None,
        new_items=2,
    )
    statuses = store.feed_statuses()
    assert [s.name for s in statuses] == ["alpha", "beta"]
    assert statuses[0].to_dict() == {
        "name": "alpha",
        "url": "https://alpha.example/rss",
        "last_status": None,
        "last_error": None,
        "last_error_code": None,
        "items_seen": 0,
        "consecutive_failures": 0,
        "last_fetched": None,
        "last_success": None,
        "next_due": None,
        "warning": None,
    }
    beta = json.loads(json.dumps(statuses[1].to_dict()))
    assert beta["url"] == "feeds/beta.xml"
    assert (beta["last_status"], beta["items_seen"]) == (200, 2)
    assert beta["last_fetched"] == "2024-03-01T12:00:00+00:00"
    assert beta["next_due"] == "2024-03-01T13:00:00+00:00"


# -- findings ----------------------------------------------------------------------------


def test_save_findings_is_idempotent(store: Store) -> None:
    [stored] = store.add_items("alpha", [item(1)], now=NOW)
    both = [finding(), finding("bakhmut-holds", relation=Relation.CONTRADICTS)]
    assert store.save_findings(stored.id, both, now=NOW) == 2
    assert store.save_findings(stored.id, both, now=NOW + timedelta(hours=1)) == 0
    saved = store.findings()
    assert len(saved) == 2
    assert {f.updated for f in saved} == {NOW}  # nothing changed, nothing touched
    assert store.counts()["findings"] == 2


def test_reanalysis_updates_in_place_and_keeps_reviews(store: Store) -> None:
    [stored] = store.add_items("alpha", [item(1)], now=NOW)
    store.save_findings(stored.id, [finding("a"), finding("b"), finding("c")], now=NOW)
    by_claim = {f.claim_id: f for f in store.findings()}
    assert store.set_review(by_claim["a"].id, ReviewState.ACCEPTED, now=NOW, note="checked with ISW")
    assert store.set_review(by_claim["b"].id, ReviewState.DISMISSED, now=NOW)
    assert not store.set_review(999_999, ReviewState.ACCEPTED, now=NOW)

    later = NOW + timedelta(days=1)
    changed = finding("a", relation=Relation.UPDATES, evidence="Soledar is now behind the lines.", score=0.9)
    assert store.save_findings(stored.id, [changed, finding("d")], now=later) == 1

    after = {f.claim_id: f for f in store.findings()}
    # c (unreviewed) disappeared with the re-analysis; b (reviewed) is kept as the analyst left it.
    assert sorted(after) == ["a", "b", "d"]
    a = after["a"]
    assert (a.id, a.relation, a.evidence, a.score) == (
        by_claim["a"].id,
        Relation.UPDATES,
        changed.evidence,
        0.9,
    )
    assert (a.review_state, a.note, a.reviewed_at) == (ReviewState.ACCEPTED, "checked with ISW", NOW)
    assert (a.created, a.updated) == (NOW, later)
    assert after["b"].review_state == ReviewState.DISMISSED
    assert after["d"].review_state == ReviewState.PENDING


def test_one_finding_per_claim_keeps_the_strongest(store: Store) -> None:
    [stored] = store.add_items("alpha", [item(1)], now=NOW)
    weak, strong = finding(score=0.55, evidence="weak"), finding(score=0.95, evidence="strong")
    assert store.save_findings(stored.id, [weak, strong, weak], now=NOW) == 1
    assert [f.evidence for f in store.findings()] == ["strong"]


def test_stored_finding_carries_item_and_round_trips(store: Store) -> None:
    [stored] = store.add_items("alpha", [item(1, title="Бахмут: бої тривають")], now=NOW)
    store.save_findings(stored.id, [finding()], now=NOW)
    [saved] = store.findings()
    assert (saved.item_id, saved.claim_id, saved.relation) == (stored.id, "soledar-fell", Relation.CONFIRMS)
    assert saved.places == ("Soledar", "Бахмут")
    assert saved.reasons == ("place: 'Soledar' → Soledar",)
    assert (saved.title, saved.url, saved.published, saved.feed_name) == (
        "Бахмут: бої тривають",
        "https://news.example/story-1?utm_source=rss",
        stored.published,
        "alpha",
    )
    as_json = json.loads(json.dumps(saved.to_dict()))
    assert as_json["relation"] == "confirms"
    assert as_json["review_state"] == "pending"
    assert as_json["places"] == ["Soledar", "Бахмут"]
    assert as_json["published"] == stored.published.isoformat()


def test_findings_since_published_and_found_since(store: Store) -> None:
    old, new = store.add_items(
        "alpha",
        [
            item(1, published=datetime(2023, 1, 20, tzinfo=UTC)),
            item(2, published=datetime(2023, 2, 10, tzinfo=UTC)),
        ],
        now=NOW,
    )
    store.save_findings(old.id, [finding()], now=NOW)
    store.save_findings(new.id, [finding()], now=NOW + timedelta(days=1))
    assert [f.item_id for f in store.findings()] == [new.id, old.id]  # newest report first
    assert [f.item_id for f in store.findings(since=datetime(2023, 1, 26, tzinfo=UTC))] == [new.id]
    assert [f.item_id for f in store.findings(found_since=NOW + timedelta(hours=1))] == [new.id]


def test_findings_window_is_half_open_and_narrows_by_claim_review_and_page(store: Store) -> None:
    day = datetime(2023, 2, 10, tzinfo=UTC)
    stored = store.add_items(
        "alpha",
        [item(n, published=day + timedelta(hours=6 * n)) for n in range(6)],  # 00:00 ... day+1 06:00
        now=NOW,
    )
    for n, one in enumerate(stored):
        store.save_findings(one.id, [finding("a" if n % 2 else "b")], now=NOW)
    until = day + timedelta(days=1)
    in_day = store.findings(since=day, until=until)
    assert [f.published for f in in_day] == [day + timedelta(hours=h) for h in (18, 12, 6, 0)]
    assert store.count_items(day, until) == 4
    assert {f.claim_id for f in store.findings(since=day, until=until, claim_id="a")} == {"a"}
    first = store.findings(since=day, until=until)[0]
    store.set_review(first.id, ReviewState.DISMISSED, now=NOW)
    kept = store.findings(since=day, until=until, review=[ReviewState.PENDING, ReviewState.ACCEPTED])
    assert first.id not in {f.id for f in kept}
    assert len(kept) == 3
    page = store.findings(limit=2, offset=2)
    assert [f.id for f in page] == [f.id for f in store.findings()][2:4]
    again = store.finding(first.id)
    assert again is not None
    assert again.review_state == ReviewState.DISMISSED
    assert again.story_id == first.item_id
    assert store.finding(999_999) is None


def test_save_findings_for_missing_item_is_a_bug(store: Store) -> None:
    with pytest.raises(ValueError, match="no item with id 42"):
        store.save_findings(42, [finding()], now=NOW)


# -- analysis batches --------------------------------------------------------------------


def test_analyse_batch_takes_unanalysed_items_in_id_order(store: Store) -> None:
    stored = store.add_items("alpha", [item(n) for n in range(5)], now=NOW)
    seen: list[int] = []

    def analyse(one: StoredItem) -> list[Finding]:
        seen.append(one.id)
        return [finding()] if one.id == stored[1].id else []

    assert store.count_unanalysed() == 5
    batches = [store.analyse_batch(analyse, now=NOW, size=2) for _ in range(4)]
    assert batches == [AnalysedBatch(2, 1), AnalysedBatch(2, 0), AnalysedBatch(1, 0), AnalysedBatch(0, 0)]
    assert seen == sorted(s.id for s in stored)
    assert store.count_unanalysed() == 0
    assert [f.item_id for f in store.findings()] == [stored[1].id]


def test_save_analysis_saves_findings_of_unanalysed_items_once(store: Store) -> None:
    stored = store.add_items("alpha", [item(n) for n in range(3)], now=NOW)
    a, b, c = (s.id for s in stored)
    strongest = finding("x", score=0.9)
    assert store.save_analysis({a: [finding("x"), strongest, finding("y")], b: []}, now=NOW) == 2
    assert store.count_unanalysed() == 1  # c was not in the results
    # Items analysed meanwhile (here: by the call above) are passed over: nothing twice, nothing changed.
    assert store.save_analysis({a: [finding("z")], b: [finding("z")], c: [finding("x")]}, now=NOW) == 1
    found = sorted((f.item_id, f.claim_id, f.score) for f in store.findings())
    assert found == [(a, "x", 0.9), (a, "y", 0.8), (c, "x", 0.8)]
    assert store.count_unanalysed() == 0


def test_save_analysis_of_an_item_with_findings_left_keeps_their_reviews(
    store: Store, engine: Engine
) -> None:
    [stored] = store.add_items("alpha", [item(1)], now=NOW)
    store.save_findings(stored.id, [finding("a"), finding("b")], now=NOW)
    by_claim = {f.claim_id: f for f in store.findings()}
    assert store.set_review(by_claim["a"].id, ReviewState.ACCEPTED, now=NOW, note="checked")
    with engine.begin() as connection:  # a crash after the findings, before the item was marked
        connection.execute(text("UPDATE item SET analysed_at = NULL"))
    later = NOW + timedelta(hours=1)
    assert store.save_analysis({stored.id: [finding("a", score=0.95), finding("c")]}, now=later) == 1
    after = {f.claim_id: f for f in store.findings()}
    assert sorted(after) == ["a", "c"]  # b (unreviewed) went with the re-analysis
    assert (after["a"].id, after["a"].score, after["a"].review_state) == (
        by_claim["a"].id,
        0.95,
        ReviewState.ACCEPTED,
    )
    assert store.count_unanalysed() == 0


def test_analyse_batch_that_fails_leaves_the_whole_batch(store: Store) -> None:
    stored = store.add_items("alpha", [item(n) for n in range(3)], now=NOW)

    def analyse(one: StoredItem) -> list[Finding]:
        if one.id == stored[1].id:
            raise RuntimeError("analysis bug")
        return [finding()]

    with pytest.raises(RuntimeError, match="analysis bug"):
        store.analyse_batch(analyse, now=NOW, size=3)
    assert store.count_unanalysed() == 3
    assert store.counts()["findings"] == 0


def test_workers_analysing_at_once_never_take_the_same_item(database_url: str, store: Store) -> None:
    stored = store.add_items("alpha", [item(n) for n in range(30)], now=NOW)

    def work(_: int, engine: Engine) -> list[int]:
        seen: list[int] = []

        def analyse(one: StoredItem) -> list[Finding]:
            seen.append(one.id)
            time.sleep(0.002)  # long enough for the workers' batches to overlap
            return [finding()]

        while Store(engine).analyse_batch(analyse, now=NOW, size=4).items:
            pass
        return seen

    seen = run_at_once(database_url, 3, work)
    assert sorted(item_id for ids in seen for item_id in ids) == sorted(s.id for s in stored)
    assert store.counts()["findings"] == 30


def test_a_feed_being_stored_elsewhere_does_not_hide_its_items_from_analysis(
    store: Store, engine: Engine
) -> None:
    store.add_items("alpha", [item(1)], now=NOW)
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    with engine.connect() as other:
        other.execute(text("SELECT id FROM feed WHERE name = 'alpha' FOR UPDATE"))  # add_items on alpha
        assert store.analyse_batch(lambda _: [finding()], now=NOW) == AnalysedBatch(1, 1)
        other.rollback()


def test_report_run_is_taken_once_per_baseline_and_day(store: Store) -> None:
    day = date(2024, 3, 1)
    assert store.claim_report_run("bakhmut", day, worker="host-a:1", now=NOW)
    assert not store.claim_report_run("bakhmut", day, worker="host-b:2", now=NOW)
    assert store.claim_report_run("bakhmut", day + timedelta(days=1), worker="host-b:2", now=NOW)
    assert store.claim_report_run("other-baseline", day, worker="host-b:2", now=NOW)


def test_report_run_taken_by_exactly_one_of_several_workers(database_url: str, store: Store) -> None:
    def work(index: int, engine: Engine) -> bool:
        return Store(engine).claim_report_run("b", date(2024, 3, 1), worker=f"w{index}", now=NOW)

    assert sorted(run_at_once(database_url, 4, work)) == [False, False, False, True]


def test_database_stats_for_metrics(store: Store) -> None:
    first, second = store.add_items("alpha", [item(1), item(2)], now=NOW)
    store.save_findings(first.id, [finding("a"), finding("b", relation=Relation.UPDATES)], now=NOW)
    store.save_findings(second.id, [finding("a", relation=Relation.UPDATES)], now=NOW)
    store.record_fetch(
        FetchResult(feed_name="beta", url="x", status=500, error_code="http_500", error_message="boom"),
        now=NOW,
        next_due=NOW,
        warning=None,
        new_items=0,
    )
    stats = store.database_stats()
    assert stats.items == 2
    assert stats.findings_by_relation == {"confirms": 1, "updates": 2}
    assert (stats.feeds, stats.feeds_failing) == (2, 1)


def test_a_fetch_saved_with_the_claimed_feed_id_stores_the_same_and_skips_the_look_up_on_sqlite(
    store: Store, engine: Engine
) -> None:
    state = {s.name: s for s in store.feed_states()}["alpha"]
    assert state.id is not None
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        result = FetchResult("alpha", "https://alpha.example/rss", 200)
        due = NOW + timedelta(minutes=5)
        with store.fetch_batch() as batch:
            stored = batch.save_fetch(
                result, [item(1), item(2)], now=NOW, next_due=due, warning=None, feed_id=state.id
            )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [s.canonical_url for s in stored] == [item(1).canonical_url, item(2).canonical_url]
    assert {s.feed_name for s in stored} == {"alpha"}
    looked_up = [s for s in statements if s.lstrip().startswith("SELECT feed.id")]
    # PostgreSQL still takes the row lock that keeps two workers on one feed apart.
    assert len(looked_up) == (1 if engine.dialect.name == "postgresql" else 0)
