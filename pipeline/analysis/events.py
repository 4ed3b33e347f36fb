"""Event cues that a sentence's words give only together, or that its other words rule out.

- `possessed`: an event noun right after a place is that place's event ("Soledar's fall");
- `expulsions`: a push/drive/force verb with its particle a few words on ("pushed Ukrainians back",
  "drove Russian units out of") is one *expel* event, whose object is the side driven out; the
  contiguous forms ("forced out", "вибили", "выбили", "вытеснили") come from cues.toml directly;
- `pronoun_places`: "troops still hold it": an object pronoun after an event names the last place;
- `holding_city`: "the city" holding in a later clause names the place before it ("Russians storm X,
  but the town holds");
- `settle_events`: words inside a multi-word actor name are no events, and відбили/отбили repels
  before an attack and retakes otherwise.

Pure functions of one sentence's cues; no I/O.
"""

from __future__ import annotations

from pipeline.analysis.places import Coreference, PlaceHit
from pipeline.analysis.reading import Cue
from pipeline.analysis.text import Tokens


def expulsions(events: list[Cue], mods: dict[str, list[Cue]], tokens: Tokens) -> list[Cue]:
    """ "pushed Ukrainians back", "drove Russian units out": a verb and its particle make one expel event.

    The particle comes at most two words after the verb, in its clause; the verb's own attack reading
    ("push") gives way to it.
    """
    verbs, particles = mods.get("expel_verb", []), mods.get("expel_particle", [])
    if not verbs or not particles:
        return events
    clauses = tokens.clauses
    found = []
    for verb in verbs:
        particle = next(
            (
                p
                for p in particles
                if 0 <= p.start - verb.end <= 2 and clauses[p.start] == clauses[verb.start]
            ),
            None,
        )
        if particle is not None:
            words = " ".join(tokens.surface[verb.start : particle.end])
            found.append(Cue("event", "expel", verb.start, particle.end, words))
    if not found:
        return events
    taken = {i for cue in found for i in range(cue.start, cue.end)}
    return [e for e in events if e.start not in taken] + found


def holding_city(
    tokens: Tokens, places: list[PlaceHit], events: list[Cue], contrasts: list[Cue], coreference: Coreference
) -> list[PlaceHit]:
    """ "Russians storm X, but the town holds": "the city" holding, in a later clause than the place it names.

    Only the subject of a hold: elsewhere a sentence's "the town" is as often a landmark or another
    place ("no advances near the town"), which the earlier-sentence rule reads well enough.
    """
    holds = {e.start for e in events if e.value == "hold"}
    if not holds:
        return []  # most sentences: no hold for "the town" to be the subject of
    clauses = tokens.clauses
    found = []
    for hit in coreference.find(tokens.light, [h.place_id for h in places]):
        before = [h for h in places if h.end <= hit.start]
        if not before or not ({hit.end, hit.end + 1} & holds):
            continue
        opened = clauses[before[-1].start] != clauses[hit.start] or any(
            before[-1].end <= c.start < hit.start for c in contrasts
        )
        if opened:
            found.append(hit)
    return found


def pronoun_places(
    tokens: Tokens, places: list[PlaceHit], events: list[Cue], named: list[str], pronouns: frozenset[str]
) -> list[PlaceHit]:
    """ "Ukrainian troops still hold it", "утримують його": an object pronoun right after an event is a place.

    It stands for the place named last before it in the sentence, else the one named last in the item;
    found as coreference, so it is the place itself, never a landmark.
    """
    light, found = tokens.light, []
    for event in events:
        if event.end >= len(light) or light[event.end] not in pronouns:
            continue
        before = [h.place_id for h in places if h.end <= event.start]
        referent = before[-1] if before else (named[-1] if named else None)
        if referent is not None:
            found.append(PlaceHit(referent, event.end, event.end + 1, 0.9, "coreference"))
    return found


def possessed(places: list[PlaceHit], tokens: Tokens, table: dict[str, str], masked: set[int]) -> list[Cue]:
    """Event nouns right after a place: "Soledar's fall" ("'s" is dropped by normalising)."""
    light, found = tokens.light, []
    for hit in places:
        event = table.get(light[hit.end]) if hit.end < len(light) else None
        if event is not None and hit.end not in masked:
            found.append(Cue("event", event, hit.end, hit.end + 1, tokens.surface[hit.end]))
    return found


def settle_events(events: list[Cue], actors: list[Cue], mods: dict[str, list[Cue]]) -> list[Cue]:
    """Drop event readings a sentence rules out.

    - a cue inside a multi-word actor name is a name, not an event: "Сили оборони", "Defence Forces";
    - a hold word right before an occasion holds the occasion: "holds an exhibition", "held talks";
    - a word that is both "hold" and "recapture" (відбили, отбили) repels when an attack or an attempt
      follows ("відбили штурм", "відбили спробу") and retakes otherwise when a place follows;
    - a shorter event word at the start of a longer event phrase is part of it: "посилили тиск" (stepped
      up the pressure) is an attack, not the hold "посилили" (reinforced).
    """
    if not events:
        return events
    # each step below is skipped when the sentence has nothing it could drop (most have one event)
    names = [(a.start, a.end) for a in actors if a.end - a.start > 1]
    kept = [e for e in events if not any(s <= e.start and e.end <= t for s, t in names)] if names else events
    if len(kept) > 1:
        longest: dict[int, int] = {}
        for e in kept:
            longest[e.start] = max(longest.get(e.start, 0), e.end)
        kept = [e for e in kept if e.end == longest[e.start]]
    # "holds an exhibition", "held talks": an occasion right after a hold word is what is held
    occasions = {c.start for c in mods.get("occasion", [])}
    if occasions:
        kept = [e for e in kept if e.value != "hold" or not ({e.end, e.end + 1, e.end + 2} & occasions)]
    if len(kept) < 2:
        return kept  # a word read both as a hold and as a recapture is two events
    both = {e.start for e in kept if e.value == "hold"} & {e.start for e in kept if e.value == "recapture"}
    if not both:
        return kept
    attacks = {e.start for e in kept if e.value == "attack"} | {c.start for c in mods.get("partial", [])}
    out = []
    for event in kept:
        if event.start in both:
            repels = any(event.end <= a <= event.end + 2 for a in attacks)
            if event.value == ("recapture" if repels else "hold"):
                continue
        out.append(event)
    return out
