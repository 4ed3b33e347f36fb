"""Which claims a report speaks to: read items sentence by sentence against a compiled `Matcher`.

`matcher.compile_baseline` turns the baseline and the bundled cue lexicons into a `Matcher`.
`analyse` then, per item:

1. returns nothing for a report published on or before the baseline's `as_of` (an undated report
   counts as later);
2. splits title + body into sentences (the title is a sentence); the word gate (`gate.py`) tokenises
   only those with a word that could start a place or a reference back, or with a placeless claim's
   whole topic;
3. finds places (in a sentence naming none, "the city"/"місто"/"село" is the one place of that kind
   named earlier in the item; holding in a later clause, it is the one named before it in the sentence:
   "Russians storm X, but the town holds"), cues, actors and topic phrases with dictionary look-ups, masking false friends
   ("fuel tanks", "offensive remarks") so their words cannot act as cues; a cue inside a multi-word
   actor name ("Сили оборони") is dropped, and відбили/отбили is a repel before an attack or attempt
   word, a recapture otherwise; an event noun right after a place is that place's event ("Soledar's
   fall"), and the control additions of cues.toml extend the event and modifier tables;
4. skips a sentence at once when it holds neither a place nor a topic phrase of any claim;
5. asks `relation.read` how the sentence bears on each claim whose places or topic it mentions;
6. keeps the readings that stand (`weigh`): a broad place-and-event reading goes when a more specific
   claim of the item explains it ("US urges Kyiv to leave X" is advice, not a withdrawal from X), and
   a confirmation goes when the sentence speaks of a change it did not read and of no continuity;
7. keeps, per claim, the strongest reading over all sentences, at or above `claim_min_score`
   (a decision that settles a question first, then contradicts > updates > confirms, then score).

Pure: no I/O after compilation, no clock, no mutable global state; the Matcher is read-only (its
indexes only remember pure per-word look-ups in bounded caches).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC

from pipeline.analysis.events import expulsions, holding_city, possessed, pronoun_places, settle_events
from pipeline.analysis.gate import PLACE, REFER, TOPIC, ItemWords
from pipeline.analysis.matcher import Matcher
from pipeline.analysis.places import PlaceHit
from pipeline.analysis.relation import ClaimSpec, Cue, Reading, View, read
from pipeline.analysis.text import (
    Tokens,
    light_texts,
    light_words,
    light_words_of,
    normalise,
    split_sentences,
    text_words,
    tokenise_many,
    tokens_of,
    with_surface,
)
from pipeline.analysis.weigh import weigh
from pipeline.records import Finding, ItemText, PlaceMention, Relation

_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[ ,.]\d{3})+|\d+)(?![\w])")
# a match score ("3-0", "2:1") starting or ending at a number; "50-70 a day" stays a range
_DIGIT = re.compile(r"\d")
_SCORE = re.compile(r"\d[-\u2013]\d(?!\d)|\d{1,2}:\d{1,2}(?!\d)")
_SCORE_END = re.compile(r"(?<!\d)(?:\d[-\u2013]\d|\d{1,2}:\d{1,2})$")


def _sentences(item: ItemText) -> list[str]:
    sentences = [item.title.strip()] if item.title.strip() else []
    return sentences + split_sentences(item.body or "")


def _gate(matcher: Matcher, item: ItemText, sentences: list[list[str]] | None = None) -> ItemWords:
    """The item's words that could start a place, a placeless claim's topic or a reference back.

    `_view` drops every sentence with none of them (coreference and pronouns need a place named
    before, and a claim tied to places needs one named), so an item with none has no reading and
    a sentence with none is never tokenised. From the light words of its sentences, or else of
    its whole text in one pass (which hold the same words: `text.text_words`).
    """
    if sentences is None:
        sentences = [text_words(f"{item.title}\n{item.body or ''}")]
    return matcher.gate.item(sentences)


def _may_speak(item: ItemText, matcher: Matcher) -> bool:
    """Whether any sentence of the item could name a baseline place or the topic of a placeless claim."""
    return _gate(matcher, item).may_speak


def _view(
    index: int,
    sentence: str,
    tokens: Tokens,
    matcher: Matcher,
    named: list[str],
    kinds: int,
    topical: bool | None,  # holds a whole topic of a claim tied to no place; None: not yet asked
    starts: frozenset[str] | None = None,  # the item's words that may start a place (`WordGate`)
    light: str | None = None,  # the sentence's light text (`light_texts`), if known
) -> View | None:
    places = []
    if kinds & PLACE:
        places = [h for h in matcher.places.find(tokens, matcher.known_words, starts) if h.score > 0]
    if not places and kinds & REFER:  # "Russian forces took the city": the one city named earlier
        places = matcher.coreference.find(tokens.light, named)
    # "Ukrainian troops still hold it": a pronoun may stand for a place named earlier in the item
    pronoun = not places and bool(named) and not matcher.pronouns.isdisjoint(tokens.light)
    if topical is None and not places and not pronoun:
        topical = bool(kinds & TOPIC) and _placeless_topic(tokens.light, matcher)
    if not places and not pronoun and not topical:
        return None  # no place, no placeless claim's topic: most sentences of most items stop here
    hits = matcher.lexicon.find(tokens.light)
    if not places and not pronoun and not any(hit.label.startswith("topic:") for hit in hits):
        return None
    tokens = with_surface(tokens)
    masked: set[int] = set()
    no_event: set[int] = set()  # "міністр оборони": an institution, its words stay topic words and actors
    for hit in hits:
        if hit.label == "ignore":
            masked.update(range(hit.start, hit.end))
        elif hit.label == "noevent":
            no_event.update(range(hit.start, hit.end))
    events: list[Cue] = []
    mods: dict[str, list[Cue]] = {}
    actors: list[Cue] = []
    claim: dict[str, list[Cue]] = {}
    quantities: list[Cue] = []
    surface = tokens.surface
    for hit in hits:
        kind, _, value = hit.label.partition(":")
        if kind != "actor" and hit.start in masked:
            continue
        spelled = " ".join(surface[hit.start : hit.end])
        if kind == "ev":
            if hit.start not in no_event:
                events.append(Cue("event", value, hit.start, hit.end, spelled))
            continue
        cue = Cue(kind, value, hit.start, hit.end, spelled)
        if kind == "actor":
            actors.append(cue)
        elif kind == "mod":
            mods.setdefault(value, []).append(cue)
        elif kind == "topic":
            claim.setdefault(value, []).append(cue)
        elif kind == "qty":
            quantities.append(cue)
    if pronoun or places:
        places = places + pronoun_places(tokens, places, events, named, matcher.pronouns)
    events = _placed(events, mods, places)
    if not places and not claim:
        return None
    events += possessed(places, tokens, matcher.possessed, masked)
    events = expulsions(events, mods, tokens)
    if places and places[0].how != "coreference":
        places += holding_city(tokens, places, events, mods.get("contrast", []), matcher.coreference)
    actors = _roles(actors, mods, tokens)
    events = settle_events(events, actors, mods)
    view = View(
        index, sentence, tokens, places, events, mods, actors, claim, quantities,
        matcher.weights, matcher.names, matcher.as_of.year,
    )  # fmt: skip
    if claim:  # numbers only matter to a quantity claim's topic
        view.numbers = quantities + _numbers(sentence, tokens, light)
    return view


def _placeless_topic(words: Sequence[str], matcher: Matcher) -> bool:
    """Whether the sentence (its light words) holds every topic group a claim tied to no place needs to be read.

    A topic word inside a false friend ("offensive remarks") does not count: `_view` masks it too.
    """
    hits = matcher.topic_phrases.find(words)
    masked = {n for hit in hits if hit.label == "ignore" for n in range(hit.start, hit.end)}
    found = {hit.label for hit in hits if hit.start not in masked}
    return any(needs <= found for needs in matcher.topic_needs)


def _may_refer(words: Sequence[str], matcher: Matcher, named: list[str]) -> bool:
    """Whether a sentence naming no place can stand for one named before: a kind phrase that resolves, a pronoun."""
    return bool(matcher.coreference.find(words, named)) or not matcher.pronouns.isdisjoint(words)


def _placed(events: list[Cue], mods: dict[str, list[Cue]], places: list[PlaceHit]) -> list[Cue]:
    """Drop a bare event word that needs a place right after it and has none ("will leave Russia")."""
    needy = {c.start for c in mods.get("needs_place", [])}
    if not needy:
        return events
    starts = {h.start for h in places}
    return [e for e in events if e.start not in needy or e.end - e.start > 1 or {e.end, e.end + 1} & starts]


def _roles(actors: list[Cue], mods: dict[str, list[Cue]], tokens: Tokens) -> list[Cue]:
    """Mark actors that follow a preposition ("in Ukraine", "проти Росії") as objects, not doers."""
    prepositions = {c.end for c in mods.get("preposition", [])}
    adjectives = {c.start: c.end for c in mods.get("direction_adjective", [])}
    marked: list[Cue] = []
    for actor in sorted(actors, key=lambda a: (a.start, -a.end)):
        if marked and actor.start < marked[-1].end:
            continue  # one actor per span: the longest phrase wins
        start = actor.start
        for adj_start, adj_end in adjectives.items():
            if adj_end == start:
                start = adj_start
        is_object = start in prepositions
        marked.append(
            Cue("object" if is_object else "actor", actor.value, actor.start, actor.end, actor.surface)
        )
    return marked


def _numbers(sentence: str, tokens: Tokens, light: str | None = None) -> list[Cue]:
    if sentence.isascii() and _DIGIT.search(sentence) is None:
        return []  # most sentences: no digit to read, and normalising ASCII makes none
    if light is None or "\n" in sentence:  # a light text has its line breaks made spaces: "1\n000" is no 1000
        light = normalise(sentence)
    numbers = []
    for match in _NUMBER.finditer(light):
        digits = re.sub(r"[ ,.]", "", match.group())
        value = int(digits)
        if 1900 <= value <= 2100 and len(digits) == 4:
            continue  # a year
        if _SCORE.match(light, match.start()) or _SCORE_END.search(light, 0, match.end()):
            continue  # "loses 3-0", "2:1": a match score, not a toll
        position = len(re.findall(r"\w+", light[: match.start()]))
        position = min(position, max(len(tokens.light) - 1, 0))
        numbers.append(Cue("number", str(value), position, position + 1, match.group()))
    return numbers


def _contrast_clauses(view: View) -> None:
    """Start a new clause at "but", "однак", "однако"... (clause numbers come from punctuation)."""
    starts = sorted(c.start for c in view.mod("contrast"))
    if not starts:
        return
    clauses = list(view.tokens.clauses)
    shift = 0
    for i in range(len(clauses)):
        while shift < len(starts) and starts[shift] <= i:
            shift += 1
        clauses[i] += shift * 1000
    view.tokens = Tokens(
        view.tokens.light, view.tokens.keys, view.tokens.surface, tuple(clauses), view.tokens.raw
    )


def _on_topic(spec: ClaimSpec, view: View) -> bool:
    """Does the sentence hold the claim's topic? (Its places were checked by `_candidates`.)"""
    if spec.groups == 0 or f"{spec.id}:0" in view.claim:
        return True
    # "ISW is wrong about X": an assessment's source on its place can speak to it without the topic
    return spec.kind == "assessment" and any(a.value == spec.source for a in view.actors)


