"""The scheduler: job settings, no overlap, clean shutdown on signals; the jobs `serve` hands it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from apscheduler.triggers.date import DateTrigger
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from pipeline.analysis import compile_baseline
from pipeline.baseline import load_baseline
from pipeline.cli import app
from pipeline.config import Config, DatabaseConfig, NotifyConfig, ReportConfig, ScheduleConfig
from pipeline.daily import DailyOutcome
from pipeline.db import Store, create_db_engine, migrate
from pipeline.metrics import Metrics
from pipeline.records import CycleSummary
from pipeline.service import build_scheduler, serve_forever, service_jobs

ROOT = Path(__file__).parent.parent


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


def test_report_jobs_share_one_thread_and_resend_runs_at_start() -> None:
    scheduler = build_scheduler(ScheduleConfig(), lambda: None, lambda: None, at_start=lambda: None)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"cycle", "report", "at_start"}
    assert jobs["report"].executor == jobs["at_start"].executor != jobs["cycle"].executor
    assert isinstance(jobs["at_start"].trigger, DateTrigger)
    without = build_scheduler(ScheduleConfig(), lambda: None, lambda: None)
    assert {job.id for job in without.get_jobs()} == {"cycle", "report"}


def test_serve_jobs_write_the_daily_report_and_resend_at_start(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    baseline = load_baseline(ROOT / "config" / "baselines" / "bakhmut-2023-01-26.toml")
    reports = tmp_path / "reports"
    config = Config(
        database=DatabaseConfig(url=f"sqlite:///{tmp_path / 'db.sqlite'}"),
        schedule=ScheduleConfig(report_at="06:30", timezone="Europe/Kyiv"),
        report=ReportConfig(directory=reports),
    )
    engine = create_db_engine(config.database.url)
    migrate(engine)
    matcher = compile_baseline(baseline, config.analysis)

    def clock() -> datetime:
        return datetime(2023, 2, 2, 5, 0, tzinfo=UTC)

    with Store(engine) as store:
        jobs = service_jobs(config, store, matcher, baseline, clock=clock)
        assert jobs.at_start is None, "nothing to resend without [notify] urls"
        outcome = jobs.report()
        assert isinstance(outcome, DailyOutcome)
        assert outcome.day == date(2023, 2, 2)  # 05:00 UTC is 07:00 in Kyiv, after 06:30
        assert sorted(p.name for p in reports.iterdir()) == [
            "2023-02-02.html",
            "2023-02-02.json",
            "2023-02-02.md",
        ]
        summary = jobs.cycle()
        assert isinstance(summary, CycleSummary)
        assert summary.line().startswith("0 feeds")

        notify = NotifyConfig(urls=[SecretStr(f"json://127.0.0.1:{httpserver.port}/hook")])
        pending = reports / "2023-02-02.notify-pending"
        pending.write_text(
            '{"title": "t", "body": "b", "attachment": null, "services": [{"index": 0, "scheme": "json"}], '
            '"attempts": 1}',
            encoding="utf-8",
        )
        with_urls = config.model_copy(update={"notify": notify})
        jobs = service_jobs(with_urls, store, matcher, baseline, clock=clock)
        assert jobs.at_start is not None
        jobs.at_start()
        assert not pending.exists()
        assert [json.loads(request.data)["title"] for request, _ in httpserver.log] == ["t"]
    engine.dispose()


def test_serve_refuses_an_unusable_notify_url_or_report_directory(tmp_path: Path) -> None:
    config = tmp_path / "newswatch.toml"
    base = f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n[report]\ndirectory = "{tmp_path / "reports"}"\n'
    config.write_text(base + '[notify]\nurls = ["slack://${TOKEN}"]\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "serve"], env={"TOKEN": "hunter2-s3cret"})
    assert result.exit_code == 2
    assert "notify.urls[0]: apprise cannot use this slack:// URL" in result.stderr
    assert "hunter2-s3cret" not in result.stdout + result.stderr

    (tmp_path / "reports").write_text("a file where the directory should be", encoding="utf-8")
    config.write_text(base, encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "serve"])
    assert result.exit_code == 1
    assert "cannot write reports there" in result.stderr


def test_the_cycle_job_records_metrics(tmp_path: Path) -> None:
    baseline = load_baseline(ROOT / "config" / "baselines" / "bakhmut-2023-01-26.toml")
    config = Config(database=DatabaseConfig(url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
    engine = create_db_engine(config.database.url)
    migrate(engine)
    with Store(engine) as store:
        metrics = Metrics(store.database_stats)
        jobs = service_jobs(
            config, store, compile_baseline(baseline, config.analysis), baseline, metrics=metrics
        )
        jobs.cycle()
        assert metrics.registry.get_sample_value("newswatch_cycles_total", {"result": "ok"}) == 1
        assert metrics.registry.get_sample_value("newswatch_db_items") == 0
    engine.dispose()


def test_serve_exposes_metrics_and_rejects_a_bad_address(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port for the endpoint
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(
        app, ["--config", str(ROOT / "config" / "demo.toml"), "serve", "--metrics", "nope"]
    )
    assert result.exit_code == 2
    assert "expected HOST:PORT" in result.stderr

    env = {**os.environ, "NEWSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    command = "from pipeline.cli import main; main()"
    args = ["--config", str(ROOT / "config" / "demo.toml"), "serve", "--metrics", f"127.0.0.1:{port}"]
    process = subprocess.Popen([sys.executable, "-c", command, *args], cwd=tmp_path, env=env)
    try:
        deadline = time.monotonic() + 60
        text = ""
        while 'newswatch_cycles_total{result="ok"} 1.0' not in text:
            assert time.monotonic() < deadline, f"no finished cycle in /metrics:\n{text}"
            assert process.poll() is None, "serve exited"
            time.sleep(0.3)
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.TransportError:
                continue
        assert 'newswatch_fetches_total{outcome="ok"} 3.0' in text
        assert 'newswatch_db_findings{relation="updates"}' in text
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
