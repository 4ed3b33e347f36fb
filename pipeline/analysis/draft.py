# ruff: noqa: RUF001 -- Cyrillic letters are the data here
"""Draft a baseline from any article: its places and candidate claims, for a person to edit.

Pure: text and a `Gazetteer` in, a `Draft` out; no I/O, no clock. `render_draft_toml` writes the draft
in the baseline-file shape with comments saying what to check.

Places. Capitalised phrases (Latin or Cyrillic, "of" allowed inside: "District of Columbia") are looked
up in the gazetteer, longest span first, in one batch. False positives are kept down by rules, not lists
of places: runs holding an organisation word ("Department", "Post", "Brigade") are skipped; words after a
title ("Governor Roy Cooper") are a person's name; months, weekdays and acronyms never match; a single
word that the article also writes in lower case ("war", "hurricane") is a common word. Each surviving
match picks the gazetteer entry with the best score: population, exact primary name, country or state,
"X, Florida" agreement, and the article's country consensus (the countries of its unambiguous places:
Bakhmut article → Ukraine, hurricane fact sheet → the US). A weak match (a small town, no cue such as
"in X", "near X", "X region") is kept only mid-sentence and inside the consensus; a phrase at a
sentence start followed by a lower-case word ("Reading the forecast", "Nice weather") needs a strong
match inside the consensus. "The X region/oblast/county/river" makes a place of that kind.

Claims. Every sentence is scored for claim-likeness (a place or a named actor, an assertion verb,
numbers, modal or forecast words); headings, bylines and sentences that are mostly a quotation are
dropped; the best 25 are kept in article order with a slug id (place + key verb) and a guessed kind.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz

from pipeline.analysis.gazetteer import Gazetteer, GazetteerEntry
from pipeline.analysis.text import fold, normalise, split_sentences

MAX_CLAIMS = 25


def _words(text: str) -> list[str]:
    return text.split()


MAX_ALIASES = 15
_STRONG_POPULATION = 100_000
_MAX_SPAN = 4


@dataclass(frozen=True, slots=True)
class DraftPlace:
    """A place found in the article, with gazetteer coordinates and alias candidates."""

    id: str
    name: str
    kind: str  # city, country, state, county, region, river, sea, ...
    lat: float | None
    lon: float | None
    aliases: tuple[str, ...]
    mentions: int
    notes: tuple[str, ...] = ()  # what the editor should check, rendered as comments


@dataclass(frozen=True, slots=True)
class DraftClaim:
    """A sentence that reads like a claim the baseline could track."""

    id: str
    text: str
    places: tuple[str, ...]  # DraftPlace ids
    kind_guess: str  # control, quantity, forecast, assessment, supply, history, trend
    topic: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Draft:
    """A baseline draft: what `render_draft_toml` writes for a person to edit."""

    title: str | None
    as_of: date | None
    places: tuple[DraftPlace, ...]
    claims: tuple[DraftClaim, ...]
    source: str | None = None
    author: str | None = None


# --- words -------------------------------------------------------------------------------------------

_MONTHS = _words("january february march april may june july august september october november december")
_NEVER_PLACES = frozenset(
    _MONTHS
    + _words("monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday")
    + _words("the a an this that these those it its he she they we i you our their his her there here")
    + _words("and but or so yet if as at in on of for to by with from after before since while when")
    + _words("however moreover meanwhile additionally also thus still now then later earlier")
    + _words("one two three four five six seven eight nine ten first second third another")
    + _words("mr mrs ms dr sir lord lady saint st")
)
# A capitalised word right after one of these starts a person's name.
_TITLES = frozenset(
    _words(
        "president vice governor mayor administrator secretary minister colonel general commander "
        "senator congressman congresswoman representative chancellor premier king queen prince princess "
        "pope ambassador spokesman spokeswoman spokesperson director chief captain lieutenant major "
        "sergeant admiral marshal judge officer mr mrs ms dr"
    )
)
# A capitalised run holding one of these names an organisation, an event or an office, not a place.
_ORG_WORDS = frozenset(
    _words(
        "department ministry agency administration office service services corps army navy force forces "
        "guard guards brigade battalion regiment division institute university college school center "
        "centre council committee commission party bank company group team band post times press news "
        "journal herald tribune telegraph wire agency association union foundation league fund program "
        "programme operations declaration declarations act court house senate congress parliament church "
        "hospital airport station fc club"
    )
)
_PLACE_WORDS = {  # word after a name → kind of place
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
    _words(
        "is was has had have will would could can may might said says remains remained were are held holds"
    )
)
_FEATURES = frozenset(("river", "sea", "lake"))  # the gazetteer has towns, not these
_CUES_BEFORE = frozenset(
    _words("in near at around outside towards toward into from across between within around through")
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

_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_CYRILLIC_ENDINGS = ("ові", "ому", "ою", "ом", "ем", "ій", "і", "у", "ю", "а", "я", "е", "и", "ї")

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


# --- article structure -------------------------------------------------------------------------------

_BYLINE = re.compile(
    r"^(?:by\s+(?P<by>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3})\s*$"
    r"|(?P<who>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3})\s+is\s+(?:a|an|the)\b.{0,60}?\b"
    r"(?:co-?founder|founder|editor|author|writer|reporter|correspondent|journalist|analyst|fellow|"
    r"professor|researcher|director)\b)",
    re.I,
)
_MONTH_RE = "|".join(_MONTHS)
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
            number = int(month) if month.isdigit() else _MONTHS.index(month.lower()) + 1
            try:
                return date(int(match["y"]), number, int(match["d"]))
            except ValueError:
                continue
    return None


def _is_heading(line: str) -> bool:
    return len(line.split()) <= 12 and not re.search(r"[.!?:;\"”’)]$", line)


@dataclass(slots=True)
class _Article:
    title: str | None = None
    author: str | None = None
    as_of: date | None = None
    sentences: list[str] = field(default_factory=list)


def _read_article(article: str) -> _Article:
    lines = [line.strip() for line in article.splitlines() if line.strip()]
    result = _Article(as_of=_find_date(lines[:3]))
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


# --- places ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Mention:
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


def _tokens(sentence: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(sentence)]


def _capitalised(token: _Token) -> bool:
    return token.text[:1].isupper()


def _is_acronym(word: str) -> bool:
    letters = word.replace("-", "")
    return len(letters) > 1 and letters.isupper() and len(letters) <= 6


def _runs(sentence: str, tokens: Sequence[_Token]) -> list[list[int]]:
    """Maximal runs of capitalised tokens one space apart, "of" allowed between two of them."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, token in enumerate(tokens):
        joined = bool(current) and sentence[tokens[current[-1]].end : token.start] == " "
        if _capitalised(token) and (joined or not current):
            current.append(i)
            continue
        is_of = (
            token.text == "of"
            and joined
            and i + 1 < len(tokens)
            and _capitalised(tokens[i + 1])
            and sentence[token.end : tokens[i + 1].start] == " "
        )
        if is_of:
            current.append(i)
            continue
        if current:
            runs.append(current)
        current = [i] if _capitalised(token) else []
    if current:
        runs.append(current)
    return [[i for i in run] for run in runs if any(tokens[i].text != "of" for i in run)]


