"""report.render: the JSON shape, hostile feed text inert in HTML and Markdown, review forms, empty reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from pipeline.db.rows import StoredFinding
from pipeline.records import Relation, ReviewState
from pipeline.report import Report, Window, build_report
from pipeline.report.markdown import md_escape
from pipeline.report.render import TEMPLATES_DIR, render, render_html, render_json, render_markdown
from tests.report.factory import T0, bakhmut, stored

NOW = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
MAY = Window(datetime(2023, 5, 1, tzinfo=UTC), datetime(2023, 6, 1, tzinfo=UTC))
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
MD_LINK = "[click me](javascript:alert(2))"


def build(findings: Sequence[StoredFinding], items: int = 3) -> Report:
    return build_report(bakhmut(), findings, window=MAY, items=items, generated=NOW)


def hostile() -> list[StoredFinding]:
    return [
        stored(
            1,
            title=f"{SCRIPT} Wagner claims full control of Bakhmut {IMG}",
            url="javascript:alert(1)",
            evidence=f"{SCRIPT} Wagner claims full control of Bakhmut {IMG}",
            feed='wire"><b onmouseover=alert(9)>',
        ),
        stored(
            2,
            claim_id="klishchiivka-taken",
            published=T0 + timedelta(hours=1),
            title=f"{MD_LINK} Ukrainian troops recapture Klishchiivka",
            url="https://hostile.example/a?b=1&c=<2>\"x'",
            evidence=f"{MD_LINK} Ukrainian troops recapture Klishchiivka ![x](javascript:alert(4)) **bold** <b>",
            reasons=("place: 'Klishchiivka' → Klishchiivka (exact)", "event: 'recapture' → recapture"),
            places=("Klishchiivka",),
        ),
        stored(
            3,
            claim_id="vuhledar-offensive",
            relation=Relation.CONTRADICTS,
            review=ReviewState.DISMISSED,
            title='Vuhledar "><svg onload=alert(7)>',
            url="data:text/html;base64,PHNjcmlwdD4=",
            evidence='Russian assault on Vuhledar stalls "><svg onload=alert(7)>',
            reasons=("place: 'Vuhledar' → Vuhledar (exact)",),
            places=("Vuhledar",),
        ),
    ]


class Elements(HTMLParser):
    """Every start tag with its attributes, to check structure rather than strings."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


# ------------------------------------------------------------------ JSON


def test_json_has_the_documented_shape() -> None:
    data = json.loads(render_json(build(hostile(), items=5)))
    assert set(data) >= {"baseline", "window", "findings", "claims", "stats"}
    assert data["baseline"] == {
        "id": "bakhmut-2023-01-26",
        "title": bakhmut().metadata.title,
        "as_of": "2023-01-26",
        "source": "Militant Wire",
        "author": "Lucas Webber",
    }
    assert data["window"] == {"since": "2023-05-01T00:00:00+00:00", "until": "2023-06-01T00:00:00+00:00"}
    finding = data["findings"][1]
    assert set(finding) >= {"id", "claim_id", "relation", "item", "locations", "evidence", "score", "review"}
    assert finding["id"] == 1
    assert finding["claim_id"] == "bakhmut-battle"
    assert finding["relation"] == "updates"
    assert finding["item"] == {
        "url": "javascript:alert(1)",
        "title": f"{SCRIPT} Wagner claims full control of Bakhmut {IMG}",
        "published": "2023-05-20T18:00:00+00:00",
        "feed": 'wire"><b onmouseover=alert(9)>',
    }
    assert finding["locations"] == ["Bakhmut"]
    assert finding["score"] == 0.9
    assert finding["review"] == "pending"
    assert [f["id"] for f in data["findings"]] == [2, 1]  # dismissed 3 left out, newest first
    assert [f["id"] for f in data["dismissed"]] == [3]
    claims = {c["id"]: c for c in data["claims"]}
    assert claims["bakhmut-battle"] == {
        "id": "bakhmut-battle",
        "status": "updated",
        "findings": 1,
        "changed": True,
        "latest_finding": 1,
    }
    assert claims["vuhledar-offensive"]["status"] == "unchanged"  # its only finding is dismissed
    assert claims["vuhledar-offensive"]["findings"] == 0
    assert data["stats"] == {
        "items": 5,
        "findings": 2,
        "by_relation": {"confirms": 0, "updates": 2, "contradicts": 0},
        "dismissed": 1,
        "late": 0,
    }


