# ruff: noqa: RUF001 -- Cyrillic letters and typographic apostrophes are the data here
"""Place mentions: the capitalised phrases of an article that may name a place, looked up in one batch.

Capitalised phrases (Latin or Cyrillic, "of" allowed inside: "District of Columbia") are cut into spans
and looked up in the gazetteer, longest span first, in one batch. False positives are kept down by rules,
not lists of places: runs holding an organisation word ("Department", "Post", "Brigade") are skipped; words
after a title ("Governor Roy Cooper") are a person's name; months, weekdays and acronyms never match; a
single word that the article also writes in lower case ("war", "hurricane") is a common word. Each mention
records the wording around it (cues such as "in X", "X region", "X, Florida", "X state", "Spokane, X") for
`places` to weigh.
Pure: sentences and a `Gazetteer` in, mentions out; no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.analysis.draft.article import (
    CYRILLIC,
    NEVER_PLACES,
    POSSESSIVE,
    TOKEN,
    Token,
    capitalised,
    is_acronym,
    tokens_of,
    word_list,
)
from pipeline.analysis.gazetteer import Gazetteer, GazetteerEntry

_MAX_SPAN = 4

# A capitalised word right after one of these starts a person's name.
_TITLES = frozenset(
    word_list(
        "president vice governor mayor administrator secretary minister colonel general commander "
        "senator congressman congresswoman representative chancellor premier king queen prince princess "
        "pope ambassador spokesman spokeswoman spokesperson director chief captain lieutenant major "
        "sergeant admiral marshal judge officer mr mrs ms dr"
    )
)
# A capitalised run holding one of these names an organisation, an event or an office, not a place.
_ORG_WORDS = frozenset(
    word_list(
        "department ministry agency administration office service services corps army navy force forces "
        "guard guards brigade battalion regiment division institute university college school center "
        "centre council committee commission party bank company group team band post times press news "
        "journal herald tribune telegraph wire agency association union foundation league fund program "
        "programme operations declaration declarations act court house senate congress parliament church "
        "hospital airport station fc club"
    )
)
PLACE_WORDS = {  # word after a name → kind of place
    "region": "region",
    "oblast": "region",
    "province": "region",
    "governorate": "region",
    "krai": "region",
    "raion": "district",
    "district": "district",
    "county": "county",
    "river": "river",
    "sea": "sea",
    "lake": "lake",
}
_VERBS_AFTER = frozenset(
    word_list(
        "is was has had have will would could can may might said says remains remained were are held holds"
    )
)
_CUES_BEFORE = frozenset(
    word_list("in near at around outside towards toward into from across between within around through")
)
_CUE_PHRASES_BEFORE = re.compile(
    r"\b(?:city|town|village|villages|settlement|settlements|area|outskirts|region|capital) of\s*$", re.I
)
_UNLISTED_CUE = re.compile(
    r"\b(?:captured|taken|took|seized|retaken|recaptured|liberated|entered|shelled|stormed|"
    r"(?:village|town|city|settlement)s? of|near|outskirts of)\s*$",
    re.I,
)
_PERSON_CUES_BEFORE = re.compile(r"\b(?:named|called|blogger|journalist|analyst|spokesman),?\s*$", re.I)
# The wording names a first-level region rather than a same-named city: "Washington state", "the state of
# Washington"; and the capitalised words before ", X", which `places` checks for a town of that region.
_REGION_AFTER = re.compile(r" state\b", re.I)
_REGION_BEFORE = re.compile(r"\bstate of\s*$", re.I)
_NAME_BEFORE_COMMA = re.compile(r"((?:[A-Z][\w'’-]+ ){0,2}[A-Z][\w'’-]+),\s+$")

_CYRILLIC_ENDINGS = ("ові", "ому", "ою", "ом", "ем", "ій", "і", "у", "ю", "а", "я", "е", "и", "ї")


@dataclass(frozen=True, slots=True)
class Mention:
    """A capitalised phrase that may name a place, with the wording around it."""

    sentence: int
    surface: str  # as written, possessive dropped
    keys: tuple[str, ...]  # gazetteer look-up names tried, best first
    place_word: str | None  # "region", "river", ... when the article says so
    cue: bool  # "in X", "near X", "the city of X", "X, Florida", "X region"
    initial: bool  # at a sentence start and followed by a lower-case word
    leftovers: bool  # other unexplained capitalised words in the same phrase
    hint: str | None  # the words after "X, ..." ("Florida" in "Asheville, Florida")
    unlisted: bool = False  # not in the gazetteer, but the wording says it is a place
    verb_follows: bool = False  # "Kharkiv was ...", "Kharkiv said ..."
    region_cue: bool = False  # "X state", "state of X": a first-level region, not a same-named city
    name_before: str | None = None  # the words before ", X" ("Spokane" in "Spokane, Washington")


def _runs(sentence: str, tokens: Sequence[Token]) -> list[list[int]]:
    """Maximal runs of capitalised tokens one space apart, "of" allowed between two of them."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, token in enumerate(tokens):
        joined = bool(current) and sentence[tokens[current[-1]].end : token.start] == " "
        if capitalised(token) and (joined or not current):
            current.append(i)
            continue
        is_of = (
            token.text == "of"
            and joined
            and i + 1 < len(tokens)
            and capitalised(tokens[i + 1])
            and sentence[token.end : tokens[i + 1].start] == " "
        )
        if is_of:
            current.append(i)
            continue
        if current:
            runs.append(current)
        current = [i] if capitalised(token) else []
    if current:
        runs.append(current)
    return [[i for i in run] for run in runs if any(tokens[i].text != "of" for i in run)]


