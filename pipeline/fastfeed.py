"""A fast reading of the plain feeds most servers send, giving what feedparser gives, else None.

feedparser runs a Python handler for every start tag, end tag and run of text: ~0.2 ms an
item, about a third of the pool's time in a cold cycle (py-spy, benchmarks/README.md). Most
feeds are plain: a well-formed RSS 2.0 or Atom 1.0 document, every item a flat list of simple
elements. For those, `read` builds the raw mapping `parse._item` reads (title, summary,
content, link, id, published_parsed, updated_parsed and their types) from one C-level
ElementTree parse, with feedparser's own helpers for what feedparser decides (its date parser,
its guess of HTML in RSS text, its URI fix-up), so the items come out the same.

Anything else returns None and the caller hands the document to feedparser: a DOCTYPE or
entity declaration, xml:base, a parse error (an undefined entity, a broken tag), another
format or version, markup or base64 inside a text element, an item element it does not know
or one it reads given twice, C1 control characters (feedparser maps them to cp1252), a date
feedparser cannot read, a relative link, an Atom link without href, no items at all.
`tests/test_fastfeed.py` checks that `parse_feed` gives the same feed either way, on every
fixture and on thousands of generated documents.
"""

from __future__ import annotations

import contextlib
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.mixin import _FeedParserMixin

logger = logging.getLogger(__name__)

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC = "{http://purl.org/dc/elements/1.1/}"
# Leaf elements whose text feedparser keeps in fields newswatch never reads (authors, tags,
# comment links, enclosures): skipped when they hold no child element.
_RSS_IGNORED = frozenset(
    {"author", "category", "comments", "enclosure", "source", f"{_DC}creator", f"{_DC}subject",
     "{http://purl.org/rss/1.0/modules/slash/}comments", "{http://wellformedweb.org/CommentAPI/}commentRss"}
)  # fmt: skip
_ATOM_IGNORED = frozenset({f"{_ATOM}category", f"{_ATOM}rights"})
_ATOM_PEOPLE = frozenset({f"{_ATOM}author", f"{_ATOM}contributor"})  # name/email/uri children, never read
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Markup feedparser must read, looked for in the lowered body: a case-insensitive regex tries
# every position in Python's engine (415 µs for a 25 kB feed, against 47 µs for these).
_REFUSED = (b"<!doctype", b"<!entity", b"xml:base")
# What feedparser's `_urljoin("", uri)` changes in an id or a link: the slashes after "scheme://"
# (its `_urifixer`; an empty base leaves the rest as it is). Matched, not substituted: 0.4 µs, not 4.7.
_EXTRA_SLASHES = re.compile("[A-Za-z][A-Za-z0-9+-.]*://(/+)")
_C1 = re.compile("[\x80-\x9f]")
_LINK_REFERENCE = re.compile("&([A-Za-z0-9_]+);")


def _needs_feedparser(data: bytes) -> bool:
    lowered = data.lower()  # ASCII only, as a bytes regex's IGNORECASE
    return any(markup in lowered for markup in _REFUSED)


class _NotPlain(Exception):
    """The document needs feedparser."""


def read(data: bytes) -> dict[str, Any] | None:
    """feedparser's result for a plain UTF-8 RSS 2.0 or Atom 1.0 document (the keys parse_feed reads), else None."""
    if _needs_feedparser(data):
        return None
    try:
        root = ET.fromstring(data)
        if root.tag == "rss" and (_attr(root, "version") or "").startswith("2."):
            channel = root.find("channel")
            if channel is None:
                return None
            entries = [_rss_item(item) for item in _entries(root, channel, "item")]
            feed, version = _channel(channel), "rss20"
        elif root.tag == f"{_ATOM}feed":
            entries = [_atom_entry(entry) for entry in _entries(root, root, f"{_ATOM}entry")]
            feed, version = _atom_feed(root), "atom10"
        else:
            return None
    except (ET.ParseError, _NotPlain, ValueError, OverflowError):
        return None
    except Exception:  # a bug here must not cost the feed: feedparser reads it
        logger.warning("the fast feed reader failed; feedparser reads the document", exc_info=True)
        return None
    if not entries:
        return None  # feedparser's not-a-feed and empty-feed rules decide
    return {"feed": feed, "entries": entries, "bozo": 0, "version": version}


def _entries(root: ET.Element, parent: ET.Element, tag: str) -> list[ET.Element]:
    entries = [child for child in parent if child.tag == tag]
    if len(entries) != sum(1 for _ in root.iter(tag)):
        raise _NotPlain(f"an {tag} nested elsewhere")
    return entries


