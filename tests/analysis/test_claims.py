"""The claims a view is tried against: only those it may be relevant to, in the baseline's order."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from pipeline.analysis import Matcher, compile_baseline
from pipeline.analysis.claims import _candidates
from pipeline.analysis.relation import ClaimSpec
from pipeline.baseline import load_baseline
from pipeline.config import AnalysisSettings

BASELINES = sorted((Path(__file__).resolve().parents[2] / "config/baselines").glob("*.toml"))


def _by_scan(matcher: Matcher, ids: frozenset[str]) -> list[ClaimSpec]:
    """What `_candidates` stands for: every claim tied to one of the places, or to none."""
    return [
        spec
        for spec in matcher.claims
        if not (spec.places or spec.near) or not ids.isdisjoint(spec.places | spec.near)
    ]


@pytest.mark.parametrize("path", BASELINES, ids=lambda p: p.stem)
def test_candidates_are_the_claims_a_scan_would_keep(path: Path) -> None:
    matcher = compile_baseline(load_baseline(path), AnalysisSettings())
    places = [*sorted(matcher.names), "not-a-baseline-place"]
    sets: list[frozenset[str]] = (
        [frozenset()] + [frozenset({p}) for p in places] + [frozenset(c) for c in combinations(places, 2)]
    )
    for ids in sets:
        assert _candidates(matcher, ids) == _by_scan(matcher, ids), sorted(ids)
    # the index narrows: some place is tied to fewer claims than the baseline holds
    assert min(len(_candidates(matcher, frozenset({p}))) for p in places) < len(matcher.claims)
