# ruff: noqa: RUF001 -- Cyrillic letters and typographic apostrophes are the data here
"""Places: which gazetteer entry each mention means, merged into the draft's places with aliases.

Each mention picks the gazetteer entry with the best score: population, exact primary name, country or
state, "X, Florida" agreement, and the article's country consensus (the countries of its unambiguous
places: Bakhmut article → Ukraine, hurricane fact sheet → the US). A weak match (a small town, no cue such
as "in X", "near X", "X region") is kept only mid-sentence and inside the consensus; a phrase at a sentence
start followed by a lower-case word ("Reading the forecast", "Nice weather") needs a strong match inside
the consensus. "The X region/oblast/county/river" makes a place of that kind. A first-level region named
exactly like a big city of its country ("Washington": the state, and Washington, D.C.) means the city
unless the wording names the region ("Washington state", "the state of Washington", "Spokane,
Washington"): news writes the capital's name for its government ("officials in Washington"). Alias
candidates are the article's spellings plus GeoNames names that sound like the place. Pure: no I/O, no
clock.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from pipeline.analysis.draft.article import CYRILLIC, is_acronym, slug, transliterate, unique_id
from pipeline.analysis.draft.mentions import PLACE_WORDS, Mention
from pipeline.analysis.gazetteer import GazetteerEntry
from pipeline.analysis.text import fold

MAX_ALIASES = 15
_STRONG_POPULATION = 100_000
FEATURES = frozenset(("river", "sea", "lake"))  # the gazetteer has towns, not these


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


def _entries(
    mention: Mention, found: dict[str, tuple[GazetteerEntry, ...]]
) -> list[tuple[str, GazetteerEntry]]:
    return [(key, e) for key in mention.keys for e in found.get(key.casefold(), ())]


def _strong(entry: GazetteerEntry) -> bool:
    return entry.kind in ("country", "state", "county") or entry.population >= _STRONG_POPULATION


def _score(
    key: str,
    entry: GazetteerEntry,
    mention: Mention,
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


def _region_named(
    mention: Mention, region: GazetteerEntry, found: dict[str, tuple[GazetteerEntry, ...]]
) -> bool:
    """The wording names the region: "X state", "state of X", or one of its towns before ", X"."""
    if mention.region_cue:
        return True
    words = (mention.name_before or "").split()
    names = [" ".join(words[n:]).casefold() for n in range(len(words))]  # "In Kyiv" → also "Kyiv"
    return any(
        town.kind == "city" and town.country == region.country and town.admin1 == region.admin1
        for name in names
        for town in found.get(name, ())
    )


def _yields_to_city(
    key: str, entry: GazetteerEntry, mention: Mention, found: dict[str, tuple[GazetteerEntry, ...]]
) -> bool:
    """Whether `entry` is a first-level region that a same-named big city of its country outranks here."""
    if entry.kind != "state" or _region_named(mention, entry, found):
        return False
    # The city's own name must be the region's: GeoNames lists "Oklahoma" among Oklahoma City's alternate
    # names, and that must not turn the state into the city. (So "New York" stays the state.)
    return any(
        city.kind == "city"
        and city.country == entry.country
        and city.population >= _STRONG_POPULATION
        and city.name.casefold() == entry.name.casefold()
        for city in found.get(key.casefold(), ())
    )


def _best(
    mention: Mention,
    consensus: frozenset[str],
    found: dict[str, tuple[GazetteerEntry, ...]],
    centre: tuple[float, float] | None = None,
) -> GazetteerEntry | None:
    scored = [
        (_score(k, e, mention, consensus, found, centre), e)
        for k, e in _entries(mention, found)
        if not _yields_to_city(k, e, mention, found)
    ]
    return max(scored, key=lambda pair: pair[0])[1] if scored else None


def _consensus(
    mentions: Sequence[Mention], found: dict[str, tuple[GazetteerEntry, ...]]
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


def _accept(mention: Mention, entry: GazetteerEntry | None, consensus: frozenset[str]) -> bool:
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
class PlaceAcc:
    """One place as the article's mentions accumulate: its entry, spellings and sentences."""

    key: str
    name: str
    kind: str
    entry: GazetteerEntry | None
    surfaces: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # gazetteer names the article used
    sentences: list[int] = field(default_factory=list)


