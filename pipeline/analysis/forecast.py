"""Forecast claims: has the expected event come, been settled the other way, or is it only local?

- `begun`: the forecast's noun with a start right by it ("наступ росіян уже почався") needs no scope word;
- `attributive`: future words that describe the noun ("the long-expected offensive") are no modal of its start;
- `local`: a general forecast in a sentence naming a baseline place needs a scope word ("a major offensive");
- `settled`: a decision to do the opposite, or doing it while the event is refused, settles the question;
- `modal_by_other`: a future or modal cue said by another side ("US urges Ukraine to leave").

`topical.topical` reads forecast claims with these; none reads anything but the sentence's cues.
"""

from __future__ import annotations

from pipeline.analysis.reading import (
    EVENT_NAMES,
    ClaimSpec,
    Cue,
    Reading,
    View,
    agent_of,
    modalised,
    negation_of,
    quote,
)
from pipeline.records import Relation


def begun(claim: ClaimSpec, view: View) -> tuple[int, list[str]] | None:
    """A forecast's event word with a start right by it ("наступ росіян уже почався", "launched an offensive"):
    the event has come, so its scope words ("major", "new") are not needed (a baseline place still makes it local).
    """
    if claim.kind != "forecast" or claim.groups < 2 or claim.topic_cues:
        return None
    for hit in view.claim.get(f"{claim.id}:0", []):
        start = next(
            (
                e
                for e in view.events
                if e.value == "start"
                and -3 <= e.start - hit.start <= 6
                and e.start != hit.start
                and view.tokens.clauses[e.start] == view.tokens.clauses[hit.start]
            ),
            None,
        )
        if start is not None and not modalised(view, start.start) and not negation_of(view, start.start):
            return hit.start, [f"topic: {quote(hit)}", f"begun: {quote(start)}"]
    return None


def attributive(claim: ClaimSpec, view: View) -> frozenset[int]:
    """Future cues describing the forecast's noun ("the expected offensive", "the offensive anticipated since
    January"): right before it or right after it, and not opening an infinitive ("expected to start")."""
    light = view.tokens.light
    nouns = [h.start for h in view.claim.get(f"{claim.id}:0", [])]
    found = set()
    for cue in view.mod("future"):
        if cue.end < len(light) and light[cue.end] in _INFINITIVE:
            continue
        if any(-2 <= cue.start - noun <= 1 for noun in nouns):
            found.add(cue.start)
    return frozenset(found)


# Words after a future cue that make it a modal of what follows: "expected to start", "очікують, що".
_INFINITIVE = frozenset({"to", "that", "що", "что", "щоб", "чтобы"})


def local(claim: ClaimSpec, view: View) -> bool:
    """Is a general forecast's event only a local push ("no Russian offensive in Zaporizhzhia")?"""
    if claim.places or not view.places:
        return False
    hits = view.claim.get(f"{claim.id}:0", [])
    # the event with its place right after it ("a large-scale offensive on the Zaporizhzhia axis", "наступ
    # окупантів на Запорізькому напрямку") is that place's push, whatever its scope word
    # ("a major offensive near X" stays general: the place only locates where it is massing)
    landmarks = {n.end for n in view.mod("near")}
    if hits and all(
        any(0 <= p.start - hit.end <= 3 and p.start not in landmarks for p in view.places) for hit in hits
    ):
        return True
    # a baseline place is named: only a scope word right by the event keeps it general ("a major offensive")
    return not any(-_SCOPE_WINDOW <= s.start - hit.start <= 1 for hit in hits for s in view.mod("scope"))


# How far (in words) before the event word a scope word still qualifies it ("a major new offensive").
_SCOPE_WINDOW = 3


# The event that settles a forecast the other way: deciding to hold rather than withdraw.
_OPPOSITE = {"withdraw": "hold", "start": "stop"}


def settled(claim: ClaimSpec, view: View) -> Reading | None:
    """A decision that settles the forecast question: "decided to keep defending X" → updates.

    Without a decision word, doing the opposite while refusing the forecast event settles it too: "fresh
    brigades sent into X, ending talk of retreat", "посилює гарнізон замість відступу".
    """
    if not claim.topic_cues:
        return None
    decisions = view.mod("decision")
    opposite = {_OPPOSITE.get(c) for c in claim.topic_cues}
    if not decisions:
        stays = [e for e in view.events if e.value in opposite and _own(claim, view, e)]
        refused = [
            (e, n) for e in view.events if e.value in claim.topic_cues and (n := negation_of(view, e.start))
        ]
        if not stays or not refused:
            return None
        event, (refused_event, refusal) = stays[0], refused[0]
        reasons = [
            f"event: {quote(event)} → {EVENT_NAMES[event.value]}",
            f"refused: {quote(refusal)} {quote(refused_event)}",
        ]
        return _settling(claim, view, reasons, event)
    for event in view.events:
        expected = event.value in claim.topic_cues
        if expected and not negation_of(view, event.start):
            continue  # "decided to withdraw" is the forecast event itself, read as usual
        if not expected and event.value not in opposite:
            continue
        if not _own(claim, view, event):
            continue
        reasons = [f"decision: {quote(decisions[0])}", f"event: {quote(event)} → {EVENT_NAMES[event.value]}"]
        if expected:
            reasons.append(f"negation: {quote(negation_of(view, event.start))}")  # type: ignore[arg-type]
        return _settling(claim, view, reasons, event)
    return None


def _own(claim: ClaimSpec, view: View, event: Cue) -> bool:
    agent = agent_of(view, event.start, event.end, passive=False)
    return agent is None or agent.value in claim.actors


def _settling(claim: ClaimSpec, view: View, reasons: list[str], event: Cue) -> Reading:
    names = tuple(dict.fromkeys(view.names[h.place_id] for h in view.places if h.place_id in claim.places))
    return Reading(Relation.UPDATES, 0.85, names, tuple(reasons), frozenset([event.start]), True)


def modal_by_other(claim: ClaimSpec, view: View) -> bool:
    """Is the future/modal cue said by someone else ("US urges Ukraine to leave")?"""
    allowed = claim.actors | {claim.actor}
    for cue in view.mod("modal"):
        agent = agent_of(view, cue.start, cue.end, passive=False)
        if agent is not None and agent.value not in allowed:
            return True
    return False
