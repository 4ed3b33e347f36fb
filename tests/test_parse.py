"""Tests for pipeline.parse: real feed files in tests/fixtures/feeds/, each beside its expected result."""

from __future__ import annotations

import html
import json
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from pipeline.errors import FetchError
from pipeline.parse import MAX_ITEMS, MAX_MARKUP, MAX_SUMMARY, MAX_TITLE, MAX_URL, parse_feed
from pipeline.records import ParsedFeed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
# Every expected.json file assumes this fetch time (and `now` defaulting to it).
FETCHED_AT = datetime(2023, 1, 27, 12, 0, tzinfo=UTC)


def _cases() -> list[Path]:
    return sorted(FEEDS.rglob("*.expected.json"))


def _input_for(expected: Path) -> Path:
    stem = expected.name.removesuffix(".expected.json")
    (found,) = [
        path for path in expected.parent.glob(f"{stem}.*") if not path.name.endswith(".expected.json")
    ]
    return found


def _case_id(expected: Path) -> str:
    return str(expected.relative_to(FEEDS)).removesuffix(".expected.json")


def _parse_file(path: Path, **kwargs: Any) -> ParsedFeed:
    # A local path as the source, as for the offline demo: relative links resolve only against the feed's link.
    return parse_feed(path.read_bytes(), source=str(path), fetched_at=FETCHED_AT, **kwargs)


@pytest.mark.parametrize("expected_path", _cases(), ids=_case_id)
def test_feed_matches_expected(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    feed = _parse_file(_input_for(expected_path))

    assert feed.title == expected["title"]
    if expected["warning_contains"] is None:
        assert feed.warning is None
    else:
        assert feed.warning is not None
        assert expected["warning_contains"] in feed.warning
        assert "\n" not in feed.warning
    got = [
        {
            "title": item.title,
            "url": item.url,
            "guid": item.guid,
            "summary_prefix": item.summary[: len(want["summary_prefix"])]
            if want["summary_prefix"]
            else item.summary,
            "published": item.published.isoformat(),
            "flags": list(item.flags),
        }
        for item, want in zip(feed.items, expected["items"], strict=False)
    ]
    assert len(feed.items) == len(expected["items"])
    assert got == expected["items"]


NOT_FEEDS = {
    "not-a-feed.html": "this is an HTML page",
    "hostile/html-page.html": "this is an HTML page",
    "hostile/not-a-feed.json": "this is JSON",
}


def test_every_fixture_has_a_test() -> None:
    tested = {_input_for(path) for path in _cases()} | {path for path in _cases()}
    tested |= {FEEDS / name for name in NOT_FEEDS} | {FEEDS / "oversize.xml"}  # tested on their own below
    assert {path for path in FEEDS.rglob("*") if path.is_file()} == tested


def test_dates_are_utc_aware() -> None:
    for expected in _cases():
        for item in _parse_file(_input_for(expected)).items:
            assert item.published.utcoffset() == timedelta(0)


def test_cp1251_fixture_is_really_cp1251() -> None:
    raw = (FEEDS / "cp1251-cyrillic.xml").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "Бахмут: тривають бої".encode("cp1251") in raw


@pytest.mark.parametrize(("name", "reason"), NOT_FEEDS.items(), ids=list(NOT_FEEDS))
def test_html_page_or_json_is_not_a_feed(name: str, reason: str) -> None:
    with pytest.raises(FetchError) as caught:
        _parse_file(FEEDS / name)
    assert caught.value.code == "not_a_feed"
    assert reason in str(caught.value)
    assert str(caught.value).startswith(str(FEEDS / name))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"  \n ", "empty", id="whitespace"),
        pytest.param(b'{"items": [{"title": "json"}]}', "this is JSON", id="json"),
        pytest.param(b"\xef\xbb\xbf  [1, 2, 3]", "this is JSON", id="json-array-with-bom"),
        pytest.param(b"\x00\x01\x02 binary junk \xff\xfe", "not an RSS or Atom feed", id="garbage"),
        pytest.param(
            b"<?xml version='1.0'?><note><to>you</to></note>", "no RSS or Atom feed", id="other-xml"
        ),
        pytest.param(
            b"<?xml version='1.0'?><rss version='2.0'><channel><title>cut",
            "broken feed with no readable entries",
            id="truncated",
        ),
    ],
)
def test_documents_without_a_feed_raise_not_a_feed(body: bytes, reason: str) -> None:
    with pytest.raises(FetchError) as caught:
        parse_feed(body, source="https://example.org/feed", fetched_at=FETCHED_AT)
    assert caught.value.code == "not_a_feed"
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_oversize_fields_are_capped_and_flagged() -> None:
    (item,) = _parse_file(FEEDS / "oversize.xml").items
    assert len(item.title) <= MAX_TITLE
    assert item.title.startswith("Bakhmut update000 update001")
    assert item.title.endswith("…")
    assert len(item.summary) <= MAX_SUMMARY
    assert item.summary.startswith("0. Fighting around the city continued")
    assert item.summary.endswith("…")
    assert item.url is None  # 2,234 characters: dropped rather than cut into a broken link
    assert item.guid == "oversize-1"
    assert item.flags == ("title_truncated", "summary_truncated", "url_dropped")


