"""The report's data: claim statuses, folded syndicated copies, highlighted evidence, safe links.

Pure: no I/O, no clock (`now` and `generated` are arguments), no database. Stored findings come
in as `StoredFinding` records (imported for type checking only, so the core never loads the
storage edge). Renderers get everything decided here and only escape and wrap: evidence is
already split into plain and highlighted segments, and `link` is None unless the URL is http(s).

A claim's status comes from its latest finding not dismissed (by the item's published time,
then the finding id): confirms → unchanged, updates → updated, contradicts → contradicted, no
finding → unchanged. In a report the same rule runs over the window's findings only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from pipeline.records import Relation, ReviewState
from pipeline.report.evidence import Segment, highlight, safe_link

if TYPE_CHECKING:
    from pipeline.baseline import Baseline
    from pipeline.db.rows import StoredFinding

DAY = timedelta(days=1)


class Status(StrEnum):
    """A claim's current status."""

    UNCHANGED = "unchanged"
    UPDATED = "updated"
    CONTRADICTED = "contradicted"


_STATUS_OF = {
    Relation.CONFIRMS: Status.UNCHANGED,
    Relation.UPDATES: Status.UPDATED,
    Relation.CONTRADICTS: Status.CONTRADICTED,
}
# Reading order: what moved most comes first; "quiet" is a claim with no finding at all.
_RANK = {Status.CONTRADICTED: 0, Status.UPDATED: 1, Status.UNCHANGED: 2}


@dataclass(frozen=True, slots=True)
class Window:
    """A report window on the item's published time: [since, until)."""

    since: datetime
    until: datetime  # exclusive


