"""Feed bytes → ParsedFeed: RSS 0.9x-2.0, RSS 1.0/RDF and Atom, cleaned to plain text.

feedparser is untyped; this module is its only user and reads its results through `_raw()`,
so nothing else sees a FeedParserDict. The body goes to feedparser as bytes (in a BytesIO, so
it is never mistaken for a file name or URL) and feedparser honours the XML encoding
declaration: a windows-1251 feed comes out as proper Cyrillic. Before that, `xmlsafe.prepare`
removes what would make feedparser expand entities or spend minutes on one document (DTD
internal subsets, huge author fields, entries past a limit), each noted in the warning.

Deciding what a document is:
  - entries present, bozo set      → kept; `ParsedFeed.warning` says what was wrong (one line)
  - no entries, bozo set           → FetchError(source, "not_a_feed", ...)
  - no entries, no feed recognised → FetchError(source, "not_a_feed", ...) (an HTML page is
    well-formed enough that feedparser sets no bozo, so the missing feed version decides)
  - no entries, a valid feed       → an empty ParsedFeed

Each entry is cleaned: HTML stripped to text (script/style dropped, entities unescaped,
paragraphs kept as line breaks, other whitespace collapsed), control characters removed,
lengths capped with a flag, dates made UTC-aware (missing → the fetch time, more than a day
in the future → `now`), the link resolved against the feed's link and kept only when it is an
absolute http(s) URL (`javascript:`, `data:` and the like are dropped, characters no URL may
hold are percent-encoded). A guid shared by different entries identifies none of them and is
dropped from each (`guid_not_unique`). Of more than `max_items` entries the newest are kept.
An entry that cannot be read is skipped and logged; one bad entry never fails the feed.
Text is kept as text: markup in a plain-text field (`<script>` in a title) stays literal
characters for the renderers to escape. Pure: no I/O, no clock.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import logging
import re
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from pipeline import fastfeed
from pipeline.errors import FetchError
from pipeline.records import ParsedFeed, ParsedItem
from pipeline.xmlsafe import prepare

logger = logging.getLogger(__name__)

MAX_TITLE = 500
MAX_SUMMARY = 20_000
MAX_URL = 2_000
MAX_GUID = 2_000
# Markup read per field: the text kept is at most MAX_SUMMARY characters, and the HTML parser
# costs ~1 s per MB of tags, so the rest of a longer field is never read.
MAX_MARKUP = 50 * MAX_SUMMARY
MAX_ITEMS = 1_000  # newest entries kept per document; real feeds carry tens to a few hundred
FUTURE_TOLERANCE = timedelta(days=1)

_ELLIPSIS = "…"
# C0 and C1 controls (tab, newline and carriage return are whitespace, handled by the
# collapsing), lone surrogates (unencodable as UTF-8: the database would refuse them) and
# the two noncharacters feeds sometimes carry as padding.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_WHITESPACE = re.compile(r"\s+")
# Characters RFC 3986 allows nowhere in a URL; percent-encoding them changes no link's meaning
# and keeps quotes, angle brackets and controls (NUL: PostgreSQL refuses it) out of stored URLs.
_URL_UNSAFE = re.compile(r'[\x00-\x20"<>\\^`{|}\x7f-\x9f]')
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
_JSON_SNIFF = re.compile(rb"^(\xef\xbb\xbf)?\s*[\[{]")
_HTML_SNIFF = re.compile(
    rb"^(\xef\xbb\xbf)?\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL
)

_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})
# Tags whose start or end begins a new line, so "<p>a</p><p>b</p>" reads "a\nb", not "ab".
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
        "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip


def parse_feed(
    body: bytes,
    *,
    source: str,
    fetched_at: datetime,
    now: datetime | None = None,
    max_items: int = MAX_ITEMS,
    fast: bool = True,
) -> ParsedFeed:
    """Parse one feed document; raise FetchError("not_a_feed") when it holds no feed.

    `fast=False` always asks feedparser, the reference `fastfeed` is tested against.
    """
    if fetched_at.tzinfo is None or (now is not None and now.tzinfo is None):
        raise ValueError("fetched_at and now must be timezone-aware")
    fetched_at = fetched_at.astimezone(UTC)
    now = fetched_at if now is None else now.astimezone(UTC)
    try:
        # Twice max_items, so that the newest can still be chosen in a feed sorted oldest first.
        prepared = prepare(body, max_entries=2 * max_items)
        plain = fast and not prepared.notes and prepared.encoding_problem is None
        fast_read = fastfeed.read(prepared.data) if plain else None
        # A BytesIO, never the bytes themselves: feedparser would try bytes as a file name.
        # Its HTML sanitizer and relative-link rewriting are off: we keep only the text of HTML
        # (see _TextExtractor), and they cost most of its time on markup-heavy bodies (2 MiB of
        # tags: 9 s with them, 1 s without).
        parsed = (
            fast_read
            if fast_read is not None
            else _raw(
                feedparser.parse(io.BytesIO(prepared.data), sanitize_html=False, resolve_relative_uris=False)
            )
        )
    except Exception as exc:  # feedparser promises not to raise; if it does, the feed is unreadable
        raise FetchError(source, "not_a_feed", f"the feed parser failed: {_one_line(str(exc))}") from exc

    feed = _raw(parsed.get("feed"))
    entries = parsed.get("entries") or []
    # prepare() already decoded the body, so an encoding problem is its to report.
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else prepared.encoding_problem
    if not entries and (problem is not None or not parsed.get("version")):
        raise FetchError(source, "not_a_feed", _not_a_feed_reason(body, problem, parsed.get("version")))

    feed_link = _text(feed.get("link"))
    base = _absolute_base(feed_link, source)
    items = []
    for index, entry in enumerate(entries):
        try:
            item = _item(_raw(entry), base=base, fetched_at=fetched_at, now=now)
        except Exception as exc:  # one odd entry must not cost the whole feed
            logger.warning("entry skipped", extra={"source": source, "entry": index, "error": repr(exc)})
            continue
        if item is not None:
            items.append(item)

    notes = list(prepared.notes)
    items = list(_unique_guids(items))  # before the cut: a guid shared with a dropped entry still counts
    if len(items) > max_items:
        notes.append(f"{len(items):,} entries, the newest {max_items:,} kept")
        items = _newest(items, max_items)
    if problem is not None:
        notes.append(f"malformed feed, read leniently: {_describe(problem)}")
    title = _clean_title(_text(feed.get("title")), _detail_type(feed.get("title_detail")))
    return ParsedFeed(title=title or None, items=tuple(items), warning="; ".join(notes) or None)


def _newest(items: Sequence[ParsedItem], count: int) -> list[ParsedItem]:
    """The `count` newest items, in document order (ties go to the earlier entry)."""
    order = sorted(range(len(items)), key=lambda i: (-items[i].published.timestamp(), i))
    return [items[i] for i in sorted(order[:count])]


def _unique_guids(items: Sequence[ParsedItem]) -> tuple[ParsedItem, ...]:
    """Drop a guid that different entries share: it identifies none of them.

    Storage takes a known guid for an item already stored, so a feed that gives every entry
    the same guid would otherwise keep only its first entry. Copies of one entry (same link)
    keep their guid.
    """
    identities: defaultdict[str, set[object]] = defaultdict(set)
    for item in items:
        if item.guid is not None:
            identities[item.guid].add(item.url or (item.title, item.summary))
    shared = {guid for guid, seen in identities.items() if len(seen) > 1}
    return tuple(
        replace(item, guid=None, flags=(*item.flags, "guid_not_unique")) if item.guid in shared else item
        for item in items
    )


def _item(
    entry: Mapping[str, Any], *, base: str | None, fetched_at: datetime, now: datetime
) -> ParsedItem | None:
    flags: list[str] = []

    title = _clean_title(_text(entry.get("title")), _detail_type(entry.get("title_detail")))
    title, cut = _cap(title, MAX_TITLE)
    if cut:
        flags.append("title_truncated")

    summary, cut = _cap(_best_summary(entry), MAX_SUMMARY)
    if cut:
        flags.append("summary_truncated")

    url = _resolve(_text(entry.get("link")).strip(), base)
    if url is not None:
        url = _URL_UNSAFE.sub(_percent_encode, url)
        if len(url) > MAX_URL or not _is_web_url(url):
            # A cut URL points nowhere and a javascript: or relative one cannot be followed.
            url = None
            flags.append("url_dropped")

    guid: str | None = _CONTROL.sub("", _text(entry.get("id"))).strip() or None
    if guid is not None and len(guid) > MAX_GUID:
        # Cutting could make two ids equal; a digest stays unique and stable.
        guid = "sha256:" + hashlib.sha256(guid.encode("utf-8", "replace")).hexdigest()

    if not (url or guid or title):
        return None

    published = _published(entry)
    if published is None:
        published = fetched_at
        flags.append("date_missing")
    elif published > now + FUTURE_TOLERANCE:
        published = now
        flags.append("date_clamped")

    return ParsedItem(
        guid=guid, url=url, title=title, summary=summary, published=published, flags=tuple(flags)
    )


def _best_summary(entry: Mapping[str, Any]) -> str:
    """The longest text among the summary and the content parts (feeds put the full text in either)."""
    texts = [_clean_body(_text(entry.get("summary")), _detail_type(entry.get("summary_detail")))]
    for part in entry.get("content") or []:
        detail = _raw(part)
        texts.append(_clean_body(_text(detail.get("value")), _detail_type(detail)))
    return max(texts, key=len)


def _published(entry: Mapping[str, Any]) -> datetime | None:
    """published, else updated, as UTC; feedparser gives both as UTC struct_time."""
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, OSError, ValueError):
                continue  # a year far outside what datetime holds
    return None


# --- text cleaning -------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment; entities are unescaped by convert_charrefs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping.append(tag)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            if tag in self._skipping:
                while self._skipping.pop() != tag:
                    pass
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # Line breaks in HTML source are spaces; only block tags start a new line.
            self.parts.append(_WHITESPACE.sub(" ", _CONTROL.sub("", data)))


def _html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return "".join(extractor.parts)


def _clean_body(value: str, content_type: str) -> str:
    """Plain text with one line per paragraph; other whitespace collapsed to single spaces.

    feedparser types a value text/plain only when it is sure; anything else (html, xhtml, or
    no type at all) is read as HTML. In plain text a blank line separates paragraphs and a
    single line break is a hard wrap.
    """
    if len(value) > MAX_MARKUP:
        value = value[:MAX_MARKUP]
        if value.rfind("<") > value.rfind(">"):  # a tag cut in two would read as text
            value = value[: value.rfind("<")]
    if content_type == "text/plain":
        text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
        paragraphs = _BLANK_LINE.split(text)
    elif "<" not in value and "&" not in value:
        # No tag and no entity: the HTML reading is its one run of text, line breaks as spaces (most
        # titles, and summaries that feedparser has already unescaped); HTMLParser is pure Python
        return " ".join(_CONTROL.sub("", value).split())
    else:
        paragraphs = _html_to_text(value).split("\n")
    lines = (" ".join(paragraph.split()) for paragraph in paragraphs)
    return "\n".join(line for line in lines if line)


def _clean_title(value: str, content_type: str) -> str:
    """Plain text on one line."""
    return " ".join(_clean_body(value, content_type).split())


def _cap(text: str, limit: int) -> tuple[str, bool]:
    """The text cut to `limit` characters, at a word boundary when one is near, and whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text[: limit - len(_ELLIPSIS)]
    space = cut.rfind(" ", limit - 100)
    if space > 0:
        cut = cut[:space]
    return cut.rstrip() + _ELLIPSIS, True


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- feedparser's loose types ----------------------------------------------------------------


