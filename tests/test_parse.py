"""Tests for pipeline.parse: real feed files in tests/fixtures/feeds/, each beside its expected result."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import FetchError
from pipeline.parse import MAX_SUMMARY, MAX_TITLE, MAX_URL, parse_feed
from pipeline.records import ParsedFeed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
# Every expected.json file assumes this fetch time (and `now` defaulting to it).
FETCHED_AT = datetime(2023, 1, 27, 12, 0, tzinfo=UTC)


def _cases() -> list[Path]:
    return sorted(FEEDS.glob("*.expected.json"))


def _input_for(expected: Path) -> Path:
    stem = expected.name.removesuffix(".expected.json")
    (found,) = [path for path in FEEDS.glob(f"{stem}.*") if not path.name.endswith(".json")]
    return found


def _parse_file(path: Path, **kwargs: Any) -> ParsedFeed:
    # A local path as the source, as for the offline demo: relative links resolve only against the feed's link.
    return parse_feed(path.read_bytes(), source=str(path), fetched_at=FETCHED_AT, **kwargs)


@pytest.mark.parametrize("expected_path", _cases(), ids=lambda p: p.name.removesuffix(".expected.json"))
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


def test_every_fixture_has_a_test() -> None:
    tested = {_input_for(path) for path in _cases()}
    tested |= {FEEDS / "not-a-feed.html", FEEDS / "oversize.xml"}  # tested on their own below
    assert set(FEEDS.glob("*")) - set(FEEDS.glob("*.json")) == tested


def test_dates_are_utc_aware() -> None:
    for expected in _cases():
        for item in _parse_file(_input_for(expected)).items:
            assert item.published.utcoffset() == timedelta(0)


def test_cp1251_fixture_is_really_cp1251() -> None:
    raw = (FEEDS / "cp1251-cyrillic.xml").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "Бахмут: тривають бої".encode("cp1251") in raw


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FetchError) as caught:
        _parse_file(FEEDS / "not-a-feed.html")
    assert caught.value.code == "not_a_feed"
    assert "HTML page" in str(caught.value)
    assert str(caught.value).startswith(str(FEEDS / "not-a-feed.html"))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"  \n ", "empty", id="whitespace"),
        pytest.param(b'{"items": [{"title": "json"}]}', "not well-formed", id="json"),
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
