"""The background service: APScheduler 3 runs the fetch cycle and the daily report job.

Never two cycles at once: the cycle job has max_instances=1 and coalesces missed runs into
one. SIGTERM and SIGINT stop the scheduler cleanly, waiting for a running cycle to finish
(its own deadline bounds the wait).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pipeline.config import ScheduleConfig

logger = logging.getLogger(__name__)


def build_scheduler(
    schedule: ScheduleConfig,
    cycle: Callable[[], object],
    report: Callable[[], object],
    *,
    start_now: bool = True,
) -> BackgroundScheduler:
    """A scheduler with the cycle every `fetch_every_minutes` and the report daily at `report_at`."""
    scheduler = BackgroundScheduler(timezone=schedule.timezone)
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
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,
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
