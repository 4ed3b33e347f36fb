"""Inline SVG pictures for the report: a timeline per claim and a map of the baseline's places.

Pure functions returning SVG text; every piece of text is escaped. Both scale with the number
of findings only through one counting pass: a timeline has at most `MAX_BARS` bars (days are
grouped into wider bins for long windows) and a map one point per baseline place.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import timedelta
from html import escape

from pipeline.records import Relation
from pipeline.report.build import ClaimReport, FindingView, PlaceStatus, Status, Window

MAX_BARS = 62
BIN_DAYS = (1, 2, 7, 14, 30, 61, 91, 182, 365)  # bin widths for long windows, narrowest that fits
RELATION_COLOURS = {
    Relation.CONFIRMS: "#3d7a4f",
    Relation.UPDATES: "#c77700",
    Relation.CONTRADICTS: "#b3261e",
}
STATUS_COLOURS = {
    Status.CONTRADICTED: RELATION_COLOURS[Relation.CONTRADICTS],
    Status.UPDATED: RELATION_COLOURS[Relation.UPDATES],
    Status.UNCHANGED: RELATION_COLOURS[Relation.CONFIRMS],
}
NO_FINDINGS_COLOUR = "#9aa0a6"
Point = tuple[float, float, PlaceStatus]  # projected x, y (degrees, y down) and the place
Box = tuple[float, float, float, float]  # x0, y0, x1, y1
_FONT = 'font-family="system-ui, sans-serif"'


def timeline_svg(claim: ClaimReport, window: Window, *, width: int = 900, height: int = 120) -> str:
    """Stacked bars of the claim's findings per day (or wider bin) and relation over the window."""
    days = max(1, math.ceil((window.until - window.since) / timedelta(days=1)))
    step = next((d for d in BIN_DAYS if math.ceil(days / d) <= MAX_BARS), BIN_DAYS[-1])
    bins = math.ceil(days / step)
    counts: Counter[tuple[int, Relation]] = Counter()
    for finding in _all(claim.stories):
        index = int((finding.published - window.since) / timedelta(days=step))
        if 0 <= index < bins:
            counts[index, finding.relation] += 1
    totals = Counter[int]()
    for (index, _), n in counts.items():
        totals[index] += n
    top = max(totals.values(), default=0)
    left, right, bottom, up = 34, 8, 30, 10
    plot_w, plot_h = width - left - right, height - bottom - up
    bar_w = plot_w / bins
    unit = "day" if step == 1 else f"{step} days"
    label = f"Findings per {unit} for claim {claim.claim_id}: {claim.count} in the window"
    parts = [_open(width, height, label)]
    parts.append(
        f'<line x1="{left}" y1="{up + plot_h}" x2="{width - right}" y2="{up + plot_h}" stroke="#888"/>'
    )
    parts.append(_text(left - 4, up + 8, str(top), anchor="end"))
    parts.append(_text(left - 4, up + plot_h, "0", anchor="end"))
    for index in sorted(totals):
        x, y = left + index * bar_w, float(up + plot_h)
        start = window.since + timedelta(days=index * step)
        for relation in Relation:
            n = counts[index, relation]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            tip = f"{start:%Y-%m-%d}{'' if step == 1 else f' (+{step} days)'}: {n} {relation.value}"
            parts.append(
                f'<rect x="{x + 0.5:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{RELATION_COLOURS[relation]}"><title>{escape(tip)}</title></rect>'
            )
    for index in _ticks(bins):
        x = left + index * bar_w
        day = window.since + timedelta(days=index * step)
        anchor = "start" if index == 0 else "end" if index == bins else "middle"
        if index == bins:  # the last tick marks the window's (exclusive) end: show the last day
            day = window.until - timedelta(microseconds=1)
        parts.append(
            f'<line x1="{x:.1f}" y1="{up + plot_h}" x2="{x:.1f}" y2="{up + plot_h + 4}" stroke="#888"/>'
        )
        parts.append(_text(x, height - 10, f"{day:%Y-%m-%d}", anchor=anchor))
    if not totals:
        parts.append(_text(left + plot_w / 2, up + plot_h / 2, "no findings in this window", anchor="middle"))
    parts.append("</svg>")
    return "".join(parts)