def _segments(tokens: Sequence[Token], run: list[int], before: str) -> list[list[int]]:
    """Split a run into the parts that may name places; organisations and people yield nothing."""
    words = [tokens[i].text.casefold() for i in run]
    if any(POSSESSIVE.sub("", w) in _ORG_WORDS for w in words) or _PERSON_CUES_BEFORE.search(before):
        return []
    segments: list[list[int]] = [[]]
    person = False
    for i, word in zip(run, words, strict=True):
        if word in _TITLES:
            person = True  # the names after a title are the holder's ("Governor Roy Cooper") ...
            segments.append([])
        elif word == "of" and (person or not segments[-1]):
            person = False  # ... unless "of" follows: "Governor of Luhansk Oblast", "Battle of Lysychansk"
            segments.append([])
        elif not person:
            segments[-1].append(i)
    trimmed = []
    for segment in segments:  # "The Donets", "of Columbia": edge words are never part of a name
        while segment and tokens[segment[0]].text.casefold() in NEVER_PLACES:
            segment = segment[1:]
        while segment and tokens[segment[-1]].text.casefold() in NEVER_PLACES:
            segment = segment[:-1]
        if segment:
            trimmed.append(segment)
    return trimmed


def _spans(segment: Sequence[int], start: int) -> Iterable[Sequence[int]]:
    """Sub-spans of a segment beginning at `start`, longest first, never ending on "of"."""
    for end in range(min(start + _MAX_SPAN, len(segment)), start, -1):
        yield segment[start:end]


def _surface(sentence: str, tokens: Sequence[Token], span: Sequence[int]) -> str:
    text = sentence[tokens[span[0]].start : tokens[span[-1]].end]
    return POSSESSIVE.sub("", text)


def _lookup_keys(surface: str) -> list[str]:
    keys = [surface]
    if CYRILLIC.search(surface):  # inflected Cyrillic: "Бахмуті" → "Бахмут"
        head, _, last = surface.rpartition(" ")
        for ending in _CYRILLIC_ENDINGS:
            if last.endswith(ending) and len(last) - len(ending) >= 3:
                stem = last[: -len(ending)]
                keys.append(f"{head} {stem}".strip())
                keys.append(f"{head} {stem}а".strip())  # feminine nominative: Авдіївці → Авдіївка
                if ending == "ові":
                    keys.append(f"{head} {stem}ів".strip())
    return keys


