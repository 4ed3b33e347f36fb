"""Finding a topic claim's words in a sentence, and reading quantity and assessment claims against it.

A topic claim needs every one of its topic phrase groups (and topic events, at one of its places; the claim's
own confirm phrase there, "all options on the table", stands for the event) in the sentence; a negation may
govern any of the topic's words ("the West did not send tanks"). Quantity: a figure in the claim's range and
period confirms, another figure updates (also when it rejects higher estimates); a revision or comparison
("revises", "far below", "значно менше") updates; an in-range figure disputed ("talking points", a denial with
the claim's source named) contradicts, whoever is said to lose the soldiers; an in-range figure only retold
("had warned") gives nothing; a figure needs the counted side as its subject or close by, or no side named at
all and soldiers or a baseline place in the sentence ("hundreds of soldiers a day are being lost").
Assessment: the claim's source must be named; the source's stance (turned round by a negation or a dispute in
its clause: "wrong to call it sound", or by a denial right after it when a judgement noun precedes it: "the
ISW assessment that it was sound is mistaken", or by "no longer" before it: "no longer considers it worthwhile"; only retold, "прежняя оценка", it needs a change → updates),
same → confirms (updates when the judgement is closed: "closes the book", "final verdict"), opposite → contradicts, opposite with "now" → updates; with no stance word, "<source> is
wrong" contradicts and "<source> revised its view" updates.
"""

from __future__ import annotations

from pipeline.analysis.places import PlaceHit
from pipeline.analysis.reading import (
    EVENT_NAMES,
    ClaimSpec,
    Cue,
    Reading,
    View,
    agent_of,
    denial_of,
    flip,
    is_near,
    modalised,
    nearest_place,
    negation_of,
    part_given_up,
    place_reasons,
    quote,
)
from pipeline.records import Relation

# How far (in words) before the topic a retelling or relative cue governs it ("who in January
# urged", "that Ukraine freed").
LEAD_WINDOW = 4


def topic_position(claim: ClaimSpec, view: View) -> tuple[int, list[str]] | None:
    """Where the claim's topic is, if every topic group (and topic cue) occurs."""
    positions: list[int] = []
    reasons: list[str] = []
    for group in range(claim.groups):
        hits = view.claim.get(f"{claim.id}:{group}")
        if not hits:
            return None
        positions.append(hits[0].start)
        reasons.append(f"topic: {quote(hits[0])}")
    if claim.topic_cues:
        cues = [
            e
            for e in view.events
            if e.value in claim.topic_cues
            and at_claim_place(claim, view, e)
            # a part given up is no pull-out from the place; weighing one still speaks of it
            and not (part_given_up(view, e) and not modalised(view, e.start))
        ]
        # "all options on the table for X": the claim's own confirm phrase at its place stands for the event
        cues = cues or [
            c for c in view.claim.get(f"{claim.id}:confirm", []) if at_claim_place(claim, view, c)
        ]
        if not cues:
            return None
        positions.append(cues[0].start)
        name = EVENT_NAMES.get(cues[0].value)
        reasons.append(f"event: {quote(cues[0])} → {name}" if name else f"topic: {quote(cues[0])}")
    # "the West did not send tanks": a negation may govern any of the topic's words, not only the first
    negated = [p for p in positions if negation_of(view, p)]
    return (negated or positions)[0], reasons


def at_claim_place(claim: ClaimSpec, view: View, event: Cue) -> bool:
    """Is the event about one of the claim's places (not a village "north of" it)?"""
    if not claim.places:
        return True
    place = nearest_place(view, event)
    return place is not None and place.place_id in claim.places and not is_near(view, place)


def claim_places(claim: ClaimSpec, view: View) -> list[PlaceHit] | None:
    """The claim's places named in the sentence ([] if it has none, None if it has some but none is named)."""
    if not claim.places:
        return []
    own = [h for h in view.places if h.place_id in claim.places]
    return own or None


def own_tokens(claim: ClaimSpec, view: View) -> frozenset[int]:
    """The tokens a topic-driven reading rests on: its topic phrases and its topic events."""
    spans = [h for key, hits in view.claim.items() if key.startswith(f"{claim.id}:") for h in hits]
    spans += [e for e in view.events if e.value in claim.topic_cues]
    return frozenset(i for cue in spans for i in range(cue.start, cue.end))


