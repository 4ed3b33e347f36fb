"""The change report: what new reporting says about each baseline claim in a time window.

`build` turns a baseline and stored findings into a `Report` (pure data: statuses, folded
syndicated copies, highlighted evidence, safe links); `render` writes it as JSON, Markdown or
HTML; `svg` draws its timeline and map. Pure core: no I/O, no clock, no database imports.
"""

from __future__ import annotations

from pipeline.report.build import (
    ClaimReport,
    ClaimStatus,
    FindingView,
    PlaceStatus,
    Report,
    Status,
    Window,
    build_report,
    claim_statuses,
    finding_views,
    report_window,
)
from pipeline.report.evidence import Segment, highlight, safe_link

__all__ = [
    "ClaimReport",
    "ClaimStatus",
    "FindingView",
    "PlaceStatus",
    "Report",
    "Segment",
    "Status",
    "Window",
    "build_report",
    "claim_statuses",
    "finding_views",
    "highlight",
    "report_window",
    "safe_link",
]