def _segments(tokens: Sequence[_Token], run: list[int], before: str) -> list[list[int]]:
    """Split a run into the parts that may name places; organisations and people yield nothing."""
    words = [tokens[i].text.casefold() for i in run]
    if any(_POSSESSIVE.sub("", w) in _ORG_WORDS for w in words) or _PERSON_CUES_BEFORE.search(before):
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
        while segment and tokens[segment[0]].text.casefold() in _NEVER_PLACES:
            segment = segment[1:]
        while segment and tokens[segment[-1]].text.casefold() in _NEVER_PLACES:
            segment = segment[:-1]
        if segment:
            trimmed.append(segment)
    return trimmed


def _spans(segment: Sequence[int], start: int) -> Iterable[Sequence[int]]:
    """Sub-spans of a segment beginning at `start`, longest first, never ending on "of"."""
    for end in range(min(start + _MAX_SPAN, len(segment)), start, -1):
        yield segment[start:end]


def _surface(sentence: str, tokens: Sequence[_Token], span: Sequence[int]) -> str:
    text = sentence[tokens[span[0]].start : tokens[span[-1]].end]
    return _POSSESSIVE.sub("", text)


def _lookup_keys(surface: str) -> list[str]:
    keys = [surface]
    if _CYRILLIC.search(surface):  # inflected Cyrillic: "Бахмуті" → "Бахмут"
        head, _, last = surface.rpartition(" ")
        for ending in _CYRILLIC_ENDINGS:
            if last.endswith(ending) and len(last) - len(ending) >= 3:
                stem = last[: -len(ending)]
                keys.append(f"{head} {stem}".strip())
                keys.append(f"{head} {stem}а".strip())  # feminine nominative: Авдіївці → Авдіївка
                if ending == "ові":
                    keys.append(f"{head} {stem}ів".strip())
    return keys


