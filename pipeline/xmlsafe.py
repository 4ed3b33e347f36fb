"""Make a feed document safe to hand to feedparser (pure: bytes in, bytes out, no I/O).

feedparser is lenient, which is what we want from it, but some documents cost far more than
their size. `prepare()` turns the body into UTF-8 with feedparser's own encoding detection (so
what is checked here is exactly the text feedparser will read, whatever encoding the feed
claims), correcting two common mislabellings feedparser would turn into mojibake:

- a UTF-8 body declared as a single-byte encoding (`encoding="windows-1251"` on UTF-8 text)
  is read as UTF-8: non-ASCII text that decodes as strict UTF-8 is UTF-8 in practice;
- a body that is not UTF-8, with no declaration or a wrong one, which feedparser would read as
  windows-1252, is read as windows-1251 when it looks Cyrillic: most of its non-ASCII bytes
  form whole words of Cyrillic letters (in Western text they sit one or two inside ASCII words).

Then it removes, each time with a note for the feed's warning:

- The DTD internal subset (`<!DOCTYPE rss [ ... ]>`). feedparser drops external entities but
  keeps "safe" ones, `<!ENTITY a "AAAA...">`, and its lenient parser expands them without any
  limit: 18 KB of `&a;` became a 30 MB summary. Without declarations nothing can expand, and
  nothing names a file or URL to read. A DOCTYPE with no internal subset stays (feedparser
  reads the RSS 0.91 version from it and never loads the DTD it names).
- Entity declarations anywhere before the root element, which feedparser would otherwise pick
  up and re-declare.
- Long author-like fields (author, dc:creator, managingEditor, webMaster, dc:publisher, ...):
  feedparser searches them with a backtracking e-mail pattern that is quadratic in the length
  of a word, so one 20,000-character author took 5 s and 100,000 characters took 100 s. We
  never read authors, so a field over `MAX_NAME_BYTES` is emptied.
- Entries after the `max_entries`-th: feedparser spends ~0.7 ms on each, so a 10 MiB body of
  tiny entries would take minutes. The entries between that entry's end tag and the last
  entry's end tag are cut out, so the document keeps its closing tags and stays well-formed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from feedparser.encodings import convert_to_utf8

MAX_NAME_BYTES = 256

_DECLARED = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)""")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# Letters in windows-1251: the Russian alphabet at 0xC0-0xFF, plus Yo and the Ukrainian Ie, I, Yi, Ghe.
_CP1251_WORD = re.compile(rb"[\xa5\xa8\xaa\xaf\xb2-\xb4\xb8\xba\xbf\xc0-\xff]{3,}")

_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)  # before a DOCTYPE: blanks, PIs, comments
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ROOT = re.compile(rb"<\w")  # feedparser's own idea of where its "head" ends
_ENTITY_DECL = re.compile(rb"<!ENTITY[^>]*>?", re.IGNORECASE)
_DTD_TEXT = re.compile(rb"[^\"'<\[\]>]+")
_NAME_OPEN = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?"
    rb"(?:author|creator|managingEditor|webMaster|publisher|contributor|owner|name|email)"
    rb"(?:\s[^<>]*)?>",
    re.IGNORECASE,
)
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")


@dataclass(frozen=True, slots=True)
class Prepared:
    """The document to parse, what was removed from it, and any encoding problem found."""

    data: bytes
    notes: tuple[str, ...]
    encoding_problem: object | None  # feedparser's exception when the declared encoding was wrong


def prepare(body: bytes, *, max_entries: int) -> Prepared:
    """The body as UTF-8 without a DTD internal subset, long author fields or entries past `max_entries`."""
    data, notes, problem = _to_utf8(body)
    data, removed = _strip_doctype(data)
    if removed:
        notes.append("DTD internal subset removed (entity declarations are never expanded)")
    data, removed = _strip_head_entities(data)
    if removed:
        notes.append("entity declarations removed (they are never expanded)")
    data, emptied = _empty_long_names(data)
    if emptied:
        notes.append(f"{emptied} author field(s) over {MAX_NAME_BYTES} bytes emptied")
    data, cut = _cut_entries(data, max_entries)
    if cut:
        notes.append(f"document cut after {max_entries:,} entries")
    return Prepared(data, tuple(notes), problem)


