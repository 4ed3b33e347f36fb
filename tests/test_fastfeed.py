"""Tests for pipeline.fastfeed: `parse_feed` gives the same feed with it as with feedparser alone.

Every fixture feed and thousands of generated documents go through both readings; the
generator mixes what real feeds carry (entities, CDATA, HTML escaped or not, content:encoded,
permalink and opaque guids, Atom links of every rel, dates in many forms, Cyrillic, UTF-8 read
as Latin-1, C1 characters, relative links, elements feedparser reads and elements it skips),
so a difference in any rule shows up as a failing document.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest

from pipeline import fastfeed
from pipeline.errors import FetchError
from pipeline.parse import parse_feed
from pipeline.records import ParsedFeed
from pipeline.xmlsafe import prepare

FIXTURES = Path(__file__).parent / "fixtures"
WHEN = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SOURCE = "https://feeds.example/news.xml"


def both(body: bytes) -> tuple[ParsedFeed | str, ParsedFeed | str]:
    """parse_feed with the fast reading allowed and with feedparser alone (a FetchError as its text)."""
    out: list[ParsedFeed | str] = []
    for fast in (True, False):
        try:
            out.append(parse_feed(body, source=SOURCE, fetched_at=WHEN, fast=fast))
        except FetchError as error:
            out.append(f"{error.code}: {error}")
    return out[0], out[1]


def fast_read(body: bytes) -> bool:
    return fastfeed.read(prepare(body, max_entries=2_000).data) is not None


FIXTURE_FEEDS = sorted(
    path for path in FIXTURES.rglob("*") if path.suffix in {".xml", ".rss", ".atom", ".html"}
)


@pytest.mark.parametrize("path", FIXTURE_FEEDS, ids=lambda path: str(path.relative_to(FIXTURES)))
def test_every_fixture_feed_reads_the_same_either_way(path: Path) -> None:
    fast, reference = both(path.read_bytes())
    assert fast == reference


def test_plain_fixture_feeds_take_the_fast_reading() -> None:
    taken = {path.name for path in FIXTURE_FEEDS if fast_read(path.read_bytes())}
    assert {"rss20-basic.xml", "wire.rss", "syndicated.rss", "mirror.atom", "missing-dates.xml"} <= taken
    refused = {"rss091.xml", "rss10-rdf.xml", "not-a-feed.html", "atom10.xml", "billion-laughs.xml"}
    assert not refused & taken  # RSS 0.91, RDF, HTML, xhtml content, a DTD


# --- generated documents -------------------------------------------------------------------

WORDS = [
    "Bakhmut",
    "Soledar",
    "Artemivsk",
    "forces",
    "shelling",
    "front",
    "Donetsk",
    "report",
    "city",
    "officials",
    "said",
    "Бахмут",
    "Соледар",
    "обстріл",
    "місто",
    "café",
    "naïve",
    "AT&T",
    "Q&A",
    "5<6",
    "a&b",
]
DATES_RSS: list[Callable[[datetime], str]] = [
    lambda d: format_datetime(d, usegmt=True),
    lambda d: format_datetime(d),
    lambda d: d.strftime("%a, %d %b %Y %H:%M:%S EST"),
    lambda d: d.strftime("%d %b %Y %H:%M GMT"),
    lambda d: d.strftime("%a, %d %b %y %H:%M:%S +0300"),
    lambda d: d.isoformat(),
    lambda d: "yesterday",
    lambda d: "",
    lambda d: d.strftime("%Y-%m-%d"),
]
DATES_ATOM: list[Callable[[datetime], str]] = [
    lambda d: d.isoformat(),
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"),
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.123+02:00"),
    lambda d: d.strftime("%Y-%m-%d"),
    lambda d: format_datetime(d, usegmt=True),
    lambda d: "not a date",
]


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def _text(rng: random.Random, low: int = 1, high: int = 12, *, rough: bool = False) -> str:
    """Element content: escaped text, CDATA, escaped HTML, entities, odd characters, paragraphs (`rough`:
    also markup, C1 characters and entities XML does not define, which send the document to feedparser)."""
    words = _words(rng, low, high)
    kind = rng.randrange(9 if rough else 6)
    if kind == 0:
        return f"<![CDATA[<p>{words}</p> <b>{_words(rng, 1, 3)}</b>]]>"
    if kind == 1:
        return escape(f"<p>{words}</p><p>{_words(rng, 1, 4)}</p>")
    if kind == 2:
        return escape(words) + " &amp;amp; &#233; &#x420;"
    if kind == 3:
        return escape(words) + rng.choice([" Ã©tÃ©", " caf\u00c3\u00a9", "\u00a0", " ё"])
    if kind == 4:
        return f"  \n {escape(words)}\n\n{escape(_words(rng, 1, 4))}\r\n  next line \n "
    if kind == 6:
        return escape(words) + " \u0093quoted\u0094"
    if kind == 7:
        return escape(words) + " <b>inline</b>"  # markup inside a text element
    if kind == 8:
        return escape(words) + rng.choice([" &nbsp;", " &foo;"])
    return escape(words) + rng.choice(
        ["", " &lt;br/&gt;", " &lt;/div&gt;", " &lt;script&gt;x&lt;/script&gt;"]
    )


def _link(rng: random.Random, n: int) -> str:
    return rng.choice(
        [
            f"https://news.example/a/{n}",
            f"https://news.example/a/{n}?x=1&amp;y=2",
            f"https://news.example/a/{n}?x=1&amp;amp;y=2",
            f"/relative/{n}",
            f"http:///news.example/a/{n}",
            f"javascript:alert({n})",
            f" https://news.example/a/{n} ",
            f"https://новини.example/статья/{n}",
        ]
    )


def _rss_item(rng: random.Random, n: int, rough: bool) -> str:
    when = WHEN.replace(hour=rng.randrange(24), minute=rng.randrange(60))
    choices: list[Callable[[], str]] = [
        lambda: f"<title>{_text(rng, rough=rough)}</title>",
        lambda: f"<link>{_link(rng, n)}</link>",
        lambda: f"<description>{_text(rng, 5, 40, rough=rough)}</description>",
        lambda: f"<content:encoded>{_text(rng, 5, 60, rough=rough)}</content:encoded>",
        lambda: rng.choice(
            [
                f"<guid>{_link(rng, n)}</guid>",
                f'<guid isPermaLink="false">id-{n}</guid>',
                f'<guid isPermaLink="true">https://news.example/p/{n}</guid>',
                f'<guid ispermalink="False">{_link(rng, n)}</guid>',
                f"<guid>urn:uuid:{n}</guid>",
            ]
        ),
        lambda: f"<pubDate>{rng.choice(DATES_RSS)(when)}</pubDate>",
        lambda: f"<category>{escape(_words(rng, 1, 2))}</category>",
        lambda: f"<dc:creator>{escape(_words(rng, 1, 2))}</dc:creator>",
        lambda: f'<enclosure url="https://news.example/{n}.mp3" length="1" type="audio/mpeg"/>',
        lambda: f"<author>{escape(_words(rng, 1, 2))}</author>",
    ]
    rough_ones: list[Callable[[], str]] = [
        lambda: f"<title>{_text(rng, rough=rough)}</title>",  # given twice
        lambda: "<dc:date>2026-01-05T10:00:00Z</dc:date>",
        lambda: f'<atom:link rel="alternate" href="https://other.example/{n}"/>',
        lambda: '<media:content url="https://x.example/i.jpg"><media:title>t</media:title></media:content>',
        lambda: "<description></description>",
    ]
    return _element(rng, "item", choices, rough_ones if rough else [], odds=14)


def _atom_entry(rng: random.Random, n: int, rough: bool) -> str:
    when = WHEN.replace(hour=rng.randrange(24), minute=rng.randrange(60))
    kinds = ['type="text"', 'type="html"', "", 'type="HTML"', 'type="xhtml"', 'type="application/json"']
    kinds = kinds if rough else kinds[:4]
    choices: list[Callable[[], str]] = [
        lambda: f"<title {rng.choice(kinds[:4])}>{_text(rng, rough=rough)}</title>",
        lambda: f'<link href="{_link(rng, n)}"/>',
        lambda: rng.choice(
            [
                f'<link rel="self" href="https://news.example/self/{n}"/>',
                f'<link rel="Alternate" type="text/html" href="https://news.example/alt/{n}"/>',
                f'<link rel="alternate" type="application/pdf" href="https://news.example/{n}.pdf"/>',
                f'<link rel="enclosure" href="https://news.example/{n}.mp3"/>',
            ]
        ),
        lambda: rng.choice([f"<id>tag:news.example,2026:{n}</id>", f"<id>https://news.example/id/{n}</id>"]),
        lambda: f"<updated>{rng.choice(DATES_ATOM)(when)}</updated>",
        lambda: f"<published>{rng.choice(DATES_ATOM)(when)}</published>",
        lambda: f"<summary {rng.choice(kinds)}>{_text(rng, 5, 40, rough=rough)}</summary>",
        lambda: f"<content {rng.choice(kinds)}>{_text(rng, 5, 60, rough=rough)}</content>",
        lambda: f"<author><name>{escape(_words(rng, 1, 2))}</name></author>",
        lambda: f'<category term="{escape(_words(rng, 1, 1))}"/>',
    ]
    rough_ones: list[Callable[[], str]] = [
        lambda: f'<content src="https://news.example/{n}.html"/>',
        lambda: "<source><title>Elsewhere</title><id>x</id></source>",
        lambda: "<summary>second summary</summary>",
    ]
    return _element(rng, "entry", choices, rough_ones if rough else [], odds=12)


def _element(
    rng: random.Random,
    tag: str,
    choices: list[Callable[[], str]],
    rough_ones: list[Callable[[], str]],
    odds: int,
) -> str:
    """`tag` holding 3 in 4 of `choices` and, one time in `odds` each, one of `rough_ones`, in a random order."""
    parts = [make() for make in choices if rng.random() < 0.75]
    rare = rng.randrange(odds) if rough_ones else odds
    if rare < len(rough_ones):
        parts.append(rough_ones[rare]())
    rng.shuffle(parts)
    return f"<{tag}>{''.join(parts)}</{tag}>"


def generated(rng: random.Random) -> bytes:
    """A feed document; a rough one (a third) carries something only feedparser reads."""
    rough = rng.random() < 0.35
    items = rng.randint(0 if rough else 1, 6)
    atom = rng.random() < 0.4
    title = f"<title>{_text(rng, rough=rough)}</title>" if rng.random() < 0.9 else ""
    if atom:
        body = "".join(_atom_entry(rng, n, rough) for n in range(items))
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom">{title}<id>urn:feed</id>{body}</feed>'
    else:
        body = "".join(_rss_item(rng, n, rough) for n in range(items))
        version = rng.choice(["2.0", "2.0", "2.0", "0.92", ""]) if rough else "2.0"
        namespaces = (
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:media="http://search.yahoo.com/mrss/"'
        )
        channel = f"<channel>{title}<link>https://news.example/</link>{body}</channel>"
        doc = f'<rss version="{version}" {namespaces}>{channel}</rss>'
    prolog = rng.choice(['<?xml version="1.0" encoding="utf-8"?>', "", '<?xml version="1.0"?>\n'])
    if rough and rng.random() < 0.1:
        prolog += '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd">'
    if rough and rng.random() < 0.1:
        doc = doc.replace("<channel>", '<channel xml:base="https://base.example/">', 1)
    if rough and rng.random() < 0.1:
        doc = doc[: rng.randrange(len(doc))]  # cut short
    return (prolog + doc).encode("utf-8")


def test_generated_documents_read_the_same_either_way() -> None:
    rng = random.Random(2026)
    taken = 0
    for number in range(2_000):
        body = generated(rng)
        fast, reference = both(body)
        assert fast == reference, f"document {number}:\n{body.decode()}"
        taken += fast_read(body)
    # Both paths are compared: most plain documents read fast, and rough ones go to feedparser.
    assert 800 < taken < 1_600, taken


def test_refused_documents_go_to_feedparser() -> None:
    item = "<item><title>Bakhmut</title><link>https://news.example/1</link></item>"
    plain = f'<rss version="2.0"><channel><title>N</title>{item}</channel></rss>'
    assert fast_read(plain.encode())
    for refused in (
        plain.replace("<rss", '<!DOCTYPE rss SYSTEM "x.dtd"><rss'),
        plain.replace(
            "<rss", '<!doctype rss SYSTEM "x.dtd"><rss'
        ),  # found in any case, as feedparser reads it
        plain.replace("<channel>", '<channel xml:base="https://b.example/">'),
        plain.replace("<channel>", '<channel XML:Base="https://b.example/">'),
        plain.replace("Bakhmut", "Bakhmut&nbsp;"),  # undefined in XML: feedparser's lenient parser
        plain.replace("Bakhmut", "Bakh<b>mut</b>"),
        plain.replace("Bakhmut", "Bakhmut\u0093"),
        plain.replace("</item>", "<title>again</title></item>"),
        plain.replace("</item>", "<dc:date>2026-01-05</dc:date></item>").replace(
            "<rss", '<rss xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ),
        plain.replace('version="2.0"', 'version="0.91"'),
        '<rss version="2.0"><channel><title>N</title></channel></rss>',
    ):
        assert not fast_read(refused.encode()), refused


def test_ids_and_links_are_fixed_as_feedparser_fixes_them() -> None:
    # feedparser passes each id and link through `_urljoin("", value)`: only the slashes after
    # "scheme://" change. Strings built of what that rule looks at, and some written out.
    from feedparser.urls import _urljoin

    rng = random.Random(7)
    values = [
        "https:////x.example/a",
        "HTTP:///a",
        "a+b-c.d://///q",
        "1http:///x",
        " http:///x",
        "http://",
        "x://",
    ]
    values += [
        "".join(rng.choice("hHt:/ps.+-1aZ?#&;,") for _ in range(rng.randint(0, 14))) for _ in range(20_000)
    ]
    for value in values:
        assert fastfeed._fixed_uri(value) == _urljoin("", value), value


def _date_strings(rng: random.Random) -> list[str]:
    """RFC 822 and W3DTF dates, in range and out of it, and near misses of both."""
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "mon", "Mo"]
    months = [*fastfeed._MONTHS, "dec", "Foo"]
    zones = ["GMT", "UT", "UTC", "Z", "EST", "gmt", "+0000", "-0000", "+0530", "-0930", "+9999", "+14:00", ""]

    def two(top: int) -> str:
        return f"{rng.randint(0, top):02d}"

    def year() -> str:
        return rng.choice([f"{rng.randint(1, 9999):04d}", "2026", "0001", "9999", "26", "٢٠٢٦"])

    def clock() -> str:
        return f"{two(25)}:{two(61)}:{two(61)}"

    values = []
    for _ in range(12_000):
        day = rng.choice([two(32), str(rng.randint(1, 9)), "7"])
        zone = rng.choice(zones)
        values.append(f"{rng.choice(days)}, {day} {rng.choice(months)} {year()} {clock()} {zone}".strip())
        offset = rng.choice(["Z", "", f"+{two(25)}:{two(61)}", f"-{two(25)}:{two(61)}", "+0530", "z"])
        fraction = rng.choice(["", ".5", ".999999", "."])
        sep = rng.choice(["T", "T", "t", " "])
        values.append(f"{year()}-{two(13)}-{two(32)}{sep}{clock()}{fraction}{offset}")
    values += [" Mon, 07 Dec 2026 10:00:00 GMT", "2026-12-07T10:00:00Z ", "Mon,  07 Dec 2026 10:00:00 GMT"]
    values += ["Mon, 07 Dec 2026 10:00:00 GMT\n", "2026-02-29T00:00:00Z", "2024-02-29T23:59:59-23:59"]
    return values


def test_dates_are_read_as_feedparser_reads_them() -> None:
    # The two common forms are read without feedparser; every other string still goes to it.
    from feedparser.datetimes import _parse_date

    for text in _date_strings(random.Random(7)):
        element = ET.Element("pubDate")
        element.text = text
        assert fastfeed._date(element) == _parse_date(text), text


def test_a_bug_in_the_fast_reading_costs_nothing_but_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    body = (FIXTURES / "cycle" / "wire.rss").read_bytes()
    expected = parse_feed(body, source=SOURCE, fetched_at=WHEN, fast=False)

    def broken(item: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(fastfeed, "_rss_item", broken)
    assert parse_feed(body, source=SOURCE, fetched_at=WHEN) == expected
    assert "the fast feed reader failed" in caplog.text