def test_fields_at_the_limit_are_kept_whole() -> None:
    title = "t" * MAX_TITLE
    url = "https://example.org/" + "a" * (MAX_URL - len("https://example.org/"))
    body = f"""<rss version="2.0"><channel><title>x</title><item><title>{title}</title><link>{url}</link>
        <pubDate>Thu, 26 Jan 2023 10:00:00 GMT</pubDate></item></channel></rss>""".encode()
    (item,) = parse_feed(body, source="s", fetched_at=FETCHED_AT).items
    assert (item.title, item.url, item.flags) == (title, url, ())


def test_relative_link_resolves_against_feed_url_when_feed_has_no_link() -> None:
    body = b"""<rss version="2.0"><channel><title>x</title>
        <item><title>a</title><link>../2023/story.html</link></item></channel></rss>"""
    (item,) = parse_feed(body, source="https://example.org/feeds/world.xml", fetched_at=FETCHED_AT).items
    assert item.url == "https://example.org/2023/story.html"


def test_atom_xml_base_is_honoured() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example/dir/">
        <title>x</title><link href="https://elsewhere.example/"/>
        <entry><title>a</title><id>urn:a</id><link href="a/1"/></entry></feed>"""
    (item,) = parse_feed(body, source="s", fetched_at=FETCHED_AT).items
    assert item.url == "https://base.example/dir/a/1"


def test_longest_of_summary_and_content_wins() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
        <entry><title>a</title><id>urn:a</id>
        <summary type="html">&lt;p&gt;A much longer summary than the content part, for once.&lt;/p&gt;</summary>
        <content type="text">Short content.</content></entry></feed>"""
    (item,) = parse_feed(body, source="s", fetched_at=FETCHED_AT).items
    assert item.summary == "A much longer summary than the content part, for once."


def test_plain_text_keeps_literal_angle_brackets_and_paragraphs() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
        <entry><title type="text">a &lt; b &amp;amp; c</title><id>urn:a</id>
        <content type="text">First paragraph,
hard-wrapped.