def _find_mentions(
    sentences: Sequence[str], gazetteer: Gazetteer
) -> tuple[list[_Mention], dict[str, tuple[GazetteerEntry, ...]]]:
    lower_words = {m.group() for s in sentences for m in _TOKEN.finditer(s) if m.group().islower()}
    pending: list[tuple[int, str, list[_Token], list[int]]] = []  # sentence, its text, tokens, segment
    wanted: set[str] = set()
    for index, sentence in enumerate(sentences):
        tokens = _tokens(sentence)
        for run in _runs(sentence, tokens):
            for segment in _segments(tokens, run, sentence[: tokens[run[0]].start]):
                for a in range(len(segment)):
                    for span in _spans(segment, a):
                        if tokens[span[-1]].text == "of" or tokens[span[0]].text == "of":
                            continue
                        wanted.update(_lookup_keys(_surface(sentence, tokens, span)))
                        if tokens[span[-1]].text.casefold() in _PLACE_WORDS and len(span) > 1:
                            wanted.update(_lookup_keys(_surface(sentence, tokens, span[:-1])))
                pending.append((index, sentence, tokens, segment))
    found = gazetteer.lookup(wanted)
    mentions: list[_Mention] = []
    for index, sentence, tokens, segment in pending:
        mentions.extend(_match_segment(index, sentence, tokens, segment, found, lower_words))
    return mentions, found


def _match_segment(
    index: int,
    sentence: str,
    tokens: Sequence[_Token],
    segment: Sequence[int],
    found: dict[str, tuple[GazetteerEntry, ...]],
    lower_words: set[str],
) -> list[_Mention]:
    spans: list[tuple[int, int, str | None, bool]] = []  # segment start, end, place word, unlisted
    p = 0
    while p < len(segment):
        for span in _spans(segment, p):
            q = p + len(span)
            words = [tokens[i].text for i in span]
            if words[0] == "of" or words[-1] == "of":
                continue
            last_word = _POSSESSIVE.sub("", words[-1]).casefold()
            after = tokens[span[-1] + 1].text if span[-1] + 1 < len(tokens) else ""
            if len(span) == 1 and (
                last_word in _NEVER_PLACES or _is_acronym(words[0]) or last_word in lower_words
            ):
                continue
            place_word = _PLACE_WORDS.get(last_word) if len(span) > 1 else None
            if (
                place_word is None
                and after.islower()
                and sentence[tokens[span[-1]].end : tokens[span[-1]].end + 1] == " "
            ):
                place_word = _PLACE_WORDS.get(after)
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
        i not in matched and tokens[segment[i]].text.casefold() not in _NEVER_PLACES
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
        nxt = tokens[span[-1] + 1].text if span[-1] + 1 < len(tokens) else ""
        surface = _surface(sentence, tokens, span)
        keys = _lookup_keys(surface)
        if place_word and len(span) > 1 and last.text.casefold() in _PLACE_WORDS:
            keys = [*keys, *_lookup_keys(_surface(sentence, tokens, span[:-1]))]
        mentions.append(
            _Mention(
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
            )
        )
    return mentions


def _entries(
    mention: _Mention, found: dict[str, tuple[GazetteerEntry, ...]]
) -> list[tuple[str, GazetteerEntry]]:
    return [(key, e) for key in mention.keys for e in found.get(key.casefold(), ())]


def _strong(entry: GazetteerEntry) -> bool:
    return entry.kind in ("country", "state", "county") or entry.population >= _STRONG_POPULATION


