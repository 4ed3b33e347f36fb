"""One cycle end to end on local feed files: dedupe, syndication, crash safety."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline import cycle, workpool
from pipeline.affinity import plan_cores
from pipeline.analysis import Matcher, compile_baseline
from pipeline.baseline import load_baseline
from pipeline.config import Config, FeedConfig
from pipeline.db import feeds as feeds_module
from pipeline.db import items as items_module
from pipeline.db.engine import create_db_engine, migrate
from pipeline.db.store import Store
from pipeline.errors import DatabaseError
from pipeline.records import FetchResult

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "cycle"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def make_config(database_url: str, *feeds: str) -> Config:
    return Config.model_validate(
        {
            "database": {"url": database_url},
            "baseline": {"file": str(ROOT / "config/baselines/bakhmut-2023-01-26.toml")},
            "feeds": [{"name": name.split(".")[0], "path": str(FIXTURES / name)} for name in feeds],
        }
    )


def file_config(database_url: str, name: str, path: Path) -> Config:
    """One feed read from `path` (a copy the test may change)."""
    config = make_config(database_url)
    return config.model_copy(update={"feeds": [FeedConfig(name=name, path=path)]})


@pytest.fixture
def matcher() -> Matcher:
    config = make_config("sqlite://")
    return compile_baseline(load_baseline(config.baseline.file), config.analysis)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = create_db_engine(database_url)
    migrate(engine)
    with Store(engine) as store:
        yield store


def test_same_article_in_two_feeds_is_one_item(database_url: str, store: Store, matcher: Matcher) -> None:
    config = make_config(database_url, "wire.rss", "mirror.atom")
    summary = cycle.run_cycle(config, store, matcher, now=NOW)
    assert (summary.feeds_ok, summary.feeds_failed, summary.new_items) == (2, 0, 3)
    again = cycle.run_cycle(config, store, matcher, now=NOW)
    assert (again.new_items, again.new_findings) == (0, 0)
    assert store.counts()["items"] == 3


def test_syndicated_copy_is_linked_and_counted_once(
    database_url: str, store: Store, matcher: Matcher
) -> None:
    config = make_config(database_url, "wire.rss", "syndicated.rss")
    summary = cycle.run_cycle(config, store, matcher, now=NOW)
    assert summary.new_items == 3
    assert summary.duplicate_stories == 1
    counts = store.counts()
    assert (counts["items"], counts["stories"]) == (3, 2)
    assert {f.url for f in store.findings()} == {"http://wire.test/a/1?utm_source=rss&id=7"}


def test_crash_during_analysis_loses_nothing(
    database_url: str, store: Store, matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(database_url, "wire.rss")

    def crash(*_: object) -> list[object]:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(cycle, "analyse", crash)
        with pytest.raises(RuntimeError):
            cycle.run_cycle(config, store, matcher, now=NOW)
    assert store.counts()["items"] == 2
    assert store.counts()["findings"] == 0
    summary = cycle.run_cycle(config, store, matcher, now=NOW)
    assert summary.new_items == 0, "nothing duplicated"
    assert summary.new_findings >= 1, "the stored items were analysed on the next run"
    assert store.counts()["items"] == 2


def test_a_crash_while_recording_the_fetch_stores_nothing_and_the_rerun_stores_each_item_once(
    database_url: str, store: Store, matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(database_url, "wire.rss")

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as patch:
        patch.setattr(feeds_module, "record_fetches", crash)
        with pytest.raises(RuntimeError):
            cycle.run_cycle(config, store, matcher, now=NOW)
    assert store.counts()["items"] == 0, "a feed's items and its fetch record commit together"
    summary = cycle.run_cycle(config, store, matcher, now=NOW)
    assert summary.new_items == 2
    assert store.counts()["items"] == 2


def test_a_broken_feed_never_stops_the_cycle(database_url: str, store: Store, matcher: Matcher) -> None:
    config = make_config(database_url, "broken.xml", "wire.rss")
    summary = cycle.run_cycle(config, store, matcher, now=NOW)
    assert (summary.feeds_ok, summary.feeds_failed, summary.new_items) == (1, 1, 2)
    broken = next(s for s in store.feed_statuses() if s.name == "broken")
    assert broken.last_error_code == "not_a_feed"
    assert broken.next_due is not None
    assert broken.next_due > NOW


@pytest.mark.parametrize("batch", [1, 2, cycle.RECORD_BATCH])
def test_fetches_that_stored_nothing_are_all_recorded_whatever_the_batch(
    database_url: str, store: Store, matcher: Matcher, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(cycle, "RECORD_BATCH", batch)
    config = make_config(database_url, "broken.xml", "wire.rss", "mirror.atom")
    cycle.run_cycle(config, store, matcher, now=NOW)
    later = NOW + timedelta(hours=1)
    second = cycle.run_cycle(config, store, matcher, now=later)
    assert second.new_items == 0
    statuses = {s.name: s for s in store.feed_statuses()}
    assert {name: s.last_fetched for name, s in statuses.items()} == dict.fromkeys(statuses, later)
    assert statuses["broken"].consecutive_failures == 2
    assert all(s.consecutive_failures == 0 for name, s in statuses.items() if name != "broken")


def test_an_unchanged_body_is_not_parsed_again_and_a_changed_one_is(
    database_url: str, store: Store, matcher: Matcher, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A local file (like a server that ignores If-None-Match) gives its whole body every cycle.
    feed = tmp_path / "wire.rss"
    feed.write_bytes((FIXTURES / "wire.rss").read_bytes())
    config = file_config(database_url, "wire", feed)
    parsed: list[str] = []
    real_parse = workpool.WorkPool.parse

    async def counting(self: workpool.WorkPool, body: bytes, url: str, now: datetime) -> object:
        parsed.append(url)
        return await real_parse(self, body, url, now)

    monkeypatch.setattr(workpool.WorkPool, "parse", counting)
    first = cycle.run_cycle(config, store, matcher, now=NOW)
    again = cycle.run_cycle(config, store, matcher, now=NOW + timedelta(hours=1))
    assert (first.new_items, len(parsed)) == (2, 1)
    assert (again.feeds_not_modified, again.new_items, len(parsed)) == (1, 0, 1), "the same body: not parsed"
    [status] = store.feed_statuses()
    assert (status.last_status, status.last_fetched) == (200, NOW + timedelta(hours=1))

    extra = "<item><title>Third</title><link>http://wire.test/a/3</link><guid>w3</guid></item></channel>"
    feed.write_text(feed.read_text(encoding="utf-8").replace("</channel>", extra), encoding="utf-8")
    changed = cycle.run_cycle(config, store, matcher, now=NOW + timedelta(hours=2))
    assert (changed.feeds_ok, changed.new_items, len(parsed)) == (1, 1, 2)


def test_a_body_that_failed_to_parse_is_parsed_again(
    database_url: str, store: Store, matcher: Matcher, tmp_path: Path
) -> None:
    feed = tmp_path / "broken.xml"
    feed.write_bytes((FIXTURES / "broken.xml").read_bytes())
    config = file_config(database_url, "broken", feed)
    for hour in (0, 1):  # no digest is kept for a body whose items were not stored: the error is told again
        summary = cycle.run_cycle(config, store, matcher, now=NOW + timedelta(hours=hour))
        assert (summary.feeds_failed, summary.feeds_not_modified) == (1, 0)
    assert store.feed_statuses()[0].consecutive_failures == 2


def test_feeds_another_worker_is_fetching_are_skipped(postgresql_url: str, matcher: Matcher) -> None:
    config = make_config(postgresql_url, "wire.rss", "mirror.atom")
    engines = [create_db_engine(postgresql_url) for _ in range(2)]
    migrate(engines[0])
    with Store(engines[0]) as store, Store(engines[1]) as other:
        store.sync_feeds(config.feeds)
        with other.worker() as worker:
            worker.claim_feeds(["wire"], now=NOW, lease=timedelta(minutes=5), due_only=False)
            summary = cycle.run_cycle(config, store, matcher, now=NOW)
            assert (summary.feeds_ok, summary.feeds_skipped) == (1, 1)
            assert [s.name for s in store.feed_statuses() if s.last_fetched] == ["mirror"]
        summary = cycle.run_cycle(config, store, matcher, now=NOW)
        # mirror's file is unchanged since the first cycle: not modified
        assert (summary.feeds_ok, summary.feeds_not_modified, summary.feeds_skipped) == (1, 1, 0), (
            "the other worker has finished"
        )


def test_a_cycle_on_sqlite_stops_while_another_runner_uses_the_database(
    tmp_path: Path, matcher: Matcher
) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    config = make_config(url, "wire.rss")
    engine = create_db_engine(url)
    migrate(engine)
    with Store(engine) as store, Store(create_db_engine(url)) as other, other.worker():
        with pytest.raises(DatabaseError, match="SQLite takes one runner at a time"):
            cycle.run_cycle(config, store, matcher, now=NOW)
        assert store.counts() == {"feeds": 0, "items": 0, "stories": 0, "findings": 0}, "nothing written"


@pytest.mark.parametrize("pool_share", ["all", "none", "taken-back"])
def test_a_process_pool_parses_and_analyses_as_the_main_process_does(
    database_url: str,
    store: Store,
    matcher: Matcher,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    pool_share: str,
) -> None:
    # "none": the pool always counts as behind, so this process analyses every feed it stores;
    # "taken-back": every analysis sent is given back (`WorkPool.withdraw`) and done here instead
    if pool_share == "none":
        monkeypatch.setattr(cycle, "POOL_BACKLOG", -1)
    elif pool_share == "taken-back":

        async def withdrawn(self: workpool.WorkPool, items: object) -> object:
            raise asyncio.CancelledError

        monkeypatch.setattr(workpool.WorkPool, "analyse", withdrawn)
    left_over: list[int] = []  # what analyse_pending found after each cycle's fetches
    real_pending = cycle.analyse_pending

    def pending(*args: object, **kwargs: object) -> int:
        left_over.append(real_pending(*args, **kwargs))  # type: ignore[arg-type]
        return left_over[-1]

    monkeypatch.setattr(cycle, "analyse_pending", pending)
    paths = [*sorted((ROOT / "config/demo/feeds").iterdir()), *sorted(FIXTURES.iterdir())]

    def config(url: str, processes: int) -> Config:
        return Config.model_validate(
            {
                "database": {"url": url},
                "baseline": {"file": str(ROOT / "config/baselines/bakhmut-2023-01-26.toml")},
                "fetch": {"processes": processes},
                "feeds": [{"name": f"{n}-{path.stem}", "path": str(path)} for n, path in enumerate(paths)],
            }
        )

    def shape(found: Store) -> list[tuple[str, str, str, float, tuple[str, ...]]]:
        return sorted((f.url, f.claim_id, f.relation, f.score, f.places) for f in found.findings())

    pooled = cycle.run_cycle(config(database_url, 2), store, matcher, now=NOW)
    assert left_over == [0], "every stored feed was analysed during the fetches, in the pool or here"
    # The pool did the work: a failed pool analysis is logged, then redone in this process.
    assert not [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    engine = create_db_engine(f"sqlite:///{tmp_path / 'in-process.db'}")
    migrate(engine)
    with Store(engine) as reference_store:
        reference = cycle.run_cycle(config("sqlite://", 0), reference_store, matcher, now=NOW)
        assert pooled == reference
        assert pooled.new_findings > 5
        assert shape(store) == shape(reference_store)
        assert store.count_unanalysed() == 0
    engine.dispose()


def _ready(store: Store, config: Config, matcher: Matcher) -> tuple[cycle._Cycle, list[object]]:
    """The config's feeds fetched and parsed, their tasks done, as the cycle hands them to `_store_ready`."""
    store.sync_feeds(config.feeds)
    states = store.feed_states([f.name for f in config.feeds])

    async def parsed() -> list[object]:
        with workpool.WorkPool(0, matcher) as pool:
            results = [
                FetchResult(state.name, str(state.path), 200, Path(str(state.path)).read_bytes())
                for state in states
            ]
            tasks = [asyncio.create_task(cycle._parse(r, pool, NOW, None)) for r in results]
            await asyncio.gather(*tasks)
            return list(zip(states, tasks, strict=True))

    ready = asyncio.run(parsed())
    return cycle._Cycle(store, config, matcher, now=NOW, progress=cycle._NoProgress()), ready


