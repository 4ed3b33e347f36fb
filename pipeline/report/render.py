"""The report as JSON, Markdown or HTML (Jinja2, autoescaped; inline CSS and SVG, no external assets).

Pure: a `Report` in, text out. All feed text is escaped for the target format, and only the
http(s) links decided in `build` become links. The HTML finding markup is a macro in
`templates/_finding.html.j2`, so the web app can show findings exactly as the report does
(its own Environment loads `TEMPLATES_DIR` beside its templates).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipeline.report.build import ClaimReport, FindingView, Report, Status, Window, window_label
from pipeline.report.markdown import markdown_lines
from pipeline.report.svg import map_svg, timeline_svg

TEMPLATES_DIR = Path(__file__).parent / "templates"


def render_json(report: Report) -> str:
    """The report as JSON (the shape documented in the README; keys are stable)."""
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"


def report_dict(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data: baseline, window, findings, claims, dismissed, stats."""
    return {
        "baseline": {
            "id": report.baseline_id,
            "title": report.title,
            "as_of": report.as_of.isoformat(),
            "source": report.source,
            "author": report.author,
        },
        "window": {"since": report.window.since.isoformat(), "until": report.window.until.isoformat()},
        "generated": report.generated.isoformat(),
        "findings": [finding_dict(f) for f in report.findings],
        "claims": [
            {
                "id": c.claim_id,
                "status": c.status.value,
                "findings": c.count,
                "changed": c.changed,
                "latest_finding": None if c.latest is None else c.latest.id,
            }
            for c in report.claims
        ],
        "dismissed": [finding_dict(f) for f in _with_copies(report.dismissed)],
        "late": [finding_dict(f) for f in _with_copies(report.late)],
        "stats": {
            "items": report.items,
            "findings": len(report.findings),
            "by_relation": {relation.value: n for relation, n in report.by_relation},
            "dismissed": sum(1 + len(f.copies) for f in report.dismissed),
            "late": sum(1 + len(f.copies) for f in report.late),
        },
    }


def finding_dict(finding: FindingView) -> dict[str, Any]:
    """One finding as JSON-ready data (copies are listed as findings of their own)."""
    return {
        "id": finding.id,
        "claim_id": finding.claim_id,
        "relation": finding.relation.value,
        "item": {
            "url": finding.url,
            "title": finding.title,
            "published": finding.published.isoformat(),
            "feed": finding.feed,
        },
        "story_id": finding.story_id,
        "locations": list(finding.places),
        "evidence": finding.evidence,
        "score": finding.score,
        "review": finding.review.value,
        "reasons": list(finding.reasons),
    }


def render_markdown(report: Report) -> str:
    """The report as Markdown; feed text is escaped so it can neither format, link nor inject HTML."""
    return "\n".join(markdown_lines(report)) + "\n"


def render_html(
    report: Report,
    *,
    review_base_url: str | None = None,
    csrf_token: str | None = None,
    page_head: Markup | None = None,
    page_nav: Markup | None = None,
) -> str:
    """The report as one self-contained HTML page; with `review_base_url`, accept/dismiss forms on each finding.

    `page_head` and `page_nav` are trusted markup a host page adds (the web app's styles and navigation).
    """
    quiet = [c for c in report.claims if c.count == 0]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            r=report,
            window=window_label(report.window),
            claims=[(c, _timeline(c, report.window)) for c in report.claims if c.count],
            quiet=quiet,
            changed=[c for c in report.claims if c.changed],
            map=Markup(map_svg(report.places)),
            dismissed_count=sum(1 + len(f.copies) for f in report.dismissed),
            review_base_url=review_base_url,
            csrf_token=csrf_token,
            page_head=page_head or "",
            page_nav=page_nav or "",
            Status=Status,
        )
    )


FORMATS = ("json", "md", "html")


def render(report: Report, fmt: str) -> str:
    """The report in one of `FORMATS` (json, md, html); the file suffix is the format's name."""
    if fmt == "json":
        return render_json(report)
    if fmt == "md":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    raise ValueError(f"unknown report format {fmt!r} (use one of {', '.join(FORMATS)})")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """Built once: compiled templates are cached by the Environment."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    return env


def _timeline(claim: ClaimReport, window: Window) -> Markup:
    return Markup(timeline_svg(claim, window))


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def _with_copies(findings: tuple[FindingView, ...]) -> list[FindingView]:
    return [f for story in findings for f in (story, *story.copies)]
