# ruff: noqa: RUF001 -- Cyrillic case endings are the data here
"""Place matching: which baseline places a sentence names, in any spelling, script or case form.

How it decides, per token (all on phonetic keys from `text.fold`, so Бахмуті and Bakhmut's meet):

1. Multi-word names first ("Chasiv Yar", "Часовом Яру"): the first word must match, then each
   following word, every word allowed its case ending.
2. Exact: the key, or the key minus one known case ending (Ukrainian, Russian and adjectival endings
   folded like the text: Бахмуті → bakmut+i, Авдіївці → avdivk+i, Запорізькому → zaporizk+omu),
   looked up in one dict holding every alias key and alias stem. Alias stems drop only a final
   vowel ending (Кремінна → krimin), so a consonant-final name is never shortened.
3. Fuzzy (rapidfuzz ratio >= settings.place_min_score), only for tokens of 6+ letters that are not a
   known cue/actor word, compared only with aliases sharing the token's first two key letters.

How false positives are kept down:

- `lookalikes` (Bakhmach, Kremenchuk, Andriivka, Siverskyi Donets...) are indexed like aliases but
  mark a *negative*: an exact or inflected hit on a look-alike is never a place, and a fuzzy match is
  refused whenever a look-alike scores at least as well as the best alias.
- Names shorter than 6 key letters match exactly (with endings) or not at all.
- Only endings from a closed list are stripped, never arbitrary suffixes: Bakhmutivka is not Bakhmut.

A typo in the first two letters (Vakhmut, Pakhmut, akhmut-less) is tolerated only in Latin script and
only when the rest of the name is exact: aliases are also bucketed by their letters 3-4 and 2-3. Cyrillic
common words collide too often (західні ~ Ягідне) for that rule.

Coreference (`Coreference`): "the city", "місто", "село" in a sentence that names no place stands for
the one baseline place of that kind (city, town, village; a city and a town stand in for each other when
no place of the exact kind was named) named earlier in the same item; with two candidates it is nobody.
"it" is never resolved: it too often means an army, an offensive or a statement.

Known failure modes: a typo in the first two letters of a Cyrillic name, or a head typo plus another typo; a real place whose
inflected key equals another name's stem (rare; add it as a look-alike); homonymous villages (there
are many Andriivkas) are all taken as the baseline's one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz

from pipeline.analysis.text import Lexicon, Tokens, fold, light_words, normalise

# Case endings of Ukrainian and Russian nouns and adjectives, folded to keys at import time.
_NATURAL_ENDINGS = [
    "а",
    "я",
    "у",
    "ю",
    "і",
    "ї",
    "е",
    "є",
    "о",
    "и",
    "ы",
    "й",
    "ом",
    "ем",
    "ём",
    "ою",
    "ею",
    "ей",
    "ів",
    "їв",
    "ові",  # Ukrainian dative and locative of masculine nouns: "Бахмутові", "по Бахмутові"
    "еві",
    "єві",
    "ов",
    "ев",
    "ам",
    "ям",
    "ах",
    "ях",
    "ами",
    "ями",
    "ий",
    "ій",
    "ый",
    "ого",
    "ому",
    "им",
    "ім",
    "ых",
    "их",
    "ої",
    "ой",
    "ая",
    "яя",
    "ую",
    "юю",
    "ое",
    "ее",
    "ые",
    "ие",
    "ому",
    "ему",
    "ской",
    "ского",
    "скому",
    "ском",
    "ська",
    "ський",
    "ськом",
    "ському",
    "ській",
    "ських",
]
_ENDINGS = frozenset(fold(e) for e in _NATURAL_ENDINGS) | {""}
# Only vowel-final endings are removed from an alias to get its stem.
_ALIAS_ENDINGS = sorted(
    (e for e in _ENDINGS if e and e[-1] in "aiouy" and len(e) <= 3), key=len, reverse=True
)
_MAX_ENDING = max(len(e) for e in _ENDINGS)
_MIN_STEM = 3
_FUZZY_MIN_LEN = 6
_FUZZY_CACHE = 1 << 16  # distinct long words remembered per index: news vocabulary repeats


class PlaceHit(NamedTuple):  # a tuple: built in the thousands per item, 2x cheaper than a frozen dataclass
    """A place found in a sentence's tokens."""

    place_id: str  # the look-alike's place id when `negative`
    start: int
    end: int  # exclusive token index
    score: float  # 0-1
    how: str  # "exact", "inflected" or "fuzzy"


@dataclass(frozen=True, slots=True)
class _Entry:
    place_id: str
    negative: bool  # a look-alike: names something that is not this place
    words: tuple[str, ...]  # stems of the following words, for multi-word names


def _bucket_keys(key: str) -> tuple[str, ...]:
    """The fuzzy buckets of an alias key: its first two letters, its letters 3-4, its letters 2-3."""
    return (key[:2], "#" + key[2:4], "@" + key[1:3])