def map_svg(places: Sequence[PlaceStatus], *, width: int = 900) -> str:
    """The baseline's places (equirectangular, fitted to their bounding box) coloured by status, with a legend.

    When most places crowd into a small part of the box (villages around one town, with a few far
    cities), the crowd gets a zoomed panel of its own beside the overview, whose dashed frame
    shows where the zoom lies.
    """
    if not places:
        return ""
    mid_lat = math.radians(sum(p.lat for p in places) / len(places))
    points = [(p.lon * math.cos(mid_lat), -p.lat, p) for p in places]
    crowd = _crowd(points)
    legend_h, gap, height = 26, 12, 0.0
    panels: list[tuple[Sequence[Point], Box, float, float, Box | None]]
    if crowd is None:
        panels = [(points, _box(points), 0.0, float(width), None)]
    else:
        zoom_w = width * 0.62
        panels = [
            (points, _box(points), 0.0, width - zoom_w - gap, _box(crowd)),
            (crowd, _box(crowd), width - zoom_w, zoom_w, None),
        ]
    for _, box, _, panel_w, _ in panels:
        span_x, span_y = box[2] - box[0], box[3] - box[1]
        height = max(height, min(max((panel_w - 56) * span_y / span_x + 56, 220), 560))
    total = int(height + legend_h)
    parts = [_open(width, total, "Map of the baseline's places coloured by status")]
    for members, box, left, panel_w, frame in panels:
        parts += _panel(members, box, left, panel_w, height, frame)
    parts += _legend(places, total - 8)
    parts.append("</svg>")
    return "".join(parts)


def _box(points: Sequence[Point]) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    pad = 1e-3  # one place alone still gets a box
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def _crowd(points: Sequence[Point]) -> list[Point] | None:
    """The places within a sixteenth of the whole box of the busiest spot (four or more), else None."""
    box = _box(points)
    radius = max(box[2] - box[0], box[3] - box[1]) / 16
    best: list[Point] = []
    for x, y, _ in points:
        near = [p for p in points if math.hypot(p[0] - x, p[1] - y) <= radius]
        if len(near) > len(best):
            best = near
    if len(best) < 4 or len(best) == len(points):
        return None
    return best


def _panel(
    points: Sequence[Point], box: Box, left: float, width: float, height: float, frame: Box | None
) -> list[str]:
    margin = 28.0
    span_x, span_y = box[2] - box[0], box[3] - box[1]
    scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    off_x = left + (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return off_x + (x - box[0]) * scale, off_y + (y - box[1]) * scale

    parts = [
        f'<rect x="{left + 1:.1f}" y="1" width="{width - 2:.1f}" height="{height - 2:.1f}" fill="#f7f7f4" stroke="#ddd"/>'
    ]
    if frame is not None:
        (x0, y0), (x1, y1) = at(frame[0], frame[1]), at(frame[2], frame[3])
        parts.append(
            f'<rect x="{x0 - 6:.1f}" y="{y0 - 6:.1f}" width="{x1 - x0 + 12:.1f}" height="{y1 - y0 + 12:.1f}" '
            'fill="none" stroke="#888" stroke-dasharray="4 3"/>'
        )
    placed = [(*at(x, y), place) for x, y, place in points]
    # Quiet places first, so the points that matter are drawn on top.
    for x, y, place in sorted(placed, key=lambda p: -_severity(p[2])):
        colour = NO_FINDINGS_COLOUR if place.status is None else STATUS_COLOURS[place.status]
        fill = "#fff" if place.status is None else colour
        radius = 4 if place.status is None else 6
        tip = f"{place.name}: {place.status or 'no findings'} ({place.findings} findings)"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{fill}" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(tip)}</title></circle>"
        )
    # In the overview, the crowd's names are left to the zoomed panel.
    skip = {
        id(p)
        for p in points
        if frame is not None and frame[0] <= p[0] <= frame[2] and frame[1] <= p[1] <= frame[3]
    }
    labelled = [
        (x, y, place) for (x, y, place), point in zip(placed, points, strict=True) if id(point) not in skip
    ]
    parts += _labels(labelled, [(x, y) for x, y, _ in placed], (left, 0.0, left + width, height))
    if frame is None and left > 0:
        parts.append(_text(left + 8, 16, "zoom: the dashed frame", size=11))
    return parts


