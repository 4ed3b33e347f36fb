"""The pure analysis core: baseline → compiled matcher → findings for one item at a time.

    matcher = compile_baseline(baseline, settings)      # once per cycle
    findings = analyse(ItemText(title, body, published), matcher)
    mentions = match_places(text, matcher)
    lines = explain(item, matcher)                      # what fired, for `newswatch try`-style output

Nothing here does I/O (besides reading the bundled cues.toml at compile time), reads a clock or
imports an edge (db, fetch, httpx).
"""

from __future__ import annotations

from pipeline.analysis.claims import analyse, match_places, read_item
from pipeline.analysis.matcher import Matcher, compile_baseline
from pipeline.analysis.text import fold
from pipeline.records import ItemText

__all__ = ["Matcher", "analyse", "compile_baseline", "explain", "fold", "match_places"]


def explain(item: ItemText, matcher: Matcher) -> list[str]:
    """Every reading of every sentence (also those below the score threshold), one line each."""
    lines = []
    for spec, view, reading in read_item(item, matcher):
        kept = "" if reading.score >= matcher.terms.claim_min_score else " (below threshold)"
        lines.append(
            f"sentence {view.index}: {spec.id} {reading.relation.value} {reading.score:.2f}{kept}: "
            + "; ".join(reading.reasons)
        )
    return lines
