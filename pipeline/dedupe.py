"""Duplicate keys for feed items: canonical URL, content hash, syndicated-copy match (pure, no I/O).

Three levels, from exact to fuzzy:

1. `canonical_url`: the same article reached through different links. Scheme and host are
   lowercased, default ports, the fragment and tracking parameters (utm_*, at_*, fbclid,
   gclid, ...) dropped, the remaining query parameters sorted, non-ASCII and percent-escapes
   written one way, and a trailing "/" removed from any path but the root: news sites serve
   "/a/123/" and "/a/123" as the same article and redirect one to the other. Path case is
   kept (paths are case-sensitive on most servers). "www." is kept: it is a different host.
2. `content_hash`: the same title and summary, whatever the case or spacing.
3. `find_syndicated`: the same wire story republished by another outlet, with a changed
   headline suffix (" - Reuters"), a dateline, or a lightly edited first paragraph.

How a syndicated copy is recognised. Both items are reduced by `story_text` to the title and
the first ~300 characters of the summary, casefolded, punctuation dropped. Then:

  - Short texts (either under 40 characters: a bare headline) must be equal. Headlines alone
    are too similar across different reports ("Russian forces shell Bakhmut" against
    "Ukraine reinforces Bakhmut") for a fuzzy score to mean anything.
  - When both have a real summary (the shorter at least 120 characters), the shorter is
    compared with the same length of the longer, so a teaser still matches the full text.
    Otherwise the whole texts are compared, and a length difference counts against them.
  - The score is rapidfuzz `fuzz.ratio` (edit similarity, 0-100) and must reach
    `min_similarity` (config: syndication_min_similarity, 92). `token_set_ratio` was rejected:
    it scores 100 whenever one text's words are a subset of the other's, so a headline-only
    item would "match" any longer report that mentions the same words.
  - False-positive guard: no number may have been replaced by another. The texts are aligned
    word by word (difflib); a changed stretch with a number on both sides ("12 killed" →
    "15 killed", "key events, day 337" / "day 338") marks a different or an updated report,
    and for newswatch an update must never be folded into the story it updates. Numbers
    only added or dropped (a dateline "KYIV, Jan 26 (Reuters) -") do not count, nor does
    the last stretch when the longer text was cut to the shorter's length.

Known misses, accepted because a missed copy only costs a duplicate in the report: a copy
whose headline was rewritten entirely, or whose summary starts somewhere else.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from rapidfuzz import fuzz

from pipeline.records import ParsedItem, pickled_as_arguments


def body_digest(body: bytes) -> str:
    """A digest of a fetched body: the same digest as the last stored body's means nothing in it is new."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


