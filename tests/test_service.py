"""The scheduler: job settings, no overlap, clean shutdown on signals."""

from __future__ import annotations

import os
import signal
import threading
import time

from pipeline.config import ScheduleConfig
from pipeline.service import build_scheduler, serve_forever


def test_jobs_never_overlap_and_coalesce() -> None:
    scheduler = build_scheduler(
        ScheduleConfig(fetch_every_minutes=15, report_at="06:30"), lambda: None, lambda: None
    )
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"cycle", "report"}
    for job in jobs.values():
        assert job.max_instances == 1
        assert job.coalesce is True
    assert jobs["cycle"].trigger.interval.total_seconds() == 15 * 60
    assert str(jobs["report"].trigger) == "cron[hour='6', minute='30']"


def test_cycle_runs_at_start_and_a_failing_job_does_not_stop_the_service() -> None:
    ran = threading.Event()
    stop = threading.Event()

    def cycle() -> None:
        ran.set()
        stop.set()
        raise RuntimeError("feed store exploded")

    scheduler = build_scheduler(ScheduleConfig(), cycle, lambda: None)
    serve_forever(scheduler, stop)
    assert ran.is_set()
    assert not scheduler.running


def test_sigterm_stops_cleanly_after_the_running_cycle() -> None:
    finished = threading.Event()

    def slow_cycle() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.5)
        finished.set()

    scheduler = build_scheduler(ScheduleConfig(), slow_cycle, lambda: None)
    previous = signal.getsignal(signal.SIGTERM)
    started = time.monotonic()
    serve_forever(scheduler)
    assert finished.is_set(), "shutdown waits for the running cycle"
    assert time.monotonic() - started < 5
    assert not scheduler.running
    assert signal.getsignal(signal.SIGTERM) is previous, "the previous handler is restored"
