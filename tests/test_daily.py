"""The daily report job: its window, the files it writes, and notifications that survive failures."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from pipeline.baseline import Baseline, load_baseline
from pipeline.config import Config, FeedConfig, NotifyConfig, ReportConfig, ScheduleConfig
from pipeline.daily import daily_window, pending_path, resend_pending, run_daily_report
from pipeline.db import NewItem, Store, create_db_engine, migrate
from pipeline.records import Finding, Relation

ROOT = Path(__file__).parent.parent
NOW = datetime(2023, 2, 2, 7, 0, 30, tzinfo=UTC)  # the 07:00 UTC job, half a minute late
PASSWORD = "hunter2-s3cret"


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    return load_baseline(ROOT / "config" / "baselines" / "bakhmut-2023-01-26.toml")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = create_db_engine(database_url)
    migrate(engine)
    store = Store(engine)
    store.sync_feeds([FeedConfig(name="wire", url="https://wire.example/rss")])
    yield store
    store.close()
    engine.dispose()


def add_finding(store: Store, n: int, published: datetime, claim: str, relation: Relation) -> int:
    item = NewItem(
        canonical_url=f"https://wire.example/{n}",
        url=f"https://wire.example/{n}",
        guid=f"g{n}",
        title=f"Report {n}",
        summary=f"Summary {n}",
        published=published,
        content_hash=f"h{n}",
    )
    (stored,) = store.add_items("wire", [item], now=published)
    finding = Finding(claim, relation, ("Soledar",), f"Evidence {n}.", 0.9, ("place: 'Soledar' → Soledar",))
    store.save_findings(stored.id, [finding], now=published)
    (saved,) = store.findings(claim_id=claim, since=published, until=published + timedelta(seconds=1))
    return saved.id


def make_config(tmp_path: Path, *urls: str, retries: int = 2, **report: object) -> Config:
    return Config(
        schedule=ScheduleConfig(report_at="07:00", timezone="UTC"),
        report=ReportConfig(directory=tmp_path / "reports", **report),
        notify=NotifyConfig(urls=[SecretStr(u) for u in urls], retries=retries, retry_delay_seconds=0),
    )


def no_sleep(_seconds: float) -> None:
    pass


@pytest.mark.parametrize(
    ("now", "report_at", "zone", "day", "since", "until"),
    [
        # On time, late and early: the window always ends at the latest report_at not after now.
        ("2023-02-02T07:00:00+00:00", "07:00", "UTC", "2023-02-02", "2023-02-01T07:00", "2023-02-02T07:00"),
        ("2023-02-02T23:59:00+00:00", "07:00", "UTC", "2023-02-02", "2023-02-01T07:00", "2023-02-02T07:00"),
        ("2023-02-02T06:59:59+00:00", "07:00", "UTC", "2023-02-01", "2023-01-31T07:00", "2023-02-01T07:00"),
        # Kyiv is UTC+2 in winter: 07:00 there is 05:00 UTC; at 06:00 UTC it is already 08:00 there.
        (
            "2023-02-02T06:00:00+00:00",
            "07:00",
            "Europe/Kyiv",
            "2023-02-02",
            "2023-02-01T05:00",
            "2023-02-02T05:00",
        ),
        # Local date differs from the UTC date: 01:00 UTC is 20:00 of the day before in New York.
        (
            "2023-02-02T01:30:00+00:00",
            "20:00",
            "America/New_York",
            "2023-02-01",
            "2023-02-01T01:00",
            "2023-02-02T01:00",
        ),
        # Spring forward (26 March 2023 in Kyiv): 23 hours from one report to the next.
        (
            "2023-03-26T12:00:00+00:00",
            "07:00",
            "Europe/Kyiv",
            "2023-03-26",
            "2023-03-25T05:00",
            "2023-03-26T04:00",
        ),
    ],
)
def test_daily_window(now: str, report_at: str, zone: str, day: str, since: str, until: str) -> None:
    got_day, window = daily_window(
        ScheduleConfig(report_at=report_at, timezone=zone), datetime.fromisoformat(now)
    )
    assert got_day.isoformat() == day
    assert window.since.tzinfo is UTC
    assert window.until.tzinfo is UTC
    assert (window.since, window.until) == (
        datetime.fromisoformat(since).replace(tzinfo=UTC),
        datetime.fromisoformat(until).replace(tzinfo=UTC),
    )


def test_writes_each_format_for_the_window(tmp_path: Path, store: Store, baseline: Baseline) -> None:
    first = add_finding(
        store, 1, datetime(2023, 2, 1, 7, 0, tzinfo=UTC), "soledar-fell", Relation.CONTRADICTS
    )
    second = add_finding(
        store, 2, datetime(2023, 2, 2, 6, 59, tzinfo=UTC), "bakhmut-battle", Relation.UPDATES
    )
    add_finding(
        store, 3, datetime(2023, 2, 2, 7, 0, tzinfo=UTC), "bakhmut-battle", Relation.CONFIRMS
    )  # at the end
    add_finding(
        store, 4, datetime(2023, 2, 1, 6, 59, tzinfo=UTC), "soledar-fell", Relation.CONFIRMS
    )  # before
    config = make_config(tmp_path)

    outcome = run_daily_report(config, store, baseline, now=NOW, sleep=no_sleep)

    directory = tmp_path / "reports"
    assert outcome.day.isoformat() == "2023-02-02"
    assert [p.name for p in outcome.files] == ["2023-02-02.html", "2023-02-02.md", "2023-02-02.json"]
    assert sorted(p.name for p in directory.iterdir()) == sorted(p.name for p in outcome.files), (
        "no temp files"
    )
    assert outcome.findings == 2
    assert outcome.notified is None
    data = json.loads((directory / "2023-02-02.json").read_text(encoding="utf-8"))
    assert sorted(f["id"] for f in data["findings"]) == sorted([first, second])
    window = data["window"]
    assert datetime.fromisoformat(window["since"]) == datetime(2023, 2, 1, 7, 0, tzinfo=UTC)
    assert datetime.fromisoformat(window["until"]) == datetime(2023, 2, 2, 7, 0, tzinfo=UTC)
    markdown = (directory / "2023-02-02.md").read_text(encoding="utf-8")
    assert [n for n in (1, 2, 3, 4) if f"Report {n}" in markdown] == [1, 2]
    assert "Report 2" in (directory / "2023-02-02.html").read_text(encoding="utf-8")


def test_a_story_carried_late_is_reported_apart_not_lost(
    tmp_path: Path, store: Store, baseline: Baseline
) -> None:
    # Published 06:50 on the 1st (yesterday's window) but only fetched and analysed at 09:00:
    # no window on publication time holds it, so the next report lists it as reported late.
    published, found = datetime(2023, 2, 1, 6, 50, tzinfo=UTC), datetime(2023, 2, 1, 9, 0, tzinfo=UTC)
    item = NewItem(
        canonical_url="https://wire.example/late",
        url="https://wire.example/late",
        guid="late",
        title="Late wire copy",
        summary="s",
        published=published,
        content_hash="late",
    )
    (stored,) = store.add_items("wire", [item], now=found)
    finding = Finding("soledar-fell", Relation.CONTRADICTS, ("Soledar",), "Evidence.", 0.9, ())
    store.save_findings(stored.id, [finding], now=found)
    add_finding(store, 2, datetime(2023, 1, 31, 12, 0, tzinfo=UTC), "bakhmut-battle", Relation.UPDATES)  # old

    run_daily_report(make_config(tmp_path), store, baseline, now=NOW, sleep=no_sleep)

    data = json.loads((tmp_path / "reports" / "2023-02-02.json").read_text(encoding="utf-8"))
    assert data["findings"] == []
    assert [f["item"]["title"] for f in data["late"]] == ["Late wire copy"]
    assert "## Reported late" in (tmp_path / "reports" / "2023-02-02.md").read_text(encoding="utf-8")


def test_an_empty_window_still_writes_a_report_that_says_so(
    tmp_path: Path, store: Store, baseline: Baseline
) -> None:
    config = make_config(tmp_path, formats=["md", "json"])
    outcome = run_daily_report(config, store, baseline, now=NOW, sleep=no_sleep)
    assert [p.name for p in outcome.files] == ["2023-02-02.md", "2023-02-02.json"]
    assert outcome.findings == 0
    assert "No findings" in (tmp_path / "reports" / "2023-02-02.md").read_text(encoding="utf-8")
    assert (
        json.loads((tmp_path / "reports" / "2023-02-02.json").read_text(encoding="utf-8"))["findings"] == []
    )


def test_report_is_sent_with_its_title_and_the_html_attached(
    tmp_path: Path, store: Store, baseline: Baseline, httpserver: HTTPServer
) -> None:
    add_finding(store, 1, datetime(2023, 2, 1, 9, 0, tzinfo=UTC), "soledar-fell", Relation.CONTRADICTS)
    add_finding(store, 2, datetime(2023, 2, 1, 10, 0, tzinfo=UTC), "bakhmut-battle", Relation.UPDATES)
    add_finding(store, 3, datetime(2023, 2, 1, 11, 0, tzinfo=UTC), "bakhmut-battle", Relation.UPDATES)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    config = make_config(tmp_path, f"json://127.0.0.1:{httpserver.port}/hook")

    outcome = run_daily_report(config, store, baseline, now=NOW, sleep=no_sleep)

    assert outcome.notified is not None
    assert outcome.notified.ok
    (request, _), *_ = httpserver.log
    payload = json.loads(request.data)
    title = f"newswatch: {baseline.metadata.title} — 2023-02-02: 3 findings (2 updates, 1 contradicts)"
    assert payload["title"] == title
    assert payload["message"] == (tmp_path / "reports" / "2023-02-02.md").read_text(encoding="utf-8").strip()
    assert [a["filename"] for a in payload["attachments"]] == ["2023-02-02.html"]
    assert not pending_path(tmp_path / "reports", outcome.day).exists()


def test_several_workers_write_the_files_but_send_the_day_once(
    tmp_path: Path, store: Store, baseline: Baseline, httpserver: HTTPServer
) -> None:
    add_finding(store, 1, datetime(2023, 2, 1, 9, 0, tzinfo=UTC), "soledar-fell", Relation.CONTRADICTS)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    url = f"json://127.0.0.1:{httpserver.port}/hook"
    first = run_daily_report(make_config(tmp_path / "a", url), store, baseline, now=NOW, sleep=no_sleep)
    second = run_daily_report(make_config(tmp_path / "b", url), store, baseline, now=NOW, sleep=no_sleep)
    assert first.notified is not None
    assert first.notified.ok
    assert (second.notified, second.sent_elsewhere) == (None, True)
    assert (tmp_path / "b" / "reports" / "2023-02-02.html").exists(), "the files are still written"
    assert len(httpserver.log) == 1
    tomorrow = run_daily_report(
        make_config(tmp_path / "b", url), store, baseline, now=NOW + timedelta(days=1), sleep=no_sleep
    )
    assert not tomorrow.sent_elsewhere
    assert len(httpserver.log) == 2


def test_failed_notification_keeps_the_report_and_is_resent_next_time(
    tmp_path: Path, store: Store, baseline: Baseline, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    config = make_config(tmp_path, f"json://newswatch:{PASSWORD}@127.0.0.1:{httpserver.port}/hook", retries=2)
    directory = tmp_path / "reports"

    first = run_daily_report(config, store, baseline, now=NOW, sleep=no_sleep)

    assert first.notified is not None
    assert first.notified.failed == (0,)
    assert len(httpserver.log) == 3, "one try and two retries"
    assert all((directory / f"2023-02-02.{ext}").exists() for ext in ("html", "md", "json"))
    marker = pending_path(directory, first.day)
    pending = json.loads(marker.read_text(encoding="utf-8"))
    assert pending["title"].endswith("2023-02-02: no findings")
    assert [s["index"] for s in pending["services"]] == [0]
    assert "500" in pending["services"][0]["reason"]
    assert "notification not delivered" in caplog.text
    assert PASSWORD not in caplog.text + marker.read_text(encoding="utf-8")

    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")
    second = run_daily_report(config, store, baseline, now=NOW + timedelta(days=1), sleep=no_sleep)

    assert [(day.isoformat(), outcome.ok) for day, outcome in second.resent] == [("2023-02-02", True)]
    assert second.notified is not None
    assert second.notified.ok
    titles = [json.loads(request.data)["title"] for request, _ in httpserver.log]
    assert [t[-23:] for t in titles] == ["2023-02-02: no findings", "2023-02-03: no findings"]
    assert not list(directory.glob("*.notify-pending"))


def test_resend_at_start_gives_up_after_a_week_and_drops_services_gone_from_the_config(
    tmp_path: Path, store: Store, baseline: Baseline, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    config = make_config(tmp_path, f"json://127.0.0.1:{httpserver.port}/hook", retries=0)
    for days in (0, 1, 8):
        run_daily_report(config, store, baseline, now=NOW - timedelta(days=days), sleep=no_sleep)
    directory = tmp_path / "reports"
    assert len(list(directory.glob("*.notify-pending"))) == 3
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")

    resent = resend_pending(config, now=NOW, sleep=no_sleep)

    # Today's and yesterday's are resent; the one from 8 days ago is given up unsent.
    assert [(day.isoformat(), outcome.ok) for day, outcome in resent] == [
        ("2023-02-01", True),
        ("2023-02-02", True),
    ]
    assert len(httpserver.log) == 2
    assert not list(directory.glob("*.notify-pending"))

    pending_path(directory, NOW.date()).write_text(
        json.dumps(
            {
                "title": "t",
                "body": "b",
                "attachment": None,
                "services": [{"index": 3, "scheme": "json"}],
                "attempts": 1,
            }
        ),
        encoding="utf-8",
    )
    (directory / "2023-01-30.notify-pending").write_text("not json", encoding="utf-8")
    assert resend_pending(config, now=NOW, sleep=no_sleep) == ()
    assert len(httpserver.log) == 2
    assert not list(directory.glob("*.notify-pending"))