def test_json_review_values() -> None:
    findings = [stored(1, review=ReviewState.ACCEPTED), stored(2, review=ReviewState.PENDING)]
    assert {f["review"] for f in json.loads(render_json(build(findings)))["findings"]} == {
        "accepted",
        "pending",
    }


# ------------------------------------------------------------------ HTML


def test_html_escapes_hostile_feed_text() -> None:
    html = render_html(build(hostile()))
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Wagner claims" in html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<svg onload" not in html
    assert "&#34;&gt;&lt;svg onload=alert(7)&gt;" in html
    assert "wire&#34;&gt;&lt;b onmouseover=alert(9)&gt;" in html
    tags = elements(html)
    assert [tag for tag, _ in tags if tag in {"script", "img", "iframe", "object", "embed"}] == []
    assert [(tag, name) for tag, attrs in tags for name in attrs if name.startswith("on")] == []
    hrefs = [attrs["href"] or "" for tag, attrs in tags if "href" in attrs]
    assert hrefs
    assert all(href.startswith(("https://", "http://", "#")) for href in hrefs), hrefs


def test_html_links_only_http_urls_and_shows_others_as_text() -> None:
    html = render_html(build(hostile()))
    assert 'href="https://hostile.example/a?b=1&amp;c=&lt;2&gt;&#34;x&#39;"' in html
    assert '<span class="url">javascript:alert(1)</span>' in html
    assert '<span class="url">data:text/html;base64,PHNjcmlwdD4=</span>' in html
    values = [value or "" for _, attrs in elements(html) for value in attrs.values()]
    assert [v for v in values if "javascript:" in v.lower() or "data:" in v.lower()] == []


def test_html_marks_evidence_and_shows_badges_scores_dates_outlets() -> None:
    html = render_html(build([stored(1, relation=Relation.CONTRADICTS, score=0.87, feed="demo-wire")]))
    assert '<mark class="cue">full control</mark> of <mark class="place">Bakhmut</mark>' in html
    assert '<span class="badge contradicts">contradicts</span>' in html
    assert "score 0.87" in html
    assert '<time datetime="2023-05-20T18:00:00+00:00">2023-05-20 18:00</time>' in html
    assert '<span class="outlet">demo-wire</span>' in html
    assert '<a href="https://wire.example/bakhmut" rel="noopener noreferrer nofollow">' in html


def test_html_is_one_self_contained_page() -> None:
    html = render_html(build(hostile()))
    tags = elements(html)
    assert [tag for tag, attrs in tags if tag in {"link", "script"} or "src" in attrs] == []
    assert html.count("<style>") == 1
    assert html.count("<svg") == 3  # the map and a timeline for each of the two claims with findings
    assert "@media print" in html
    assert "<form" not in html


def test_html_lists_dismissed_findings_apart() -> None:
    html = render_html(build(hostile()))
    dismissed = html[html.index('<section class="dismissed"') :]
    assert 'id="finding-3" data-review="dismissed"' in dismissed
    assert 'id="finding-3"' not in html[: html.index('<section class="dismissed"')]


def test_html_changed_claims_first_in_the_summary() -> None:
    findings = [
        stored(1, claim_id="kreminna-ukrainian-pressure", relation=Relation.CONFIRMS),
        stored(2, claim_id="us-advises-withdrawal", relation=Relation.CONTRADICTS),
    ]
    html = render_html(build(findings))
    summary = html[html.index("What changed") : html.index('<figure class="map">')]
    assert 'href="#claim-us-advises-withdrawal"' in summary
    assert "kreminna" not in summary.lower()
    assert html.index('id="claim-us-advises-withdrawal"') < html.index(
        'id="claim-kreminna-ukrainian-pressure"'
    )