Second &lt;not a tag&gt;.</content></entry></feed>"""
    (item,) = parse_feed(body, source="s", fetched_at=FETCHED_AT).items
    assert item.title == "a < b &amp; c"
    assert item.summary == "First paragraph, hard-wrapped.\nSecond <not a tag>."


def test_now_moves_the_clamp() -> None:
    body = b"""<rss version="2.0"><channel><title>x</title>
        <item><title>a</title><pubDate>Sun, 29 Jan 2023 12:00:00 GMT</pubDate></item></channel></rss>"""
    later = FETCHED_AT + timedelta(days=2)
    (kept,) = parse_feed(body, source="s", fetched_at=FETCHED_AT, now=later).items
    assert (kept.published, kept.flags) == (datetime(2023, 1, 29, 12, tzinfo=UTC), ())
    (clamped,) = parse_feed(body, source="s", fetched_at=FETCHED_AT).items
    assert (clamped.published, clamped.flags) == (FETCHED_AT, ("date_clamped",))


def test_fetch_time_in_another_zone_comes_out_utc() -> None:
    kyiv = timezone(timedelta(hours=2))
    body = b'<rss version="2.0"><channel><title>x</title><item><title>a</title></item></channel></rss>'
    (item,) = parse_feed(body, source="s", fetched_at=datetime(2023, 1, 27, 14, tzinfo=kyiv)).items
    assert item.published == FETCHED_AT
    assert item.published.tzinfo == UTC


def test_naive_fetch_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_feed(b"", source="s", fetched_at=datetime(2023, 1, 27, 12))  # noqa: DTZ001 - the case under test


def test_bytes_are_never_read_as_a_file_name() -> None:
    # feedparser opens a file when given bytes that name one; the body must be parsed as itself.
    feed = FEEDS / "rss20-basic.xml"
    with pytest.raises(FetchError):
        parse_feed(str(feed).encode(), source="s", fetched_at=FETCHED_AT)


def test_one_bad_entry_is_skipped_not_fatal(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import pipeline.parse as parse_module

    real = parse_module._published

    def fragile(entry: Any) -> datetime | None:
        if entry.get("title") == "bad":
            raise ValueError("a date the parser chokes on")
        return real(entry)

    monkeypatch.setattr(parse_module, "_published", fragile)
    body = b"""<rss version="2.0"><channel><title>x</title>
        <item><title>good</title></item><item><title>bad</title></item><item><title>also good</title></item>
        </channel></rss>"""
    feed = parse_feed(body, source="s", fetched_at=FETCHED_AT)
    assert [item.title for item in feed.items] == ["good", "also good"]
    assert "entry skipped" in caplog.text


# --- hostile documents (fixtures in feeds/hostile/, the large ones built here) ------------------

HOSTILE = FEEDS / "hostile"
ENTITY_FIXTURES = ["billion-laughs.xml", "quadratic-blowup.xml", "external-entity.xml", "doctype-tricks.xml"]


def _text_size(feed: ParsedFeed) -> int:
    return len(feed.title or "") + sum(len(item.title) + len(item.summary) for item in feed.items)


@pytest.mark.parametrize("name", ENTITY_FIXTURES)
def test_nothing_expands_text_is_never_longer_than_the_document(name: str) -> None:
    body = (HOSTILE / name).read_bytes()
    feed = _parse_file(HOSTILE / name)
    assert feed.items  # the entries are kept, with the references left as literal text
    assert _text_size(feed) < len(body)
    assert feed.warning is not None
    assert "DTD internal subset removed" in feed.warning


def test_linear_entity_bomb_does_not_expand() -> None:
    # One "safe" entity (no nested references) used many times: feedparser's lenient parser
    # expanded this to 100 MB of text before the DTD was removed.
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + b"A" * 10_000 + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>t</title><item><title>x</title>'
        b"<link>https://bomb.example.org/1</link><description>" + b"&a;" * 10_000 + b"</description>"
        b"</item></channel></rss>"
    )
    (item,) = parse_feed(body, source="s", fetched_at=FETCHED_AT).items
    assert "AAA" not in item.summary
    assert len(item.summary) < len(body)


@pytest.mark.parametrize(
    "declaration",
    [
        pytest.param('<!ENTITY x SYSTEM "{uri}">', id="general-entity"),
        pytest.param('<!ENTITY % p SYSTEM "{uri}"> %p;', id="parameter-entity"),
    ],
)
def test_external_entities_read_nothing_from_disk(tmp_path: Path, declaration: str) -> None:
    canary = tmp_path / "secret.txt"
    canary.write_text("CANARY-7f3a9 <title>leaked</title>", encoding="utf-8")
    doctype = declaration.format(uri=canary.as_uri())
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss [ {doctype} ]>
<rss version="2.0"><channel><title>t &x;</title><item><title>a &x;</title>
<link>https://leak.example.org/1</link><description>&x;</description></item></channel></rss>""".encode()
    with record_file_and_network_events() as events:
        feed = parse_feed(body, source="s", fetched_at=FETCHED_AT)
    assert feed.items
    everything = repr(feed)
    assert "CANARY" not in everything
    assert "leaked" not in everything
    assert [e for e in events if str(canary) in e or e.startswith(("socket", "urllib"))] == []


