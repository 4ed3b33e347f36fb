"""Tests for pipeline.dedupe: canonical URLs, content hashes, syndicated-copy matching."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import unicodedata
import zlib
from datetime import UTC, datetime

import pytest

from pipeline import dedupe
from pipeline.config import AnalysisSettings
from pipeline.dedupe import (
    SHORT_TEXT,
    SUMMARY_CHARS,
    StoryCandidate,
    canonical_url,
    content_hash,
    find_syndicated,
    item_keys,
    story_fingerprints,
    story_text,
)
from pipeline.records import ParsedItem

DEFAULT = AnalysisSettings().syndication_min_similarity  # 92


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host lowercased, path case kept
        ("HTTPS://WWW.Example.COM/World/Europe-64412307", "https://www.example.com/World/Europe-64412307"),
        # default ports dropped, others kept
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        # fragment dropped
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?b=1#x", "https://example.com/a?b=1"),
        # tracking parameters dropped, whatever their case; the rest sorted by name
        ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
        ("https://example.com/a?UTM_Campaign=x&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?z=1&fbclid=abc&a=2&gclid=def", "https://example.com/a?a=2&z=1"),
        ("https://example.com/a?mc_cid=1&mc_eid=2&igshid=3&ref=rss&ref_src=twsrc", "https://example.com/a"),
        ("https://example.com/a?cmpid=x&CMP=share_btn_tw&page=2", "https://example.com/a?page=2"),
        (
            "https://www.bbc.co.uk/news/world-europe-64412307?at_medium=RSS&at_campaign=KARANGA",
            "https://www.bbc.co.uk/news/world-europe-64412307",
        ),
        ("https://example.com/a?at_custom1=x&at_link_id=y", "https://example.com/a"),
        # parameters that look like tracking ones but are not are kept
        ("https://example.com/a?reference=1&utm=2", "https://example.com/a?reference=1&utm=2"),
        # a repeated name keeps its values' order; a bare name stays bare
        ("https://example.com/a?tag=b&tag=a&c", "https://example.com/a?c&tag=b&tag=a"),
        # trailing slash: dropped from a non-root path, the root is "/"
        ("https://example.com/a/b/", "https://example.com/a/b"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com/?utm_source=x", "https://example.com/"),
        # IDN host lowercased; non-ASCII path written percent-encoded, escapes upper-cased
        ("https://ПРИМЕР.рф/Новини", "https://пример.рф/%D0%9D%D0%BE%D0%B2%D0%B8%D0%BD%D0%B8"),
        (
            "https://пример.рф/%d0%9d%d0%be%d0%b2%d0%b8%d0%bd%d0%b8",
            "https://пример.рф/%D0%9D%D0%BE%D0%B2%D0%B8%D0%BD%D0%B8",
        ),
        # IPv6, userinfo, a trailing dot on the host, surrounding whitespace
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
        ("https://User:pw@Example.com/a", "https://User:pw@example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("  https://example.com/a \n", "https://example.com/a"),
        # not http(s), or not a URL at all: returned stripped, as is
        ("not a url ", "not a url"),
        ("", ""),
        ("mailto:desk@example.com", "mailto:desk@example.com"),
        ("/relative/Path/", "/relative/Path/"),
        ("https://example.com:99999/a", "https://example.com:99999/a"),
        ("https://[broken/a", "https://[broken/a"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent() -> None:
    for url in ("HTTPS://Ex.com:443/a/?utm_source=x&b=%c3%a9&a#f", "https://ПРИМЕР.рф/Новини/?q=Бахмут"):
        once = canonical_url(url)
        assert canonical_url(once) == once


def test_canonical_url_takes_plain_links_the_short_way_to_the_same_form() -> None:
    # `canonical_url` reads most links with one pattern; every string here also goes the long
    # way (`_canonical_parsed`), and both must agree, whichever way the string was taken.
    rng = random.Random(11)
    pieces = [
        "http",
        "https",
        "HTTP",
        "://",
        "/",
        "//",
        "a",
        "Z",
        "0",
        "-",
        ".",
        ":",
        "@",
        "?",
        "#",
        "%",
        "%2f",
        "é",
    ]
    pieces += [
        "=",
        "&",
        "utm_source=x",
        ";",
        "~",
        "_",
        "'",
        "(",
        "+",
        ",",
        "!",
        "$",
        "*",
        " ",
        "\t",
        "[",
        "]",
        "80",
    ]
    urls = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(30_000)]
    urls += [
        f"{scheme}://{host}{path}"
        for scheme in ("http", "https")
        for host in ("a.example", "a-b.c0", "x.", "X.org", "a..b")
        for path in ("", "/", "//", "/a/b/", "/a:b@c/", "/%7e", "/a;b=c", "/~x_y.z-")
    ]
    safe = "abcXYZ019/:@!$&'()*+,;=._~-%?#é "
    urls += [
        f"{rng.choice(['http', 'https'])}://{rng.choice(['a', 'news.example', 'b-1.c'])}/"
        + "".join(rng.choice(safe) for _ in range(rng.randint(0, 10)))
        for _ in range(5_000)
    ]
    taken = 0
    for url in urls:
        assert canonical_url(url) == dedupe._canonical_parsed(url.strip()), url
        taken += dedupe._PLAIN_URL.fullmatch(url.strip()) is not None
    assert taken > 1_000, "the short way was tried"


def test_content_hash_is_sha256_of_the_normalised_text() -> None:
    expected = hashlib.sha256(b"bakhmut holds\nthe city is held, officials say.").hexdigest()
    assert content_hash("Bakhmut  HOLDS", " The city is\nheld, officials say. ") == expected


def test_content_hash_ignores_case_and_spacing_only() -> None:
    base = content_hash("Бахмут: тривають бої", "Бої тривають.")
    assert content_hash(" БАХМУТ:  тривають \n  БОЇ ", "БОЇ ТРИВАЮТЬ.") == base
    assert content_hash("Бахмут: тривають бої", "Бої тривають!") != base
    assert content_hash("Бахмут тривають бої", "Бої тривають.") != base


def test_content_hash_keeps_title_and_summary_apart() -> None:
    assert content_hash("ab", "c") != content_hash("a", "bc")


def test_story_text_normalises_and_caps_the_summary() -> None:
    text = story_text("Бахму́т: «тривають» бої — Reuters", "First, the news! " * 40)
    assert text.startswith("бахмут тривають бої reuters first the news first")
    assert len(text) <= len("бахмут тривають бої reuters ") + 300
    assert not text.endswith(" ")
    assert text.split()[-1] in {"first", "the", "news"}  # no half word at the cut


# One Reuters story and what other outlets made of it.
TITLE = "Russian forces shell Bakhmut as Wagner fighters push from the north"
SUMMARY = (
    "KYIV, Jan 26 (Reuters) - Russian forces pounded the eastern Ukrainian city of Bakhmut with artillery "
    "on Thursday as Wagner mercenaries pressed an offensive from the north, Ukraine's military said, adding "
    "that its troops had repelled attacks near 14 settlements in the Donetsk region over the past day. "
    "Regional governor Pavlo Kyrylenko said two civilians were killed and five wounded in the city."
)
ORIGINAL = StoryCandidate(item_id=1, story_id=10, text=story_text(TITLE, SUMMARY))


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        pytest.param(TITLE + " - Reuters", SUMMARY, id="headline-suffix"),
        pytest.param(
            TITLE.upper() + " | Kyiv Post",
            SUMMARY.replace("'", "\N{RIGHT SINGLE QUOTATION MARK}"),
            id="case-and-punctuation",
        ),
        pytest.param(TITLE, SUMMARY.split(" - ", 1)[1], id="dateline-dropped"),
        pytest.param(
            TITLE,
            SUMMARY.replace("pounded", "shelled").replace("pressed an offensive", "pushed an assault"),
            id="first-paragraph-edited",
        ),
        pytest.param(TITLE + " - Reuters", SUMMARY[:160] + "…", id="teaser-of-the-full-text"),
    ],
)
def test_syndicated_copies_match(title: str, summary: str) -> None:
    other = StoryCandidate(
        item_id=2, story_id=20, text=story_text("Ukraine reinforces Bakhmut", "Fresh units.")
    )
    assert find_syndicated(story_text(title, summary), [other, ORIGINAL], DEFAULT) == ORIGINAL


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        pytest.param(
            "Ukraine reinforces Bakhmut as Russian assault grinds on",
            "KYIV, Jan 26 (Reuters) - Ukraine has sent fresh brigades to reinforce Bakhmut, a senior commander "
            "said on Thursday, as Russian forces kept up their assault on the eastern city and Wagner fighters "
            "tried to cut the supply road from Chasiv Yar.",
            id="different-report-same-town",
        ),
        pytest.param(TITLE, SUMMARY.replace("14 settlements", "17 settlements"), id="a-figure-changed"),
        pytest.param(TITLE, SUMMARY.replace("Jan 26", "Jan 27"), id="next-day-dateline"),
        pytest.param(TITLE, "", id="headline-only-against-full-text"),
    ],
)
def test_different_reports_do_not_match(title: str, summary: str) -> None:
    assert find_syndicated(story_text(title, summary), [ORIGINAL], DEFAULT) is None


def test_headlines_alone_match_only_when_nearly_identical() -> None:
    stored = StoryCandidate(1, 10, story_text("Russian forces shell Bakhmut as fighting rages on", ""))
    assert find_syndicated(
        story_text("Russian forces shell Bakhmut as fighting rages on!", ""), [stored], DEFAULT
    )
    day_337 = StoryCandidate(1, 10, story_text("Russia-Ukraine war: List of key events, day 337", ""))
    assert (
        find_syndicated(story_text("Russia-Ukraine war: List of key events, day 338", ""), [day_337], DEFAULT)
        is None
    )


def test_short_texts_need_equality() -> None:
    shell = story_text("Russian forces shell Bakhmut", "")
    assert len(shell) < SHORT_TEXT
    stored = StoryCandidate(1, 10, shell)
    assert find_syndicated(story_text("Russian forces shell Bakhmut.", ""), [stored], DEFAULT) == stored
    assert find_syndicated(story_text("Russian force shells Bakhmut", ""), [stored], DEFAULT) is None
    assert find_syndicated(story_text("Ukraine reinforces Bakhmut", ""), [stored], DEFAULT) is None
    # a short text against a long one never matches, however much of it the long one contains
    assert find_syndicated(shell, [ORIGINAL], min_similarity=0) is None


def test_the_best_candidate_wins_and_empty_inputs_match_nothing() -> None:
    edited = StoryCandidate(2, 20, story_text(TITLE, SUMMARY.replace("pounded", "shelled")))
    copy = story_text(TITLE + " - Reuters", SUMMARY)
    assert find_syndicated(copy, [edited, ORIGINAL], DEFAULT) == ORIGINAL
    assert find_syndicated(copy, [], DEFAULT) is None
    assert find_syndicated("", [StoryCandidate(3, 30, "")], DEFAULT) is None


def test_threshold_is_respected() -> None:
    edited = story_text(
        TITLE, SUMMARY.replace("pounded", "shelled").replace("pressed an offensive", "pushed an assault")
    )
    assert find_syndicated(edited, [ORIGINAL], 90) == ORIGINAL
    assert find_syndicated(edited, [ORIGINAL], 99) is None


def _reference_story_text(title: str, summary: str) -> str:
    """story_text as first written: every character of both fields looked at, one by one."""

    def bare(text: str) -> str:
        kept = []
        for char in unicodedata.normalize("NFKC", text).casefold():
            kind = unicodedata.category(char)[0]
            if kind != "M":
                kept.append(" " if kind in "PSCZ" else char)
        return " ".join("".join(kept).split())

    start = bare(summary)
    if len(start) > SUMMARY_CHARS:
        start = start[:SUMMARY_CHARS]
        space = start.rfind(" ")
        if space > SUMMARY_CHARS // 2:
            start = start[:space]
    return f"{bare(title)} {start}".strip()


def test_story_text_of_a_long_summary_reads_only_its_start_and_agrees_with_reading_it_all() -> None:
    # Marks, punctuation runs, ligatures and Cyrillic around every possible cut of the prefix.
    pieces = ["Бахму́т", " — ", "ﬁnal", ",,, ", "Artemivsk's", "\u00a0", "x\u0301", "  ", "word", "\t\n"]
    rng = random.Random(5)
    for _ in range(300):
        summary = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 400)))
        assert story_text("Title: a test", summary) == _reference_story_text("Title: a test", summary)


def test_item_keys_key_an_item_by_its_canonical_link_else_its_guid_else_its_text() -> None:
    when = datetime(2023, 3, 1, tzinfo=UTC)
    linked = ParsedItem(
        "g1", "HTTPS://Example.com/a/1/?utm_source=x", "Bakhmut holds", "Fighting goes on.", when
    )
    keys = item_keys(linked)
    assert keys.canonical_url == "https://example.com/a/1"
    assert keys.content_hash == content_hash("Bakhmut holds", "Fighting goes on.")
    assert keys.story_text == story_text("Bakhmut holds", "Fighting goes on.")
    assert keys.fingerprints == story_fingerprints(keys.story_text)
    assert item_keys(ParsedItem("g1", None, "Bakhmut holds", "", when)).canonical_url == "urn:guid:g1"
    unkeyed = item_keys(ParsedItem(None, None, "Bakhmut holds", "", when))
    assert unkeyed.canonical_url == f"urn:sha256:{content_hash('Bakhmut holds', '')}"


def test_story_fingerprints_are_the_same_in_another_process() -> None:
    # The pool's processes compute them and the event loop's index compares them: hash() would differ.
    text = story_text("Russian forces pressed on Bakhmut", "Shelling went on overnight near Soledar.")
    script = f"from pipeline.dedupe import story_fingerprints as f; print(sorted(f({text!r})))"
    elsewhere = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert elsewhere.stdout.strip() == str(sorted(story_fingerprints(text)))
    assert story_fingerprints("bakhmut holds") == {zlib.crc32(b"bakhmut holds")}
    assert story_fingerprints("") == frozenset()


def test_texts_sharing_six_words_in_a_row_share_a_fingerprint_and_keep_about_two_runs_in_five() -> None:
    rng = random.Random(11)
    vocabulary = [f"w{n}" for n in range(5_000)]
    kept = runs = 0
    for _ in range(500):
        common = rng.sample(vocabulary, 6)
        a = rng.sample(vocabulary, rng.randint(0, 40)) + common + rng.sample(vocabulary, rng.randint(0, 40))
        b = rng.sample(vocabulary, rng.randint(0, 40)) + common + rng.sample(vocabulary, rng.randint(0, 40))
        assert story_fingerprints(" ".join(a)) & story_fingerprints(" ".join(b))
        kept += len(story_fingerprints(" ".join(a)))
        runs += len(a) - 2
    assert 0.3 < kept / runs < 0.5
