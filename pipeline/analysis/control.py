# ruff: noqa: RUF001, RUF002, RUF003 -- Cyrillic cue words and examples are the data here
"""Control-claim readings beyond one event's change of hands: who is driven out, which events are only
hypothetical, and disputes that need no event (an alarm called misplaced, an aim called a diversion).

`relation._control` asks these; each returns what it found with the cues it rests on, and none reads
anything but the sentence's cues.
"""

from __future__ import annotations

from pipeline.analysis.places import PlaceHit
from pipeline.analysis.reading import ClaimSpec, Cue, Reading, View, negation_of, place_reasons, quote
from pipeline.records import Relation


def other_side(claim: ClaimSpec, side: str | None) -> str | None:
    """The claim's other side (holder ↔ rival), or None for a third party or no side."""
    if side == claim.holder:
        return claim.rival
    if side == claim.rival:
        return claim.holder
    return None


def expelled(claim: ClaimSpec, view: View, event: Cue, pusher: str | None) -> tuple[str, str | None, None]:
    """An expel event as (kind, side): a loss of the side driven out, a hold or an attack by the pusher.

    `pusher` is the side named before the verb, if any. The side driven out is the object (inside "pushed
    Ukrainians back" or right after "drove out"), the subject of a passive ("were pushed out of X", "вибиті
    з"), else the pusher's rival; "pushed back the assault" repels an attack (a hold by the pusher), and "to
    push them back" is only an aim (an attack).
    """
    light = view.tokens.light
    if event.start > 0 and light[event.start - 1] in AIM:
        return "attack", pusher, None
    if any(e.value == "attack" and 0 <= e.start - event.end <= 4 for e in view.events):
        return "hold", pusher, None  # "pushed back Russian assaults": repelled, the pusher holds
    sides = (claim.holder, claim.rival)
    by = any(event.end <= m.start <= event.end + 1 for m in view.mod("agent_after"))
    objects = [
        a
        for a in view.actors
        if (event.start < a.start < event.end or (not by and event.end <= a.start <= event.end + 1))
        and a.value in sides
    ]
    if objects:
        return "loss", objects[0].value, None
    # "Ukrainian troops forced back from X": with no object, "from" makes the subject the one
    # driven out, as a passive does
    source = event.end < len(light) and light[event.end] in _FROM
    passive = source or any(event.start - 2 <= m.start < event.start for m in view.mod("passive"))
    passive = passive or any(m.start == event.start for m in view.mod("expel_passive"))
    if passive and not by:
        before = [a for a in view.actors if a.end <= event.start and a.value in sides]
        return "loss", (before[-1].value if before else None), None
    return "loss", other_side(claim, pusher), None


# Words before a verb that make it an aim, not a deed: "launched counterattacks to push them back".
AIM = frozenset({"to", "щоб", "чтобы"})
# "from" right after an expel verb: the side before it is driven out of what follows.
_FROM = frozenset({"from", "of", "з", "із", "від", "из", "от"})


def denier(claim: ClaimSpec, view: View, event: Cue) -> str | None:
    """The side denying a loss right before it ("Минобороны РФ опровергает потерю X"): it is the loser.

    Sides deny their own losses: "Kyiv denies the fall of X" and "Moscow rejects reports it lost X" both
    have the speaker as the side that would have lost the place.
    """
    clauses = view.tokens.clauses
    for denial in view.mod("denial"):
        if not (denial.end <= event.start and clauses[denial.start] == clauses[event.start]):
            continue
        # any label: "В Минобороны РФ опровергли" names the speaker after a preposition
        speakers = [
            a
            for a in view.actors
            if denial.start - 3 <= a.end <= denial.start and a.value in (claim.holder, claim.rival)
        ]
        if speakers:
            return speakers[-1].value
    return None


def place_subject(view: View, place: PlaceHit, event: Cue) -> bool:
    """Is the place the subject right before a hold ("the city holds", "місто тримається", "X still stands")?"""
    clauses = view.tokens.clauses
    if not (0 <= event.start - place.end <= 1 and clauses[place.start] == clauses[event.start]):
        return False
    return not any(p.end == place.start for p in view.mod("preposition"))  # not "troops in X hold"


def hypothetical(view: View, event: Cue) -> bool:
    """Is the event a hypothesis: inside a conditional ("if X falls", "у разі загрози оточення"), or a change of
    hands named as the subject of "would/could" ("X's fall would not change the war", "падение X стало бы")?"""
    clauses = view.tokens.clauses
    conditionals, woulds = view.mod("conditional"), view.mod("would")  # most sentences have neither
    if conditionals and any(
        c.end <= event.start and clauses[c.start] == clauses[event.start] for c in conditionals
    ):
        return True
    light = view.tokens.light
    # ... or its object: "падіння X означало б втрату вузла", "would mean the loss of"
    return (
        bool(woulds)
        and event.value in _HANDS
        and any(
            (0 <= c.start - event.end <= 3 or 0 <= event.start - c.end <= 2)
            and clauses[c.start] == clauses[event.start]
            and not _AND.intersection(light[min(event.end, c.end) : max(event.start, c.start)])
            for c in woulds
        )
    )


_HANDS = frozenset({"gain", "loss", "withdraw", "recapture"})
_AND = frozenset({"and", "і", "й", "та", "и", "but", "але", "но"})


def alarm_dispelled(claim: ClaimSpec, view: View, own: list[PlaceHit]) -> Reading | None:
    """ "January alarm over X was misplaced": a worry about a contested place called unfounded disputes it."""
    if claim.status not in ("contested", "surrounded"):
        return None
    for alarm in view.mod("alarm"):
        place = next((h for h in own if abs(h.start - alarm.end) <= 3 and h.place_id in claim.places), None)
        denial = next(
            (
                d
                for d in view.mod("denial") + view.mod("dispute")
                if d.start > alarm.start and not negation_of(view, d.start)
            ),
            None,
        )
        if place is not None and denial is not None:
            reasons = [f"alarm: {quote(alarm)}", f"denial: {quote(denial)}"]
            return Reading(
                Relation.CONTRADICTS,
                0.8,
                (view.names[place.place_id],),
                tuple(place_reasons(view, [place]) + reasons),
                frozenset([alarm.start]),
            )
    return None


def objective_denied(view: View, hit: PlaceHit) -> Reading | None:
    """ "X was never the target", "the X push was only a diversion": the aim disputed ("no longer": dropped)."""
    reasons: list[str] = []
    relation = Relation.CONTRADICTS
    for cue in view.mod("objective"):
        negation = negation_of(view, cue.start)
        if negation is not None:
            reasons = [f"objective: {quote(cue)}", f"negation: {quote(negation)}"]
            if any(abs(c.start - negation.start) <= 1 for c in view.mod("change")):
                relation = Relation.UPDATES  # "X is no longer a target": the aim was dropped
            break
    else:
        decoy = next((c for c in view.mod("decoy") if not negation_of(view, c.start)), None)
        if decoy is None:
            return None
        cue, reasons = decoy, [f"decoy: {quote(decoy)}"]
    return Reading(
        relation,
        0.85,
        (view.names[hit.place_id],),
        tuple(place_reasons(view, [hit]) + reasons),
        frozenset([cue.start]),
    )