def test_external_dtd_and_entities_are_never_fetched(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/evil.dtd").respond_with_data('<!ENTITY x "FROM-THE-DTD">')
    httpserver.expect_request("/x").respond_with_data("FROM-THE-ENTITY")
    dtd, entity = httpserver.url_for("/evil.dtd"), httpserver.url_for("/x")
    bodies = [
        # No internal subset: kept, and the DTD it names is never loaded.
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{dtd}"><rss version="2.0"><channel><title>t</title>'
        "<item><title>a &x;</title><link>https://e.example.org/1</link></item></channel></rss>",
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{entity}">]><rss version="2.0"><channel>'
        "<title>t</title><item><title>a &x;</title><link>https://e.example.org/1</link></item></channel></rss>",
    ]
    for body in bodies:
        with record_file_and_network_events() as events:
            (item,) = parse_feed(body.encode(), source="s", fetched_at=FETCHED_AT).items
        assert "FROM-THE" not in item.title
        assert [e for e in events if e.startswith(("socket", "urllib"))] == []
    assert httpserver.log == []


def test_huge_fields_are_capped_and_author_fields_emptied() -> None:
    # A 100,000-character word in an author field cost feedparser's e-mail pattern ~100 s.
    big = "w" * 100_000
    body = f"""<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
        <title>{big}</title><managingEditor>{big}</managingEditor>
        <item><title>{big}</title><link>https://big.example.org/{big}</link><guid>{big}</guid>
        <description>{big}</description><author>{big}</author><dc:creator><![CDATA[{big}]]></dc:creator>
        <category>{big}</category><pubDate>Thu, 26 Jan 2023 10:00:00 GMT</pubDate></item>
        </channel></rss>""".encode()
    feed = parse_feed(body, source="s", fetched_at=FETCHED_AT)
    (item,) = feed.items
    assert feed.warning == "3 author field(s) over 256 bytes emptied"
    assert (len(item.title), len(item.summary)) == (MAX_TITLE, MAX_SUMMARY)
    assert item.url is None
    assert item.guid is not None
    assert item.guid.startswith("sha256:")
    assert item.flags == ("title_truncated", "summary_truncated", "url_dropped")


def _many_items(count: int, *, oldest_first: bool = False) -> bytes:
    start = datetime(2023, 1, 1, tzinfo=UTC)
    order = range(count) if oldest_first else range(count - 1, -1, -1)
    items = "".join(
        f"<item><title>Report {n}</title><link>https://many.example.org/{n}</link><guid>g{n}</guid>"
        f"<pubDate>{(start + timedelta(minutes=n)).strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>"
        f"<description>Text of report {n}.</description></item>"
        for n in order
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>{items}</channel></rss>'.encode()


def test_five_thousand_items_keep_the_newest_thousand() -> None:
    feed = parse_feed(_many_items(5000), source="s", fetched_at=FETCHED_AT)
    assert len(feed.items) == MAX_ITEMS == 1000
    assert [item.title for item in feed.items[:2]] == ["Report 4999", "Report 4998"]
    assert feed.items[-1].title == "Report 4000"
    assert feed.warning == "document cut after 2,000 entries; 2,000 entries, the newest 1,000 kept"


def test_item_limit_keeps_the_newest_in_document_order_when_sorted_oldest_first() -> None:
    feed = parse_feed(_many_items(30, oldest_first=True), source="s", fetched_at=FETCHED_AT, max_items=5)
    # The document is cut after 2 x 5 entries, and the newest 5 of those are kept.
    assert [item.title for item in feed.items] == [f"Report {n}" for n in range(5, 10)]


def test_feed_at_the_item_limit_is_untouched() -> None:
    feed = parse_feed(_many_items(5), source="s", fetched_at=FETCHED_AT, max_items=5)
    assert (len(feed.items), feed.warning) == (5, None)


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://ok.example.org/a b", "https://ok.example.org/a%20b"),
        ('https://ok.example.org/?q="><script>', "https://ok.example.org/?q=%22%3E%3Cscript%3E"),
        ("https://ok.example.org/%41", "https://ok.example.org/%41"),  # existing escapes stay
        ("https://пример.example/путь", "https://пример.example/путь"),  # IRIs stay readable
        ("https:", None),
        ("http://[::1", None),
        ("mailto:editor@example.org", None),
        ("//cdn.example.org/x", "https://cdn.example.org/x"),
    ],
)
def test_item_links_are_absolute_web_urls_or_dropped(link: str, expected: str | None) -> None:
    body = f"""<rss version="2.0"><channel><title>t</title><link>https://base.example.org/</link>
        <item><title>a</title><link>{html.escape(link)}</link></item></channel></rss>""".encode()
    (item,) = parse_feed(body, source="s", fetched_at=FETCHED_AT).items
    assert item.url == expected
    assert ("url_dropped" in item.flags) == (expected is None)