def test_html_review_forms_and_claim_links_for_the_web_app() -> None:
    html = render_html(build(hostile()), review_base_url="", csrf_token="tok&en")
    forms = [attrs for tag, attrs in elements(html) if tag == "form"]
    actions = {attrs["action"] for attrs in forms}
    assert actions == {f"/findings/{i}/{a}" for i in (1, 2, 3) for a in ("accept", "dismiss")}
    assert {attrs["method"] for attrs in forms} == {"post"}
    hidden = [attrs for tag, attrs in elements(html) if tag == "input"]
    assert len(hidden) == 6
    assert all(a["type"] == "hidden" and a["name"] == "csrf" and a["value"] == "tok&en" for a in hidden)
    assert '<a href="/claims/bakhmut-battle">bakhmut-battle</a>' in html
    assert 'id="finding-1" data-review="pending"' in html
    prefixed = render_html(build(hostile()), review_base_url="/app")
    assert 'action="/app/findings/1/accept"' in prefixed
    assert 'href="/app/claims/bakhmut-battle"' in prefixed


def test_late_findings_have_their_own_section_in_every_format() -> None:
    april = datetime(2023, 4, 28, tzinfo=UTC)
    report = build_report(
        bakhmut(),
        [],
        window=Window(T0 - timedelta(days=1), T0 + timedelta(days=1)),
        items=0,
        generated=T0 + timedelta(days=1),
        late=[stored(9, published=april, title="Late wire copy")],
    )
    data = json.loads(render_json(report))
    assert [f["id"] for f in data["late"]] == [9]
    assert data["stats"]["late"] == 1
    assert data["findings"] == []
    markdown = render_markdown(report)
    assert "## Reported late" in markdown
    assert "Late wire copy" in markdown[markdown.index("## Reported late") :]
    html = render_html(report)
    assert 'id="finding-9"' in html[html.index('<section class="late"') :]


def test_referrer_policy_and_host_page_additions() -> None:
    report = build(hostile())
    referrer = [
        a["content"]
        for tag, a in elements(render_html(report))
        if tag == "meta" and a.get("name") == "referrer"
    ]
    assert referrer == ["no-referrer"]  # a file links to news sites and tells them nothing
    served = render_html(
        report, review_base_url="", page_head=Markup("<style>.x{}</style>"), page_nav=Markup("<nav>n</nav>")
    )
    metas = [a["content"] for tag, a in elements(served) if tag == "meta" and a.get("name") == "referrer"]
    assert metas == ["same-origin"]  # else the browser posts the review forms with Origin: null
    assert "<style>.x{}</style>\n</head>" in served
    assert "<body>\n<nav>n</nav>" in served


def test_html_folds_syndicated_copies_with_links_to_each_outlet() -> None:
    findings = [
        stored(1, item_id=10, story_id=10, feed="wire"),
        stored(
            2,
            item_id=11,
            story_id=10,
            feed="mirror",
            url="https://mirror.example/x",
            published=T0 + timedelta(hours=1),
        ),
        stored(
            3,
            item_id=12,
            story_id=10,
            feed="evil",
            url="javascript:alert(1)",
            published=T0 + timedelta(hours=2),
        ),
    ]
    html = render_html(build(findings))
    assert html.count('<article class="finding') == 1
    copies = html[html.index('<p class="copies">') : html.index("</p>", html.index('<p class="copies">'))]
    assert 'mirror <a href="https://mirror.example/x"' in copies
    assert "evil" in copies
    assert "javascript" not in copies
    assert "3 findings: 3 updates (1 stories)" in " ".join(html.split())


