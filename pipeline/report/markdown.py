"""The report as Markdown lines (CommonMark plus GFM tables), for mail bodies and repositories.

Pure. Feed text never starts a line and is escaped with `md_escape`: one line, every character
with an inline meaning backslash-escaped and the HTML specials written as entities, so neither
`<script>` nor `[x](javascript:…)` survives as markup. Only http(s) links become links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

from pipeline.records import Relation
from pipeline.report.build import ClaimReport, FindingView, Report, window_label

# Inline specials of CommonMark and GFM (emphasis, code, links, tables, strikethrough) and `$`
# (math on GitHub and GitLab); `<`, `>`, `&` and `"` become entities before escaping.
_INLINE = re.compile(r"([\\`*_\[\]|~$])")
_SPACES = re.compile(r"\s+")
# At the start of a blockquote line these open a heading, list, quote or thematic break.
_LEADING = re.compile(r"^(?:(\d{1,9})([.)])|([#+\-=]))")


def md_escape(text: str) -> str:
    """Feed text made inert in Markdown: one line, specials escaped, HTML specials as entities."""
    flat = _SPACES.sub(" ", text)  # one line; a segment's edge spaces are kept
    entities = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _INLINE.sub(r"\\\1", entities)


def md_url(url: str) -> str:
    """An http(s) URL made safe as a link destination (spaces, brackets and quotes percent-encoded)."""
    return quote(url, safe=":/?#@!$&*+,;=%-._~")


def markdown_lines(report: Report) -> Iterator[str]:
    """The Markdown document, line by line."""
    counts = dict(report.by_relation)
    dismissed = sum(1 + len(f.copies) for f in report.dismissed)
    yield f"# Change report: {md_escape(report.title)}"
    yield ""
    article = f" ([article](<{md_url(report.baseline_link)}>))" if report.baseline_link else ""
    yield (
        f"**Baseline:** {md_escape(report.source)}, {md_escape(report.author)}, "
        f"as of {report.as_of:%Y-%m-%d}{article}  "
    )
    yield f"**Window:** {window_label(report.window)} · generated {report.generated:%Y-%m-%d %H:%M} UTC"
    yield ""
    yield "| items | findings | confirms | updates | contradicts | dismissed |"
    yield "|---:|---:|---:|---:|---:|---:|"
    yield (
        f"| {report.items} | {len(report.findings)} | {counts[Relation.CONFIRMS]} | {counts[Relation.UPDATES]} "
        f"| {counts[Relation.CONTRADICTS]} | {dismissed} |"
    )
    yield ""
    yield "## What changed"
    yield ""
    if not report.findings:
        yield "**No findings in this window.**"
        yield ""
    changed = [c for c in report.claims if c.changed]
    if report.findings and not changed:
        yield "No claim changed status in this window."
        yield ""
    for claim in changed:
        line = f"- **{claim.status.value.upper()}** `{claim.claim_id}`: {md_escape(claim.text)}"
        yield line if claim.latest is None else f"{line}  "  # hard break before the latest finding
        if claim.latest is not None:
            yield f"  Latest: {_source(claim.latest)}"
    if changed:
        yield ""
    active = [c for c in report.claims if c.count]
    if active:
        yield "## Claims"
        yield ""
    for claim in active:
        yield from _claim(claim)
    quiet = [c for c in report.claims if not c.count]
    if quiet:
        yield "## Claims with no findings in this window"
        yield ""
        yield from (f"- `{c.claim_id}` ({c.status.value}): {md_escape(c.text)}" for c in quiet)
        yield ""
    if report.late:
        yield "## Reported late"
        yield ""
        yield "Found in this window on reports published before it; not in the counts or the claims' status."
        yield ""
        for finding in report.late:
            yield from _finding(finding, claim=True)
        yield ""
    if report.dismissed:
        yield "## Dismissed findings"
        yield ""
        yield "Left out of the counts and of every claim's status."
        yield ""
        for finding in report.dismissed:
            yield from _finding(finding, claim=True)
        yield ""


def _claim(claim: ClaimReport) -> Iterator[str]:
    counts = ", ".join(f"{n} {relation.value}" for relation, n in claim.by_relation if n)
    yield f"### `{claim.claim_id}` — {claim.status.value}"
    yield ""
    yield f"> {md_escape(claim.text)}"
    yield ""
    noun = "finding" if claim.count == 1 else "findings"
    yield f"{claim.count} {noun} ({counts}), newest first:"
    yield ""
    for story in claim.stories:
        yield from _finding(story)
    yield ""


def _finding(finding: FindingView, *, claim: bool = False) -> Iterator[str]:
    about = f"`{finding.claim_id}` · " if claim else ""
    yield f"- {about}**{finding.relation.value}** · score {finding.score:.2f} · {_source(finding)}"
    evidence = "".join(f"**{md_escape(s.text)}**" if s.mark else md_escape(s.text) for s in finding.segments)
    # A line of its own inside the list item: keep a leading '1.' or '-' from opening a block.
    line = f"  > {_LEADING.sub(_unblock, evidence)}" if evidence else "  > (no evidence sentence)"
    if not finding.copies:
        yield line
        return
    others = "; ".join(_source(copy) for copy in finding.copies)
    yield f"{line}  "  # a hard line break keeps the copies on their own line in the same quote
    yield f"  > Also reported by: {others}"


def _unblock(match: re.Match[str]) -> str:
    if match.group(1):
        return f"{match.group(1)}\\{match.group(2)}"
    return f"\\{match.group(3)}"


def _source(finding: FindingView) -> str:
    """'2024-02-17 07:00 · outlet · [title](url)' (the title as text when the URL is not http(s))."""
    title = md_escape(finding.title) or "(untitled)"
    if finding.link:
        title = f"[{title}](<{md_url(finding.link)}>)"
    elif finding.url:
        title = f"{title} ({md_escape(finding.url)})"
    return f"{finding.published:%Y-%m-%d %H:%M} · {md_escape(finding.feed)} · {title}"