def _head_typo(variant: str, alias: str) -> bool:
    """One wrong, missing or extra letter among the first two, the rest of the name exact."""
    return len(alias) >= _FUZZY_MIN_LEN and (
        (len(variant) == len(alias) and variant[2:] == alias[2:] and variant[:2] != alias[:2])
        or variant == alias[1:]
        or variant[1:] == alias
    )


def _alias_stem(key: str, min_len: int = 4) -> str:
    for ending in _ALIAS_ENDINGS:
        if key.endswith(ending) and len(key) - len(ending) >= min_len:
            return key[: -len(ending)]
    return key


def _strip(token: str, stems: dict[str, list[_Entry]] | frozenset[str]) -> tuple[str, str] | None:
    """The (stem, ending) of a token whose stem is known, trying the shortest ending first."""
    for cut in range(0, min(_MAX_ENDING, len(token) - _MIN_STEM) + 1):
        stem, ending = (token[:-cut], token[-cut:]) if cut else (token, "")
        if ending in _ENDINGS and stem in stems:
            return stem, ending
    return None


class PlaceIndex:
    """Every alias and look-alike of the baseline's places, compiled for fast look-up."""

    def __init__(self, places: Iterable[tuple[str, Sequence[str], Sequence[str]]], min_score: float) -> None:
        self.min_score = min_score
        self._first: dict[str, list[_Entry]] = {}
        self._word_stems: frozenset[str] = frozenset()
        self._buckets: dict[str, list[tuple[str, _Entry]]] = {}
        word_stems: set[str] = set()
        for place_id, aliases, lookalikes in places:
            for negative, names in ((True, lookalikes), (False, aliases)):
                for name in names:
                    keys = fold(name).split()
                    if not keys:
                        continue
                    stems = [_alias_stem(keys[0])] + [_alias_stem(k, _MIN_STEM) for k in keys[1:]]
                    entry = _Entry(place_id, negative, tuple(stems[1:]))
                    word_stems.update(stems[1:])
                    word_stems.update(keys[1:])
                    for first in {keys[0], stems[0]}:
                        self._add(first, entry)
                    if len(keys) == 1 and len(keys[0]) >= _FUZZY_MIN_LEN:
                        for bucket in _bucket_keys(keys[0]):
                            self._buckets.setdefault(bucket, []).append((keys[0], entry))
        self._word_stems = frozenset(word_stems)
        # every key a token could start with to match: lets most tokens skip the ending loop
        self._prefixes = frozenset(key[:_MIN_STEM] for key in self._first)
        # a fuzzy match depends only on the word and this index: remembered per index, never shared
        self._fuzzy_word = lru_cache(maxsize=_FUZZY_CACHE)(self._fuzzy_match)

    def _add(self, key: str, entry: _Entry) -> None:
        entries = self._first.setdefault(key, [])
        if entry.negative:
            entries.append(entry)
        else:  # an alias outranks a look-alike with the same key (Andriivka is a place of its own)
            entries.insert(0, entry)

    def find(
        self, tokens: Tokens, skip_fuzzy: frozenset[str] = frozenset(), starts: frozenset[str] | None = None
    ) -> list[PlaceHit]:
        """Places named in a tokenised sentence; look-alike hits are returned with negative ids dropped.

        `starts`, when given, holds every light word for which `may_name` is true (with the same
        `skip_fuzzy`): a hit that counts starts nowhere else, and what `find` meets at any other
        position is nothing or a one-word look-alike, so those positions are passed over unprobed.
        """
        keys, light = tokens.keys, tokens.light
        hits: list[PlaceHit] = []
        prefixes, fuzzy_word = self._prefixes, self._fuzzy_word
        if starts is None:
            positions: Iterable[int] = range(len(keys))
        else:
            positions = [n for n, word in enumerate(light) if word in starts]
        end = 0
        for i in positions:
            if i < end:
                continue  # inside the hit found before
            key = keys[i]
            hit = self._exact(keys, i) if key[:_MIN_STEM] in prefixes else None
            if hit is None and len(key) >= _FUZZY_MIN_LEN and light[i] not in skip_fuzzy:
                match = fuzzy_word(key, light[i].isascii())
                if match is not None:
                    hit = PlaceHit(match[0], i, i + 1, match[1], "fuzzy")
            if hit is None:
                continue
            if hit.score > 0:
                hits.append(hit)
            end = hit.end
        return hits

    def may_name(self, words: Iterable[tuple[str, str]], skip_fuzzy: frozenset[str] = frozenset()) -> bool:
        """Whether any of these (light, key) words could start a place hit in `find`: a cheap superset test."""
        return any(self._may_start(light, key, skip_fuzzy) for light, key in words)

    def _may_start(self, light: str, key: str, skip_fuzzy: frozenset[str]) -> bool:
        """Whether `find` could give a hit that counts (score > 0) starting at this one word.

        Mirrors `find`: the first stem with entries decides an exact hit. Names of one word there give
        their first entry (an alias before a look-alike), so a look-alike's own spelling ("Bakhmach")
        never counts; a longer name may follow, or not, so it may. With no stem, the (cached) fuzzy
        look-up decides, and a look-alike found there (score 0) does not count either.
        """
        split = _strip(key, self._first) if key[:_MIN_STEM] in self._prefixes else None
        if split is not None:
            entries = self._first[split[0]]
            return any(entry.words for entry in entries) or not entries[0].negative
        if len(key) >= _FUZZY_MIN_LEN and light not in skip_fuzzy:
            match = self._fuzzy_word(key, light.isascii())
            return match is not None and match[1] > 0
        return False

    def _exact(self, keys: Sequence[str], i: int) -> PlaceHit | None:
        token = keys[i]
        for cut in range(0, min(_MAX_ENDING, len(token) - _MIN_STEM) + 1):
            stem, ending = (token[:-cut], token[-cut:]) if cut else (token, "")
            entries = self._first.get(stem) if ending in _ENDINGS else None
            if not entries:
                continue
            best: PlaceHit | None = None
            for entry in entries:
                end = i + 1 + len(entry.words)
                if end > len(keys) or (best is not None and end <= best.end):
                    continue
                if all(
                    _strip(keys[i + 1 + n], frozenset({w})) is not None for n, w in enumerate(entry.words)
                ):
                    how = "exact" if not ending and not entry.words else "inflected"
                    best = PlaceHit(entry.place_id, i, end, 0.0 if entry.negative else 1.0, how)
            if best is not None:
                return best
        return None

    def _fuzzy_match(self, key: str, latin: bool) -> tuple[str, float] | None:
        """The (place id, score) a long word fuzzily names, score 0 for a look-alike; None for no place."""
        # the token's own opening, its letters 3-4 (a wrong first or second letter) and its first two
        # letters as an alias's second and third (a dropped first letter)
        bucket = list(
            dict.fromkeys(
                pair
                for probe in (key[:2], "#" + key[2:4], "@" + key[:2])
                for pair in self._buckets.get(probe, ())
            )
        )
        if not bucket:
            return None
        variants = [key]
        for cut in range(1, _MAX_ENDING + 1):
            if len(key) - cut >= _FUZZY_MIN_LEN - 1 and key[-cut:] in _ENDINGS:
                variants.append(key[:-cut])
        best: _Entry | None = None
        best_score = 0.0
        for alias, entry in bucket:
            for variant in variants:
                score = fuzz.ratio(variant, alias, score_cutoff=self.min_score)
                if not score and latin and _head_typo(variant, alias):
                    score = self.min_score
                # a tie with a look-alike is a refusal: the token may as well be the other place
                if score > best_score or (score == best_score and score > 0 and entry.negative):
                    best, best_score = entry, score
        if best is None:
            return None
        return best.place_id, 0.0 if best.negative else round(best_score / 100, 3)


