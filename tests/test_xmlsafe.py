"""Tests for pipeline.xmlsafe: what is removed from a document before feedparser reads it."""

from __future__ import annotations

import pytest

from pipeline.xmlsafe import MAX_NAME_BYTES, prepare

DECL = b"<?xml version='1.0' encoding='utf-8'?>"
ROOT = b'<rss version="2.0"><channel><title>t</title></channel></rss>'


def prepared(body: bytes, max_entries: int = 100) -> tuple[bytes, tuple[str, ...]]:
    result = prepare(body, max_entries=max_entries)
    return result.data, result.notes


@pytest.mark.parametrize(
    "doctype",
    [
        pytest.param(b'<!DOCTYPE rss [<!ENTITY a "x">]>', id="simple"),
        pytest.param(b'<!doctype rss [<!ENTITY a "x">]>', id="lowercase"),
        pytest.param(b'<!DOCTYPE rss SYSTEM "x.dtd" [<!ENTITY a "x">]>', id="external-and-internal"),
        pytest.param(b'<!DOCTYPE rss [<!ENTITY a "]> <rss>">]>', id="bracket-in-double-quotes"),
        pytest.param(b"<!DOCTYPE rss [<!ENTITY a ']>'>]>", id="bracket-in-single-quotes"),
        pytest.param(b'<!DOCTYPE rss [<!-- ]> --><!ENTITY a "x">]>', id="bracket-in-comment"),
        pytest.param(b'<!DOCTYPE rss [<?pi ]> ?><!ENTITY a "x">]>', id="bracket-in-pi"),
        pytest.param(
            b'<!DOCTYPE rss [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>', id="parameter-entity"
        ),
        pytest.param(
            b'<!DOCTYPE rss [\n  <!ENTITY a "x">\n  <!ATTLIST rss x CDATA "y">\n]\n>', id="multiline"
        ),
    ],
)
def test_internal_subset_is_removed(doctype: bytes) -> None:
    data, notes = prepared(DECL + b"\n<!-- c -->\n<?pi x?>\n" + doctype + b"\n" + ROOT)
    assert data == DECL + b"\n<!-- c -->\n<?pi x?>\n\n" + ROOT
    assert notes == ("DTD internal subset removed (entity declarations are never expanded)",)


def test_doctype_naming_only_an_external_dtd_stays() -> None:
    doctype = b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://x/rss-0.91.dtd">'
    body = DECL + doctype + ROOT
    assert prepared(body) == (body, ())


def test_unterminated_internal_subset_takes_the_rest_with_it() -> None:
    data, notes = prepared(DECL + b'<!DOCTYPE rss [<!ENTITY a "never closed>' + ROOT)
    assert data == DECL
    assert notes


def test_doctype_inside_the_document_is_text_not_a_declaration() -> None:
    body = DECL + b"<rss><channel><title>&lt;!DOCTYPE x [&lt;!ENTITY a 'b'&gt;]&gt;</title></channel></rss>"
    assert prepared(body) == (body, ())


def test_entity_declarations_before_the_root_without_a_doctype_are_removed() -> None:
    # feedparser collects these from everything before the first element and re-declares them.
    data, notes = prepared(DECL + b'\n<!ENTITY a "AAAA">\n<!DOCTYPE rss>\n' + ROOT)
    assert data == DECL + b"\n\n<!DOCTYPE rss>\n" + ROOT
    assert notes == ("entity declarations removed (they are never expanded)",)


@pytest.mark.parametrize(
    "element",
    [
        b"author",
        b"managingEditor",
        b"webMaster",
        b"dc:creator",
        b"itunes:author",
        b"dc:publisher",
        b"x:Author",
    ],
)
def test_long_author_fields_are_emptied(element: bytes) -> None:
    long = b"w" * (MAX_NAME_BYTES + 1)
    body = (
        DECL
        + b"<rss><channel><item><"
        + element
        + b' a="1">'
        + long
        + b"</"
        + element
        + b"></item></channel></rss>"
    )
    data, notes = prepared(body)
    assert (
        data
        == DECL + b"<rss><channel><item><" + element + b' a="1"></' + element + b"></item></channel></rss>"
    )
    assert notes == ("1 author field(s) over 256 bytes emptied",)


