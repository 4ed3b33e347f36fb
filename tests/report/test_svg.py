"""report.svg: timelines and the map are well-formed, escaped, counted right and bounded in size."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.records import Relation
from pipeline.report import ClaimReport, PlaceStatus, Status, Window, build_report
from pipeline.report.svg import (
    MAX_BARS,
    NO_FINDINGS_COLOUR,
    RELATION_COLOURS,
    STATUS_COLOURS,
    map_svg,
    timeline_svg,
)
from tests.report.factory import bakhmut, stored

NS = "{http://www.w3.org/2000/svg}"
START = datetime(2023, 5, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 25, tzinfo=UTC)


def claim_report(window: Window, findings: list[tuple[int, Relation]]) -> ClaimReport:
    """One claim's report with a finding per (day offset, relation)."""
    stored_findings = [
        stored(i + 1, relation=relation, published=START + timedelta(days=day, hours=12))
        for i, (day, relation) in enumerate(findings)
    ]
    report = build_report(bakhmut(), stored_findings, window=window, items=0, generated=NOW)
    return next(c for c in report.claims if c.claim_id == "bakhmut-battle")


def bars(svg: str) -> dict[str, str]:
    """Each bar's tooltip → its fill colour."""
    root = ET.fromstring(svg)
    return {rect.findtext(f"{NS}title") or "": rect.get("fill") or "" for rect in root.iter(f"{NS}rect")}


def test_timeline_stacks_findings_by_day_and_relation() -> None:
    window = Window(START, START + timedelta(days=30))
    claim = claim_report(
        window,
        [(4, Relation.UPDATES), (4, Relation.UPDATES), (4, Relation.CONTRADICTS), (10, Relation.CONFIRMS)],
    )
    svg = timeline_svg(claim, window)
    assert bars(svg) == {
        "2023-05-05: 2 updates": RELATION_COLOURS[Relation.UPDATES],
        "2023-05-05: 1 contradicts": RELATION_COLOURS[Relation.CONTRADICTS],
        "2023-05-11: 1 confirms": RELATION_COLOURS[Relation.CONFIRMS],
    }
    root = ET.fromstring(svg)
    labels = [t.text for t in root.iter(f"{NS}text")]
    assert labels[:2] == ["3", "0"]  # the y axis: the tallest stack, zero
    assert labels[2] == "2023-05-01"
    assert labels[-1] == "2023-05-30"  # the last day inside the window
    heights = {r.findtext(f"{NS}title"): float(r.get("height") or 0) for r in root.iter(f"{NS}rect")}
    assert heights["2023-05-05: 2 updates"] == pytest.approx(
        2 * heights["2023-05-05: 1 contradicts"], abs=0.2
    )


def test_timeline_of_a_long_window_groups_days_into_bins() -> None:
    window = Window(START, START + timedelta(days=4 * 365))
    claim = claim_report(window, [(day, Relation.UPDATES) for day in range(0, 4 * 365, 3)])
    svg = timeline_svg(claim, window)
    titles = list(bars(svg))
    assert 1 < len(titles) <= MAX_BARS
    assert all("days)" in title for title in titles)
    assert sum(int(title.split(": ")[1].split()[0]) for title in titles) == claim.count


def test_timeline_of_an_empty_claim_says_so() -> None:
    window = Window(START, START + timedelta(days=1))
    svg = timeline_svg(claim_report(window, []), window)
    assert "no findings in this window" in svg
    ET.fromstring(svg)


def place(name: str, lat: float, lon: float, status: Status | None, findings: int = 0) -> PlaceStatus:
    return PlaceStatus(name.lower(), name, lat, lon, status, findings)


def test_map_escapes_names_and_colours_points_by_status() -> None:
    places = [
        place('<script>alert(1)</script>"&', 48.6, 38.0, Status.CONTRADICTED, 2),
        place("Vuhledar", 47.78, 37.25, Status.UPDATED, 1),
        place("Kreminna", 49.05, 38.22, Status.UNCHANGED, 1),
        place("Kherson", 46.64, 32.62, None),
    ]
    svg = map_svg(places)
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;" in svg
    root = ET.fromstring(svg)
    assert [e.tag for e in root.iter() if e.tag.endswith("script")] == []
    points = {
        (c.findtext(f"{NS}title") or "").split(":")[0]: (c.get("fill"), c.get("stroke"))
        for c in root.iter(f"{NS}circle")
        if c.find(f"{NS}title") is not None
    }
    assert points['<script>alert(1)</script>"&'] == (STATUS_COLOURS[Status.CONTRADICTED],) * 2
    assert points["Vuhledar"] == (STATUS_COLOURS[Status.UPDATED],) * 2
    assert points["Kreminna"] == (STATUS_COLOURS[Status.UNCHANGED],) * 2
    assert points["Kherson"] == ("#fff", NO_FINDINGS_COLOUR)
    legend = [t.text for t in root.iter(f"{NS}text")][-4:]
    assert legend == ["contradicted (1)", "updated (1)", "confirmed (unchanged) (1)", "no findings (1)"]


def test_map_projects_west_left_and_north_up() -> None:
    svg = map_svg(
        [place("West", 48.0, 30.0, None), place("East", 48.0, 40.0, None), place("North", 50.0, 35.0, None)]
    )
    root = ET.fromstring(svg)
    at = {
        (c.findtext(f"{NS}title") or "").split(":")[0]: (float(c.get("cx") or 0), float(c.get("cy") or 0))
        for c in root.iter(f"{NS}circle")
        if c.find(f"{NS}title") is not None
    }
    assert at["West"][0] < at["North"][0] < at["East"][0]
    assert at["North"][1] < at["West"][1] == at["East"][1]


def test_map_of_the_bakhmut_baseline_zooms_into_the_crowd_of_villages() -> None:
    report = build_report(
        bakhmut(), [], window=Window(START, START + timedelta(days=1)), items=0, generated=NOW
    )
    svg = map_svg(report.places)
    root = ET.fromstring(svg)
    circles = [c for c in root.iter(f"{NS}circle") if c.find(f"{NS}title") is not None]
    assert len(circles) > len(report.places)  # the crowd is drawn twice: overview and zoom
    assert "stroke-dasharray" in svg
    assert "zoom: the dashed frame" in svg


def test_map_without_places_is_empty() -> None:
    assert map_svg([]) == ""