# How far (in words) a figure may stand from the topic word when the counted side is not its subject.
_FIGURE_WINDOW = 6


def quantity(claim: ClaimSpec, view: View) -> Reading | None:
    found = topic_position(claim, view)
    if found is None:
        return None
    position, reasons = found
    agent = agent_of(view, position, position + 1)
    sources = [a for a in view.actors if a.value == claim.source]
    denials = [d for d in view.mod("denial") + view.mod("dispute") if not negation_of(view, d.start)]
    revisions = view.mod("revision")
    tokens = own_tokens(claim, view)
    if sources and denials and view.numbers and not revisions:
        # "Kyiv calls the BND's 'hundreds a day' false": the source's figure is disputed, whoever counts
        reasons += [f"source: {quote(sources[0])} → {claim.source}", f"denial: {quote(denials[0])}"]
        return Reading(Relation.CONTRADICTS, 0.8, (), tuple(reasons), tokens)
    if not view.numbers:
        # no figure: only the claim's source revising it or someone disputing it counts
        disputes = denials + view.mod("negation")
        if sources and revisions:  # "the BND revises its casualty estimate"
            reasons += [f"source: {quote(sources[0])} → {claim.source}", f"revision: {quote(revisions[0])}"]
            return Reading(Relation.UPDATES, 0.75, (), tuple(reasons), tokens)
        dispute = denial_of(view, position) or (disputes[0] if disputes else None)
        if not sources or dispute is None:
            return None
        reasons += [f"source: {quote(sources[0])} → {claim.source}", f"denial: {quote(dispute)}"]
        return Reading(Relation.CONTRADICTS, 0.75, (), tuple(reasons), tokens)
    if agent is not None and agent.value not in claim.actors:
        return None
    number = min(view.numbers, key=lambda c: abs(c.start - position))
    # "losses of Ukrainian troops": the counted side may stand after the topic word, if the figure is close
    near = abs(number.start - position) <= _FIGURE_WINDOW
    doer = agent or next((a for a in view.actors if a.value in claim.actors and near), None)
    # "hundreds a day are being lost": with no side named at all, the claim's one counted side is meant
    sides = [a for a in view.actors if a.label == "actor" and a.value != claim.source]
    at_war = bool(view.places or view.mod("personnel"))  # not "a bank losing millions a day"
    if doer is None and (sides or len(claim.actors) != 1 or not at_war):
        return None
    reasons.append(
        f"actor: {quote(doer)} → {doer.value}" if doer else f"actor: implicit → {min(claim.actors)}"
    )
    value = float(number.value)
    if any(m.start == number.end for m in view.mod("thousand")) and number.surface[:1].isdigit():
        value *= 1000  # "31 тисяча", "17 thousand"
    low, high = claim.low or 0.0, claim.high if claim.high is not None else float("inf")
    per = {"day": "per_day", "week": "per_week", "month": "per_month"}.get(claim.per or "")
    periods = view.mod(per) if per else []
    inside = low <= value <= high and (per is None or bool(periods))
    if periods:
        reasons.append(f"period: {quote(periods[0])}")
    reasons.append(
        f"quantity: {quote(number)} ≈ {value:g} (baseline {low:g}-{high:g} per {claim.per or 'total'})"
    )
    if inside and (revisions or view.mod("retold")) and not denials:
        # "far fewer than the hundreds cited in January", "the agency had warned that...": the old figure
        return None if not revisions else Reading(Relation.UPDATES, 0.8, (), (*reasons, "revision"), tokens)
    if inside and denials:  # "hundreds a day are recycled talking points": the figure is disputed
        relation: Relation | None = Relation.CONTRADICTS
        reasons.append(f"denial: {quote(denials[0])}")
    elif inside:
        relation = flip(Relation.CONFIRMS, view, position, reasons)
    else:  # a figure of another size updates, also when it rejects higher estimates
        relation = Relation.UPDATES
    if relation is None:
        return None
    if sources:
        reasons.append(f"source: {claim.source}")
    return Reading(relation, 0.85, (), tuple(reasons), tokens)


