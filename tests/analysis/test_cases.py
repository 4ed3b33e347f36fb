"""The readable case table (tests/fixtures/analysis/cases.toml), run case by case."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from pipeline.analysis import Matcher, analyse, compile_baseline, match_places
from pipeline.baseline import load_baseline
from pipeline.config import AnalysisSettings
from pipeline.records import ItemText, Relation

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests/fixtures/analysis/cases.toml"
BASELINE = ROOT / "config/baselines/bakhmut-2023-01-26.toml"
DEFAULT_PUBLISHED = datetime(2023, 3, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    id: str
    item: ItemText
    expected: frozenset[tuple[str, Relation]]
    places: tuple[str, ...]


def load_cases() -> list[Case]:
    cases = []
    for raw in tomllib.loads(CASES.read_text(encoding="utf-8"))["case"]:
        published = raw.get("published", DEFAULT_PUBLISHED)
        if isinstance(published, date) and not isinstance(published, datetime):
            published = datetime.combine(published, time(12), tzinfo=UTC)
        item = ItemText(raw["title"], raw["body"], published if published != "" else None)
        expected = frozenset((e["claim"], Relation(e["relation"])) for e in raw["expect"])
        cases.append(Case(raw["id"], item, expected, tuple(raw["places"])))
    return cases


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_baseline(load_baseline(BASELINE), AnalysisSettings())


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c.id)
def test_analysis_case(case: Case, matcher: Matcher) -> None:
    got = {(f.claim_id, f.relation) for f in analyse(case.item, matcher)}
    assert got == case.expected


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c.id)
def test_case_places(case: Case, matcher: Matcher) -> None:
    text = f"{case.item.title}\n{case.item.body}"
    assert tuple(m.canonical for m in match_places(text, matcher)) == case.places


def test_case_ids_unique() -> None:
    ids = [case.id for case in load_cases()]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 60