def _score(
    key: str,
    entry: GazetteerEntry,
    mention: _Mention,
    consensus: frozenset[str],
    found: dict[str, tuple[GazetteerEntry, ...]],
    centre: tuple[float, float] | None = None,
) -> float:
    score = math.log10(entry.population + 10)
    if centre and entry.lat is not None and entry.lon is not None and entry.kind == "city":
        # Of many Novoselivkas, the one near the article's other towns.
        score -= min(_km(centre, (entry.lat, entry.lon)) / 250, 4)
    if entry.country in consensus:
        score += 3
    if entry.name.casefold() == key.casefold():
        score += 2
    if entry.kind in ("country", "state"):
        score += 1.5
    hint_words = (mention.hint or "").split()
    hints = [" ".join(hint_words[:n]).casefold() for n in range(len(hint_words), 0, -1)]
    if hints:
        for area in (a for h in hints for a in found.get(h, ())):
            if (area.kind == "state" and entry.admin1 == area.admin1 and entry.country == "US") or (
                area.kind == "country" and entry.country == area.country
            ):
                score += 6
                break
    if key != mention.keys[0]:
        score -= 1  # found through a Cyrillic stem or without the place word: a little less sure
    return score


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Approximate distance (equirectangular): good enough to rank namesakes."""
    x = math.radians(b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    y = math.radians(b[0] - a[0])
    return 6371 * math.hypot(x, y)


def _best(
    mention: _Mention,
    consensus: frozenset[str],
    found: dict[str, tuple[GazetteerEntry, ...]],
    centre: tuple[float, float] | None = None,
) -> GazetteerEntry | None:
    scored = [(_score(k, e, mention, consensus, found, centre), e) for k, e in _entries(mention, found)]
    return max(scored, key=lambda pair: pair[0])[1] if scored else None


def _consensus(
    mentions: Sequence[_Mention], found: dict[str, tuple[GazetteerEntry, ...]]
) -> tuple[frozenset[str], tuple[float, float] | None]:
    """The countries the article is about (votes of its unambiguous places) and its big towns' centre."""
    votes: dict[str, float] = {}
    fallback: dict[str, float] = {}
    best = [(m, _best(m, frozenset(), found)) for m in mentions]
    for mention, entry in best:
        if entry is None:
            continue
        fallback[entry.country] = fallback.get(entry.country, 0) + 1
        strong = {e.country for _, e in _entries(mention, found) if _strong(e)}
        if len(strong) > 1:
            continue  # "Georgia": a US state and a country, it cannot vote
        if _strong(entry) or mention.cue:
            votes[entry.country] = votes.get(entry.country, 0) + 1
            for neighbour in entry.neighbours:  # Armenia and Azerbaijan make the Caucasus likely
                votes[neighbour] = votes.get(neighbour, 0) + 0.5
    votes = votes or fallback
    if not votes:
        return frozenset(), None
    top = max(votes.values())
    consensus = frozenset(c for c, n in votes.items() if n >= 0.5 * top)
    points = [
        (e.lat, e.lon)
        for _, e in best
        if e
        and e.kind == "city"
        and _strong(e)
        and e.country in consensus
        and e.lat is not None
        and e.lon is not None
    ]
    if not points:
        return consensus, None
    return consensus, (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _accept(mention: _Mention, entry: GazetteerEntry | None, consensus: frozenset[str]) -> bool:
    if entry is None:
        return mention.place_word is not None or mention.unlisted
    inside = entry.country in consensus
    if mention.place_word:
        return True
    if mention.initial:  # "Nice weather", "Reading the forecast": only "Kharkiv was shelled" counts
        return entry.kind in ("country", "state") or (_strong(entry) and inside and mention.verb_follows)
    if _strong(entry):
        return inside or not mention.leftovers
    return inside and (mention.cue or not mention.leftovers)


@dataclass(slots=True)
class _PlaceAcc:
    key: str
    name: str
    kind: str
    entry: GazetteerEntry | None
    surfaces: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # gazetteer names the article used
    sentences: list[int] = field(default_factory=list)


def _place_of(mention: _Mention, entry: GazetteerEntry | None) -> tuple[str, str, str]:
    """Key, display name and kind of the place a mention refers to."""
    if (mention.place_word and mention.place_word != "county") or entry is None:
        kind = mention.place_word or "place"
        words = mention.surface.split()
        if words[-1].casefold() in _PLACE_WORDS:
            name, base = mention.surface, " ".join(words[:-1])
        elif mention.place_word:
            name, base = f"{mention.surface} {kind}", mention.surface
        else:
            name, base = mention.surface, mention.surface
        return f"{kind}:{fold(base)}", name, kind
    if mention.place_word == "county" and entry.kind != "county":
        return f"county:{fold(mention.surface)}", mention.surface, "county"
    return entry.key, entry.name, entry.kind


def _collect_places(
    mentions: Sequence[_Mention], found: dict[str, tuple[GazetteerEntry, ...]]
) -> list[_PlaceAcc]:
    consensus, centre = _consensus(mentions, found)
    places: dict[str, _PlaceAcc] = {}
    deferred: list[tuple[_Mention, str]] = []
    # One sense per article: once it says "the Donets river", a bare "Donets" is the river, not a town.
    features = {
        fold(
            " ".join(m.surface.split()[:-1])
            if m.surface.split()[-1].casefold() in _PLACE_WORDS
            else m.surface
        ): m
        for m in mentions
        if m.place_word in _FEATURES
    }
    for mention in mentions:
        feature = features.get(fold(mention.surface)) if mention.place_word is None else None
        entry = _best(mention, consensus, found, centre)
        key, name, kind = _place_of(feature or mention, entry)
        if feature is None and not _accept(mention, entry, consensus):
            deferred.append((mention, key))
            continue
        acc = places.setdefault(key, _PlaceAcc(key, name, kind, entry))
        acc.surfaces.append(mention.surface)
        acc.names.extend(k for k in mention.keys if k.casefold() in found)
        acc.sentences.append(mention.sentence)
    for mention, key in deferred:  # "Kharkiv said ..." at a sentence start counts once Kharkiv is a place
        if key in places:
            places[key].surfaces.append(mention.surface)
            places[key].sentences.append(mention.sentence)
    return list(places.values())


_LATIN = re.compile(r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff' ’-]+$")
_RU_UK = re.compile(r"^[А-Яа-яЁёІіЇїЄєҐґ' ’-]+$")  # Russian and Ukrainian letters: not Serbian, Mari, ...


def _similar(a: str, refs: Iterable[str], cutoff: float) -> bool:
    key = fold(a)
    return any(fuzz.ratio(key, ref) >= cutoff for ref in refs)


def _aliases(acc: _PlaceAcc) -> tuple[str, ...]:
    """Alias candidates: the name, the article's spellings, then GeoNames' Cyrillic and Latin names."""
    entry = acc.entry if acc.kind not in _FEATURES else None  # "Pearl River" the river, not the town
    words = len((entry.name if entry else acc.name).split())
    alternates = [
        a
        for a in (entry.alternatenames if entry else ())
        if (_LATIN.match(a) or _RU_UK.match(a)) and len(a) > 2 and a[:1].isupper()
        and not _is_acronym(a) and len(a.split()) <= words
    ]  # fmt: skip
    cyrillic = [a for a in alternates if _CYRILLIC.search(a)]
    latin = [a for a in alternates if not _CYRILLIC.search(a)]
    # GeoNames lists merged suburbs and nicknames beside spellings ("Victoria" for Asheville). A name is
    # kept when its phonetic key sounds like the place's name, or like a name in the other script
    # (an old name attested in both: Artemivsk / Артемівськ).
    refs = {fold(r) for r in (acc.name, *(entry.name for entry in [entry] if entry), *acc.surfaces)}
    latin_keys, cyrillic_keys = {fold(a) for a in latin}, {fold(a) for a in cyrillic}
    cyrillic = [a for a in cyrillic if _similar(a, refs, 70) or _similar(a, latin_keys, 85)]
    latin = [a for a in latin if _similar(a, refs, 70) or _similar(a, cyrillic_keys, 85)]
    last = acc.name.split()[-1].casefold()
    base = " ".join(acc.name.split()[:-1]) if last in _PLACE_WORDS else ""
    ordered = [acc.name, base, *acc.surfaces, *acc.names, *cyrillic, *latin, *map(transliterate, cyrillic)]
    out: list[str] = []
    seen: set[tuple[bool, str]] = set()
    for alias in ordered:
        key = (bool(_CYRILLIC.search(alias)), fold(alias))
        if alias and key[1] and key not in seen:
            seen.add(key)
            out.append(alias)
    return tuple(out[:MAX_ALIASES])


def _display_name(acc: _PlaceAcc) -> str:
    """The article's own spelling of a town when the gazetteer knows it ("Avdiivka", not "Avdiyivka")."""
    if acc.entry is None or acc.kind != "city":
        return acc.name
    known = {acc.entry.name.casefold(), *(a.casefold() for a in acc.entry.alternatenames)}
    spelled = Counter(s for s in acc.surfaces if s.casefold() in known and not _CYRILLIC.search(s))
    return spelled.most_common(1)[0][0] if spelled else acc.name


def _draft_places(accs: Sequence[_PlaceAcc]) -> tuple[DraftPlace, ...]:
    places: list[DraftPlace] = []
    used: set[str] = set()
    for acc in accs:
        entry = acc.entry if acc.kind not in _FEATURES else None
        notes = []
        if acc.kind != (entry.kind if entry else None):
            notes.append("kind guessed from the article's wording")
        if entry and acc.kind != entry.kind:
            notes.append(
                f"coordinates and aliases are those of the {entry.kind} {entry.name} ({entry.country})"
            )
        elif entry and entry.approximate:
            notes.append("coordinates are an approximate centre (mean of its towns)")
        elif entry:
            notes.append(f"GeoNames {entry.kind} in {entry.country}, population {entry.population:,}")
        if entry is None or entry.lat is None:
            notes.append("TODO: no coordinates in the gazetteer")
        acc.name = _display_name(acc)
        place_id = _unique(slug(acc.name) or "place", used)
        places.append(
            DraftPlace(
                id=place_id,
                name=acc.name,
                kind=_schema_place_kind(acc.kind, entry),
                lat=entry.lat if entry else None,
                lon=entry.lon if entry else None,
                aliases=_aliases(acc),
                mentions=len(acc.sentences),
                notes=tuple(notes),
            )
        )
    return tuple(places)


def _schema_place_kind(kind: str, entry: GazetteerEntry | None) -> str:
    """The baseline schema's kinds: city, town, village, region, country, river, area."""
    if kind == "city" and entry is not None:
        if entry.population >= _STRONG_POPULATION:
            return "city"
        return "town" if entry.population >= 10_000 else "village"
    if kind in ("state", "county", "district", "region"):
        return "region"
    if kind in ("country", "river"):
        return kind
    return "area"  # seas, lakes, places the gazetteer does not know


def _unique(base: str, used: set[str]) -> str:
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


# --- claims ------------------------------------------------------------------------------------------

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        ("control", r"\b(?:captur\w*|seiz\w*|taken|took|fell|fall of|hold(?:s|ing)?|held|liberat\w*|retak\w*|recaptur\w*|encircl\w*|surround\w*|withdr[ae]w\w*|occup\w*|push(?:ed)? \w+ out|repel\w*|retreat\w*|advanc(?:e|ed|ing)\b)"),
        ("forecast", r"\b(?:will|would|expected|anticipated|likely|(?-i:may)|might|could|forecast\w*|coming (?:days|weeks|months)|potential|plans? to|set to|poised)\b"),
        ("supply", r"\b(?:send\w*|sent|ship\w*|deliver\w*|supplies|supply|weapons|ammunition|generators|meals|funds|train(?:ed|ing)|deploy\w*)\b"),
        ("quantity", r"\b(?:\d[\d,.]*|hundreds|thousands|dozens|millions?|billions?|percent)\b|%"),
        ("trend", r"\b(?:deteriorat\w*|improv\w*|increas\w*|decreas\w*|declin\w*|grow\w*|rising|falling|faster|slower|shift\w*|momentum|stabili[sz]\w*|losing|gains?)\b"),
        ("assessment", r"\b(?:says?|said|believed?|claim\w*|estimat\w*|argu\w*|assess\w*|describ\w*|according to|reportedly|stated|asserted|suggest\w*|speculat\w*|warn\w*|considered)\b"),
        ("history", r"\b(?:was|were|had|previously|earlier|in \d{4})\b"),
    )
)  # fmt: skip
_ASSERTION = re.compile(
    r"\b(?:ha(?:s|ve|d) (?:been )?(?:taken|captured|made|launched|initiated|spent|rescued|shipped|deployed|approved)"
    r"|captur\w*|took|taken|fell|seiz\w*|retak\w*|destroy\w*|encircl\w*|surround\w*|(?:is|are) (?:now )?\w+ing"
    r"|are being \w+|expected|anticipated|may have to|says?|said|believed?|claim\w*|estimat\w*|argu\w*"
    r"|assert\w*|stated|reported\w*|approved|declared|deployed)\b",
    re.I,
)
_FORECAST = re.compile(
    r"\b(?:will|(?-i:may)|might|could|likely|expected|anticipated|potential|coming (?:days|weeks|months))\b",
    re.I,
)
_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(?:hundreds|thousands|dozens|millions?|billions?)\b|%|\$", re.I)
_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")
_KEY_VERB = re.compile(
    r"\b(fell|fall|captured|capture|taken|take|hold|holds|held|retaken|seized|encircled?|surrounded|withdraw|losing|lost|"
    r"sending|sent|shipped|deployed|trained|destroyed|killed|advised|advising|expected|anticipated|"
    r"believed|claimed|estimated|argued|asserted|said|says|stated|approved|declared|launched|initiated|"
    r"rescued|improving|deteriorating|spent|hindering|retreated|repelled|constructed|crossed|may have to)\b",
    re.I,
)
_STOPWORDS = frozenset(
    _words(
        "about above after again against also although among another because been before being between both "
        "could does doing down during each even ever every from further have having here into itself just more "
        "most much must only other over same should some such than that their them then there these they this "
        "those through under until very were what when where which while whom will with within would your "
        "said says once still where been part made make many well back least being upon onto toward towards "
        "including include includes across around against along"
    )
)