@dataclass(frozen=True, slots=True)
class FindingView:
    """A finding as the report shows it; `copies` are the same story from other outlets."""

    id: int
    claim_id: str
    relation: Relation
    review: ReviewState
    score: float
    published: datetime
    feed: str
    title: str
    url: str
    link: str | None  # the URL when it is http(s), else None (shown as text)
    story_id: int
    places: tuple[str, ...]
    evidence: str
    segments: tuple[Segment, ...]
    reasons: tuple[str, ...]
    note: str | None = None
    copies: tuple[FindingView, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaimStatus:
    """A claim's status and the finding behind it (None when no finding decides it)."""

    claim_id: str
    text: str
    status: Status
    finding: StoredFinding | None


@dataclass(frozen=True, slots=True)
class ClaimReport:
    """One claim's section: its status in the window and its stories, newest first."""

    claim_id: str
    text: str
    kind: str
    status: Status
    latest: FindingView | None  # the finding that set the status
    stories: tuple[FindingView, ...]  # syndicated copies folded under each story
    count: int  # findings (copies included), dismissed excluded
    by_relation: tuple[tuple[Relation, int], ...]  # every relation, in Relation order

    @property
    def changed(self) -> bool:
        """True when the window's findings moved the claim off its baseline state."""
        return self.status is not Status.UNCHANGED


@dataclass(frozen=True, slots=True)
class PlaceStatus:
    """A baseline place for the map: the worst status among the findings naming it."""

    place_id: str
    name: str
    lat: float
    lon: float
    status: Status | None  # None: no finding names it in the window
    findings: int


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a renderer needs; built by `build_report`."""

    baseline_id: str
    title: str
    source: str
    author: str
    as_of: date
    baseline_link: str | None
    window: Window
    generated: datetime
    items: int  # items published in the window
    claims: tuple[ClaimReport, ...]  # changed first (contradicted, updated), then baseline order
    findings: tuple[FindingView, ...]  # not dismissed, newest first, unfolded (for JSON)
    dismissed: tuple[FindingView, ...]  # listed apart, newest first, folded
    late: tuple[FindingView, ...]  # found in the window on items published before it; apart, folded
    by_relation: tuple[tuple[Relation, int], ...]
    places: tuple[PlaceStatus, ...]


def report_window(since: date | None, until: date | None, now: datetime) -> Window:
    """The window for CLI dates (`until` inclusive, UTC days); neither date: the 24 hours before now."""
    end = datetime.combine(until + DAY, time(0), tzinfo=UTC) if until is not None else None
    if since is None:
        return Window(now - DAY, now) if end is None else Window(end - DAY, end)
    start = datetime.combine(since, time(0), tzinfo=UTC)
    window = Window(start, now if end is None else end)
    if window.until <= window.since:
        raise ValueError(f"the window is empty: {since} is after {until or now.date()}")
    return window


def window_label(window: Window) -> str:
    """'2023-01-01 to 2023-01-31 (...)' for whole UTC days (end inclusive), else times to the minute."""
    if window.since.time() == time(0) and window.until.time() == time(0):
        last = (window.until - timedelta(days=1)).date()
        if last == window.since.date():
            return f"{last:%Y-%m-%d} (UTC)"
        return f"{window.since:%Y-%m-%d} to {last:%Y-%m-%d} (UTC, both days included)"
    return f"{window.since:%Y-%m-%d %H:%M} to {window.until:%Y-%m-%d %H:%M} UTC"


def claim_statuses(baseline: Baseline, findings: Sequence[StoredFinding]) -> list[ClaimStatus]:
    """Every claim's status from its latest finding not dismissed, with that finding (or None)."""
    latest: dict[str, StoredFinding] = {}
    for finding in findings:
        if finding.review_state is ReviewState.DISMISSED:
            continue
        known = latest.get(finding.claim_id)
        if known is None or (finding.published, finding.id) > (known.published, known.id):
            latest[finding.claim_id] = finding
    statuses = []
    for claim in baseline.claims:
        found = latest.get(claim.id)
        status = Status.UNCHANGED if found is None else _STATUS_OF[found.relation]
        statuses.append(ClaimStatus(claim.id, claim.text, status, found))
    return statuses


def build_report(
    baseline: Baseline,
    findings: Sequence[StoredFinding],
    *,
    window: Window,
    items: int,
    generated: datetime,
    late: Sequence[StoredFinding] = (),
) -> Report:
    """The report for the window's findings (dismissed ones kept apart, out of every status).

    `late`: findings first found in the window on items published before it (a feed that
    carries a story a day late); listed apart, so that no report silently misses them, and out
    of the statuses, which follow publication order.
    """
    inside = [f for f in findings if window.since <= f.published < window.until]
    late_kept = sorted(
        (f for f in late if f.published < window.since and f.review_state is not ReviewState.DISMISSED),
        key=lambda f: (f.published, f.id),
        reverse=True,
    )
    inside.sort(key=lambda f: (f.published, f.id), reverse=True)
    kept = [f for f in inside if f.review_state is not ReviewState.DISMISSED]
    dismissed = [f for f in inside if f.review_state is ReviewState.DISMISSED]
    views = {f.id: _view(f) for f in kept}
    by_claim: dict[str, list[StoredFinding]] = defaultdict(list)
    for finding in kept:
        by_claim[finding.claim_id].append(finding)
    claims = []
    for order, status in enumerate(claim_statuses(baseline, kept)):
        own = by_claim.get(status.claim_id, [])
        claim = baseline.claims[order]
        report = ClaimReport(
            claim_id=claim.id,
            text=claim.text,
            kind=claim.kind,
            status=status.status,
            latest=None if status.finding is None else views[status.finding.id],
            stories=tuple(_fold([views[f.id] for f in own], own)),
            count=len(own),
            by_relation=_relations(f.relation for f in own),
        )
        claims.append((_RANK[report.status] + (report.count == 0), order, report))
    meta = baseline.metadata
    return Report(
        baseline_id=meta.id,
        title=meta.title,
        source=meta.source,
        author=meta.author,
        as_of=meta.as_of,
        baseline_link=safe_link(meta.url),
        window=window,
        generated=generated,
        items=items,
        claims=tuple(report for _, _, report in sorted(claims, key=lambda c: c[:2])),
        findings=tuple(views[f.id] for f in kept),
        dismissed=tuple(finding_views(dismissed)),
        late=tuple(finding_views(late_kept)),
        by_relation=_relations(f.relation for f in kept),
        places=_places(baseline, kept),
    )


def finding_views(findings: Sequence[StoredFinding]) -> list[FindingView]:
    """Findings as shown (keeping their order), syndicated copies folded under their story."""
    return _fold([_view(f) for f in findings], findings)


def _view(finding: StoredFinding) -> FindingView:
    return FindingView(
        id=finding.id,
        claim_id=finding.claim_id,
        relation=finding.relation,
        review=finding.review_state,
        score=finding.score,
        published=finding.published,
        feed=finding.feed_name,
        title=finding.title,
        url=finding.url,
        link=safe_link(finding.url),
        story_id=finding.story_id,
        places=finding.places,
        evidence=finding.evidence,
        segments=highlight(finding.evidence, finding.reasons),
        reasons=finding.reasons,
        note=finding.note,
    )


def _fold(views: list[FindingView], findings: Sequence[StoredFinding]) -> list[FindingView]:
    """One entry per (claim, story): the first copy (the story's own item if present) shown."""
    groups: dict[tuple[str, int], list[int]] = {}
    for index, finding in enumerate(findings):
        groups.setdefault((finding.claim_id, finding.story_id), []).append(index)
    folded = []
    for members in groups.values():
        # The story's own item is the first copy; else the earliest published, then lowest id.
        head = min(
            members,
            key=lambda i: (
                findings[i].item_id != findings[i].story_id,
                findings[i].published,
                findings[i].id,
            ),
        )
        copies = tuple(views[i] for i in members if i != head)
        folded.append((members[0], replace(views[head], copies=copies) if copies else views[head]))
    # Keep the input order of each group's first member (newest first for the report).
    return [view for _, view in sorted(folded, key=lambda pair: pair[0])]


def _relations(relations: Iterable[Relation]) -> tuple[tuple[Relation, int], ...]:
    counts = Counter(relations)
    return tuple((relation, counts[relation]) for relation in Relation)


def _places(baseline: Baseline, findings: Sequence[StoredFinding]) -> tuple[PlaceStatus, ...]:
    """Per place: for each claim, the latest finding naming the place; the worst of those statuses."""
    by_name = {place.name: place.id for place in baseline.places}
    latest: dict[tuple[str, str], StoredFinding] = {}
    counts: Counter[str] = Counter()
    for finding in findings:  # newest first: the first seen per (place, claim) is the latest
        for name in finding.places:
            place_id = by_name.get(name)
            if place_id is None:
                continue
            counts[place_id] += 1
            latest.setdefault((place_id, finding.claim_id), finding)
    worst: dict[str, Status] = {}
    for (place_id, _), finding in latest.items():
        status = _STATUS_OF[finding.relation]
        if place_id not in worst or _RANK[status] < _RANK[worst[place_id]]:
            worst[place_id] = status
    return tuple(
        PlaceStatus(p.id, p.name, p.lat, p.lon, worst.get(p.id), counts[p.id]) for p in baseline.places
    )
