"""Time the change report on a big window: build, then each format (target: under 2 s each).

    python benchmarks/report_speed.py [--findings 10000] [--days 30] [--repeat 3] [--seed 7]

Findings are synthetic `StoredFinding` records over the real bakhmut baseline, spread evenly
over the window: every claim, all three relations, evidence of ~25 words naming a place and a cue
(with `<`, `&` and quotes now and then, so escaping is exercised), one finding in five a
syndicated copy of an earlier story, one in twenty dismissed. Each step is timed `--repeat`
times; the first run (cold caches) decides, the best is shown beside it. Add a step by appending a `Step` to the list `steps()` returns.

The web steps load pages of the review web app through Starlette's TestClient from a temporary
SQLite database holding the same findings (seeding it takes a while and is not timed): one
claim's page with `--claim-findings` findings (default 1,000), its first page and its last
(target: under 1 s per page load; a page shows 50 findings), and the report page `/`, whose
default window (everything since the baseline's date) holds every finding.
"""

from __future__ import annotations

import argparse
import atexit
import random
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.baseline import Baseline, load_baseline
from pipeline.config import Config, FeedConfig
from pipeline.db import NewItem, Store, create_db_engine, migrate
from pipeline.db.rows import StoredFinding
from pipeline.records import Finding, Relation, ReviewState
from pipeline.report import Report, Window, build_report
from pipeline.report.render import render_html, render_json, render_markdown
from pipeline.web import create_app
from pipeline.web.views import PAGE_SIZE

with warnings.catch_warnings():
    # Starlette 1.x asks for the `httpx2` fork for its TestClient; `httpx` (installed) still works.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "config/baselines/bakhmut-2023-01-26.toml"
GENERATED = datetime(2023, 3, 2, tzinfo=UTC)
TARGET_S = 2.0
WEB_TARGET_S = 1.0  # one page load of the review web app

_CUES = ["captured", "still holds", "withdrew from", "encircled", "repelled assaults on", "захопили"]
_FILLER = (
    "officials said heavy fighting continued near the front line while residents waited for water and power"
)
_FEEDS = ["wire", "frontline", "kyiv-daily", "agency", "mirror"]


@dataclass(frozen=True, slots=True)
class Step:
    """One timed step: `run` returns the text it produced (its size is shown) or None."""

    name: str
    run: Callable[[], str | None]
    target_s: float = TARGET_S


def synthetic_findings(
    baseline: Baseline, window: Window, count: int, rng: random.Random
) -> list[StoredFinding]:
    """`count` findings spread over the window, newest first (as the store returns them)."""
    places = {p.id: p.name for p in baseline.places}
    span = (window.until - window.since).total_seconds()
    findings = []
    for n in range(1, count + 1):
        claim = rng.choice(baseline.claims)
        place = places[rng.choice(claim.places)] if claim.places else rng.choice(list(places.values()))
        cue = rng.choice(_CUES)
        filler = _FILLER.split()
        words = [*rng.sample(filler, 10), cue, place, *rng.sample(filler, 8)]
        if n % 50 == 0:
            words.append('<b>"quoted" & more</b>')
        published = window.since + timedelta(seconds=span * (count - n) / count)
        story = n - rng.randint(1, 5) if n > 5 and rng.random() < 0.2 else n
        findings.append(
            StoredFinding(
                id=n,
                item_id=n,
                claim_id=claim.id,
                relation=rng.choice(list(Relation)),
                places=(place,),
                evidence=" ".join(words).capitalize(),
                score=round(rng.uniform(0.5, 1.0), 3),
                reasons=(f"place: '{place}' → {place} (exact)", f"event: '{cue}' → capture"),
                review_state=ReviewState.DISMISSED if rng.random() < 0.05 else ReviewState.PENDING,
                reviewed_at=None,
                note=None,
                created=published,
                updated=published,
                story_id=story,
                title=" ".join(words[:9]).capitalize(),
                url=f"https://{rng.choice(_FEEDS)}.example/{n}",
                published=published,
                feed_name=rng.choice(_FEEDS),
            )
        )
    return findings