def test_feeds_ready_together_land_in_one_transaction_and_a_copy_among_them_is_still_linked(
    database_url: str, store: Store, matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(database_url, "wire.rss", "syndicated.rss", "broken.xml")
    run, ready = _ready(store, config, matcher)
    batches = 0
    real = Store.fetch_batch

    def counted(self: Store) -> object:
        nonlocal batches
        batches += 1
        return real(self)

    monkeypatch.setattr(Store, "fetch_batch", counted)
    done = run._store_ready(ready, config.fetch)  # type: ignore[arg-type]
    assert batches == 1
    # in claim order (by name): the wire's copy of the syndicated story, stored earlier in the same transaction
    assert [(outcome.status, outcome.new_items, outcome.duplicate_stories) for outcome, _ in done] == [
        ("failed", 0, 0),
        ("ok", 1, 0),
        ("ok", 2, 1),
    ]
    counts = store.counts()
    assert (counts["items"], counts["stories"]) == (3, 2)


def test_a_crash_inside_a_batch_stores_none_of_its_feeds_and_the_next_cycle_stores_each_item_once(
    database_url: str, store: Store, matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(database_url, "wire.rss", "mirror.atom")
    run, ready = _ready(store, config, matcher)
    real = items_module.add_items
    calls = 0

    def second_crashes(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("killed")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(items_module, "add_items", second_crashes)
        with pytest.raises(RuntimeError):
            run._store_ready(ready, config.fetch)  # type: ignore[arg-type]
    assert calls == 2, "the first feed was stored, in the transaction the second one broke"
    assert store.counts()["items"] == 0, "the first feed's items went with it"
    summary = cycle.run_cycle(config, store, matcher, now=NOW)
    assert summary.new_items == 3
    assert store.counts()["items"] == 3


@pytest.mark.parametrize("batch", [1, 16])
def test_a_cycle_stores_the_same_whatever_the_store_batch(
    database_url: str, store: Store, matcher: Matcher, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(cycle, "STORE_BATCH", batch)
    config = make_config(database_url, "wire.rss", "syndicated.rss", "mirror.atom", "broken.xml")
    summary = cycle.run_cycle(config, store, matcher, now=NOW)
    outcome = (summary.feeds_ok, summary.feeds_failed, summary.new_items, summary.duplicate_stories)
    assert outcome == (3, 1, 4, 1)
    counts = store.counts()
    assert (counts["items"], counts["stories"], counts["findings"]) == (4, 3, summary.new_findings)
    assert summary.new_findings > 0


@pytest.mark.parametrize("concurrency", [1, 3])
def test_a_cycle_whose_run_ahead_budget_holds_one_feed_still_stores_every_feed(
    database_url: str, store: Store, matcher: Matcher, monkeypatch: pytest.MonkeyPatch, concurrency: int
) -> None:
    # one byte: each feed waits for every one before it to be stored, the first always goes
    monkeypatch.setattr(cycle, "BODY_BUDGET", 1)
    config = make_config(database_url, "wire.rss", "syndicated.rss", "mirror.atom", "broken.xml")
    config = config.model_copy(update={"fetch": config.fetch.model_copy(update={"concurrency": concurrency})})
    summary = cycle.run_cycle(config, store, matcher, now=NOW)
    outcome = (summary.feeds_ok, summary.feeds_failed, summary.new_items, summary.duplicate_stories)
    assert outcome == (3, 1, 4, 1)


def test_only_a_database_with_one_writer_stores_several_feeds_in_one_transaction(
    database_url: str, store: Store, matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL: several workers write at once, and a transaction holding several feeds' URLs could
    # deadlock with another's; SQLite: one runner, so the feeds ready together share one
    assert store.one_writer == database_url.startswith("sqlite")
    batches: list[int] = []
    real = cycle._Cycle._store_ready

    def counted(self: cycle._Cycle, ready: list[object], settings: object) -> object:
        batches.append(len(ready))
        return real(self, ready, settings)  # type: ignore[arg-type]

    monkeypatch.setattr(cycle._Cycle, "_store_ready", counted)
    config = make_config(database_url, "wire.rss", "syndicated.rss", "mirror.atom", "broken.xml")
    cycle.run_cycle(config, store, matcher, now=NOW)
    assert sum(batches) == 4
    if not store.one_writer:
        assert batches == [1, 1, 1, 1]


def test_a_crash_of_an_analysis_done_beside_the_pool_is_logged_and_the_next_run_finishes_it(
    database_url: str,
    store: Store,
    matcher: Matcher,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = make_config(database_url, "wire.rss", "syndicated.rss")
    config = config.model_copy(update={"fetch": config.fetch.model_copy(update={"processes": 1})})

    def crash(*_: object) -> list[object]:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(cycle, "POOL_BACKLOG", -1)  # every stored feed is analysed in this process
        patch.setattr(cycle, "analyse", crash)
        with pytest.raises(RuntimeError):  # analyse_pending meets the same bug, and says so
            cycle.run_cycle(config, store, matcher, now=NOW)
    assert any(r.getMessage() == "analysis failed" for r in caplog.records), "logged where it happened"
    assert (store.counts()["items"], store.counts()["findings"]) == (3, 0)
    summary = cycle.run_cycle(config, store, matcher, now=NOW)
    assert (summary.new_items, store.count_unanalysed()) == (0, 0)
    assert summary.new_findings >= 1


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="thread affinity is a Linux call")
@pytest.mark.parametrize("pin_cores", [True, False])
def test_a_cycle_plans_cores_only_when_asked_and_gives_its_thread_its_cores_back(
    database_url: str, store: Store, matcher: Matcher, monkeypatch: pytest.MonkeyPatch, pin_cores: bool
) -> None:
    plans: list[object] = []

    def planned(processes: int) -> object:
        plans.append(plan_cores(processes))
        return plans[-1]

    monkeypatch.setattr("pipeline.cycle.plan_cores", planned)
    config = make_config(database_url, "wire.rss", "syndicated.rss")
    fetch = config.fetch.model_copy(update={"processes": 1, "pin_cores": pin_cores})
    before = os.sched_getaffinity(0)
    summary = cycle.run_cycle(config.model_copy(update={"fetch": fetch}), store, matcher, now=NOW)
    assert (summary.new_items, os.sched_getaffinity(0)) == (3, before)
    assert len(plans) == pin_cores
