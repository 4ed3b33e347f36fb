"""Accuracy of the real pipeline on a labelled corpus.

Serves the corpus as RSS feeds from 127.0.0.1, runs one real cycle (fetch → parse → dedupe →
store → analyse → store) into a temporary SQLite database, reads the stored findings back and
compares them with the labels. Prints per-relation precision/recall/F1, strict F1 on
(item, claim, relation), place precision/recall and the rate of off-topic items that got any
finding.

    python benchmarks/accuracy.py                          # tests/fixtures/analysis/corpus*.toml
    python benchmarks/accuracy.py --corpus tests/fixtures/analysis/holdout.toml --errors
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from pipeline.analysis import compile_baseline, match_places
from pipeline.baseline import load_baseline
from pipeline.config import Config
from pipeline.cycle import run_cycle
from pipeline.db.engine import create_db_engine, migrate
from pipeline.db.store import Store

from corpus_feeds import Case, as_of_datetime, load_cases, rss_document, serve_directory

ROOT = Path(__file__).parent.parent
Triple = tuple[str, str, str]  # (case id, claim id, relation)


def run_pipeline(cases: list[Case], workdir: Path, feeds: int) -> tuple[set[Triple], Config]:
    """Serve the cases as feeds, run one cycle, return the stored findings as triples."""
    (workdir / "feeds").mkdir()
    with serve_directory(workdir) as base:
        for n in range(feeds):
            part = cases[n::feeds]
            (workdir / "feeds" / f"feed{n}.xml").write_text(rss_document(f"corpus {n}", base, part), "utf-8")
        config = Config.model_validate(
            {
                "database": {"url": f"sqlite:///{workdir / 'accuracy.db'}"},
                "baseline": {"file": str(ROOT / "config/baselines/bakhmut-2023-01-26.toml")},
                "feeds": [{"name": f"feed{n}", "url": f"{base}/feeds/feed{n}.xml"} for n in range(feeds)],
            }
        )
        engine = create_db_engine(config.database.url)
        migrate(engine)
        store = Store(engine)
        matcher = compile_baseline(load_baseline(config.baseline.file), config.analysis)
        summary = run_cycle(config, store, matcher, now=datetime.now(UTC))
    print(f"cycle: {summary.line()}")
    if summary.new_items != len(cases):
        print(f"warning: {len(cases)} cases but {summary.new_items} items stored")
    by_url = {f"{base}/items/{c.id}": c.id for c in cases}
    return {(by_url[f.url], f.claim_id, str(f.relation)) for f in store.findings()}, config


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts (1.0 when there is nothing to find or flag)."""
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    corpora = sorted((ROOT / "tests/fixtures/analysis").glob("corpus*.toml"))
    parser.add_argument(
        "--corpus", type=Path, nargs="+", default=corpora, help="labelled files ([[case]] tables)"
    )
    parser.add_argument("--feeds", type=int, default=4, help="split the corpus over this many feeds")
    parser.add_argument("--errors", action="store_true", help="list every wrong or missed finding")
    args = parser.parse_args()

    cases = [case for path in args.corpus for case in load_cases(path)]
    with tempfile.TemporaryDirectory() as tmp:
        predicted, config = run_pipeline(cases, Path(tmp), args.feeds)
    baseline = load_baseline(config.baseline.file)
    matcher = compile_baseline(baseline, config.analysis)
    gold = {(c.id, claim, rel) for c in cases for claim, rel in c.expect}

    names = ", ".join(path.name for path in args.corpus)
    print(f"corpus: {names}, {len(cases)} cases, {len(gold)} labelled findings")
    print(f"{'relation':<12} {'P':>6} {'R':>6} {'F1':>6} {'gold':>5} {'pred':>5}")
    for relation in ("confirms", "updates", "contradicts"):
        g = {t for t in gold if t[2] == relation}
        p_ = {t for t in predicted if t[2] == relation}
        p, r, f = prf(len(g & p_), len(p_ - g), len(g - p_))
        print(f"{relation:<12} {p:6.3f} {r:6.3f} {f:6.3f} {len(g):5d} {len(p_):5d}")
    p, r, f = prf(len(gold & predicted), len(predicted - gold), len(gold - predicted))
    print(f"{'strict':<12} {p:6.3f} {r:6.3f} {f:6.3f} {len(gold):5d} {len(predicted):5d}")
    pairs_gold = {t[:2] for t in gold}
    pairs_pred = {t[:2] for t in predicted}
    pp, pr, pf = prf(len(pairs_gold & pairs_pred), len(pairs_pred - pairs_gold), len(pairs_gold - pairs_pred))
    print(f"{'claim only':<12} {pp:6.3f} {pr:6.3f} {pf:6.3f}   (item, claim) ignoring the relation")

    tp = fp = fn = 0
    for c in cases:
        found = {m.canonical for m in match_places(f"{c.title}\n{c.body}", matcher)}
        tp, fp, fn = tp + len(found & c.places), fp + len(found - c.places), fn + len(c.places - found)
    p, r, f = prf(tp, fp, fn)
    print(f"{'places':<12} {p:6.3f} {r:6.3f} {f:6.3f}")

    cutoff = as_of_datetime(baseline.as_of)
    off_topic = [c for c in cases if not c.expect and c.published > cutoff]
    flagged = {t[0] for t in predicted}
    false_alarms = [c for c in off_topic if c.id in flagged]
    rate = len(false_alarms) / len(off_topic) if off_topic else 0.0
    print(f"off-topic items with any finding: {len(false_alarms)}/{len(off_topic)} = {rate:.1%}")
    by_lang = Counter(c.lang for c in cases)
    for lang, n in sorted(by_lang.items()):
        ids = {c.id for c in cases if c.lang == lang}
        g = {t for t in gold if t[0] in ids}
        p_ = {t for t in predicted if t[0] in ids}
        print(f"  {lang}: {n} cases, strict F1 {prf(len(g & p_), len(p_ - g), len(g - p_))[2]:.3f}")

    if args.errors:
        titles = {c.id: c.title for c in cases}
        for t in sorted(predicted - gold):
            print(f"FALSE  {t[0]} {t[1]} {t[2]}: {titles[t[0]]}")
        for t in sorted(gold - predicted):
            print(f"MISSED {t[0]} {t[1]} {t[2]}: {titles[t[0]]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
