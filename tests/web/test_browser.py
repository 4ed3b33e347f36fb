"""A real browser (Debian's Chromium driven by Playwright) on the demo data: the HTML report file and
the review page served by uvicorn on 127.0.0.1, where it accepts one finding and dismisses another.

Skipped when /usr/bin/chromium is missing, except under CI (the CI variable set), where it must run.
Screenshots go to build/screenshots/ (gitignored) and to the test's tmp_path.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Route, sync_playwright
from typer.testing import CliRunner

from pipeline.analysis import compile_baseline
from pipeline.baseline import load_baseline
from pipeline.cli import app as cli_app
from pipeline.config import Config, load_config
from pipeline.cycle import run_cycle
from pipeline.db import Store, create_db_engine, migrate
from pipeline.db.rows import StoredFinding
from pipeline.records import Relation, ReviewState
from pipeline.web import create_app

ROOT = Path(__file__).parent.parent.parent
DEMO = ROOT / "config" / "demo.toml"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "build" / "screenshots"
# Offline and quiet: no sandbox (containers), no GPU, no background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# What a claim's latest finding makes of it (pipeline.report.build).
STATUS = {Relation.CONFIRMS: "unchanged", Relation.UPDATES: "updated", Relation.CONTRADICTS: "contradicted"}


@dataclass(frozen=True)
class Demo:
    config: Config
    env: dict[str, str]
    store: Store


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """The offline demo, one cycle run into a fresh SQLite file."""
    env = {"NEWSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    config = load_config(DEMO, environ=env)
    engine = create_db_engine(config.database.url)
    migrate(engine)
    with Store(engine) as store:
        matcher = compile_baseline(load_baseline(config.baseline.file), config.analysis)
        # In a thread: Playwright's sync API keeps an event loop running in this one, and the
        # cycle starts its own (asyncio.run). The real clock, as `run --once` uses.
        with ThreadPoolExecutor(1) as pool:
            summary = pool.submit(run_cycle, config, store, matcher, now=datetime.now(UTC)).result()
        assert summary.new_findings > 0, "the demo must produce findings"
        yield Demo(config, env, store)


@pytest.fixture
def server(demo: Demo) -> Iterator[str]:
    """The review app served by uvicorn in a thread on a free port of 127.0.0.1; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(demo.config), log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        assert thread.is_alive(), "uvicorn stopped at start-up"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that may only load 127.0.0.1 and file:// (the report has no external assets)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def only_local(route: Route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in {"file", "data", "about"} or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert outside == [], "the pages asked for something outside 127.0.0.1"
    assert errors == [], "the pages logged errors"


def shoot(page: Page, name: str, tmp_path: Path, *, full_page: bool = True) -> None:
    """A screenshot in tmp_path and build/screenshots/ (the whole page, or what the window shows)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(tmp_path / name), full_page=full_page)
    shutil.copyfile(tmp_path / name, SCREENSHOTS / name)


def report_json(demo: Demo) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli_app, ["--config", str(DEMO), "report", "--since", "2023-01-01", "--format", "json"], env=demo.env
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_report_file_shows_the_demo_findings(demo: Demo, page: Page, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli_app,
        ["--config", str(DEMO), "report", "--since", "2023-01-01", "--format", "html", "--out", str(out)],
        env=demo.env,
    )
    assert result.exit_code == 0, result.output
    page.goto(out.as_uri())
    stored = {f.id for f in demo.store.findings()}
    shown = {
        int(i.split("-")[1]) for i in page.locator("[id^='finding-']").evaluate_all("e => e.map(x => x.id)")
    }
    assert shown
    assert shown <= stored
    assert page.locator("form").count() == 0  # the file has no review controls
    assert page.locator("svg").count() >= 2  # the map and at least one timeline
    shoot(page, "report-file.png", tmp_path)
    shoot(page, "report-file-top.png", tmp_path, full_page=False)


def test_review_page_accepts_and_dismisses(demo: Demo, server: str, page: Page, tmp_path: Path) -> None:
    # Dismiss the latest finding of a claim whose next finding says something else, so that the
    # claim's status must change; accept a finding of another claim.
    by_claim: dict[str, list[StoredFinding]] = defaultdict(list)
    for stored in demo.store.findings():  # newest first, as the report orders them
        by_claim[stored.claim_id].append(stored)
    latest, previous = next(
        (f[0], f[1]) for f in by_claim.values() if len(f) > 1 and f[0].relation != f[1].relation
    )
    claim, dismissed = latest.claim_id, latest.id

    page.goto(f"{server}/")
    status = page.locator(f"#claim-{claim} h2 .status")
    assert status.text_content() == STATUS[latest.relation]
    pending = page.locator(f"section.claim:not(#claim-{claim}) [id^='finding-'][data-review='pending']")
    accepted = int((pending.first.get_attribute("id") or "").removeprefix("finding-"))
    shoot(page, "review-before.png", tmp_path)
    shoot(page, "review-top.png", tmp_path, full_page=False)

    page.locator(f"#finding-{accepted}").get_by_role("button", name="Accept").click()
    page.wait_for_url(f"{server}/#finding-{accepted}")
    assert page.locator(f"#finding-{accepted}").get_attribute("data-review") == "accepted"
    shoot(page, "review-accepted.png", tmp_path, full_page=False)  # the window at the finding

    page.locator(f"#finding-{dismissed}").get_by_role("button", name="Dismiss").click()
    page.wait_for_url(f"{server}/#finding-{dismissed}")
    card = page.locator(f"#finding-{dismissed}")
    assert card.get_attribute("data-review") == "dismissed"
    # Listed apart, once, out of its claim's section and status.
    assert card.evaluate("e => !!e.closest('#dismissed') && !e.closest('section.claim')")
    assert page.locator(f"#finding-{dismissed}").count() == 1
    assert status.text_content() == STATUS[previous.relation]
    shoot(page, "review-dismissed.png", tmp_path, full_page=False)
    shoot(page, "review-after.png", tmp_path)

    first, second = demo.store.finding(accepted), demo.store.finding(dismissed)
    assert first is not None
    assert second is not None
    assert (first.review_state, second.review_state) == (ReviewState.ACCEPTED, ReviewState.DISMISSED)
    data = report_json(demo)
    listed = {f["id"] for f in data["findings"]}
    assert accepted in listed
    assert dismissed not in listed
    assert {c["id"]: c["status"] for c in data["claims"]}[claim] == STATUS[previous.relation]

    page.goto(f"{server}/claims/{claim}")
    card = page.locator(f"#finding-{dismissed}")
    assert card.get_attribute("data-review") == "dismissed"  # the claim's history keeps it, marked
    assert card.get_by_role("button", name="Accept").is_enabled()
    assert page.locator("h1 .status").text_content() == STATUS[previous.relation]
    shoot(page, "claim.png", tmp_path)
