"""The per-feed statements sent as driver SQL store exactly what SQLAlchemy's own statements store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from pipeline.db import Store, driversql
from pipeline.db.models import table
from pipeline.db.rows import NewItem

NOW = datetime(2024, 2, 28, 12, 0, 0, 123456, tzinfo=UTC)
KYIV = timezone(timedelta(hours=2))


def new_item(n: int, published: datetime) -> NewItem:
    return NewItem(
        canonical_url=f"https://news.example/{n}",
        url=f"https://news.example/{n}?ref=rss",
        guid=None if n % 3 == 0 else f"guid-{n}",
        title=f"Title {n} — «Бахмут»",
        summary="Summary",
        published=published,
        content_hash=f"hash-{n}",
        flags=("date_missing", "title_truncated") if n % 2 else (),
        story_id=None,
    )


def feed_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT id FROM feed WHERE name = 'alpha'")).scalar_one())


def rows_of(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    """The rows of a query, as the database holds them (on SQLite the datetimes are text)."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(sql).all()]


def stored_rows(engine: Engine) -> list[tuple[object, ...]]:
    """Every item column but the id."""
    return rows_of(
        engine,
        "SELECT canonical_url, url, guid, feed_id, title, summary, published, fetched, content_hash, "
        "story_id, flags FROM item ORDER BY canonical_url",
    )


def test_items_are_stored_as_sqlalchemy_stores_them(store: Store, engine: Engine) -> None:
    times = [datetime(2023, 1, 26, 0, 0, tzinfo=UTC), datetime(2023, 1, 26, 9, 30, 15, 5, tzinfo=KYIV)]
    feed = feed_id(engine)
    with engine.begin() as connection:
        created = driversql.insert_items(connection, feed, [new_item(n, times[n % 2]) for n in range(4)], NOW)
    assert sorted(url for _, url in created) == [f"https://news.example/{n}" for n in range(4)]
    by_driver = stored_rows(engine)

    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM item")
        connection.execute(
            insert(table("item")),
            [
                {
                    "canonical_url": new.canonical_url,
                    "url": new.url,
                    "guid": new.guid,
                    "feed_id": feed,
                    "title": new.title,
                    "summary": new.summary,
                    "published": new.published,
                    "fetched": NOW,
                    "content_hash": new.content_hash,
                    "story_id": None,
                    "flags": ",".join(new.flags),
                }
                for new in (new_item(n, times[n % 2]) for n in range(4))
            ],
        )
    assert by_driver == stored_rows(engine)


def test_a_stored_url_is_skipped_and_not_returned(store: Store, engine: Engine) -> None:
    feed = feed_id(engine)
    with engine.begin() as connection:
        first = driversql.insert_items(connection, feed, [new_item(1, NOW)], NOW)
        again = driversql.insert_items(connection, feed, [new_item(1, NOW), new_item(2, NOW)], NOW)
    assert [url for _, url in first] == ["https://news.example/1"]
    assert [url for _, url in again] == ["https://news.example/2"]


def test_sources_and_known_guids_round_trip(store: Store, engine: Engine) -> None:
    feed = feed_id(engine)
    with engine.begin() as connection:
        ids = dict(
            (url, item_id)
            for item_id, url in driversql.insert_items(
                connection, feed, [new_item(n, NOW) for n in (1, 2, 3)], NOW
            )
        )
        rows = [(ids[f"https://news.example/{n}"], feed, new_item(n, NOW).guid) for n in (1, 2, 3)]
        driversql.insert_sources(connection, rows)
        driversql.insert_sources(connection, rows[:1])  # the same pair again: skipped, no error
        known = driversql.known_guids(connection, feed, ["guid-1", "guid-2", "guid-9"])
        count = connection.execute(select(text("count(*)")).select_from(table("item_source"))).scalar_one()
    assert sorted(known) == [
        ("guid-1", ids["https://news.example/1"]),
        ("guid-2", ids["https://news.example/2"]),
    ]
    assert count == 3


def test_unanalysed_items_are_locked_marked_and_their_findings_seen(store: Store, engine: Engine) -> None:
    feed = feed_id(engine)
    with engine.begin() as connection:
        ids = sorted(
            item_id
            for item_id, _ in driversql.insert_items(
                connection, feed, [new_item(n, NOW) for n in (1, 2, 3)], NOW
            )
        )
        driversql.mark_analysed(connection, ids[:1], NOW)
        assert driversql.unanalysed_of(connection, list(reversed(ids))) == ids[1:]  # in id order
        connection.execute(
            insert(table("finding")),
            {
                "item_id": ids[2],
                "claim_id": "c1",
                "relation": "confirms",
                "places": "[]",
                "evidence": "e",
                "score": 1.0,
                "reasons": "[]",
                "review_state": "pending",
                "created": NOW,
                "updated": NOW,
            },
        )
        assert driversql.having_findings(connection, ids) == [ids[2]]
    with engine.connect() as connection:
        stamps = dict(connection.execute(select(table("item").c.id, table("item").c.analysed_at)).all())
    assert stamps[ids[0]] == NOW
    assert stamps[ids[1]] is None


def finding_rows(engine: Engine) -> list[tuple[object, ...]]:
    """Every finding column but the id."""
    return rows_of(
        engine,
        "SELECT item_id, claim_id, relation, places, evidence, score, reasons, review_state, "
        "reviewed_at, note, created, updated FROM finding ORDER BY item_id, claim_id",
    )


def test_findings_are_stored_as_sqlalchemy_stores_them(store: Store, engine: Engine) -> None:
    feed = feed_id(engine)
    later = datetime(2024, 3, 1, 8, 0, 0, 7, tzinfo=KYIV)
    with engine.begin() as connection:
        ids = sorted(i for i, _ in driversql.insert_items(connection, feed, [new_item(1, NOW)], NOW))
    values = [
        (ids[0], claim, "contradicts", '["Бахмут"]', "«Бахмут» — evidence", 0.8125, '["cue: denied"]', "pending",
         stamp, stamp)
        for claim, stamp in (("c1", NOW), ("c2", later))
    ]  # fmt: skip
    with engine.begin() as connection:
        assert driversql.insert_findings(connection, values) == 2
        assert driversql.insert_findings(connection, values[:1]) == 0  # the same (item, claim): skipped
    by_driver = finding_rows(engine)

    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM finding")
        connection.execute(
            insert(table("finding")),
            [dict(zip(driversql.FINDING_COLUMNS, row, strict=True)) for row in values],
        )
    assert by_driver == finding_rows(engine)


def test_a_naive_datetime_in_a_finding_is_refused(store: Store, engine: Engine) -> None:
    feed = feed_id(engine)
    with engine.begin() as connection:
        ids = sorted(i for i, _ in driversql.insert_items(connection, feed, [new_item(1, NOW)], NOW))
    naive = NOW.replace(tzinfo=None)
    row = (ids[0], "c1", "confirms", "[]", "e", 1.0, "[]", "pending", naive, naive)
    with engine.begin() as connection, pytest.raises(StatementError):
        driversql.insert_findings(connection, [row])
