# ruff: noqa: RUF001 -- Cyrillic evidence is the test data
"""report.build: windows, claim statuses, dismissed findings, folding, highlighting, links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from pipeline.db.rows import StoredFinding
from pipeline.records import Relation, ReviewState
from pipeline.report import (
    ClaimReport,
    Report,
    Segment,
    Status,
    Window,
    build_report,
    claim_statuses,
    highlight,
    report_window,
    safe_link,
)
from tests.report.factory import T0, bakhmut, stored

NOW = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
MAY = Window(datetime(2023, 5, 1, tzinfo=UTC), datetime(2023, 6, 1, tzinfo=UTC))


def build(findings: Sequence[StoredFinding], window: Window = MAY, items: int = 0) -> Report:
    return build_report(bakhmut(), findings, window=window, items=items, generated=NOW)


def claim(report: Report, claim_id: str) -> ClaimReport:
    return next(c for c in report.claims if c.claim_id == claim_id)


# ------------------------------------------------------------------ windows


def test_window_until_is_inclusive_whole_utc_days() -> None:
    window = report_window(date(2023, 5, 1), date(2023, 5, 31), NOW)
    assert window == Window(datetime(2023, 5, 1, tzinfo=UTC), datetime(2023, 6, 1, tzinfo=UTC))


def test_window_defaults_to_the_24_hours_before_now() -> None:
    assert report_window(None, None, NOW) == Window(NOW - timedelta(hours=24), NOW)


def test_window_since_alone_runs_until_now() -> None:
    assert report_window(date(2026, 11, 1), None, NOW) == Window(datetime(2026, 11, 1, tzinfo=UTC), NOW)


def test_window_until_alone_is_that_day() -> None:
    window = report_window(None, date(2023, 5, 20), NOW)
    assert window == Window(datetime(2023, 5, 20, tzinfo=UTC), datetime(2023, 5, 21, tzinfo=UTC))


def test_window_of_one_day_with_both_dates() -> None:
    window = report_window(date(2023, 5, 20), date(2023, 5, 20), NOW)
    assert window.until - window.since == timedelta(days=1)


@pytest.mark.parametrize(
    ("since", "until"), [(date(2023, 5, 21), date(2023, 5, 20)), (date(2027, 1, 1), None)]
)
def test_window_ending_before_it_starts_is_an_error(since: date, until: date | None) -> None:
    with pytest.raises(ValueError, match="empty"):
        report_window(since, until, NOW)


def test_report_keeps_findings_in_since_inclusive_until_exclusive() -> None:
    edge = datetime(2023, 6, 1, tzinfo=UTC)
    findings = [
        stored(1, published=MAY.since),
        stored(2, published=edge - timedelta(microseconds=1)),
        stored(3, published=edge),
        stored(4, published=MAY.since - timedelta(microseconds=1)),
    ]
    report = build(findings)
    assert [f.id for f in report.findings] == [2, 1]


def test_empty_window_has_every_claim_unchanged_and_no_findings() -> None:
    report = build([], items=7)
    assert report.findings == ()
    assert report.items == 7
    assert {c.status for c in report.claims} == {Status.UNCHANGED}
    assert len(report.claims) == len(bakhmut().claims)
    assert dict(report.by_relation) == {Relation.CONFIRMS: 0, Relation.UPDATES: 0, Relation.CONTRADICTS: 0}


# ------------------------------------------------------------------ statuses


def test_status_comes_from_the_latest_finding_by_published_then_id() -> None:
    findings = [
        stored(1, relation=Relation.CONTRADICTS, published=T0 - timedelta(days=1)),
        stored(2, relation=Relation.CONFIRMS, published=T0),
        stored(3, relation=Relation.UPDATES, published=T0),  # same time, higher id: latest
    ]
    statuses = {s.claim_id: s for s in claim_statuses(bakhmut(), findings)}
    assert statuses["bakhmut-battle"].status is Status.UPDATED
    assert statuses["bakhmut-battle"].finding is findings[2]
    assert statuses["soledar-fell"].status is Status.UNCHANGED
    assert statuses["soledar-fell"].finding is None
    assert list(statuses) == [c.id for c in bakhmut().claims]


@pytest.mark.parametrize(
    ("relation", "status"),
    [
        (Relation.CONFIRMS, Status.UNCHANGED),
        (Relation.UPDATES, Status.UPDATED),
        (Relation.CONTRADICTS, Status.CONTRADICTED),
    ],
)
def test_status_of_each_relation(relation: Relation, status: Status) -> None:
    statuses = claim_statuses(bakhmut(), [stored(1, relation=relation)])
    assert statuses[0].status is status


def test_dismissed_findings_are_out_of_status_and_counts_but_listed_apart() -> None:
    findings = [
        stored(1, relation=Relation.CONFIRMS, published=T0 - timedelta(days=2)),
        stored(2, relation=Relation.CONTRADICTS, published=T0, review=ReviewState.DISMISSED),
        stored(3, claim_id="soledar-fell", relation=Relation.UPDATES, review=ReviewState.DISMISSED),
    ]
    assert claim_statuses(bakhmut(), findings)[0].status is Status.UNCHANGED
    report = build(findings)
    assert [f.id for f in report.findings] == [1]
    assert [f.id for f in report.dismissed] == [3, 2]
    assert claim(report, "bakhmut-battle").status is Status.UNCHANGED
    assert claim(report, "bakhmut-battle").count == 1
    assert claim(report, "soledar-fell").count == 0
    assert dict(report.by_relation)[Relation.CONTRADICTS] == 0


def test_late_findings_are_listed_apart_and_out_of_status() -> None:
    april = datetime(2023, 4, 28, tzinfo=UTC)
    late = [
        stored(5, relation=Relation.CONTRADICTS, published=april),
        stored(
            6, claim_id="soledar-fell", published=april + timedelta(hours=1), review=ReviewState.DISMISSED
        ),
        stored(7, published=T0),  # published inside the window: not late, whatever the caller says
    ]
    report = build_report(bakhmut(), [stored(1, published=T0)], window=MAY, items=1, generated=NOW, late=late)
    assert [f.id for f in report.late] == [5]
    assert [f.id for f in report.findings] == [1]
    assert claim(report, "bakhmut-battle").status is Status.UPDATED  # from finding 1, not the late 5
    assert dict(report.by_relation)[Relation.CONTRADICTS] == 0


def test_accepted_findings_count_like_pending_ones() -> None:
    report = build([stored(1, relation=Relation.CONTRADICTS, review=ReviewState.ACCEPTED)])
    assert claim(report, "bakhmut-battle").status is Status.CONTRADICTED


def test_changed_claims_come_first_then_claims_with_findings_then_quiet_ones() -> None:
    findings = [
        stored(1, claim_id="kreminna-ukrainian-pressure", relation=Relation.CONFIRMS),
        stored(2, claim_id="vuhledar-offensive", relation=Relation.UPDATES),
        stored(3, claim_id="us-advises-withdrawal", relation=Relation.CONTRADICTS),
        stored(4, claim_id="bakhmut-battle", relation=Relation.UPDATES),
    ]
    order = [c.claim_id for c in build(findings).claims]
    assert order[:4] == [
        "us-advises-withdrawal",
        "bakhmut-battle",
        "vuhledar-offensive",
        "kreminna-ukrainian-pressure",
    ]
    quiet = [c.id for c in bakhmut().claims if c.id not in order[:4]]
    assert order[4:] == quiet
    assert [c.changed for c in build(findings).claims[:4]] == [True, True, True, False]


def test_findings_are_newest_first_per_claim() -> None:
    findings = [stored(i, published=T0 + timedelta(hours=i)) for i in (1, 3, 2)]
    assert [f.id for f in claim(build(findings), "bakhmut-battle").stories] == [3, 2, 1]


# ------------------------------------------------------------------ syndicated copies


def test_syndicated_copies_fold_under_the_first_copy() -> None:
    findings = [
        stored(7, item_id=12, story_id=10, feed="mirror", published=T0 + timedelta(hours=2)),
        stored(5, item_id=10, story_id=10, feed="wire", published=T0),  # the story's own item
        stored(6, item_id=11, story_id=10, feed="agency", published=T0 + timedelta(hours=1)),
        stored(8, item_id=20, title="Another story", published=T0 - timedelta(hours=1)),
    ]
    report = build(findings)
    stories = claim(report, "bakhmut-battle").stories
    assert [s.id for s in stories] == [5, 8]
    assert [c.feed for c in stories[0].copies] == ["mirror", "agency"]
    assert claim(report, "bakhmut-battle").count == 4
    assert len(report.findings) == 4  # JSON lists every finding


def test_copies_of_one_story_fold_per_claim() -> None:
    findings = [
        stored(1, item_id=10, story_id=10, claim_id="klishchiivka-taken"),
        stored(2, item_id=10, story_id=10, claim_id="towns-around-bakhmut-captured"),
    ]
    report = build(findings)
    assert [s.id for s in claim(report, "klishchiivka-taken").stories] == [1]
    assert [s.id for s in claim(report, "towns-around-bakhmut-captured").stories] == [2]


# ------------------------------------------------------------------ evidence and links


def test_highlight_marks_places_and_cues_case_insensitively() -> None:
    segments = highlight(
        "ЗСУ продовжують тримати ОБОРОНУ в Бахмуті",
        ["place: 'Бахмуті' → Bakhmut (locative)", "event: 'оборону' → hold by ukraine"],
    )
    assert segments == (
        Segment("ЗСУ продовжують тримати "),
        Segment("ОБОРОНУ", "cue"),
        Segment(" в "),
        Segment("Бахмуті", "place"),
    )


def test_highlight_prefers_the_longest_form_without_overlaps() -> None:
    segments = highlight(
        "Wagner claims full control of Bakhmut; control is disputed",
        ["event: 'control' → hold", "event: 'full control' → capture", "place: 'Bakhmut' → Bakhmut (exact)"],
    )
    marked = [(s.text, s.mark) for s in segments if s.mark]
    assert marked == [("full control", "cue"), ("Bakhmut", "place"), ("control", "cue")]
    assert "".join(s.text for s in segments) == "Wagner claims full control of Bakhmut; control is disputed"


def test_highlight_matches_tokenised_forms_and_whole_words_only() -> None:
    segments = highlight(
        "Russia's counter-attacks in training areas",
        ["actor: 'Russia's' → russia", "event: 'counter attacks' → attack by russia", "cue: 'in'"],
    )
    assert [(s.text, s.mark) for s in segments if s.mark] == [
        ("Russia's", "cue"),
        ("counter-attacks", "cue"),
        ("in", "cue"),
    ]


def test_highlight_without_quoted_forms_is_one_plain_segment() -> None:
    assert highlight("Nothing to mark here", ["source: isw"]) == (Segment("Nothing to mark here"),)
    assert highlight("", []) == ()


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("HTTP://example.org/", "HTTP://example.org/"),
        ("javascript:alert(1)", None),
        (" JaVaScRiPt:alert(1)", None),
        ("data:text/html;base64,PHNjcmlwdD4=", None),
        ("/relative/path", None),
        ("//example.org/no-scheme", None),
        ("urn:guid:1", None),
        ("https:///no-host", None),
        ("", None),
    ],
)
def test_only_absolute_http_urls_are_links(url: str, link: str | None) -> None:
    assert safe_link(url) == link


def test_report_views_carry_safe_links_and_segments() -> None:
    report = build([stored(1, url="javascript:alert(1)")])
    view = report.findings[0]
    assert view.link is None
    assert view.url == "javascript:alert(1)"
    assert [s.mark for s in view.segments if s.mark] == ["cue", "place"]


# ------------------------------------------------------------------ places for the map


def test_place_status_is_the_worst_among_its_claims_latest_findings() -> None:
    findings = [
        stored(1, claim_id="bakhmut-battle", relation=Relation.CONTRADICTS, published=T0 - timedelta(days=1)),
        stored(2, claim_id="bakhmut-battle", relation=Relation.CONFIRMS, published=T0),
        stored(3, claim_id="us-advises-withdrawal", relation=Relation.UPDATES, published=T0),
        stored(4, claim_id="klishchiivka-taken", relation=Relation.CONFIRMS, places=("Klishchiivka",)),
    ]
    places = {p.place_id: p for p in build(findings).places}
    assert (
        places["bakhmut"].status is Status.UPDATED
    )  # bakhmut-battle's latest confirms; the other claim updates
    assert places["bakhmut"].findings == 3
    assert places["klishchiivka"].status is Status.UNCHANGED
    assert places["soledar"].status is None
    assert len(places) == len(bakhmut().places)