def _channel(channel: ET.Element) -> dict[str, Any]:
    """The channel's title and link (what relative item links resolve against)."""
    titles = [child for child in channel if child.tag == "title"]
    first_item = next((n for n, child in enumerate(channel) if child.tag == "item"), len(channel))
    if len(titles) > 1 or (titles and list(channel).index(titles[0]) > first_item):
        raise _NotPlain("a channel title given twice or after the items")
    feed = _detailed("title", titles[0], "text/plain", guess=True) if titles else {}
    link = None
    for child in channel:
        if child.tag == "link":
            if child.attrib:
                raise _NotPlain("an RSS link with attributes")
            link = _LINK_REFERENCE.sub(r"&\g<1>", _fixed_uri(_text(child)))
        elif child.tag == f"{_ATOM}link":
            link = _atom_link(child, link)
    if link is not None:
        feed["link"] = link
    return feed


def _atom_feed(root: ET.Element) -> dict[str, Any]:
    """The feed's title and link: the last alternate HTML link, else its id."""
    titles = root.findall(f"{_ATOM}title")
    if len(titles) > 1 or len(root.findall(f"{_ATOM}id")) > 1:
        raise _NotPlain("a feed title or id given twice")
    feed = _detailed("title", titles[0], "text/plain", guess=False) if titles else {}
    link = None
    for child in root.findall(f"{_ATOM}link"):
        link = _atom_link(child, link)
    feed_id = root.find(f"{_ATOM}id")
    if link is None and feed_id is not None:
        link = _fixed_uri(_text(feed_id))
    if link is not None:
        feed["link"] = link
    return feed


def _detailed(key: str, element: ET.Element, default_type: str, *, guess: bool) -> dict[str, Any]:
    """A text field and its `<key>_detail` type, as feedparser stores title, summary and description."""
    value, kind = _content(element, default_type, guess=guess)
    return {key: value, f"{key}_detail": {"type": kind}}


def _rss_item(item: ET.Element) -> dict[str, Any]:
    if item.attrib:
        raise _NotPlain("attributes on an item (rdf:about is its id)")
    entry: dict[str, Any] = {}
    permalink, link = False, None
    for child in _once(item, _RSS_IGNORED):
        tag = child.tag
        if tag == "title":
            entry.update(_detailed("title", child, "text/plain", guess=True))
        elif tag == "description":
            entry.update(_detailed("summary", child, "text/html", guess=True))
        elif tag == _CONTENT_ENCODED:
            value, kind = _content(child, "text/html", guess=True)
            entry["content"] = [{"type": kind, "value": value}]
        elif tag == "link":
            if child.attrib:
                raise _NotPlain("an RSS link with attributes")
            link = _link_text(_fixed_uri(_text(child)))
        elif tag == "guid":
            permalink = (_attr(child, "ispermalink") or "true") == "true"
            value = _text(child)
            entry["id"] = _fixed_uri(value) if permalink and value else value
        elif tag == "pubDate":
            entry["published_parsed"] = _date(child)
        else:
            raise _NotPlain(f"an item element feedparser may read: {tag}")
    _keep_summary(entry)
    _set_link(entry, link, permalink)
    return entry


def _atom_entry(element: ET.Element) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    link = None
    for child in _once(element, _ATOM_IGNORED, _ATOM_PEOPLE, repeatable=f"{_ATOM}link"):
        tag = child.tag
        if tag == f"{_ATOM}title":
            entry.update(_detailed("title", child, "text/plain", guess=False))
        elif tag == f"{_ATOM}summary":
            entry.update(_detailed("summary", child, "text/plain", guess=False))
        elif tag == f"{_ATOM}content":
            if _attr(child, "src") is not None:
                raise _NotPlain("out-of-line content")
            value, kind = _content(child, "text/plain", guess=False)
            entry["content"] = [{"type": kind, "value": value}]
        elif tag == f"{_ATOM}link":
            link = _atom_link(child, link)
        elif tag == f"{_ATOM}id":
            value = _text(child)
            entry["id"] = _fixed_uri(value) if value else value
        elif tag == f"{_ATOM}published":
            entry["published_parsed"] = _date(child)
        elif tag == f"{_ATOM}updated":
            entry["updated_parsed"] = _date(child)
        else:
            raise _NotPlain(f"an entry element feedparser may read: {tag}")
    _keep_summary(entry)
    _set_link(entry, link, True)
    return entry


def _once(
    parent: ET.Element, ignored: frozenset[str], subtrees: frozenset[str] = frozenset(), repeatable: str = ""
) -> Iterable[ET.Element]:
    """The children feedparser reads into the entry, each at most once; refuses nested entries."""
    seen: set[str] = set()
    for child in parent:
        if child.tag in subtrees:
            continue
        if child.tag in ignored:
            if len(child):
                raise _NotPlain(f"markup inside {child.tag}")
            continue
        if child.tag in seen and child.tag != repeatable:
            raise _NotPlain(f"{child.tag} given twice")
        seen.add(child.tag)
        yield child