def _to_utf8(body: bytes) -> tuple[bytes, list[str], object | None]:
    """The body in UTF-8 as feedparser would decode it, unless one of the two mislabellings fits."""
    result: dict[str, Any] = {}
    data = convert_to_utf8({}, body, result)
    used = str(result.get("encoding") or "").lower()
    problem = result.get("bozo_exception")
    better = None
    if used and not used.startswith("utf") and _NON_ASCII.search(body) and _is_utf8(body):
        better = "utf-8"
    elif used == "windows-1252" and problem is not None and _looks_cyrillic(body):
        better = "windows-1251"
    if better is None:
        return data, [], problem
    declared = _DECLARED.match(body)
    said = declared[1].decode("ascii").lower() if declared else "none"
    # An explicit charset makes feedparser decode with it and nothing else.
    data = convert_to_utf8({"content-type": f"application/xml; charset={better}"}, body, {})
    return data, [f"read as {better}, the encoding of its bytes (declared: {said})"], None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_cyrillic(body: bytes) -> bool:
    """Most non-ASCII bytes are in words of three or more windows-1251 letters."""
    high = len(_NON_ASCII.findall(body))
    in_words = sum(len(word) for word in _CP1251_WORD.findall(body))
    return high >= 20 and in_words >= 0.6 * high


def _strip_doctype(data: bytes) -> tuple[bytes, bool]:
    """Remove a prolog DOCTYPE that has an internal subset; keep one that only names a DTD."""
    prolog = _PROLOG.match(data)
    pos = prolog.end() if prolog else 0
    if not _DOCTYPE.match(data, pos):
        return data, False
    end, has_subset = _doctype_end(data, pos + len(b"<!DOCTYPE"))
    if not has_subset:
        return data, False
    return data[:pos] + data[end:], True


def _doctype_end(data: bytes, pos: int) -> tuple[int, bool]:
    """Where the DOCTYPE starting before `pos` ends, and whether it has an internal subset.

    Quoted literals, comments and processing instructions may hold `]` and `>`; each is skipped
    with one `find`, so the scan is linear. Anything unterminated runs to the end of the data.
    """
    closers = {b'"': b'"', b"'": b"'", b"<!--": b"-->", b"<?": b"?>"}
    depth, has_subset, end = 0, False, len(data)
    while pos < end:
        if text := _DTD_TEXT.match(data, pos):
            pos = text.end()
            continue
        opener = next((o for o in closers if data.startswith(o, pos)), None)
        if opener is not None:
            close = data.find(closers[opener], pos + len(opener))
            if close == -1:
                return end, has_subset
            pos = close + len(closers[opener])
            continue
        char = data[pos : pos + 1]
        pos += 1
        if char == b"[":
            depth, has_subset = depth + 1, True
        elif char == b"]":
            depth = max(0, depth - 1)
        elif char == b">" and depth == 0:
            return pos, has_subset
    return end, has_subset


def _strip_head_entities(data: bytes) -> tuple[bytes, bool]:
    """Remove entity declarations before the first element, where feedparser would find them."""
    root = _ROOT.search(data)
    head_end = root.start() if root else len(data)
    head, count = _ENTITY_DECL.subn(b"", data[:head_end])
    return (head + data[head_end:], True) if count else (data, False)


def _empty_long_names(data: bytes) -> tuple[bytes, int]:
    """Empty the text of author-like elements longer than MAX_NAME_BYTES; how many were emptied."""
    parts: list[bytes] = []
    pos = emptied = 0
    for match in _NAME_OPEN.finditer(data):
        start = match.end()
        if match.start() < pos or match.group().endswith(b"/>"):
            continue
        end = _text_end(data, start)
        if end - start > MAX_NAME_BYTES:
            parts.append(data[pos:start])
            pos, emptied = end, emptied + 1
    if not emptied:
        return data, 0
    parts.append(data[pos:])
    return b"".join(parts), emptied


def _text_end(data: bytes, pos: int) -> int:
    """Where the character content starting at `pos` ends: the next tag, CDATA sections included."""
    while True:
        lt = data.find(b"<", pos)
        if lt == -1:
            return len(data)
        if not data.startswith(b"<![CDATA[", lt):
            return lt
        close = data.find(b"]]>", lt)
        if close == -1:
            return len(data)
        pos = close + 3


def _cut_entries(data: bytes, max_entries: int) -> tuple[bytes, bool]:
    """Cut out the entries after number `max_entries`, keeping what follows the last one."""
    keep_until = last_end = -1
    for count, match in enumerate(_ENTRY_END.finditer(data), start=1):
        if count == max_entries:
            keep_until = match.end()
        last_end = match.end()
    if keep_until == -1 or last_end == keep_until:
        return data, False
    return data[:keep_until] + data[last_end:], True
