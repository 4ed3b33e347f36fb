"""Metrics: cycle counters, database gauges read at scrape time, and a real /metrics endpoint."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import generate_latest

from pipeline.metrics import Metrics
from pipeline.records import CycleSummary, DatabaseTotals


def sample(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float | None:
    return metrics.registry.get_sample_value(name, labels or {})


def test_cycles_add_up_by_outcome() -> None:
    metrics = Metrics()
    assert sample(metrics, "newswatch_fetches_total", {"outcome": "failed"}) == 0
    metrics.record_cycle(CycleSummary(feeds_ok=3, feeds_failed=1, new_items=12, new_findings=4), 2.5)
    metrics.record_cycle(CycleSummary(feeds_not_modified=4), 0.4)
    metrics.record_failed_cycle(1.0)
    assert sample(metrics, "newswatch_fetches_total", {"outcome": "ok"}) == 3
    assert sample(metrics, "newswatch_fetches_total", {"outcome": "not_modified"}) == 4
    assert sample(metrics, "newswatch_fetches_total", {"outcome": "failed"}) == 1
    assert sample(metrics, "newswatch_items_stored_total") == 12
    assert sample(metrics, "newswatch_findings_stored_total") == 4
    assert sample(metrics, "newswatch_cycles_total", {"result": "ok"}) == 2
    assert sample(metrics, "newswatch_cycles_total", {"result": "error"}) == 1
    assert sample(metrics, "newswatch_cycle_duration_seconds_count") == 3
    assert sample(metrics, "newswatch_cycle_duration_seconds_sum") == pytest.approx(3.9)


def test_database_gauges_are_read_at_each_scrape() -> None:
    reads: list[int] = []

    def stats() -> DatabaseTotals:
        reads.append(1)
        return DatabaseTotals(
            items=10 * len(reads),
            findings_by_relation={"confirms": 2, "updates": 1},
            feeds=9,
            feeds_failing=2,
        )

    metrics = Metrics(stats)
    assert reads == []  # registering does not query
    assert sample(metrics, "newswatch_db_items") == 10
    assert sample(metrics, "newswatch_db_items") == 20
    assert sample(metrics, "newswatch_db_findings", {"relation": "updates"}) == 1
    assert sample(metrics, "newswatch_feeds_in_backoff") == 2


def test_a_failing_database_read_still_answers_with_process_metrics() -> None:
    def broken() -> DatabaseTotals:
        raise RuntimeError("database is down")

    text = generate_latest(Metrics(broken).registry).decode()
    assert "newswatch_cycles_total" in text
    assert "newswatch_db_items" not in text


def test_endpoint_serves_the_text_format() -> None:
    metrics = Metrics(lambda: DatabaseTotals(items=5))
    metrics.record_cycle(CycleSummary(feeds_ok=1), 0.1)
    server = metrics.serve("127.0.0.1", 0)
    try:
        response = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 200
    assert 'newswatch_fetches_total{outcome="ok"} 1.0' in response.text
    assert "newswatch_db_items 5.0" in response.text