def steps(
    baseline: Baseline, findings: list[StoredFinding], window: Window, *, claim_findings: int = 1_000
) -> list[Step]:
    """The timed steps: build the report (its first run is cold), render each format, load web pages."""
    built: list[Report] = []

    def build() -> None:
        built[:] = [build_report(baseline, findings, window=window, items=len(findings), generated=GENERATED)]

    web = web_client(baseline, findings, claim_findings)
    claim = f"/claims/{baseline.claims[0].id}"
    last_page = max(1, -(-min(claim_findings, len(findings)) // PAGE_SIZE))
    return [
        Step("build", build),
        Step("json", lambda: render_json(built[0])),
        Step("md", lambda: render_markdown(built[0])),
        Step("html", lambda: render_html(built[0])),
        Step("html+review", lambda: render_html(built[0], review_base_url="", csrf_token="token")),
        Step("web-claim-p1", lambda: web(f"{claim}?page=1"), WEB_TARGET_S),
        Step(f"web-claim-p{last_page}", lambda: web(f"{claim}?page={last_page}"), WEB_TARGET_S),
        Step("web-report", lambda: web("/")),  # everything since the baseline's date: all findings
    ]


def web_client(
    baseline: Baseline, findings: list[StoredFinding], claim_findings: int
) -> Callable[[str], str]:
    """GET a page of the web app on a temporary SQLite database holding `findings`, the first
    `claim_findings` of them made the first claim's; the database is removed at exit."""
    print(
        f"seeding a SQLite database with {len(findings):,} findings for the web steps (not timed)",
        file=sys.stderr,
    )
    folder = tempfile.TemporaryDirectory(prefix="newswatch-bench-")
    url = f"sqlite:///{folder.name}/bench.db"
    engine = create_db_engine(url)
    migrate(engine)
    with Store(engine) as store:
        store.sync_feeds([FeedConfig(name="bench", url="https://bench.example/rss")])
        stored = store.add_items("bench", [_new_item(f) for f in findings], now=GENERATED)
        for n, (item, f) in enumerate(zip(stored, findings, strict=True)):
            claim = baseline.claims[0].id if n < claim_findings else f.claim_id
            found = Finding(claim, f.relation, f.places, f.evidence, f.score, f.reasons)
            store.save_findings(item.id, [found], now=GENERATED)
    config = Config.model_validate({"database": {"url": url}, "baseline": {"file": str(BASELINE)}})
    client = TestClient(create_app(config, now=lambda: GENERATED), base_url="http://127.0.0.1")
    client.__enter__()
    atexit.register(folder.cleanup)
    atexit.register(client.__exit__, None, None, None)  # runs first: the store closes, then the folder goes

    def get(path: str) -> str:
        response = client.get(path)
        response.raise_for_status()
        text: str = response.text
        return text

    return get


def _new_item(finding: StoredFinding) -> NewItem:
    return NewItem(
        canonical_url=finding.url,
        url=finding.url,
        guid=None,
        title=finding.title,
        summary=finding.evidence,
        published=finding.published,
        content_hash=f"bench-{finding.id}",
    )


def timed(step: Step, repeat: int) -> tuple[float, float, int]:
    """Wall time of the first run and the best of `repeat` runs, and the size of the text produced."""
    times, size = [], 0
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        out = step.run()
        times.append(time.perf_counter() - started)
        size = len(out.encode()) if out is not None else 0
    return times[0], min(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--claim-findings", type=int, default=1_000, help="findings of the web page's claim")
    args = parser.parse_args()
    baseline = load_baseline(BASELINE)
    window = Window(GENERATED - timedelta(days=args.days), GENERATED)
    findings = synthetic_findings(baseline, window, args.findings, random.Random(args.seed))
    timed_steps = steps(baseline, findings, window, claim_findings=args.claim_findings)
    print(
        f"{len(findings):,} findings over {args.days} days, {len(baseline.claims)} claims; best of {args.repeat}"
    )
    print(f"{'step':<14} {'first s':>8} {'best s':>8} {'output':>10}  target")
    results = []
    for step in timed_steps:
        first, best, size = timed(step, args.repeat)
        ok = first < step.target_s  # the first run decides: a daily report is rendered once
        results.append((step.name, first, ok))
        shown = f"{size / 1e6:.1f} MB" if size else "-"
        verdict = "ok" if ok else "SLOW"
        print(f"{step.name:<14} {first:>8.3f} {best:>8.3f} {shown:>10}  < {step.target_s:g} s {verdict}")
    figures = ", ".join(f"{name} {seconds:.2f} s" for name, seconds, _ in results)
    verdict = "met" if all(ok for _, _, ok in results) else "NOT met"
    print(
        f"report speed: {figures}; target under {TARGET_S:g} s each (web pages {WEB_TARGET_S:g} s): {verdict}"
    )


if __name__ == "__main__":
    main()