def _all(stories: Iterable[FindingView]) -> Iterable[FindingView]:
    for story in stories:
        yield story
        yield from story.copies


def _ticks(bins: int) -> list[int]:
    """Bin edges to label: both ends and up to three evenly spaced between."""
    if bins <= 1:
        return [0, bins]
    every = max(1, math.ceil(bins / 4))
    inner = list(range(every, bins - every // 2, every))
    return [0, *inner, bins]


def _severity(place: PlaceStatus) -> int:
    return {None: 3, Status.UNCHANGED: 2, Status.UPDATED: 1, Status.CONTRADICTED: 0}[place.status]


def _labels(points: list[Point], dots: Sequence[tuple[float, float]], area: Box) -> list[str]:
    """Greedy labels: most important places first, each where it covers no dot and no label drawn before."""
    boxes: list[Box] = [(x - 6, y - 6, x + 6, y + 6) for x, y in dots]
    parts = []
    for x, y, place in sorted(points, key=lambda p: (_severity(p[2]), -p[2].findings)):
        w, h = 6.4 * len(place.name) + 2, 12.0
        for dx, dy, anchor in ((9, 4, "start"), (-9, 4, "end"), (0, -9, "middle"), (0, 17, "middle")):
            x0 = x + dx - (w if anchor == "end" else w / 2 if anchor == "middle" else 0)
            box = (x0, y + dy - 10, x0 + w, y + dy - 10 + h)
            inside = (
                box[0] >= area[0] + 2
                and box[2] <= area[2] - 2
                and box[1] >= area[1] + 2
                and box[3] <= area[3] - 2
            )
            if inside and all(_apart(box, other) for other in boxes):
                boxes.append(box)
                weight = "400" if place.status is None else "600"
                parts.append(_text(x + dx, y + dy, place.name, anchor=anchor, weight=weight, size=11))
                break
    return parts


def _apart(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def _legend(places: Sequence[PlaceStatus], y: float) -> list[str]:
    counts = Counter(p.status for p in places)
    entries = [
        (STATUS_COLOURS[Status.CONTRADICTED], "contradicted", counts[Status.CONTRADICTED]),
        (STATUS_COLOURS[Status.UPDATED], "updated", counts[Status.UPDATED]),
        (STATUS_COLOURS[Status.UNCHANGED], "confirmed (unchanged)", counts[Status.UNCHANGED]),
        (NO_FINDINGS_COLOUR, "no findings", counts[None]),
    ]
    parts, x = [], 8.0
    for colour, name, n in entries:
        fill = "#fff" if name == "no findings" else colour
        parts.append(
            f'<circle cx="{x + 5:.1f}" cy="{y - 4:.1f}" r="5" fill="{fill}" stroke="{colour}" stroke-width="2"/>'
        )
        label = f"{name} ({n})"
        parts.append(_text(x + 14, y, label, size=11))
        x += 14 + 6.4 * len(label) + 16
    return parts


def _open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
    )


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", weight: str = "400", size: int = 10
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" font-weight="{weight}" '
        f'{_FONT} fill="#333">{escape(text)}</text>'
    )
