"""Smoke tests: the benchmark scripts still run and print their figures (timing decides nothing here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


def test_accuracy_benchmark_runs_the_pipeline() -> None:
    out = run("accuracy.py", "--corpus", str(ROOT / "tests/fixtures/analysis/bench-smoke.toml"))
    assert "2 new items" in out
    assert "strict" in out
    assert "off-topic items with any finding: 0/1" in out


def test_speed_benchmark_prints_items_per_second() -> None:
    out = run("analysis_speed.py", "--items", "200")
    assert "items/s" in out
