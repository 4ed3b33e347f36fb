"""Draft a baseline from any article: its places and candidate claims, for a person to edit.

Pure: text and a `Gazetteer` in, a `Draft` out; no I/O, no clock. `render_draft_toml` writes the draft
in the baseline-file shape with comments saying what to check.

    draft = draft_baseline(text, load_gazetteer(), source="Example News")
    print(render_draft_toml(draft))

The stages, one module each: `article` (words, title, byline, date, sentences) → `mentions` (capitalised
phrases looked up in the gazetteer) → `places` (which entry each mention means, consensus, aliases) →
`claims` (claim-like sentences) → `render` (the TOML).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.analysis.draft.article import read_article, slug, transliterate
from pipeline.analysis.draft.claims import MAX_CLAIMS, DraftClaim, draft_claims
from pipeline.analysis.draft.mentions import find_mentions
from pipeline.analysis.draft.places import DraftPlace, collect_places, draft_places
from pipeline.analysis.draft.render import draft_id, render_draft_toml
from pipeline.analysis.gazetteer import Gazetteer

__all__ = [
    "MAX_CLAIMS",
    "Draft",
    "DraftClaim",
    "DraftPlace",
    "draft_baseline",
    "draft_id",
    "render_draft_toml",
    "slug",
    "transliterate",
]


@dataclass(frozen=True, slots=True)
class Draft:
    """A baseline draft: what `render_draft_toml` writes for a person to edit."""

    title: str | None
    as_of: date | None
    places: tuple[DraftPlace, ...]
    claims: tuple[DraftClaim, ...]
    source: str | None = None
    author: str | None = None


def draft_baseline(article: str, gazetteer: Gazetteer, *, source: str | None = None) -> Draft:
    """Draft a baseline (places and candidate claims) from an article's plain text."""
    parsed = read_article(article)
    mentions, found = find_mentions(parsed.sentences, gazetteer)
    accs = collect_places(mentions, found)
    places = draft_places(accs)
    return Draft(
        title=parsed.title,
        as_of=parsed.as_of,
        places=places,
        claims=draft_claims(parsed.sentences, places, accs),
        source=source,
        author=parsed.author,
    )
