"""Evaluate the analysis on a labelled corpus: precision, recall, F1 per relation, false-finding rate.

    python benchmarks/corpus_eval_quick.py [tests/fixtures/analysis/corpus.toml] [--errors]

A case is `[[case]]` with id, published, title, body, expect = [{claim, relation}]. Strict scoring:
a finding counts only when both claim and relation match. Cases expecting nothing measure false
findings (the off-topic rate).
"""

from __future__ import annotations

import sys
import tomllib
from datetime import UTC, date, datetime, time
from pathlib import Path

from pipeline.analysis import analyse, compile_baseline
from pipeline.baseline import load_baseline
from pipeline.config import AnalysisSettings
from pipeline.records import ItemText

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "config/baselines/bakhmut-2023-01-26.toml"


def _published(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(12), tzinfo=UTC)
    return None


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    corpus = Path(args[0]) if args else ROOT / "tests/fixtures/analysis/corpus.toml"
    show_errors = "--errors" in argv
    cases = tomllib.loads(corpus.read_text(encoding="utf-8"))["case"]
    matcher = compile_baseline(load_baseline(BASELINE), AnalysisSettings())
    counts = {rel: [0, 0, 0] for rel in ("confirms", "updates", "contradicts")}  # tp, fp, fn
    empty_cases = empty_with_findings = 0
    for case in cases:
        item = ItemText(case.get("title", ""), case.get("body", ""), _published(case.get("published")))
        got = {(f.claim_id, f.relation.value) for f in analyse(item, matcher)}
        want = {(e["claim"], e["relation"]) for e in case.get("expect", [])}
        for _claim, rel in got & want:
            counts[rel][0] += 1
        for _claim, rel in got - want:
            counts[rel][1] += 1
        for _claim, rel in want - got:
            counts[rel][2] += 1
        if not want:
            empty_cases += 1
            empty_with_findings += bool(got)
        if show_errors and got != want:
            print(
                f"{case['id']}: missing {sorted(want - got)} extra {sorted(got - want)}\n    {case.get('title')}"
            )
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    for rel, (tp, fp, fn) in [*counts.items(), ("all", total)]:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{rel:12} P {p:.3f}  R {r:.3f}  F1 {f1:.3f}  (tp {tp}, fp {fp}, fn {fn})")
    rate = empty_with_findings / empty_cases if empty_cases else 0.0
    print(f"no-finding cases with a false finding: {empty_with_findings}/{empty_cases} ({rate:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
