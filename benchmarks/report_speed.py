"""Time the change report on a big window: build, then each format (target: under 2 s each).

    python benchmarks/report_speed.py [--findings 10000] [--days 30] [--repeat 3] [--seed 7]

Findings are synthetic `StoredFinding` records over the real bakhmut baseline, spread evenly
over the window: every claim, all three relations, evidence of ~25 words naming a place and a cue
(with `<`, `&` and quotes now and then, so escaping is exercised), one finding in five a
syndicated copy of an earlier story, one in twenty dismissed. Each step is timed `--repeat`
times; the first run (cold caches) decides, the best is shown beside it. Add a step by appending a `Step` to the list `steps()` returns.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.baseline import Baseline, load_baseline
from pipeline.db.rows import StoredFinding
from pipeline.records import Relation, ReviewState
from pipeline.report import Report, Window, build_report
from pipeline.report.render import render_html, render_json, render_markdown

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "config/baselines/bakhmut-2023-01-26.toml"
GENERATED = datetime(2023, 3, 2, tzinfo=UTC)
TARGET_S = 2.0

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


def steps(baseline: Baseline, findings: list[StoredFinding], window: Window) -> list[Step]:
    """The timed steps: build the report (its first run is cold), then render each format from it."""
    built: list[Report] = []

    def build() -> None:
        built[:] = [build_report(baseline, findings, window=window, items=len(findings), generated=GENERATED)]

    return [
        Step("build", build),
        Step("json", lambda: render_json(built[0])),
        Step("md", lambda: render_markdown(built[0])),
        Step("html", lambda: render_html(built[0])),
        Step("html+review", lambda: render_html(built[0], review_base_url="", csrf_token="token")),
    ]


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
    args = parser.parse_args()
    baseline = load_baseline(BASELINE)
    window = Window(GENERATED - timedelta(days=args.days), GENERATED)
    findings = synthetic_findings(baseline, window, args.findings, random.Random(args.seed))
    print(
        f"{len(findings):,} findings over {args.days} days, {len(baseline.claims)} claims; best of {args.repeat}"
    )
    print(f"{'step':<12} {'first s':>8} {'best s':>8} {'output':>10}  target")
    results = []
    for step in steps(baseline, findings, window):
        first, best, size = timed(step, args.repeat)
        ok = first < step.target_s  # the first run decides: a daily report is rendered once
        results.append((step.name, first, ok))
        shown = f"{size / 1e6:.1f} MB" if size else "-"
        verdict = "ok" if ok else "SLOW"
        print(f"{step.name:<12} {first:>8.3f} {best:>8.3f} {shown:>10}  < {step.target_s:g} s {verdict}")
    figures = ", ".join(f"{name} {seconds:.2f} s" for name, seconds, _ in results)
    verdict = "met" if all(ok for _, _, ok in results) else "NOT met"
    print(f"report speed: {figures}; target under {TARGET_S:g} s each: {verdict}")


if __name__ == "__main__":
    main()