def test_empty_report_says_so_in_every_format() -> None:
    report = build([], items=0)
    assert '<p class="empty">No findings in this window.</p>' in render_html(report)
    assert "**No findings in this window.**" in render_markdown(report)
    data = json.loads(render_json(report))
    assert data["findings"] == []
    assert data["stats"]["findings"] == 0


def test_finding_macro_works_in_another_environment() -> None:
    env = Environment(loader=FileSystemLoader([TEMPLATES_DIR]), autoescape=True)
    page = env.from_string(
        '{% from "_finding.html.j2" import finding %}{{ finding(f, "", "t", show_claim=true) }}'
    )
    view = build(hostile()).findings[1]
    html = page.render(f=view)
    assert html.startswith('<article class="finding rel-updates" id="finding-1" data-review="pending">')
    assert 'action="/findings/1/dismiss"' in html
    assert SCRIPT not in html


def test_render_dispatches_on_the_format_name() -> None:
    report = build([stored(1)])
    assert render(report, "json") == render_json(report)
    assert render(report, "md") == render_markdown(report)
    assert render(report, "html") == render_html(report)
    with pytest.raises(ValueError, match="unknown report format"):
        render(report, "pdf")


# ------------------------------------------------------------------ Markdown


def test_markdown_escapes_hostile_feed_text_precisely() -> None:
    md = render_markdown(build(hostile()))
    for tag in ("<script", "<img", "<svg", "<b"):
        assert tag not in md
    assert (
        "  > \\[click me\\](javascript:alert(2)) Ukrainian troops **recapture** **Klishchiivka** "
        "!\\[x\\](javascript:alert(4)) \\*\\*bold\\*\\* &lt;b&gt;"
    ) in md
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; Wagner claims **full control** of **Bakhmut** &lt;img src=x onerror=alert(1)&gt;"
        in md
    )
    assert "&lt;img src=x onerror=alert(1)&gt; (javascript:alert(1))\n" in md  # not a link: text
    assert "· wire&quot;&gt;&lt;b onmouseover=alert(9)&gt; ·" in md
    assert "(<https://hostile.example/a?b=1&c=%3C2%3E%22x%27>)" in md


def test_markdown_renders_without_markup_from_feed_text() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    html = (
        markdown_it.MarkdownIt("commonmark", {"html": True})
        .enable("table")
        .render(render_markdown(build(hostile())))
    )
    tags = elements(html)
    assert [tag for tag, _ in tags if tag in {"script", "img", "svg", "b"}] == []
    hrefs = [attrs["href"] or "" for tag, attrs in tags if tag == "a"]
    assert set(hrefs) == {"https://hostile.example/a?b=1&c=%3C2%3E%22x%27"}  # summary and claim section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[click me](javascript:alert(2))" in html
    assert "<strong>recapture</strong>" in html
    assert "<table>" in html


def test_markdown_lists_dismissed_apart_and_changed_claims_first() -> None:
    md = render_markdown(build(hostile()))
    changed = md[md.index("## What changed") : md.index("## Claims")]
    assert "**UPDATED** `bakhmut-battle`" in changed
    assert "vuhledar" not in changed
    dismissed = md[md.index("## Dismissed findings") :]
    assert "`vuhledar-offensive` · **contradicts**" in dismissed
    assert "Vuhledar &quot;&gt;&lt;svg onload=alert(7)&gt; (data:text/html;base64,PHNjcmlwdD4=)" in dismissed


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a *b* _c_ `d`", "a \\*b\\* \\_c\\_ \\`d\\`"),
        ("x | y ~z~ $1", "x \\| y \\~z\\~ \\$1"),
        ("line\nbreak\t tab", "line break tab"),
        ("<a href='javascript:x'>&amp;", "&lt;a href='javascript:x'&gt;&amp;amp;"),
        ("[t](u)", "\\[t\\](u)"),
    ],
)
def test_md_escape(text: str, escaped: str) -> None:
    assert md_escape(text) == escaped
