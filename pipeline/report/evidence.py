"""Evidence and links as the report shows them: highlighted surface forms, http(s)-only links.

Pure: the reasons of a finding quote the surface forms that matched (`place: 'Бахмуті' →
Bakhmut (locative)`, `event: 'captured' → capture`, `denial: 'denied'`); they are found again in
the evidence sentence, case-insensitively, longest first and without overlaps, so a renderer
only has to escape each segment and wrap the marked ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of evidence text; `mark` is None for plain text, else "place" or "cue"."""

    text: str
    mark: str | None = None


def safe_link(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL with a host, else None (to be shown as text)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return url.strip()


def highlight(evidence: str, reasons: Sequence[str]) -> tuple[Segment, ...]:
    """Split evidence into plain and highlighted segments for the surface forms quoted in reasons."""
    return _highlight(evidence, tuple(reasons))


# A quoted surface form in a reason: `place: 'Бахмуті' → Bakhmut (locative)`, `denial: 'denied'`.
# The closing quote is the one followed by the arrow or the end, so "Russia's" survives.
_QUOTED = re.compile(r"^([^:']+): '(.+?)'(?: →|$)")


@lru_cache(maxsize=4096)
def _pattern(surface: str) -> re.Pattern[str] | None:
    """A surface form as a whole-word pattern; token gaps match any non-word run ('counter attacks')."""
    words = re.findall(r"\w+", surface)
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\W+".join(re.escape(word) for word in words) + r"(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=8192)
def _highlight(evidence: str, reasons: tuple[str, ...]) -> tuple[Segment, ...]:
    kinds: dict[str, str] = {}
    for reason in reasons:
        match = _QUOTED.match(reason)
        if match:
            kinds.setdefault(match.group(2).casefold(), "place" if match.group(1) == "place" else "cue")
    taken: list[tuple[int, int, str]] = []  # non-overlapping, longest surface first
    for surface in sorted(kinds, key=len, reverse=True):
        pattern = _pattern(surface)
        for match in pattern.finditer(evidence) if pattern else ():
            start, end = match.span()
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, kinds[surface]))
    segments: list[Segment] = []
    at = 0
    for start, end, mark in sorted(taken):
        if start > at:
            segments.append(Segment(evidence[at:start]))
        segments.append(Segment(evidence[start:end], mark))
        at = end
    if at < len(evidence):
        segments.append(Segment(evidence[at:]))
    return tuple(segments)
