"""The draft as a baseline file: TOML in the baseline's shape, with comments saying what to check.

Pure: a `Draft` in, text out; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pipeline.analysis.draft.article import slug
from pipeline.analysis.draft.claims import DraftClaim
from pipeline.analysis.draft.places import DraftPlace

if TYPE_CHECKING:  # Draft lives in the package's __init__, which imports this module
    from pipeline.analysis.draft import Draft


# Claim kinds the baseline schema knows, for the draft's guesses (which also name supply and trend).
_SCHEMA_KIND = {"supply": "activity", "trend": "assessment"}
_STATE_TEMPLATE = {
    "control": "state = { holder = \"...\", rival = \"...\", status = \"contested\" }  # or captured/surrounded/objective",
    "activity": "state = { actor = \"...\" }",
    "quantity": "state = { low = 0, high = 0, unit = \"...\", per = \"day\" }",
    "assessment": "state = { source = \"...\", stance = \"negative\" }",
    "forecast": "state = { actor = \"...\" }",
    "history": "state = { actor = \"...\" }",
}  # fmt: skip


def _toml_str(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_str(item) for item in items) + "]"


def draft_id(draft: Draft) -> str:
    """The baseline id: a slug of the title (or first place) and the date."""
    head = slug(draft.title or (draft.places[0].name if draft.places else "baseline"), 5) or "baseline"
    return f"{head}-{draft.as_of.isoformat()}" if draft.as_of else head


def _metadata_lines(draft: Draft) -> list[str]:
    lines = ["[metadata]", f"id = {_toml_str(draft_id(draft))}"]
    for key, value, hint in (
        ("title", draft.title, "the article's headline"),
        ("source", draft.source, "the publication or URL"),
        ("author", draft.author, "who wrote it"),
    ):
        lines.append(f"{key} = {_toml_str(value)}" if value else f'# TODO: {key} = "..."  # {hint}')
    if draft.as_of:
        lines.append(f"as_of = {draft.as_of.isoformat()}  # date found at the top of the article")
    else:
        lines.append("# TODO: as_of = YYYY-MM-DD  # no date found in the article's first lines")
    return lines


def _place_lines(place: DraftPlace) -> list[str]:
    lines = ["[[places]]", f"# mentioned {place.mentions} time(s)"]
    lines += [f"# {note}" for note in place.notes]
    lines += [
        f"id = {_toml_str(place.id)}",
        f"name = {_toml_str(place.name)}",
        f"kind = {_toml_str(place.kind)}  # kind guessed",
    ]
    if place.lat is None or place.lon is None:
        lines.append("# TODO: lat = 0.0")
        lines.append("# TODO: lon = 0.0")
    else:
        lines += [f"lat = {place.lat:.4f}", f"lon = {place.lon:.4f}"]
    lines.append(f"aliases = {_toml_list(place.aliases)}  # TODO: check aliases")
    lines.append("lookalikes = []  # names that must NOT match this place")
    return lines


def _claim_lines(claim: DraftClaim) -> list[str]:
    kind = _SCHEMA_KIND.get(claim.kind_guess, claim.kind_guess)
    guessed = f"kind guessed ({claim.kind_guess})" if kind != claim.kind_guess else "kind guessed"
    return [
        "[[claims]]",
        f"id = {_toml_str(claim.id)}",
        f"text = {_toml_str(claim.text)}",
        f"kind = {_toml_str(kind)}  # {guessed}",
        f"places = {_toml_list(claim.places)}",
        "actors = []",
        f"# TODO: {_STATE_TEMPLATE.get(kind, 'state = {}')}",
        "# TODO: topic groups: every group must occur; keep the 1-3 words that define the claim",
        "topic = [" + ", ".join(_toml_list([word]) for word in claim.topic[:3]) + "]",
    ]


def render_draft_toml(draft: Draft) -> str:
    """The draft as a baseline file (TOML) with comments telling the editor what to check."""
    lines = [
        "# Baseline DRAFTED by `newswatch baseline draft`: edit it before use.",
        "# Check every place (kind, coordinates, aliases; add lookalikes) and every claim (keep, reword",
        "# or delete; fill in actors, state and topic). Lines starting with `# TODO:` need a value.",
        "",
        *_metadata_lines(draft),
        "",
        "# ---------------------------------------------------------------- places",
    ]
    for place in draft.places:
        lines += ["", *_place_lines(place)]
    lines += [
        "",
        "# ---------------------------------------------------------------- actors",
        "# TODO: the sides and sources the claims name, e.g.",
        "# [[actors]]",
        '# id = "russia"',
        '# name = "Russian forces"',
        '# aliases = ["Russia*", "Russian forces", "Wagner"]',
        "",
        "# ---------------------------------------------------------------- claims",
    ]
    for claim in draft.claims:
        lines += ["", *_claim_lines(claim)]
    return "\n".join(lines) + "\n"