def _claim_score(sentence: str, places: int, actors: int) -> float:
    if len(sentence.split()) < 6:
        return 0.0
    unquoted = _QUOTED.sub(" ", sentence)
    if len(unquoted.split()) < 5:
        return 0.0  # a quotation on its own: nothing to track without who said it
    score = 0.0
    if places:
        score += 2 + min(places - 1, 2) * 0.5
    if actors:
        score += 1
    if _ASSERTION.search(unquoted):
        score += 2
    if _NUMBER.search(unquoted):
        score += 1
    if _FORECAST.search(unquoted):
        score += 1.5
    return score


def _actors(sentence: str) -> list[str]:
    """Capitalised words mid-sentence and acronyms: who acts or speaks."""
    tokens = _tokens(sentence)
    return [
        t.text
        for i, t in enumerate(tokens)
        if (i > 0 and _capitalised(t) and t.text.casefold() not in _NEVER_PLACES) or _is_acronym(t.text)
    ]


def _kind(sentence: str) -> str:
    for kind, pattern in _KINDS:
        if pattern.search(sentence):
            return kind
    return "assessment"


def _topic(sentence: str, exclude: Iterable[str]) -> tuple[str, ...]:
    skip = {fold(w) for name in exclude for w in name.split()}
    words: list[str] = []
    for token in _TOKEN.findall(_QUOTED.sub(" ", sentence)):
        word = _POSSESSIVE.sub("", token).casefold()
        if len(word) >= 4 and word not in _STOPWORDS | _NEVER_PLACES and fold(word) not in skip | set(words):
            words.append(word)
    return tuple(words[:5])