def test_author_field_at_the_limit_is_kept() -> None:
    body = DECL + b"<rss><item><author>" + b"w" * MAX_NAME_BYTES + b"</author></item></rss>"
    assert prepared(body) == (body, ())


def test_author_cdata_counts_and_nested_elements_are_judged_alone() -> None:
    long = b"w" * 1000
    body = (
        DECL
        + b"<feed><entry><author><name>Jane</name><email>"
        + long
        + b"</email></author>"
        + b"<dc:creator>a<![CDATA["
        + long
        + b"]]>b</dc:creator><author/></entry></feed>"
    )
    data, notes = prepared(body)
    assert data == (
        DECL + b"<feed><entry><author><name>Jane</name><email></email></author>"
        b"<dc:creator></dc:creator><author/></entry></feed>"
    )
    assert notes == ("2 author field(s) over 256 bytes emptied",)


def test_entries_past_the_limit_are_cut_and_the_closing_tags_kept() -> None:
    items = b"".join(b"<item><title>%d</title></item>" % n for n in range(5))
    body = DECL + b"<rss><channel><title>t</title>" + items + b"\n</channel></rss>\n"
    data, notes = prepared(body, max_entries=2)
    assert (
        data
        == DECL
        + b"<rss><channel><title>t</title><item><title>0</title></item><item><title>1</title></item>\n</channel></rss>\n"
    )
    assert notes == ("document cut after 2 entries",)


def test_atom_entries_with_a_prefix_are_counted() -> None:
    entries = b"".join(b"<a:entry><a:id>%d</a:id></a:entry >" % n for n in range(3))
    data, _ = prepared(DECL + b"<a:feed xmlns:a='http://www.w3.org/2005/Atom'>" + entries + b"</a:feed>", 1)
    assert data.count(b"<a:entry>") == 1
    assert data.endswith(b"</a:feed>")


def test_exactly_the_limit_is_not_cut() -> None:
    body = DECL + b"<rss><item/><item>x</item><item>y</item></rss>"
    assert prepared(body, max_entries=2) == (body, ())


CYRILLIC = "Бахмут: тривають бої за місто, українські сили утримують позиції"


@pytest.mark.parametrize(
    ("body", "note", "problem"),
    [
        pytest.param(
            b"<?xml version='1.0' encoding='utf-8'?><rss><title>"
            + CYRILLIC.encode("cp1251")
            + b"</title></rss>",
            "read as windows-1251, the encoding of its bytes (declared: utf-8)",
            False,
            id="cp1251-declared-utf8",
        ),
        pytest.param(
            b"<rss><title>" + CYRILLIC.encode("cp1251") + b"</title></rss>",
            "read as windows-1251, the encoding of its bytes (declared: none)",
            False,
            id="cp1251-undeclared",
        ),
        pytest.param(
            b"<?xml version='1.0' encoding='windows-1251'?><rss><title>"
            + CYRILLIC.encode()
            + b"</title></rss>",
            "read as utf-8, the encoding of its bytes (declared: windows-1251)",
            False,
            id="utf8-declared-cp1251",
        ),
    ],
)
def test_common_mislabellings_are_corrected(body: bytes, note: str, problem: bool) -> None:
    result = prepare(body, max_entries=10)
    assert CYRILLIC.encode() in result.data
    assert result.notes == (note,)
    assert (result.encoding_problem is not None) == problem


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Les forces françaises reçoivent des véhicules blindés à Genève", id="french"),
        pytest.param("Größere Übungen für die Streitkräfte in Österreich", id="german"),
    ],
)
def test_western_text_in_windows_1252_stays_windows_1252(text: str) -> None:
    body = b"<?xml version='1.0' encoding='utf-8'?><rss><title>" + text.encode("cp1252") + b"</title></rss>"
    result = prepare(body, max_entries=10)
    assert text.encode() in result.data
    assert result.notes == ()
    assert "parsed as windows-1252" in str(result.encoding_problem)


def test_utf16_is_read_through_feedparsers_detection() -> None:
    body = (
        "<?xml version='1.0' encoding='utf-16'?><!DOCTYPE rss [<!ENTITY a 'x'>]><rss><title>"
        + CYRILLIC
        + "</title></rss>"
    ).encode("utf-16")
    result = prepare(body, max_entries=10)
    assert CYRILLIC.encode() in result.data
    assert b"ENTITY" not in result.data  # the subset is found whatever the encoding