@contextmanager
def record_file_and_network_events() -> Iterator[list[str]]:
    """Audit events (file opens, sockets, urllib) raised in this thread while the block runs.

    Python cannot remove an audit hook, so one hook is added per session and switched on here.
    A parse runs first so that lazy imports inside feedparser are not counted.
    """
    parse_feed(
        b'<rss version="2.0"><channel><title>warm</title></channel></rss>', source="s", fetched_at=FETCHED_AT
    )
    events: list[str] = []
    _RECORDING.events = events
    try:
        yield events
    finally:
        _RECORDING.events = None


class _Recording(threading.local):
    events: list[str] | None = None


_RECORDING = _Recording()


def _audit(event: str, args: tuple[object, ...]) -> None:
    events = _RECORDING.events
    if events is not None and (event == "open" or event.startswith(("socket.", "urllib."))):
        events.append(f"{event} {args[0] if args else ''}")


sys.addaudithook(_audit)


def test_the_event_recorder_sees_file_opens_and_sockets(tmp_path: Path) -> None:
    canary = tmp_path / "seen.txt"
    canary.write_text("x", encoding="utf-8")
    with record_file_and_network_events() as events, socket.socket() as sock:
        canary.read_text(encoding="utf-8")
        sock.bind(("127.0.0.1", 0))
    assert any(str(canary) in event for event in events)
    assert any(event.startswith("socket.bind") for event in events)


def test_markup_past_the_read_limit_is_never_read() -> None:
    # Only MAX_SUMMARY characters of text are kept, so a field's markup is read up to 50 times that.
    tags = "&lt;b&gt;" * ((MAX_MARKUP - 100) // 3)  # each one is "<b>", 3 characters once read
    body = f"""<rss version="2.0"><channel><title>t</title><item><title>a</title>
        <description>{tags}START {tags} END</description></item></channel></rss>""".encode()
    (item,) = parse_feed(body, source="s", fetched_at=FETCHED_AT).items
    assert item.summary == "START"
