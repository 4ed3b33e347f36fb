# ruff: noqa: RUF001 -- Cyrillic letters are the data here
"""The article side of a draft: word lists, tokens, ids, and the article's structure.

Owns what every other draft module reads: the words that are never places, tokenising a sentence,
transliteration and slugs for ids; and reading an article's plain text into a title, a byline, a date
found in its first lines, and its sentences (headings and bylines dropped). Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from pipeline.analysis.text import normalise, split_sentences

# --- words -------------------------------------------------------------------------------------------


def word_list(text: str) -> list[str]:
    """The words of a space-separated list, for writing word sets compactly."""
    return text.split()


MONTHS = word_list("january february march april may june july august september october november december")
NEVER_PLACES = frozenset(
    MONTHS
    + word_list("monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday")
    + word_list("the a an this that these those it its he she they we i you our their his her there here")
    + word_list("and but or so yet if as at in on of for to by with from after before since while when")
    + word_list("however moreover meanwhile additionally also thus still now then later earlier")
    + word_list("one two three four five six seven eight nine ten first second third another")
    + word_list("mr mrs ms dr sir lord lady saint st")
)

TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
POSSESSIVE = re.compile(r"['’]s$")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ы": "y", "э": "e", "ю": "iu", "я": "ia", "ё": "e", "ь": "",
    "ъ": "", "'": "", "’": "",
}  # fmt: skip


def transliterate(text: str) -> str:
    """Cyrillic to Latin (Ukrainian national system, simplified), keeping capitals."""
    out = []
    for ch in text:
        latin = _TRANSLIT.get(ch.lower())
        if latin is None:
            out.append(ch)
        else:
            out.append(latin.capitalize() if ch.isupper() else latin)
    return "".join(out)


def slug(text: str, max_words: int = 6) -> str:
    """A short kebab-case id from any text."""
    words = re.findall(r"[a-z0-9]+", normalise(transliterate(text)))
    return "-".join(words[:max_words])


def unique_id(base: str, used: set[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... if already used; records the one returned in `used`."""
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


@dataclass(frozen=True, slots=True)
class Token:
    """A word of a sentence and where it stands."""

    text: str
    start: int
    end: int


def tokens_of(sentence: str) -> list[Token]:
    """The words of a sentence (letters, inner apostrophes and hyphens), in order."""
    return [Token(m.group(), m.start(), m.end()) for m in TOKEN.finditer(sentence)]


def capitalised(token: Token) -> bool:
    """Whether the word starts with a capital letter."""
    return token.text[:1].isupper()


def is_acronym(word: str) -> bool:
    """Whether the word is an acronym ("US", "ISW", "FEMA"): 2-6 letters, all capitals."""
    letters = word.replace("-", "")
    return len(letters) > 1 and letters.isupper() and len(letters) <= 6


# --- article structure -------------------------------------------------------------------------------

_BYLINE = re.compile(
    r"^(?:by\s+(?P<by>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3})\s*$"
    r"|(?P<who>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3})\s+is\s+(?:a|an|the)\b.{0,60}?\b"
    r"(?:co-?founder|founder|editor|author|writer|reporter|correspondent|journalist|analyst|fellow|"
    r"professor|researcher|director)\b)",
    re.I,
)
_MONTH_RE = "|".join(MONTHS)
_DATES = (
    re.compile(rf"\b(?P<m>{_MONTH_RE})\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})\s+(?P<m>{_MONTH_RE}),?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
)


def _find_date(lines: Sequence[str]) -> date | None:
    for line in lines:
        for pattern in _DATES:
            match = pattern.search(line)
            if not match:
                continue
            month = match["m"]
            number = int(month) if month.isdigit() else MONTHS.index(month.lower()) + 1
            try:
                return date(int(match["y"]), number, int(match["d"]))
            except ValueError:
                continue
    return None


def _is_heading(line: str) -> bool:
    return len(line.split()) <= 12 and not re.search(r"[.!?:;\"”’)]$", line)


@dataclass(slots=True)
class Article:
    """What `read_article` finds: title, author, date and the sentences to draft from."""

    title: str | None = None
    author: str | None = None
    as_of: date | None = None
    sentences: list[str] = field(default_factory=list)


def read_article(article: str) -> Article:
    """Split an article's plain text into title, byline author, date and body sentences."""
    lines = [line.strip() for line in article.splitlines() if line.strip()]
    result = Article(as_of=_find_date(lines[:3]))
    for index, line in enumerate(lines):
        byline = _BYLINE.match(line) if len(line.split()) < 30 else None
        if byline:
            result.author = result.author or byline["by"] or byline["who"]
            continue
        if index == 0 and _is_heading(line) and not _find_date([line]):
            result.title = line
            continue
        if _is_heading(line) or (index < 3 and _find_date([line]) and len(line.split()) <= 8):
            continue
        result.sentences.extend(s.lstrip("-•* ").strip() for s in split_sentences(line))
    return result
