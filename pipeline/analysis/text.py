# ruff: noqa: RUF001, RUF003 -- Cyrillic letters and typographic apostrophes are the data here
"""Text normalisation for the analysis core: folding, sentence splitting, tokens, phrase lexicons.

Two forms of every word are kept side by side, token for token:

- the *light* form (`normalise`): Unicode NFKC, case folded, diacritics stripped, apostrophes and
  soft/hard signs dropped, script kept. Cue words are matched on it, so a Ukrainian stem such as
  `захопи*` stays distinct from a Russian one.
- the *key* form (`fold`): the light form transliterated to Latin and reduced to a phonetic key, so
  that Бахмут, Bakhmut, Bachmut and Бахмуті's stem meet. The key merges letters that transliteration
  systems and the two languages disagree on: kh/h/g/ch/c/k/q → k (Харків/Kharkiv/Charkiw), zh → z,
  sh/shch → s, y/j → i, e → i (Сіверськ/Северск, Кремінна/Кременная), w → v, and doubled letters
  collapse; German schtsch and Polish szcz → s, French ou → u, ł/ø/đ → l/o/d (letters NFD keeps).
  It is a matching key, never shown to anyone. "US" in capitals becomes "usa" before case folding, so the
  country is never the pronoun "us".

Place names are compared on keys; everything else is compared on light tokens. Keys are folded
word by word from the light tokens (folding maps letters to letters, so it never joins or splits
words), so token i of one form is token i of the other; a word's key is remembered, since news
repeats its words.

`Lexicon` matches phrases (one or more words, a trailing `*` on a word meaning "any ending") against
light tokens with dictionary look-ups only: exact words in one dict, stems in another keyed by stem,
probed for each stem length that exists. It does no regex work per phrase. What a token may start
(its one-word phrases and the candidate phrase lists) is remembered per lexicon.

This module does no I/O; its only state between calls is bounded caches of pure per-word results.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

# Apostrophes and signs that different spellings of the same name disagree about (Кам'янка,
# Kam’ianka, Kamianka; Харьков/Харков): dropped everywhere.
_DROP = "'’ʼ`´‘ʹ" + "ьъ"
_MARKS = re.compile(r"[\u0300-\u036f]")
# the apostrophe first, the word before it checked behind: a pattern opening with a lookbehind is
# tried at every position of the text, one opening with a character set is searched for in C
_POSSESSIVE = re.compile(r"['’ʼ]s\b(?<=\w['’ʼ]s)")
_WORD = re.compile(r"\w+")
_CLAUSE_MARK = re.compile(r"[,;:—–()\[\]!?]")  # "!" and "?" inside a title end a clause

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ы": "y", "э": "e", "ю": "iu", "я": "ia", "ё": "e",
    "ў": "u",
}  # fmt: skip
# Letters NFD does not decompose (Polish ł, Nordic ø, Croatian đ): spelled as their base letter.
_LIGHT_TABLE = str.maketrans(
    {**{ch: None for ch in _DROP}, "ł": "l", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe"}
)
_LIGHT_PAIRS = tuple((chr(code), "" if value is None else str(value)) for code, value in _LIGHT_TABLE.items())
_TRANSLIT_TABLE = str.maketrans(_CYRILLIC)
# The key: letter groups first (one regex pass), then single letters (one translate), then doubled
# letters collapse. Longer groups come first in the alternation so "shch" wins over "sh".
_KEY_GROUPS = {
    "schtsch": "s", "shch": "s", "sch": "s", "szcz": "s", "sh": "s", "sz": "s", "zh": "z", "rz": "z", "tsch": "k",
    "tch": "k", "ch": "k", "kh": "k", "ts": "k", "tz": "k", "cz": "k", "ph": "f", "ou": "u",
}  # fmt: skip
_KEY_GROUP_RES = tuple(
    (
        re.compile("|".join(sorted((g for g, r in _KEY_GROUPS.items() if r == repl), key=len, reverse=True))),
        repl,
    )
    for repl in ("s", "z", "k", "f", "u")  # "shch" must become "s" before its "ch" could become "k"
)
_KEY_LETTERS = str.maketrans({"h": "k", "g": "k", "c": "k", "q": "k", "x": "k", "w": "v", "y": "i", "j": "i",
                              "e": "i", "ż": "z", "ž": "z"})  # fmt: skip
_DOUBLED = re.compile(r"([a-z])\1+")


# "US" in capitals is the country, "us" the pronoun: the capitals become "usa" before case folding.
_US = re.compile(r"\bUS\b")


def normalise(text: str) -> str:
    """The light form: NFKC, case folded, diacritics, apostrophes and soft signs removed."""
    if "US" in text:  # a substring test first: most texts have no capital "US" and skip the regex
        text = _US.sub("USA", text)
    if text.isascii():  # the common case needs no Unicode normalisation
        if "'" in text:
            text = _POSSESSIVE.sub("", text)
        return text.lower().replace("'", "").replace("`", "")  # the ASCII letters of _DROP
    text = _POSSESSIVE.sub("", unicodedata.normalize("NFKC", text))
    text = unicodedata.normalize("NFD", text.casefold())
    text = _MARKS.sub("", text)
    # str.translate with a dict looks every character up (~20 µs for a 700-character report);
    # the dozen characters it changes are rare, and testing for each is a fast search
    for char, replacement in _LIGHT_PAIRS:
        if char in text:
            text = text.replace(char, replacement)
    return text


def _key_of_light(light: str) -> str:
    key = light if light.isascii() else light.translate(_TRANSLIT_TABLE)
    for pattern, repl in _KEY_GROUP_RES:  # constant replacements: each pass runs in C
        key = pattern.sub(repl, key)
    return _DOUBLED.sub(r"\1", key.translate(_KEY_LETTERS))


@lru_cache(maxsize=1 << 16)
def word_key(light_word: str) -> str:
    """The key of one light word (folding maps letters to letters, so a word's key is one word)."""
    return _key_of_light(light_word) or light_word


def fold(text: str) -> str:
    """The common Latin key of a text: words folded to phonetic keys, joined by single spaces."""
    return " ".join(_WORD.findall(_key_of_light(normalise(text))))


def fold_word(word: str) -> str:
    """The phonetic key of one word (or phrase, words joined by spaces)."""
    return fold(word)


class Tokens(NamedTuple):
    """One sentence as parallel token lists: light words, their keys, and the raw surface words."""

    light: tuple[str, ...]
    keys: tuple[str, ...]
    surface: tuple[str, ...]
    clauses: tuple[int, ...]  # clause number of each token (punctuation such as , ; : — starts a clause)
    raw: str = ""  # the sentence as given


def tokenise(sentence: str) -> Tokens:
    """Split a sentence into aligned light, key and surface tokens."""
    return with_surface(tokenise_many([sentence])[0])


def tokenise_many(sentences: Sequence[str]) -> list[Tokens]:
    """Tokenise several sentences in one normalising pass; surface words are left empty (see `with_surface`)."""
    return [tokens_of(raw, light) for raw, light in zip(sentences, light_texts(sentences), strict=True)]


def light_texts(sentences: Sequence[str]) -> list[str]:
    """The light form of each sentence (one line each), from one normalising pass over them all."""
    flat = [sentence.replace("\n", " ") for sentence in sentences]
    joined = "\n".join(flat)
    if not joined.isascii():
        # one by one: most sentences of an item are ASCII even when one names "Бахмуті", and
        # each of those takes the ASCII path instead of Unicode normalisation (17 -> 8.5 µs an item)
        return [normalise(sentence) for sentence in flat]
    return normalise(joined).split("\n")  # ASCII normalising never touches a line break


# every ASCII character that is not a word character (`\w`) becomes a space, the line break stays;
# a table of bytes, applied to the ASCII text's bytes: one C lookup a character (a str table with a
# dict is a hash lookup a character, ~2 µs of ~14 for an item's words)
_ASCII_GAPS = bytes(
    32 if c < 128 and chr(c) != "\n" and not _WORD.fullmatch(chr(c)) else c for c in range(256)
)


def _ascii_gaps(text: str) -> str:
    """An ASCII text with every character but word characters and line breaks made a space."""
    return text.encode("ascii").translate(_ASCII_GAPS).decode("ascii")


def light_words(light_text: str) -> list[str]:
    """The words (`\\w+`) of a light text, in order; an ASCII one's by a translate and a split in C."""
    return _ascii_gaps(light_text).split() if light_text.isascii() else _WORD.findall(light_text)


def text_words(text: str) -> list[str]:
    """The light words of a whole text in one pass: every word of its sentences, however they are cut.

    Sentences are cut at whitespace, and normalising never joins words across it, so the words of
    a text hold those of each of its sentences (`tests/analysis/test_may_speak.py` checks it).
    """
    return light_words(normalise(text))


def light_words_of(light_texts: Sequence[str]) -> list[list[str]]:
    """The `light_words` of each light text; ASCII ones (most news) in one translate-and-split pass."""
    joined = "\n".join(light_texts)
    if joined.isascii():  # `\w+` over ASCII is the runs between gaps: str.split in C, no regex walk
        lines = _ascii_gaps(joined).split("\n")
        if len(lines) == len(light_texts):
            return [line.split() for line in lines]
    # an item naming "Бахмуті" in one sentence: its ASCII sentences still take the split
    return [light_words(text) for text in light_texts]


def tokens_of(sentence: str, light_text: str, words: list[str] | None = None) -> Tokens:
    """The tokens of one sentence from its light text (`light_texts`) and, if known, its `light_words`."""
    sentence = sentence.replace("\n", " ")
    if _CLAUSE_MARK.search(light_text) is None:  # most sentences are one clause
        light = _WORD.findall(light_text) if words is None else words
        clauses = [0] * len(light)
    else:
        light, clauses = [], []
        clause = 0
        for chunk in _CLAUSE_MARK.split(light_text):
            words = _WORD.findall(chunk)
            if words:
                light += words
                clauses += [clause] * len(words)
                clause += 1
    # keys word by word, each remembered: news repeats its words, and the key is the costly part
    keys = tuple(map(word_key, light))
    return Tokens(tuple(light), keys, (), tuple(clauses), sentence)


def with_surface(tokens: Tokens) -> Tokens:
    """The tokens with their surface words filled in (kept lazy: most sentences never need them)."""
    if tokens.surface or not tokens.light:
        return tokens
    raw = tokens.raw if tokens.raw.isascii() else unicodedata.normalize("NFKC", tokens.raw)
    surface = _WORD.findall(_POSSESSIVE.sub("", raw))
    if len(surface) != len(tokens.light):
        surface = list(tokens.light)
    return Tokens(tokens.light, tokens.keys, tuple(surface), tokens.clauses, tokens.raw)


# Words after which a full stop does not end a sentence (titles, months, initials, "U.S.").
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "st",
        "no",
        "vs",
        "etc",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "inc",
        "corp",
        "ltd",
        "co",
        "gov",
        "sen",
        "rep",
        "pres",
        "prof",
        "approx",
        "est",
        "fig",
        "ca",
        "al",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "г",
        "ген",
        "им",
        "т.е",
        "т.д",
        "т.п",
        "ул",
        "обл",
        "р-н",
        "с",
        "м",
    ]
)
# the end mark opens the pattern (not a lookbehind, which the engine would try at every position);
# captured, so that `re.split` keeps it between the pieces
_BOUNDARY = re.compile(r"([.!?…][\"'»”’)]*\s+|\n\s*)")
# the same without its line-break branch, for texts with none: an alternation at the start of a pattern
# is tried at every position, a character set is searched for (8 µs against 13 for a 650-character text)
_END_MARK = re.compile(r"([.!?…][\"'»”’)]*\s+)")
_CLOSING = ".!?…\"'»”’)"
_OPENING = "(\"'«“"


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, keeping abbreviations, initials and decimals inside a sentence."""
    # pieces and the boundaries between them, cut in C; each boundary is then kept or joined over
    parts = (_BOUNDARY if "\n" in text else _END_MARK).split(text)
    sentences: list[str] = []
    piece = parts[0]
    for k in range(1, len(parts), 2):
        mark, following = parts[k], parts[k + 1]
        if "\n" not in mark:
            last = piece.rstrip(_CLOSING).rsplit(None, 1)  # the word before the end mark
            word = last[-1].lower().strip(_OPENING) if last else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or following[:1].islower():
                piece += mark + following
                continue
        piece = (piece + mark).strip()
        if piece:
            sentences.append(piece)
        piece = following
    piece = piece.strip()
    if piece:
        sentences.append(piece)
    return sentences


class Hit(NamedTuple):  # a tuple: built in the thousands per item, 2x cheaper than a frozen dataclass
    """A phrase found in a token list: its label, the token span and the phrase as written."""

    label: str
    start: int
    end: int  # exclusive
    phrase: str


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    stem: bool


def _parse_phrase(phrase: str) -> tuple[_Word, ...]:
    words = []
    for raw in phrase.split():
        stem = raw.endswith("*")
        light = _WORD.findall(normalise(raw.rstrip("*")))
        for i, part in enumerate(light):
            words.append(_Word(part, stem and i == len(light) - 1))
    return tuple(words)


def _word_matches(word: _Word, token: str) -> bool:
    return token.startswith(word.text) if word.stem else token == word.text


class KeyWords:
    """Words a set of phrases is found by: exact words, and stems (a word covers one when it starts with it)."""

    __slots__ = ("_by_prefix", "_exact", "_short")

    def __init__(self, exact: Iterable[str], stems: Iterable[str]) -> None:
        self._exact = frozenset(exact)
        by_prefix: dict[str, set[str]] = {}
        short: list[str] = []
        for stem in stems:
            if len(stem) >= 3:
                by_prefix.setdefault(stem[:3], set()).add(stem)
            else:
                short.append(stem)
        self._by_prefix = {prefix: tuple(sorted(group)) for prefix, group in by_prefix.items()}
        self._short = tuple(sorted(short))

    def covers(self, word: str) -> bool:
        """Whether a light word could be the key word of one of the phrases."""
        if word in self._exact:
            return True
        stems = self._by_prefix.get(word[:3], ()) + self._short
        return any(word.startswith(stem) for stem in stems)


# a candidate phrase numbered in the order the token's candidate lists hold it: (n, words, label, phrase)
_Numbered = tuple[tuple[int, tuple[_Word, ...], str, str], ...]
# what a token may start: its one-word phrases (label, phrase), whether it starts longer phrases to check
# (where it might, the one-word phrases are kept once per label), the candidates whose second word is exact, by
# that word ("на підступах до": only where "підступах" follows), and the rest (a stem second, or one word)
_Probe = tuple[tuple[tuple[str, str], ...], bool, dict[str, _Numbered], _Numbered]
_PROBE_CACHE = 1 << 16


@dataclass(slots=True)
class Lexicon:
    """Phrases with labels, matched on light tokens by dict look-ups (build with `add`, then query)."""

    _exact: dict[str, list[tuple[tuple[_Word, ...], str, str]]] = field(default_factory=dict)
    _single: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # one-word phrases: label, phrase
    _stems: dict[str, list[tuple[tuple[_Word, ...], str, str]]] = field(default_factory=dict)
    _stem_lengths: list[int] = field(default_factory=list)
    # first three letters of a stem → the stem lengths starting so: most tokens probe nothing
    _by_prefix: dict[str, tuple[int, ...]] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    _first_words: set[str] = field(default_factory=set)
    _probe_cached: Callable[[str], _Probe] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._probe_cached = lru_cache(maxsize=_PROBE_CACHE)(self._probe)

    def add(self, label: str, phrases: Iterable[str]) -> None:
        """Register phrases under a label; `word*` matches any word starting with `word`."""
        self._probe_cached = lru_cache(maxsize=_PROBE_CACHE)(self._probe)  # earlier probes are stale
        for phrase in phrases:
            parsed = _parse_phrase(phrase)
            if not parsed:
                continue
            first = parsed[0]
            entry = (parsed, label, phrase)
            if first.stem:
                self._stems.setdefault(first.text, []).append(entry)
                if len(first.text) not in self._stem_lengths:
                    self._stem_lengths.append(len(first.text))
                    self._stem_lengths.sort()
                # stems of 3+ letters are found through their first three letters, shorter ones by length
                prefix = first.text[:3] if len(first.text) >= 3 else ""
                lengths = set(self._by_prefix.get(prefix, ())) | {len(first.text)}
                self._by_prefix[prefix] = tuple(sorted(lengths))
            elif len(parsed) == 1:
                self._single.setdefault(first.text, []).append((label, phrase))
                self._first_words.add(first.text)
            else:
                self._exact.setdefault(first.text, []).append(entry)
                self._first_words.add(first.text)
            self.words.update(word.text for word in parsed if not word.stem)

    def first_words(self) -> frozenset[str]:
        """The exact first words of the phrases: a cheap pre-filter (stems are not in it)."""
        return frozenset(self._first_words)

    def key_words(self) -> dict[str, KeyWords]:
        """Per label, one word of each phrase that it cannot match without (its longest exact word).

        A sentence holding none of a label's key words has no hit of that label: a test on words
        that is tighter than the first word ("line of defence" needs "defence", not just "line").
        """
        exact: dict[str, set[str]] = {}
        stems: dict[str, set[str]] = {}
        entries = [
            entry for group in (self._exact, self._stems) for listed in group.values() for entry in listed
        ]
        entries += [
            ((_Word(word, False),), label, phrase)
            for word, singles in self._single.items()
            for label, phrase in singles
        ]
        for words, label, _ in entries:
            plain = [word for word in words if not word.stem]
            key = max(plain or words, key=lambda word: len(word.text))  # the first of the longest
            (stems if key.stem else exact).setdefault(label, set()).add(key.text)
        return {
            label: KeyWords(exact.get(label, ()), stems.get(label, ()))
            for label in exact.keys() | stems.keys()
        }

    def find(self, tokens: Sequence[str]) -> list[Hit]:
        """Every phrase occurrence; at one position only the longest phrase per label is kept."""
        hits: list[Hit] = []
        probe = self._probe_cached
        last = len(tokens) - 1
        for i, token in enumerate(tokens):
            singles, longer, by_next, rest = probe(token)
            if longer:
                after = by_next.get(tokens[i + 1], ()) if i < last and by_next else ()
                if after or rest:
                    found = {label: Hit(label, i, i + 1, phrase) for label, phrase in singles}
                    self._extend(found, after, rest, tokens, i)
                    hits.extend(found.values())
                    continue
            for label, phrase in singles:  # a plain loop: most tokens have none, the rest one
                hits.append(Hit(label, i, i + 1, phrase))
        return hits

    def _probe(self, token: str) -> _Probe:
        """What phrases a token may start: the same for every occurrence of the token."""
        by_prefix = self._by_prefix
        exact = self._exact.get(token)
        lengths = by_prefix.get(token[:3])
        short = by_prefix.get("", ())
        if short:
            lengths = tuple(sorted(set(short) | set(lengths or ())))
        singles = tuple(self._single.get(token, ()))
        candidate_lists = [exact] if exact else []
        for length in lengths or ():
            if length > len(token):
                break
            stems = self._stems.get(token[:length])
            if stems:
                candidate_lists.append(stems)
        by_next: dict[str, list[tuple[int, tuple[_Word, ...], str, str]]] = {}
        rest = []
        numbered = enumerate(entry for candidates in candidate_lists for entry in candidates)
        for n, (words, label, phrase) in numbered:
            if len(words) > 1 and not words[1].stem:
                by_next.setdefault(words[1].text, []).append((n, words, label, phrase))
            else:
                rest.append((n, words, label, phrase))
        nexts = {word: tuple(group) for word, group in by_next.items()}
        if exact is not None or lengths is not None:
            singles = tuple(dict(singles).items())  # once per label, the last phrase, as `_extend` keeps them
        return singles, bool(nexts or rest), nexts, tuple(rest)

    @staticmethod
    def _extend(
        found: dict[str, Hit], after: _Numbered, rest: _Numbered, tokens: Sequence[str], i: int
    ) -> None:
        """Add the token's longer phrases that match, as if every candidate were tried in its order."""
        size = len(tokens)
        matched = []
        for group in (after, rest):
            for n, words, label, phrase in group:
                end = i + len(words)
                if end > size:
                    continue
                for k in range(1, len(words)):  # a plain loop: most candidates are one word and skip it
                    if not _word_matches(words[k], tokens[i + k]):
                        break
                else:
                    matched.append((n, label, end, phrase))
        # in candidate order: the first of the longest wins per label, and labels keep their first place
        for _, label, end, phrase in sorted(matched) if len(matched) > 1 else matched:
            best = found.get(label)
            if best is None or end > best.end:
                found[label] = Hit(label, i, end, phrase)
