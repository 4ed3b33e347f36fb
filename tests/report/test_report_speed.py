"""Smoke test: benchmarks/report_speed.py still runs and prints its table (timing decides nothing here)."""

from __future__ import annotations

import subprocess
import sys

from tests.report.factory import ROOT


def test_report_speed_benchmark_prints_each_step() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "report_speed.py"), "--findings", "300", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("300 findings over 30 days")
    assert [line.split()[0] for line in lines[2:-1]] == [
        "build",
        "json",
        "md",
        "html",
        "html+review",
        "web-claim-p1",
        "web-claim-p6",  # 300 findings of one claim: six pages of 50
        "web-report",
    ]
    assert lines[-1].startswith("report speed: build ")
    assert "target under 2 s each" in lines[-1]
