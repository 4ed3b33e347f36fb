"""Prometheus metrics for `serve`: this process's cycles, plus database totals read at scrape time.

Counters describe what this worker did (fetches by outcome, items and findings it stored, cycle
durations); with several workers Prometheus sums them. Gauges describe the shared database
(stored findings by relation, feeds in backoff) and are read when scraped, so every worker
reports the same truth and no worker has to keep them in step. One `Metrics` object per
process, passed to whoever records into it: no module-level registry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from pipeline.records import CycleSummary, DatabaseTotals

logger = logging.getLogger(__name__)

# Cycles range from a second (all 304s) to the cycle deadline (minutes).
_CYCLE_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)


class Metrics:
    """The metrics of one newswatch process, in a registry of its own."""

    def __init__(self, database_stats: Callable[[], DatabaseTotals] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._fetches = Counter(
            "newswatch_fetches", "Feed fetches by outcome.", ["outcome"], registry=self.registry
        )
        self._items = Counter(
            "newswatch_items_stored", "New items stored by this process.", registry=self.registry
        )
        self._findings = Counter(
            "newswatch_findings_stored", "New findings stored by this process.", registry=self.registry
        )
        self._cycles = Counter(
            "newswatch_cycles", "Cycles run, by result.", ["result"], registry=self.registry
        )
        self._duration = Histogram(
            "newswatch_cycle_duration_seconds",
            "Wall time of one fetch-and-analyse cycle.",
            buckets=_CYCLE_BUCKETS,
            registry=self.registry,
        )
        for outcome in ("ok", "not_modified", "failed"):
            self._fetches.labels(outcome)  # exported as 0 before the first cycle
        for result in ("ok", "error"):
            self._cycles.labels(result)
        if database_stats is not None:
            self.registry.register(_DatabaseCollector(database_stats))

    def record_cycle(self, summary: CycleSummary, seconds: float) -> None:
        """Count what a finished cycle did."""
        self._fetches.labels("ok").inc(summary.feeds_ok)
        self._fetches.labels("not_modified").inc(summary.feeds_not_modified)
        self._fetches.labels("failed").inc(summary.feeds_failed)
        self._items.inc(summary.new_items)
        self._findings.inc(summary.new_findings)
        self._cycles.labels("ok").inc()
        self._duration.observe(seconds)

    def record_failed_cycle(self, seconds: float) -> None:
        """Count a cycle that raised (database down, a bug)."""
        self._cycles.labels("error").inc()
        self._duration.observe(seconds)

    def serve(self, host: str, port: int) -> WSGIServer:
        """Expose /metrics on host:port in a daemon thread; the caller shuts the server down."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        logger.info("metrics endpoint started", extra={"host": host, "port": server.server_port})
        return server


class _DatabaseCollector(Collector):
    """Gauges read from the database at scrape time; a failing read is logged, not raised."""

    def __init__(self, read: Callable[[], DatabaseTotals]) -> None:
        self._read = read

    def describe(self) -> list[Metric]:
        return []  # unknown until read: keeps registration from querying the database

    def collect(self) -> Iterator[Metric]:
        try:
            stats = self._read()
        except Exception as exc:  # the scrape must still answer with the process metrics
            logger.warning("metrics: database stats unavailable", extra={"error": str(exc)})
            return
        yield GaugeMetricFamily("newswatch_db_items", "Items stored in the database.", value=stats.items)
        findings = GaugeMetricFamily(
            "newswatch_db_findings", "Findings stored in the database, by relation.", labels=["relation"]
        )
        for relation, count in sorted(stats.findings_by_relation.items()):
            findings.add_metric([relation], count)
        yield findings
        yield GaugeMetricFamily("newswatch_db_feeds", "Configured feeds.", value=stats.feeds)
        yield GaugeMetricFamily(
            "newswatch_feeds_in_backoff", "Feeds whose last fetch failed.", value=stats.feeds_failing
        )