def _place_of(mention: Mention, entry: GazetteerEntry | None) -> tuple[str, str, str]:
    """Key, display name and kind of the place a mention refers to."""
    if (mention.place_word and mention.place_word != "county") or entry is None:
        kind = mention.place_word or "place"
        words = mention.surface.split()
        if words[-1].casefold() in PLACE_WORDS:
            name, base = mention.surface, " ".join(words[:-1])
        elif mention.place_word:
            name, base = f"{mention.surface} {kind}", mention.surface
        else:
            name, base = mention.surface, mention.surface
        return f"{kind}:{fold(base)}", name, kind
    if mention.place_word == "county" and entry.kind != "county":
        return f"county:{fold(mention.surface)}", mention.surface, "county"
    return entry.key, entry.name, entry.kind


def collect_places(
    mentions: Sequence[Mention], found: dict[str, tuple[GazetteerEntry, ...]]
) -> list[PlaceAcc]:
    """Resolve each mention to a gazetteer entry and merge the accepted ones into places."""
    consensus, centre = _consensus(mentions, found)
    places: dict[str, PlaceAcc] = {}
    deferred: list[tuple[Mention, str]] = []
    # One sense per article: once it says "the Donets river", a bare "Donets" is the river, not a town.
    features = {
        fold(
            " ".join(m.surface.split()[:-1]) if m.surface.split()[-1].casefold() in PLACE_WORDS else m.surface
        ): m
        for m in mentions
        if m.place_word in FEATURES
    }
    for mention in mentions:
        feature = features.get(fold(mention.surface)) if mention.place_word is None else None
        entry = _best(mention, consensus, found, centre)
        key, name, kind = _place_of(feature or mention, entry)
        if feature is None and not _accept(mention, entry, consensus):
            deferred.append((mention, key))
            continue
        acc = places.setdefault(key, PlaceAcc(key, name, kind, entry))
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


def _aliases(acc: PlaceAcc) -> tuple[str, ...]:
    """Alias candidates: the name, the article's spellings, then GeoNames' Cyrillic and Latin names."""
    entry = acc.entry if acc.kind not in FEATURES else None  # "Pearl River" the river, not the town
    words = len((entry.name if entry else acc.name).split())
    alternates = [
        a
        for a in (entry.alternatenames if entry else ())
        if (_LATIN.match(a) or _RU_UK.match(a)) and len(a) > 2 and a[:1].isupper()
        and not is_acronym(a) and len(a.split()) <= words
    ]  # fmt: skip
    cyrillic = [a for a in alternates if CYRILLIC.search(a)]
    latin = [a for a in alternates if not CYRILLIC.search(a)]
    # GeoNames lists merged suburbs and nicknames beside spellings ("Victoria" for Asheville). A name is
    # kept when its phonetic key sounds like the place's name, or like a name in the other script
    # (an old name attested in both: Artemivsk / Артемівськ).
    refs = {fold(r) for r in (acc.name, *(entry.name for entry in [entry] if entry), *acc.surfaces)}
    latin_keys, cyrillic_keys = {fold(a) for a in latin}, {fold(a) for a in cyrillic}
    cyrillic = [a for a in cyrillic if _similar(a, refs, 70) or _similar(a, latin_keys, 85)]
    latin = [a for a in latin if _similar(a, refs, 70) or _similar(a, cyrillic_keys, 85)]
    last = acc.name.split()[-1].casefold()
    base = " ".join(acc.name.split()[:-1]) if last in PLACE_WORDS else ""
    ordered = [acc.name, base, *acc.surfaces, *acc.names, *cyrillic, *latin, *map(transliterate, cyrillic)]
    out: list[str] = []
    seen: set[tuple[bool, str]] = set()
    for alias in ordered:
        key = (bool(CYRILLIC.search(alias)), fold(alias))
        if alias and key[1] and key not in seen:
            seen.add(key)
            out.append(alias)
    return tuple(out[:MAX_ALIASES])


def _display_name(acc: PlaceAcc) -> str:
    """The article's own spelling of a town when the gazetteer knows it ("Avdiivka", not "Avdiyivka")."""
    if acc.entry is None or acc.kind != "city":
        return acc.name
    known = {acc.entry.name.casefold(), *(a.casefold() for a in acc.entry.alternatenames)}
    spelled = Counter(s for s in acc.surfaces if s.casefold() in known and not CYRILLIC.search(s))
    return spelled.most_common(1)[0][0] if spelled else acc.name


def draft_places(accs: Sequence[PlaceAcc]) -> tuple[DraftPlace, ...]:
    """The draft's places, with ids, schema kinds, coordinates, aliases and notes for the editor."""
    places: list[DraftPlace] = []
    used: set[str] = set()
    for acc in accs:
        entry = acc.entry if acc.kind not in FEATURES else None
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
        place_id = unique_id(slug(acc.name) or "place", used)
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