def _claims(
    sentences: Sequence[str], places: Sequence[DraftPlace], accs: Sequence[_PlaceAcc]
) -> tuple[DraftClaim, ...]:
    by_sentence: dict[int, list[DraftPlace]] = {}
    for place, acc in zip(places, accs, strict=True):
        for index in dict.fromkeys(acc.sentences):
            by_sentence.setdefault(index, []).append(place)
    scored: list[tuple[float, int]] = []
    for index, sentence in enumerate(sentences):
        here = by_sentence.get(index, [])
        place_words = {w for p in here for w in p.name.split()} | {
            w for acc in accs if index in acc.sentences for s in acc.surfaces for w in s.split()
        }
        actors = [a for a in _actors(sentence) if a not in place_words]
        score = _claim_score(sentence, len(here), len(actors))
        if score >= 3:
            scored.append((score, index))
    keep = sorted(index for _, index in sorted(scored, key=lambda s: (-s[0], s[1]))[:MAX_CLAIMS])
    used: set[str] = set()
    claims = []
    for index in keep:
        sentence = sentences[index]
        here = sorted(by_sentence.get(index, []), key=lambda p: sentence.find(p.name) % (len(sentence) + 1))
        names = [p.name for p in here]
        verb = _KEY_VERB.search(_QUOTED.sub(" ", sentence))
        topic = _topic(sentence, names)
        subject = (
            slug(here[0].name, 3) if here else slug(" ".join(_actors(sentence)[:1]) or " ".join(topic[:1]), 3)
        )
        action = slug(verb.group(1), 3) if verb else slug(" ".join(topic[:2]), 2)
        base = "-".join(part for part in (subject, action) if part) or "claim"
        claims.append(
            DraftClaim(
                id=_unique(base, used),
                text=sentence,
                places=tuple(dict.fromkeys(p.id for p in here)),
                kind_guess=_kind(sentence),
                topic=topic,
            )
        )
    return tuple(claims)