def _candidates(matcher: Matcher, ids: frozenset[str]) -> list[ClaimSpec]:
    """The claims, in their order, tied to one of the places `ids` a view names, or to no place."""
    at = matcher.claims_at
    if len(ids) == 1:
        (place,) = ids
        positions: Sequence[int] = at.get(place, at[""])
    else:
        positions = sorted({n for place in ids or ("",) for n in at.get(place, at[""])})
    return [matcher.claims[n] for n in positions]


def read_item(item: ItemText, matcher: Matcher) -> list[tuple[ClaimSpec, View, Reading]]:
    """Every (claim, sentence, reading) of an item, before picking the best per claim."""
    if item.published is not None:
        published = item.published if item.published.tzinfo else item.published.replace(tzinfo=UTC)
        if published <= matcher.as_of:
            return []
    gate = None
    if item.title.isascii() and (item.body or "").isascii():  # its words in one cheap pass, before any cut
        gate = _gate(matcher, item)
        if not gate.may_speak:
            return []  # no place and no claim's topic anywhere: most items of most feeds
    sentences = _sentences(item)
    lights = light_texts(sentences)
    if gate is not None and not gate.place and not gate.open:
        # no place anywhere, so none is named and nothing refers back: only a sentence holding a topic's
        # key word can be read, and one without it as a substring holds no such word
        keys = {word for groups in gate.needs for group in groups for word in group}
        words = [light_words(light) if any(key in light for key in keys) else [] for light in lights]
    else:
        words = light_words_of(lights)
    if gate is None:
        gate = _gate(matcher, item, words)
        if not gate.may_speak:
            return []
    starts = None if gate.open else gate.place
    readings = []
    named: list[str] = []  # places named so far, for "the city" / "місто" in later sentences
    for index, sentence in enumerate(sentences):
        if not words[index]:
            continue  # no word, or (no place in the item) none of a topic's key words: nothing to read
        kinds = gate.sentence(words[index], bool(named))
        topical: bool | None = None  # a sentence that may name a place asks only if it names none
        if not kinds & PLACE:
            topical = bool(kinds & TOPIC) and _placeless_topic(words[index], matcher)
            if not kinds & REFER and not topical:
                continue  # no word that could start a place or a reference, no whole topic: not even tokenised
            if not topical and not _may_refer(words[index], matcher, named):
                continue  # "city" but no "the city" that resolves, and no pronoun: `_view` would find no place
        tokens = tokens_of(sentence, lights[index], words[index])
        view = _view(index, sentence, tokens, matcher, named, kinds, topical, starts, lights[index])
        if view is None:
            continue
        named += [h.place_id for h in view.places if h.how != "coreference"]
        _contrast_clauses(view)
        ids = frozenset(h.place_id for h in view.places)
        for spec in _candidates(matcher, ids):
            if not _on_topic(spec, view):
                continue
            reading = read(spec, view)
            if reading is not None:
                readings.append((spec, view, reading))
    return weigh(readings, matcher.terms.claim_min_score)


