"""Smoke tests of the scale benchmarks at tiny sizes: they run and print their figures (timing decides nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_cycle_benchmark_compares_newswatch_with_the_floor_and_the_peer() -> None:
    out = run("cycle.py", "--feeds", "30", "--concurrency", "5", "--rounds", "2")
    lines = out.splitlines()
    # Every feed fetched once cold and answered 304 once: 60 requests per contender and round.
    assert "responses {'200': 30, '304': 30}" in out
    newswatch = [line.split() for line in lines if line.startswith("newswatch ")]
    assert [(row[1], row[3]) for row in newswatch] == [("cold", "600"), ("304", "0")] * 2
    # each round starts with the next contender
    firsts = [lines[n + 3].split()[0] for n, line in enumerate(lines) if line.startswith("round ")]
    assert firsts == ["newswatch", "floor"]
    assert any(
        line.startswith("cold newswatch / floor: ") and "(median of 2 rounds: " in line for line in lines
    )
    assert "304 / cold (newswatch):" in out
    try:
        import reader  # noqa: F401 -- the peer is a dev dependency of the benchmark only
    except ImportError:
        assert "reader     skipped" in out
    else:
        assert any(line.startswith("reader     cold") and " 600 " in line for line in lines)
    assert lines[-1].startswith("summary: 30 feeds;")


def test_cycle_benchmark_against_a_server_that_ignores_validators() -> None:
    out = run(
        "cycle.py", "--feeds", "30", "--concurrency", "5", "--only", "newswatch,floor", "--no-validators",
        "--rounds", "1",
    )  # fmt: skip
    assert out.count("responses {'200': 60}") == 2  # no 304 at all: every body sent twice
    newswatch = [line.split() for line in out.splitlines() if line.startswith("newswatch ")]
    floor = [line.split() for line in out.splitlines() if line.startswith("floor ")]
    # newswatch stores nothing new from the unchanged bodies; the floor parses them all again
    assert [(row[1], row[3]) for row in newswatch] == [("cold", "600"), ("same", "0")]
    assert [(row[1], row[3]) for row in floor] == [("cold", "600"), ("same", "600")]
    assert "same / cold (newswatch):" in out
    assert "round " not in out  # one round: one table, and its own ratios


def test_analysis_speed_prints_both_rates_and_their_ratio() -> None:
    out = run("analysis_speed.py", "--items", "200", "--rounds", "2")
    assert "feedparser:" in out
    assert "analysis / feedparser" in out
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("round")] == [
        "round 1",
        "round 2",
    ]
    assert "best of 2 rounds" in out


@pytest.mark.skipif(
    not os.environ.get("NEWSWATCH_TEST_POSTGRES_URL"), reason="NEWSWATCH_TEST_POSTGRES_URL not set"
)
def test_scale_out_benchmark_splits_feeds_and_stores_each_item_once() -> None:
    out = run(
        "scale_out.py",
        "--feeds", "30", "--items", "5", "--concurrency", "4",
        "--database-url", os.environ["NEWSWATCH_TEST_POSTGRES_URL"],
    )  # fmt: skip
    rows = [line.split() for line in out.splitlines() if line.startswith(" ") and line.strip()[:1].isdigit()]
    assert [row[0] for row in rows] == ["1", "2"]
    assert all(row[-1] == "ok" for row in rows), out
    assert "feeds fetched twice: 0; rows stored once: yes" in out.splitlines()[-1]
    cores = len(os.sched_getaffinity(0))
    per_worker = max(1, cores // 2)
    assert f"each worker pinned to {per_worker} of {cores} cores" in out
    assert out.splitlines()[-1].endswith(f"cores per worker: {per_worker}")


def test_scale_out_pins_each_worker_to_cores_of_its_own() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import scale_out
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    cores = sorted(os.sched_getaffinity(0))
    assert scale_out.worker_cpus(2, 0) == [[], []]  # not pinned
    assert scale_out.worker_cpus(1, 1) == [[cores[0]]]
    pinned = scale_out.worker_cpus(2, 1)
    assert [len(cpus) for cpus in pinned] == [1, 1]
    if len(cores) >= 2:
        assert pinned[0] != pinned[1]  # each its own core
