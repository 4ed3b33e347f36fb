"""The background service: APScheduler 3 runs the fetch cycle and the daily report job.

Never two cycles at once: the cycle job has max_instances=1 and coalesces missed runs into
one. The report job and the start-up job (resending notifications left pending) share an
executor of one thread, so they never touch the same report files at once. SIGTERM and SIGINT
stop the scheduler cleanly, waiting for a running job to finish (a cycle's deadline and the
notification retries bound the wait).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pipeline.analysis import Matcher
from pipeline.baseline import Baseline
from pipeline.config import Config, ScheduleConfig
from pipeline.cycle import run_cycle
from pipeline.daily import resend_pending, run_daily_report
from pipeline.db.store import Store
from pipeline.metrics import Metrics

logger = logging.getLogger(__name__)
_REPORTS = "reports"  # the executor of the jobs that write and send reports


@dataclass(frozen=True, slots=True)
class ServiceJobs:
    """The jobs `serve` schedules, each reading the clock when it runs."""

    cycle: Callable[[], object]
    report: Callable[[], object]
    at_start: Callable[[], object] | None  # resend pending notifications; None without [notify] urls


def service_jobs(
    config: Config,
    store: Store,
    matcher: Matcher,
    baseline: Baseline,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    metrics: Metrics | None = None,
) -> ServiceJobs:
    """The fetch cycle, the daily report and the start-up resend, bound to one config and store."""

    def cycle() -> object:
        started = time.monotonic()
        try:
            summary = run_cycle(config, store, matcher, now=clock(), only_due=True)
        except Exception:
            if metrics:
                metrics.record_failed_cycle(time.monotonic() - started)
            raise
        if metrics:
            metrics.record_cycle(summary, time.monotonic() - started)
        return summary

    def report() -> object:
        return run_daily_report(config, store, baseline, now=clock())

    def at_start() -> object:
        return resend_pending(config, now=clock())

    return ServiceJobs(cycle, report, at_start if config.notify.urls else None)


def build_scheduler(
    schedule: ScheduleConfig,
    cycle: Callable[[], object],
    report: Callable[[], object],
    *,
    start_now: bool = True,
    at_start: Callable[[], object] | None = None,
) -> BackgroundScheduler:
    """A scheduler with the cycle every `fetch_every_minutes`, the report daily at `report_at`, `at_start` once."""
    scheduler = BackgroundScheduler(timezone=schedule.timezone)
    scheduler.add_executor(ThreadPoolExecutor(max_workers=1), _REPORTS)
    hour, minute = (int(part) for part in schedule.report_at.split(":"))
    scheduler.add_job(
        _guarded("cycle", cycle),
        IntervalTrigger(minutes=schedule.fetch_every_minutes, timezone=schedule.timezone),
        id="cycle",
        name="fetch cycle",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=schedule.fetch_every_minutes * 60,
        next_run_time=datetime.now(UTC) if start_now else None,
    )
    scheduler.add_job(
        _guarded("report", report),
        CronTrigger(hour=hour, minute=minute, timezone=schedule.timezone),
        id="report",
        name="daily report",
        executor=_REPORTS,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,
    )
    if at_start is not None:
        scheduler.add_job(
            _guarded("at_start", at_start),
            DateTrigger(datetime.now(UTC)),
            id="at_start",
            name="resend pending notifications",
            executor=_REPORTS,
            misfire_grace_time=None,  # however late the service gets to it, run it
        )
    return scheduler


def _guarded(name: str, job: Callable[[], object]) -> Callable[[], None]:
    """Log a job's failure and keep the service alive for the next run."""

    def run() -> None:
        try:
            job()
        except Exception:
            logger.exception("job failed", extra={"job": name})

    return run


def serve_forever(scheduler: BackgroundScheduler, stop: threading.Event | None = None) -> None:
    """Run the scheduler until SIGTERM/SIGINT (or `stop` is set), then shut down cleanly."""
    stop = stop or threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler.start()
    logger.info("service started", extra={"jobs": ", ".join(job.id for job in scheduler.get_jobs())})
    try:
        while not stop.wait(timeout=1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logger.info("service stopped")
