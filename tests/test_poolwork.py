"""What the pool's processes run: the parse side at load, the analysis side at the first analysis."""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline import poolwork
from pipeline.analysis import analyse, compile_baseline, matcher
from pipeline.analysis.terms import BaselineTerms, baseline_terms
from pipeline.baseline import load_baseline
from pipeline.config import AnalysisSettings
from pipeline.records import ItemText

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "config/baselines/bakhmut-2023-01-26.toml"


def test_the_fork_servers_import_leaves_the_analysis_side_out() -> None:
    script = (
        "import sys, pipeline.poolwork\n"
        "print(sorted(m for m in ('pipeline.analysis', 'pipeline.baseline', 'pipeline.config', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_worker_analyses_without_importing_pydantic_or_the_models() -> None:
    terms = pickle.dumps(baseline_terms(load_baseline(BASELINE), AnalysisSettings()))
    script = (
        "import sys, pipeline.poolwork as w\n"
        "from datetime import datetime, timezone\n"
        "from pipeline.records import ItemText\n"
        "w.start_worker(sys.stdin.buffer.read())\n"
        "[found] = w.analyse_texts([ItemText('Soledar', 'Russian forces captured Soledar.', datetime(2023, 2, 1, tzinfo=timezone.utc))])\n"
        "print([f.claim_id for f in found])\n"
        "print(sorted(m for m in ('pipeline.baseline', 'pipeline.config', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], input=terms, capture_output=True, check=True)
    assert out.stdout.decode().split("\n")[:2] == ["['soledar-fell']", "[]"]


def test_a_worker_compiles_its_baseline_once_at_its_first_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    baseline, settings = load_baseline(BASELINE), AnalysisSettings()
    expected = compile_baseline(baseline, settings)
    compiled: list[BaselineTerms] = []
    compile_terms = matcher.compile_terms

    def counting(terms: BaselineTerms) -> matcher.Matcher:
        compiled.append(terms)
        return compile_terms(terms)

    monkeypatch.setattr(matcher, "compile_terms", counting)
    monkeypatch.setattr(poolwork, "_terms", None)
    monkeypatch.setattr(poolwork, "_analyser", None)
    poolwork.start_worker(pickle.dumps(baseline_terms(baseline, settings)))
    assert compiled == []
    items = [
        ItemText(
            "Soledar",
            "Russian forces captured the town of Soledar near Bakhmut, the Ukrainian military said.",
            datetime(2023, 2, 1, tzinfo=UTC),
        ),
        ItemText("Weather", "Rain is expected in Kyiv tomorrow.", datetime(2023, 2, 1, tzinfo=UTC)),
    ]
    found = poolwork.analyse_texts(items)
    assert compiled == [baseline_terms(baseline, settings)]
    assert found == [analyse(item, expected) for item in items]
    assert [finding.claim_id for finding in found[0]] == ["soledar-fell"]
    assert found[1] == []
    poolwork.analyse_texts(items)
    assert len(compiled) == 1


def test_a_worker_started_without_a_baseline_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poolwork, "_terms", None)
    monkeypatch.setattr(poolwork, "_analyser", None)
    with pytest.raises(AssertionError, match="without start_worker"):
        poolwork.analyse_texts([ItemText("t", "b", None)])