def assessment(claim: ClaimSpec, view: View) -> Reading | None:
    found = topic_position(claim, view)
    places = claim_places(claim, view)
    sources = [a for a in view.actors if a.value == claim.source]
    if places is None or not sources:
        return None
    disputes, changes = view.mod("denial"), view.mod("change")
    if found is None and not (places and (disputes or changes)):
        return None  # without the topic, only "<source> is wrong / has revised its view on <place>"
    if found is None and any(denial_of(view, e.start) for e in view.events):
        return None  # "ISW: Russian claims of capturing X are premature": the source disputes an event

    reasons = found[1] if found is not None else []
    reasons.append(f"source: {quote(sources[0])} → {claim.source}")
    positive, negative = view.mod("stance_positive"), view.mod("stance_negative")
    if not positive and not negative:
        if not (disputes or changes):
            return None
        # no stance word: someone disputing the source's view contradicts, the source revising it updates
        cue = (disputes or changes)[0]
        relation = Relation.CONTRADICTS if disputes else Relation.UPDATES
        reasons.append(f"{'denial' if disputes else 'change'}: {quote(cue)}")
        names = tuple(dict.fromkeys(view.names[h.place_id] for h in places))
        return Reading(
            relation, 0.8, names, tuple(place_reasons(view, places[:1]) + reasons), own_tokens(claim, view)
        )
    cue = (positive or negative)[0]
    stance = "positive" if positive else "negative"
    # "ISW is wrong to call the defence sound": a dispute in the stance's own clause turns it round
    clauses = view.tokens.clauses
    against = negation_of(view, cue.start) or next(
        (
            d
            for d in disputes + view.mod("dispute")
            if d.start < cue.start
            and clauses[d.start] == clauses[cue.start]
            and not negation_of(view, d.start)
        ),
        None,
    )
    against = against or _judgement_denied(view, cue, disputes + view.mod("dispute"))
    # "ISW no longer considers the defence worthwhile": the stance is dropped, which is a change (updates below)
    against = against or next(
        (c for c in view.mod("no_longer") if c.start < cue.start and clauses[c.start] == clauses[cue.start]),
        None,
    )
    if against is not None:
        stance = "negative" if stance == "positive" else "positive"
        reasons.append(f"negation: {quote(against)}")
    reasons.append(f"stance: {quote(cue)} → {stance}")
    if any(0 <= cue.start - r.start <= LEAD_WINDOW for r in view.mod("retold")):
        # "the earlier judgement that it was justified needs revising": the old stance retold, not repeated
        if not view.mod("change"):
            return None
        relation = Relation.UPDATES
        reasons.append(f"change: {quote(view.mod('change')[0])}")
    elif stance == claim.stance and view.mod("closure"):
        relation = Relation.UPDATES  # "ISW closes the book: the gamble paid off": the judgement closed
        reasons.append(f"closure: {quote(view.mod('closure')[0])}")
    elif stance == claim.stance:
        relation = Relation.CONFIRMS
    elif view.mod("change"):
        relation = Relation.UPDATES
        reasons.append(f"change: {quote(view.mod('change')[0])}")
    else:
        relation = Relation.CONTRADICTS
    names = tuple(dict.fromkeys(view.names[h.place_id] for h in places))
    return Reading(
        relation, 0.85, names, tuple(place_reasons(view, places[:1]) + reasons), own_tokens(claim, view)
    )


def _judgement_denied(view: View, stance: Cue, disputes: list[Cue]) -> Cue | None:
    """A denial predicated of the judgement after its stance: "the ISW assessment that it was sound is mistaken"."""
    if not any(0 < stance.start - j.start <= _JUDGEMENT_WINDOW for j in view.mod("judgement")):
        return None
    return next(
        (
            d
            for d in disputes
            if 0 < d.start - stance.start <= _PREDICATE_WINDOW
            and not negation_of(view, d.start)
            and not any(stance.start < r.start < d.start for r in view.mod("reporting"))
        ),
        None,
    )


# How far (in words) a judgement noun may stand before its stance word ("the ISW assessment that the
# defence of Bakhmut was sound"), and a denial after it ("... sound, is mistaken").
_JUDGEMENT_WINDOW = 8
_PREDICATE_WINDOW = 4