def find_mentions(
    sentences: Sequence[str], gazetteer: Gazetteer
) -> tuple[list[Mention], dict[str, tuple[GazetteerEntry, ...]]]:
    """Every possible place mention in the sentences, and the gazetteer entries for their names."""
    lower_words = {m.group() for s in sentences for m in TOKEN.finditer(s) if m.group().islower()}
    pending: list[tuple[int, str, list[Token], list[int]]] = []  # sentence, its text, tokens, segment
    wanted: set[str] = set()
    for index, sentence in enumerate(sentences):
        tokens = tokens_of(sentence)
        for run in _runs(sentence, tokens):
            for segment in _segments(tokens, run, sentence[: tokens[run[0]].start]):
                for a in range(len(segment)):
                    for span in _spans(segment, a):
                        if tokens[span[-1]].text == "of" or tokens[span[0]].text == "of":
                            continue
                        wanted.update(_lookup_keys(_surface(sentence, tokens, span)))
                        if tokens[span[-1]].text.casefold() in PLACE_WORDS and len(span) > 1:
                            wanted.update(_lookup_keys(_surface(sentence, tokens, span[:-1])))
                pending.append((index, sentence, tokens, segment))
    found = gazetteer.lookup(wanted)
    mentions: list[Mention] = []
    for index, sentence, tokens, segment in pending:
        mentions.extend(_match_segment(index, sentence, tokens, segment, found, lower_words))
    return mentions, found


def _match_segment(
    index: int,
    sentence: str,
    tokens: Sequence[Token],
    segment: Sequence[int],
    found: dict[str, tuple[GazetteerEntry, ...]],
    lower_words: set[str],
) -> list[Mention]:
    spans: list[tuple[int, int, str | None, bool]] = []  # segment start, end, place word, unlisted
    p = 0
    while p < len(segment):
        for span in _spans(segment, p):
            q = p + len(span)
            words = [tokens[i].text for i in span]
            if words[0] == "of" or words[-1] == "of":
                continue
            last_word = POSSESSIVE.sub("", words[-1]).casefold()
            after = tokens[span[-1] + 1].text if span[-1] + 1 < len(tokens) else ""
            if len(span) == 1 and (
                last_word in NEVER_PLACES or is_acronym(words[0]) or last_word in lower_words
            ):
                continue
            place_word = PLACE_WORDS.get(last_word) if len(span) > 1 else None
            if (
                place_word is None
                and after.islower()
                and sentence[tokens[span[-1]].end : tokens[span[-1]].end + 1] == " "
            ):
                place_word = PLACE_WORDS.get(after)
            surface = _surface(sentence, tokens, span)
            # A village too small for the gazetteer still counts after "captured X", "the village of X".
            unlisted = (
                len(segment) == 1
                and span[0] > 0
                and bool(_UNLISTED_CUE.search(sentence[: tokens[span[0]].start]))
            )
            if place_word or unlisted or any(k.casefold() in found for k in _lookup_keys(surface)):
                spans.append((p, q, place_word, unlisted))
                p = q
                break
        else:
            p += 1
    matched = {i for p, q, _, _ in spans for i in range(p, q)}
    leftovers = any(
        i not in matched and tokens[segment[i]].text.casefold() not in NEVER_PLACES
        for i in range(len(segment))
    )
    mentions = []
    for p, q, place_word, unlisted in spans:
        span = segment[p:q]
        first, last = tokens[span[0]], tokens[span[-1]]
        before = sentence[: first.start]
        prev = re.findall(r"[\w']+", before)[-1:] or [""]
        after_text = sentence[last.end :]
        hint = re.match(r",\s+((?:[A-Z][\w'’-]+ ?){1,3})", after_text)
        name_before = _NAME_BEFORE_COMMA.search(before)
        nxt = tokens[span[-1] + 1].text if span[-1] + 1 < len(tokens) else ""
        surface = _surface(sentence, tokens, span)
        keys = _lookup_keys(surface)
        if place_word and len(span) > 1 and last.text.casefold() in PLACE_WORDS:
            keys = [*keys, *_lookup_keys(_surface(sentence, tokens, span[:-1]))]
        mentions.append(
            Mention(
                sentence=index,
                surface=surface,
                keys=tuple(keys),
                place_word=place_word,
                cue=bool(
                    place_word
                    or prev[0].casefold() in _CUES_BEFORE
                    or _CUE_PHRASES_BEFORE.search(before)
                    or nxt.casefold() in {"area", "city", "town", "village"}
                ),
                initial=span[0] == 0 and nxt[:1].islower(),
                leftovers=leftovers,
                hint=hint.group(1).strip() if hint else None,
                unlisted=unlisted,
                verb_follows=nxt.casefold() in _VERBS_AFTER,
                region_cue=bool(_REGION_AFTER.match(after_text) or _REGION_BEFORE.search(before)),
                name_before=name_before.group(1) if name_before else None,
            )
        )
    return mentions