# A report's news is what changed or is disputed; background sentences tend to restate the old state,
# so a sentence that updates or contradicts outranks one that merely confirms.
_PRIORITY = {Relation.CONTRADICTS: 2, Relation.UPDATES: 1, Relation.CONFIRMS: 0}


def _rank(reading: Reading) -> tuple[bool, int, float]:
    return reading.settles, _PRIORITY[reading.relation], reading.score


def analyse(item: ItemText, matcher: Matcher) -> list[Finding]:
    """The findings of one report: at most one per claim, each at or above claim_min_score."""
    best: dict[str, tuple[Reading, View]] = {}
    for spec, view, reading in read_item(item, matcher):
        if reading.score < matcher.terms.claim_min_score:
            continue
        current = best.get(spec.id)
        if current is None or _rank(reading) > _rank(current[0]):
            best[spec.id] = (reading, view)
    if not best:
        return []
    order = {spec.id: n for n, spec in enumerate(matcher.claims)}
    return [
        Finding(claim_id, reading.relation, reading.places, view.text, reading.score, reading.reasons)
        for claim_id, (reading, view) in sorted(best.items(), key=lambda kv: order[kv[0]])
    ]


def match_places(text: str, matcher: Matcher) -> list[PlaceMention]:
    """Every baseline place named in a text, sentence by sentence, with its canonical name."""
    mentions = []
    sentences = split_sentences(text)
    for index, tokens in enumerate(tokenise_many(sentences)):
        tokens = with_surface(tokens)
        for hit in matcher.places.find(tokens, matcher.known_words):
            if hit.score <= 0:
                continue
            surface = " ".join(tokens.surface[hit.start : hit.end])
            mentions.append(
                PlaceMention(hit.place_id, matcher.names[hit.place_id], surface, hit.score, index)
            )
    return mentions