SHORT_TEXT = 40  # characters of story text under which only equality counts
PREFIX_MIN = 120  # the shorter text must be this long to be compared with the longer's start
SUMMARY_CHARS = 300  # how much of the summary story_text keeps
SHINGLE_WORDS = 3  # words in a run (a shingle) of `story_fingerprints`
WINNOW = 4  # consecutive shingles of which `story_fingerprints` keeps the least hash

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "xtor",
        "smid", "sr_share", "s_cid", "soc_src", "soc_trk", "mkt_tok", "_ga", "_gl", "_hsenc",
        "_hsmi", "oly_anon_id", "oly_enc_id", "vero_id", "wt.mc_id", "ito", "ncid", "ocid",
        "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "share", "rss",
    }
)  # fmt: skip
# utm_* (Google Analytics) and at_* (AT Internet: at_medium, at_campaign, at_custom1, ... as
# used by the BBC) are whole families; matched on lowercased names.
_TRACKING_PREFIXES = ("utm_", "at_")
# Characters left as they are in a path: RFC 3986 unreserved and sub-delims, ":" "@" "/",
# and "%" so that existing escapes are not escaped twice.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
# A URL that `_canonical_parsed` would only cut a trailing slash from: lowercase http(s), a
# lowercase host of plain labels, no port, user, query or fragment, a path of characters that
# `quote` keeps and no escape.
_PLAIN_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9-]+(?:\.[a-z0-9-]+)*)(?P<path>/[A-Za-z0-9/:@!$&'()*+,;=._~-]*)?"
)
_NUMBER = re.compile(r"\d+")


def canonical_url(url: str) -> str:
    """The URL in one canonical form for duplicate detection; anything not http(s) is returned stripped."""
    text = url.strip()
    plain = _PLAIN_URL.fullmatch(text)
    if plain is not None:  # most links: already canonical but for a trailing slash
        path = plain["path"] or "/"
        return f"{plain['scheme']}://{plain['host']}{path.rstrip('/') or '/'}"
    return _canonical_parsed(text)


def _canonical_parsed(text: str) -> str:
    """`canonical_url` of a stripped URL, read part by part."""
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:  # a bad port or a broken IPv6 literal
        return text
    if scheme not in _DEFAULT_PORTS or not host:
        return text

    netloc = f"[{host}]" if ":" in host else host  # hostname is already lowercased, IDN included
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"

    path = _upper_escapes(quote(parts.path, safe=_PATH_SAFE)) or "/"
    if path != "/":
        path = path.rstrip("/") or "/"
    # Parameters stay as written (not decoded and re-encoded, which could merge distinct
    # values); sorted by name, keeping the order of a repeated name's values.
    params = [
        _upper_escapes(quote(param, safe=_QUERY_SAFE))
        for param in parts.query.split("&")
        if param and not _is_tracking(unquote_plus(param.split("=", 1)[0]))
    ]
    params.sort(key=lambda param: param.split("=", 1)[0])
    return urlunsplit((scheme, netloc, path, "&".join(params), ""))


def content_hash(title: str, summary: str) -> str:
    """sha256 hex of the title and summary, casefolded and whitespace-collapsed."""
    # The newline cannot occur inside either normalised part, so ("ab", "c") and ("a", "bc") differ.
    text = f"{_fold(title)}\n{_fold(summary)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def story_text(title: str, summary: str) -> str:
    """The text compared for syndicated copies: title and the start of the summary, casefolded, no punctuation."""
    start = _bare_start(summary, SUMMARY_CHARS)
    if len(start) > SUMMARY_CHARS:
        start = start[:SUMMARY_CHARS]
        space = start.rfind(" ")
        if space > SUMMARY_CHARS // 2:
            start = start[:space]  # no half word at the end
    return f"{_bare(title)} {start}".strip()


def _bare_start(text: str, length: int) -> str:
    """`_bare(text)`, of which only the first `length` characters are sure to be kept intact.

    A summary can be 100,000 characters; only its start is compared. `_bare` of a prefix is a
    prefix of `_bare` of the whole but for its last few characters (a mark or a space run cut
    in two), so a prefix with a margin past `length` is enough when its result is long enough.
    """
    if len(text) > 2 * length + _BARE_MARGIN:
        start = _bare(text[: 2 * length + _BARE_MARGIN])
        if len(start) > length + _BARE_MARGIN:
            return start
    return _bare(text)


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class ItemKeys:
    """An item's duplicate keys, computed once (in the process that parsed it)."""

    canonical_url: str  # the item's unique key: its canonical link, else its guid or text
    content_hash: str
    story_text: str
    fingerprints: frozenset[int]  # `story_fingerprints(story_text)`


def item_keys(item: ParsedItem) -> ItemKeys:
    """The keys `cycle` deduplicates an item by; entries without a link are keyed by guid, else text."""
    digest = content_hash(item.title, item.summary)
    if item.url:
        key = canonical_url(item.url)
    elif item.guid:
        key = f"urn:guid:{item.guid}"
    else:
        key = f"urn:sha256:{digest}"
    text = story_text(item.title, item.summary)
    return ItemKeys(key, digest, text, story_fingerprints(text))


def story_fingerprints(text: str) -> frozenset[int]:
    """The winnowed hashes of a story text's runs of three words, what `storyindex` looks copies up by.

    `text` is a `story_text`: its words are joined by single spaces (no other whitespace is left).

    Of every WINNOW consecutive runs the one with the least hash is kept (winnowing, Schleimer et
    al. 2003): about 2 in 5, and two texts that share six words in a row share at least one. The
    hash is CRC-32, the same in every process (`hash()` of a str is not); two runs that collide
    only cost `find_syndicated` one more candidate to score. A text under three words is hashed whole.
    """
    # the words as UTF-8, split once: no byte of a multi-byte character is ASCII whitespace, so these
    # are the text's words encoded, and each run is hashed as joined, with no encoding per run
    words = text.encode().split()
    if len(words) < SHINGLE_WORDS:
        return frozenset({zlib.crc32(text.encode())}) if text else frozenset()
    # zip of the list and its shifted copies: every run (and every window of runs) in one C-level pass
    runs = map(b" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False))
    hashes = list(map(zlib.crc32, runs))
    if len(hashes) <= WINNOW:
        return frozenset(hashes)
    return frozenset(map(min, zip(*(hashes[i:] for i in range(WINNOW)), strict=False)))


@dataclass(frozen=True, slots=True)
class StoryCandidate:
    """A stored item that a new one may be a copy of; `text` is its `story_text`."""

    item_id: int
    story_id: int
    text: str


def find_syndicated(
    text: str, candidates: Sequence[StoryCandidate], min_similarity: float
) -> StoryCandidate | None:
    """The stored item this one is a syndicated copy of, if any.

    `text` and each candidate's text come from `story_text`. The best score wins; on a tie, the
    first candidate in the caller's order.
    """
    best: StoryCandidate | None = None
    best_score = -1.0
    for candidate in candidates:
        score = _similarity(text, candidate.text, min_similarity)
        if score is not None and score > best_score:
            best, best_score = candidate, score
    return best


def _similarity(a: str, b: str, min_similarity: float) -> float | None:
    """The score of `a` against `b` when they pass every rule in the module docstring, else None."""
    if not a or not b:
        return None
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    if len(shorter) < SHORT_TEXT:
        return 100.0 if a == b else None
    cut = len(shorter) >= PREFIX_MIN and len(longer) > len(shorter)
    window = _whole_word_prefix(longer, len(shorter)) if cut else longer
    score = fuzz.ratio(shorter, window, score_cutoff=min_similarity)
    if not score or _replaces_a_number(shorter, window, ignore_tail=cut):
        return None
    return float(score)


def _whole_word_prefix(text: str, length: int) -> str:
    """The first `length` characters of `text`, without a last word the cut split in two."""
    if len(text) > length and text[length] != " ":
        return text[:length].rsplit(" ", 1)[0]
    return text[:length]


def _replaces_a_number(a: str, b: str, *, ignore_tail: bool) -> bool:
    """Whether aligning the words of `a` and `b` shows a number replaced by another."""
    words_a, words_b = a.split(), b.split()
    changes = [
        op for op in SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes() if op[0] != "equal"
    ]
    if ignore_tail and changes and changes[-1][2] == len(words_a) and changes[-1][4] == len(words_b):
        changes.pop()  # where the longer text was cut, the two ends need not line up
    return any(
        tag == "replace" and _has_number(words_a[i1:i2]) and _has_number(words_b[j1:j2])
        for tag, i1, i2, j1, j2 in changes
    )


def _has_number(words: Sequence[str]) -> bool:
    return any(_NUMBER.search(word) for word in words)


def _is_tracking(key: str) -> bool:
    name = key.lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def _upper_escapes(text: str) -> str:
    return _ESCAPE.sub(lambda match: match.group(0).upper(), text)


def _fold(text: str) -> str:
    """NFKC, casefolded, whitespace collapsed: the same words typed or encoded differently agree."""
    if text.isascii():  # most news: NFKC leaves ASCII as it is, and casefolding it is lowering it
        return " ".join(text.lower().split())
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _bare(text: str) -> str:
    """`_fold` with punctuation, symbols and control characters turned into spaces and marks dropped."""
    if text.isascii():  # a table of bytes: one C look-up a character, not a dict look-up
        return " ".join(text.lower().encode("ascii").translate(_ASCII_BARE).decode("ascii").split())
    return " ".join(unicodedata.normalize("NFKC", text).casefold().translate(_BARE_CHARS).split())


class _BareChars(dict[int, str]):
    """str.translate's table for `_bare`, filled per character on first sight (categories never change)."""

    def __missing__(self, code: int) -> str:
        kind = unicodedata.category(chr(code))[0]
        # Stress and other combining marks go ("Бахму́т" is "бахмут"); punctuation, symbols,
        # control characters and separators become spaces.
        replacement = "" if kind == "M" else " " if kind in "PSCZ" else chr(code)
        self[code] = replacement
        return replacement


_BARE_CHARS = _BareChars()
# `_BARE_CHARS` on ASCII as a bytes table (no ASCII character is a mark, so each maps to one character)
_ASCII_BARE = bytes(ord(_BARE_CHARS[code]) for code in range(128)) + bytes(range(128, 256))
_BARE_MARGIN = 16  # characters past the kept start that a cut may disturb