# --- the draft ---------------------------------------------------------------------------------------


def draft_baseline(article: str, gazetteer: Gazetteer, *, source: str | None = None) -> Draft:
    """Draft a baseline (places and candidate claims) from an article's plain text."""
    parsed = _read_article(article)
    mentions, found = _find_mentions(parsed.sentences, gazetteer)
    accs = _collect_places(mentions, found)
    places = _draft_places(accs)
    return Draft(
        title=parsed.title,
        as_of=parsed.as_of,
        places=places,
        claims=_claims(parsed.sentences, places, accs),
        source=source,
        author=parsed.author,
    )


# --- the baseline file -------------------------------------------------------------------------------

# Claim kinds the baseline schema knows, for the draft's guesses (which also name supply and trend).
_SCHEMA_KIND = {"supply": "activity", "trend": "assessment"}
_STATE_TEMPLATE = {
    "control": "state = { holder = \"...\", rival = \"...\", status = \"contested\" }  # or captured/surrounded/objective",
    "activity": "state = { actor = \"...\" }",
    "quantity": "state = { low = 0, high = 0, unit = \"...\", per = \"day\" }",
    "assessment": "state = { source = \"...\", stance = \"negative\" }",
    "forecast": "state = { actor = \"...\" }",
    "history": "state = { actor = \"...\" }",
}  # fmt: skip