def _content(element: ET.Element, default_type: str, *, guess: bool) -> tuple[str, str]:
    """A text element's value and content type, as feedparser's push_content and pop leave them."""
    if _attr(element, "mode") is not None:
        raise _NotPlain("an Atom 0.3 content mode")
    kind = _FeedParserMixin.map_content_type(_attr(element, "type") or default_type)
    if kind == "application/xhtml+xml" or not kind.startswith("text/"):
        raise _NotPlain("xhtml, or a type feedparser would decode as base64")
    value = _text(element)
    markup = "<" in value or "&" in value  # looks_like_html needs one of them; most text has neither
    if guess and kind == "text/plain" and markup and _FeedParserMixin.looks_like_html(value):
        kind = "text/html"
    return value, kind


def _text(element: ET.Element) -> str:
    """The element's text, stripped, with feedparser's repair of UTF-8 read as Latin-1; no markup inside."""
    if len(element):
        raise _NotPlain(f"markup inside {element.tag}")
    value = (element.text or "").strip()
    if not value.isascii():
        if _C1.search(value):
            raise _NotPlain("C1 control characters")
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            value = value.encode("iso-8859-1").decode("utf-8")
    return value


def _attr(element: ET.Element, name: str) -> str | None:
    """An attribute as feedparser reads it: its name in any case, rel and type values lowercased."""
    for key, value in element.attrib.items():
        if key.lower() == name:
            return value.lower() if name in ("rel", "type") else value
    return None


def _fixed_uri(value: str) -> str:
    extra = _EXTRA_SLASHES.match(value)
    return value if extra is None else value[: extra.start(1)] + value[extra.end(1) :]


def _link_text(value: str) -> str:
    # feedparser's repair of query strings written as entity references ("?a=1&b;=2")
    return _LINK_REFERENCE.sub(r"&\g<1>", value.replace("&amp;", "&"))


def _atom_link(element: ET.Element, current: str | None) -> str | None:
    """The entry's link after this <link>: feedparser keeps the last alternate HTML one."""
    if len(element):
        raise _NotPlain("markup inside a link")
    href = _attr(element, "href")
    if href is None:
        raise _NotPlain("a link without href")
    rel = _attr(element, "rel") or "alternate"
    kind = _attr(element, "type") or ("application/atom+xml" if rel == "self" else "text/html")
    if rel == "alternate" and _FeedParserMixin.map_content_type(kind) in _HTML_TYPES:
        return _fixed_uri(href)
    return current


def _date(element: ET.Element) -> object:
    """feedparser's reading of a date: a UTC struct_time, or None when it cannot read it."""
    text = _text(element)
    # feedparser tries up to nine formats in turn (12-18 µs a date); the two that nearly every
    # feed writes are read here as its W3DTF and RFC 822 readers read them (tested against it)
    found = _W3DTF.fullmatch(text) or _RFC822.fullmatch(text)
    if found is None:
        return _parse_date(text)
    month = found["month"]
    try:
        stamp = datetime(
            int(found["year"]), _MONTHS.get(month) or int(month), int(found["day"]),
            int(found["hour"]), int(found["minute"]), int(found["second"]), tzinfo=UTC,
        )  # fmt: skip
        sign = found["sign"]
        if sign:
            offset = timedelta(hours=int(found["zone_hours"]), minutes=int(found["zone_minutes"]))
            stamp = stamp + offset if sign == "-" else stamp - offset
        return stamp.utctimetuple()
    except (OverflowError, ValueError):
        return _parse_date(text)  # out of range: whatever feedparser makes of it


# The two date forms read without feedparser (ASCII digits only: `\d` would take any script's).
_MONTHS = {
    name: n
    for n, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_TIME = r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
_W3DTF = re.compile(
    rf"(?P<year>[0-9]{{4}})-(?P<month>[0-9]{{2}})-(?P<day>[0-9]{{2}})T{_TIME}(?:\.[0-9]+)?"
    r"(?:Z|(?P<sign>[+-])(?P<zone_hours>[0-9]{2}):(?P<zone_minutes>[0-9]{2}))"
)
_RFC822 = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (?P<day>[0-9]{1,2}) "
    rf"(?P<month>{'|'.join(_MONTHS)}) "
    rf"(?P<year>[0-9]{{4}}) {_TIME} "
    r"(?:GMT|UTC?|Z|(?P<sign>[+-])(?P<zone_hours>[0-9]{2})(?P<zone_minutes>[0-9]{2}))"
)


def _keep_summary(entry: dict[str, Any]) -> None:
    # feedparser copies text or HTML content into a missing summary, without its type
    if "summary" not in entry and "content" in entry:
        content = entry["content"][0]
        if content["type"] == "text/plain" or content["type"] in _HTML_TYPES:
            entry["summary"] = content["value"]


def _set_link(entry: dict[str, Any], link: str | None, permalink: bool) -> None:
    """An explicit link wins; else a permalink guid (or any Atom id) acts as the link."""
    if link is not None:
        entry["link"] = link
    elif permalink and "id" in entry:
        entry["link"] = entry["id"]