def _raw(value: object) -> Mapping[str, Any]:
    """A feedparser dict read as a plain mapping.

    A plain dict copy drops FeedParserDict's key aliases, one of which (updated_parsed →
    published_parsed) raises a DeprecationWarning; the keys read here are the canonical ones.
    """
    return dict(dict.items(value)) if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _detail_type(detail: object) -> str:
    return _text(_raw(detail).get("type")).lower()


def _absolute_base(feed_link: str, source: str) -> str | None:
    """What relative entry links resolve against: the feed's own link, else the feed URL."""
    for candidate in (feed_link.strip(), source):
        if urlsplit(candidate).scheme in {"http", "https"} and urlsplit(candidate).netloc:
            return candidate
    return None


def _resolve(link: str, base: str | None) -> str | None:
    if not link:
        return None
    try:
        if urlsplit(link).scheme or base is None:
            return link
        return urljoin(base, link)
    except ValueError:  # e.g. "http://[::1": kept as it is, for _is_web_url to refuse
        return link


def _is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host that urllib can read."""
    try:
        parts = urlsplit(url)
        return parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:
        return False


def _percent_encode(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def _describe(problem: object) -> str:
    """One readable line for a parser exception, with the position when it has one."""
    message = getattr(problem, "getMessage", None)
    line = getattr(problem, "getLineNumber", None)
    column = getattr(problem, "getColumnNumber", None)
    if callable(message) and callable(line) and callable(column):
        return _one_line(f"line {line()}, column {column()}: {message()}")
    return _one_line(str(problem)) or type(problem).__name__


def _not_a_feed_reason(body: bytes, problem: object, version: object) -> str:
    if not body.strip():
        return "the response is empty, not an RSS or Atom feed"
    if _HTML_SNIFF.match(body[:4096]):
        return "this is an HTML page, not an RSS or Atom feed (use the site's feed URL)"
    if _JSON_SNIFF.match(body[:4096]):
        return "this is JSON, not an RSS or Atom feed (use the site's feed URL)"
    if problem is not None and version:
        return f"a broken feed with no readable entries ({_describe(problem)})"
    if problem is not None:
        return f"not an RSS or Atom feed ({_describe(problem)})"
    return "no RSS or Atom feed found in the document"