# "the town" is often said of a city and "the city" of a town; a village is only a village
_KIND_SIBLING = {"city": "town", "town": "city"}
# "населенный пункт", "the settlement": any one village, town or city named before, tried all at once
_SETTLEMENT: tuple[frozenset[str | None], ...] = (frozenset({"village", "town", "city"}),)


class Coreference:
    """Words that name an already mentioned place by its kind ("the city", "село")."""

    def __init__(self, words: dict[str, Iterable[str]], kinds: dict[str, str]) -> None:
        self._lexicon = Lexicon()
        for kind, phrases in words.items():
            self._lexicon.add(kind, phrases)
        self.first_words = self._lexicon.first_words()  # a sentence with none of these has no reference
        # nor with none of these: a phrase is found only whole, and its last word is its kind's noun
        # ("city" of "the city"), so it gates a sentence where "the" would let every one through
        self.last_words = frozenset(
            parts[-1] for phrases in words.values() for p in phrases if (parts := light_words(normalise(p)))
        )
        self.kinds = kinds  # place id → kind

    def find(self, light: Sequence[str], named: Sequence[str]) -> list[PlaceHit]:
        """Hits for kind words (in a sentence's light tokens) that resolve to exactly one earlier place in `named`."""
        if not named or self.first_words.isdisjoint(light):
            return []
        hits = []
        for hit in self._lexicon.find(light):
            place_id = self._referent(hit.label, named)
            if place_id is not None:
                hits.append(PlaceHit(place_id, hit.start, hit.end, 0.9, "coreference"))
        return hits

    def _referent(self, kind: str, named: Sequence[str]) -> str | None:
        rounds = (
            _SETTLEMENT if kind == "settlement" else (frozenset({kind}), frozenset({_KIND_SIBLING.get(kind)}))
        )
        for wanted in rounds:
            candidates = {p for p in named if self.kinds.get(p) in wanted}
            if len(candidates) == 1:
                return candidates.pop()
            if candidates:
                return None  # two towns named: "the town" could be either
        return None