def _toml_str(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_str(item) for item in items) + "]"


def draft_id(draft: Draft) -> str:
    """The baseline id: a slug of the title (or first place) and the date."""
    head = slug(draft.title or (draft.places[0].name if draft.places else "baseline"), 5) or "baseline"
    return f"{head}-{draft.as_of.isoformat()}" if draft.as_of else head


def _metadata_lines(draft: Draft) -> list[str]:
    lines = ["[metadata]", f"id = {_toml_str(draft_id(draft))}"]
    for key, value, hint in (
        ("title", draft.title, "the article's headline"),
        ("source", draft.source, "the publication or URL"),
        ("author", draft.author, "who wrote it"),
    ):
        lines.append(f"{key} = {_toml_str(value)}" if value else f'# TODO: {key} = "..."  # {hint}')
    if draft.as_of:
        lines.append(f"as_of = {draft.as_of.isoformat()}  # date found at the top of the article")
    else:
        lines.append("# TODO: as_of = YYYY-MM-DD  # no date found in the article's first lines")
    return lines


def _place_lines(place: DraftPlace) -> list[str]:
    lines = ["[[places]]", f"# mentioned {place.mentions} time(s)"]
    lines += [f"# {note}" for note in place.notes]
    lines += [
        f"id = {_toml_str(place.id)}",
        f"name = {_toml_str(place.name)}",
        f"kind = {_toml_str(place.kind)}  # kind guessed",
    ]
    if place.lat is None or place.lon is None:
        lines.append("# TODO: lat = 0.0")
        lines.append("# TODO: lon = 0.0")
    else:
        lines += [f"lat = {place.lat:.4f}", f"lon = {place.lon:.4f}"]
    lines.append(f"aliases = {_toml_list(place.aliases)}  # TODO: check aliases")
    lines.append("lookalikes = []  # names that must NOT match this place")
    return lines


def _claim_lines(claim: DraftClaim) -> list[str]:
    kind = _SCHEMA_KIND.get(claim.kind_guess, claim.kind_guess)
    guessed = f"kind guessed ({claim.kind_guess})" if kind != claim.kind_guess else "kind guessed"
    return [
        "[[claims]]",
        f"id = {_toml_str(claim.id)}",
        f"text = {_toml_str(claim.text)}",
        f"kind = {_toml_str(kind)}  # {guessed}",
        f"places = {_toml_list(claim.places)}",
        "actors = []",
        f"# TODO: {_STATE_TEMPLATE.get(kind, 'state = {}')}",
        "# TODO: topic groups: every group must occur; keep the 1-3 words that define the claim",
        "topic = [" + ", ".join(_toml_list([word]) for word in claim.topic[:3]) + "]",
    ]


def render_draft_toml(draft: Draft) -> str:
    """The draft as a baseline file (TOML) with comments telling the editor what to check."""
    lines = [
        "# Baseline DRAFTED by `newswatch baseline draft`: edit it before use.",
        "# Check every place (kind, coordinates, aliases; add lookalikes) and every claim (keep, reword",
        "# or delete; fill in actors, state and topic). Lines starting with `# TODO:` need a value.",
        "",
        *_metadata_lines(draft),
        "",
        "# ---------------------------------------------------------------- places",
    ]
    for place in draft.places:
        lines += ["", *_place_lines(place)]
    lines += [
        "",
        "# ---------------------------------------------------------------- actors",
        "# TODO: the sides and sources the claims name, e.g.",
        "# [[actors]]",
        '# id = "russia"',
        '# name = "Russian forces"',
        '# aliases = ["Russia*", "Russian forces", "Wagner"]',
        "",
        "# ---------------------------------------------------------------- claims",
    ]
    for claim in draft.claims:
        lines += ["", *_claim_lines(claim)]
    return "\n".join(lines) + "\n"
