"""Reading a sentence against a topic-driven claim: activity, quantity, assessment, forecast, history.

A topic claim needs every one of its topic phrase groups (and topic events) in the sentence, and a doer
among its actors (or one of its places): that is how it keeps off sentences that merely share a word. A
negation may govern any of the topic's words ("the West did not send tanks"). An actor followed by a
verb of saying ("МИД России заявил, что...") is the speaker, not the doer. Activity: done → confirms, a
stop or the claim's `update` phrase (end states: "reached its target", "now fighting") → updates; a
stance only retold ("officials who earlier urged") gives nothing, unless it turned ("... now argue") →
updates. Any kind called untrue by name ("a mirage", "no sign of", "міф") → contradicts. Quantity: a
figure in the claim's range and period confirms, another figure updates (also when it rejects higher
estimates); a revision or comparison ("revises", "far below", "значно менше") updates; an in-range
figure disputed ("talking points", a denial with the claim's source named) contradicts, whoever is said
to lose the soldiers; an in-range figure only retold ("had warned") gives nothing. Assessment: the
source's stance (turned round by a negation or a dispute in its clause: "wrong to call it sound"; only
retold, "прежняя оценка", it needs a change → updates), same → confirms, opposite → contradicts,
opposite with "now" → updates. Forecast: expected → confirms, happened or failed ("never materialised",
"так и не состоялось", "culminated") → updates, negated or denied → contradicts; a decision to do the
opposite ("decided to keep defending") settles it → updates. History: recalled → confirms, undone by the
other side → updates, a negated victory ("not a victory for Ukraine") → contradicts; recalled in a
relative clause ("a town that Ukraine freed") it is background: nothing, unless the main clause's other-
side doer gains or attacks there → updates.
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
    place_reasons,
    quote,
)
from pipeline.records import Relation


def _topic_position(claim: ClaimSpec, view: View) -> tuple[int, list[str]] | None:
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
        cues = [e for e in view.events if e.value in claim.topic_cues and _at_claim_place(claim, view, e)]
        if not cues:
            return None
        positions.append(cues[0].start)
        reasons.append(f"event: {quote(cues[0])} → {EVENT_NAMES[cues[0].value]}")
    # "the West did not send tanks": a negation may govern any of the topic's words, not only the first
    negated = [p for p in positions if negation_of(view, p)]
    return (negated or positions)[0], reasons


def _at_claim_place(claim: ClaimSpec, view: View, event: Cue) -> bool:
    """Is the event about one of the claim's places (not a village "north of" it)?"""
    if not claim.places:
        return True
    place = nearest_place(view, event)
    return place is not None and place.place_id in claim.places and not is_near(view, place)


def _claim_places(claim: ClaimSpec, view: View) -> list[PlaceHit] | None:
    if not claim.places:
        return []
    own = [h for h in view.places if h.place_id in claim.places]
    return own or None


def _doer_ok(claim: ClaimSpec, view: View, position: int, reasons: list[str]) -> bool:
    allowed = claim.actors | {a for a in (claim.actor, claim.source) if a}
    agent = agent_of(view, position, position + 1, passive=False)
    if agent is not None and any(
        agent.end <= r.start <= agent.end + 3 and r.end <= position for r in view.mod("reporting")
    ):
        agent = None  # "Russia's foreign ministry said that ... tanks": who speaks, not who sends
    if agent is not None and agent.value not in allowed and claim.kind != "history":
        return False  # someone else does it: Russia sending tanks is not the West sending them
    present = [a for a in view.actors if a.value in allowed]
    if agent is None and not present and not claim.places:
        return False  # neither a doer nor a place: too little to tie the sentence to the claim
    others = [a for a in view.actors if a.label == "actor" and a.value not in allowed]
    if agent is None and not present and others and claim.kind == "activity":
        return False  # "an adviser to Zelensky said the army could pull back": only another side is named
    shown = agent or (present[0] if present else None)
    if shown is not None:
        reasons.append(f"actor: {quote(shown)} → {shown.value}")
    return True


def topical(claim: ClaimSpec, view: View) -> Reading | None:
    places = _claim_places(claim, view)
    if claim.kind == "forecast" and places is not None:
        settled = _settled(claim, view)
        if settled is not None:
            return settled
    found = _topic_position(claim, view)
    if found is None or places is None:
        return None
    position, topic_reasons = found
    reasons: list[str] = []
    # "Ukraine breached the lines", "the lines slowed Ukraine's advance": the other side is named
    undone = any(view.claim.get(f"{claim.id}:{label}") for label in ("update", "confirm", "contradict"))
    if not _doer_ok(claim, view, position, reasons) and not undone:
        return None
    reasons = topic_reasons + reasons
    relation = Relation.CONFIRMS
    explicit = 0.0
    future = view.mod("future") + view.mod("modal")
    failed = view.mod("unrealised") if claim.kind == "forecast" else []
    if claim.kind == "forecast":
        if _modal_by_other(claim, view):
            return None
        starts = [e for e in view.events if e.value in ("start", "stop") and not modalised(view, e.start)]
        if failed:  # "the promised offensive never materialised", "has culminated": the forecast failed
            relation = Relation.UPDATES
            reasons.append(f"unrealised: {quote(failed[0])}")
            explicit = 0.15
        elif starts:
            relation = Relation.UPDATES
            reasons.append(f"event: {quote(starts[0])} → {EVENT_NAMES[starts[0].value]}")
            explicit = 0.15
        elif future:
            reasons.append(f"future: {quote(future[0])}")
            explicit = 0.15
            denied = next((n for n in (negation_of(view, c.start) for c in future) if n), None)
            if denied is not None:  # "withdrawal was never considered": the possibility itself is disputed
                reasons.append(f"negation: {quote(denied)}")
                relation = Relation.CONTRADICTS
        elif claim.topic_cues:
            relation = Relation.UPDATES  # the expected event is reported as happening
        elif not (negation_of(view, position) or denial_of(view, position)):
            return None  # a bare mention; "no big offensive is coming" is flipped below
    else:
        topic_tokens = {
            i
            for key, hits in view.claim.items()
            if key.startswith(f"{claim.id}:")
            for h in hits
            for i in range(h.start, h.end)
        }
        stops = [
            e
            for e in view.events
            if e.value in ("stop", "withdraw")
            and e.start not in topic_tokens  # "urge to withdraw": the withdrawal is the topic itself
            and not negation_of(view, e.start)
            and claim.kind == "activity"
        ]
        if claim.kind == "history" and any(0 < position - c.start <= 1 for c in view.mod("after")):
            return None  # "after the liberation of X, deminers ...": a date, not a report on the victory
        if claim.kind == "history":  # the other side takes back what was won
            stops = [e for e in view.events if e.value in ("gain", "recapture") and _by_other(claim, view, e)]
            if any(0 < position - r.start <= _LEAD_WINDOW for r in view.mod("relative")):
                # "Vovchansk, a town that Ukraine liberated in 2022": background; the main clause's doer decides
                subject = next((a for a in view.actors if a.label == "actor"), None)
                if subject is None or subject.value in claim.actors or subject.start > position:
                    return None
                stops = [
                    e for e in view.events if e.value in ("gain", "attack") and e.start not in topic_tokens
                ]
            doer = agent_of(view, position, position + 1, passive=False)
            # "was not a victory for Ukraine": a negated victory names its winner after it
            named = negation_of(view, position) and any(a.value in claim.actors for a in view.actors)
            if not stops and doer is not None and doer.value not in claim.actors and not named:
                return None
        updates = view.claim.get(f"{claim.id}:update", [])
        if updates or stops:
            cue = (updates or stops)[0]
            relation = Relation.UPDATES
            reasons.append(f"update: {quote(cue)}")
            explicit = 0.15
        elif (retold := _retold(view, position)) is not None:
            # "officials who earlier urged X now back Y": a stance retold is no new confirmation, a turn updates
            turn = view.mod("change") + view.mod("shift")
            if not turn:
                return None
            relation = Relation.UPDATES
            reasons += [f"retold: {quote(retold)}", f"change: {quote(turn[0])}"]
            explicit = 0.15
    disputed = False
    called_false = [d for d in view.mod("dispute") if not negation_of(view, d.start)]
    if called_false and not modalised(view, called_false[0].start):  # "the offensive was a mirage"
        relation, disputed = Relation.CONTRADICTS, True
        reasons.append(f"dispute: {quote(called_false[0])}")
        explicit = 0.15
    for label, rel in (("contradict", Relation.CONTRADICTS), ("confirm", Relation.CONFIRMS)):
        hits = view.claim.get(f"{claim.id}:{label}")
        if hits and not (rel is Relation.CONFIRMS and relation is Relation.UPDATES):  # a breach outranks
            relation = rel
            reasons.append(f"{label}: {quote(hits[0])}")
            explicit = 0.15
            disputed = disputed or rel is Relation.CONTRADICTS
    # the claim's own dispute words ("on paper", "for show") are often denial words too: not a double flip
    flipped = relation if disputed or failed else flip(relation, view, position, reasons)
    if claim.kind == "forecast" and flipped is not relation and flipped is not Relation.UPDATES:
        flipped = (
            Relation.CONTRADICTS
        )  # "will not withdraw", "no offensive is coming": the forecast is disputed
    if flipped is None:
        return None
    score = 0.55 + 0.2 + (0.1 if places else 0.0) + explicit
    names = tuple(dict.fromkeys(view.names[h.place_id] for h in places))
    return Reading(
        flipped,
        min(1.0, round(score, 3)),
        names,
        tuple(place_reasons(view, places[:1]) + reasons),
        _own_tokens(claim, view),
    )


def _retold(view: View, position: int) -> Cue | None:
    """A retelling cue just before the topic in its clause ("who had urged", "ранее призывавшие")."""
    clauses = view.tokens.clauses
    for cue in view.mod("retold"):
        if 0 <= position - cue.start <= _LEAD_WINDOW and clauses[cue.start] == clauses[position]:
            return cue
    return None


# How far (in words) before the topic a retelling or relative cue governs it ("who in January
# urged", "that Ukraine freed").
_LEAD_WINDOW = 4


def _own_tokens(claim: ClaimSpec, view: View) -> frozenset[int]:
    """The tokens a topic-driven reading rests on: its topic phrases and its topic events."""
    spans = [h for key, hits in view.claim.items() if key.startswith(f"{claim.id}:") for h in hits]
    spans += [e for e in view.events if e.value in claim.topic_cues]
    return frozenset(i for cue in spans for i in range(cue.start, cue.end))


# The event that settles a forecast the other way: deciding to hold rather than withdraw.
_OPPOSITE = {"withdraw": "hold", "start": "stop"}


def _settled(claim: ClaimSpec, view: View) -> Reading | None:
    """A decision that settles the forecast question: "decided to keep defending X" → updates."""
    decisions = view.mod("decision")
    if not decisions or not claim.topic_cues:
        return None
    for event in view.events:
        expected = event.value in claim.topic_cues
        if expected and not negation_of(view, event.start):
            continue  # "decided to withdraw" is the forecast event itself, read as usual
        if not expected and event.value not in {_OPPOSITE.get(c) for c in claim.topic_cues}:
            continue
        agent = agent_of(view, event.start, event.end, passive=False)
        if agent is not None and agent.value not in claim.actors:
            continue
        reasons = [f"decision: {quote(decisions[0])}", f"event: {quote(event)} → {EVENT_NAMES[event.value]}"]
        if expected:
            reasons.append(f"negation: {quote(negation_of(view, event.start))}")  # type: ignore[arg-type]
        names = tuple(
            dict.fromkeys(view.names[h.place_id] for h in view.places if h.place_id in claim.places)
        )
        return Reading(Relation.UPDATES, 0.85, names, tuple(reasons), frozenset([event.start]), True)
    return None


def _by_other(claim: ClaimSpec, view: View, event: Cue) -> bool:
    agent = agent_of(view, event.start, event.end)
    return agent is not None and agent.value not in claim.actors and agent.value != claim.actor


def _modal_by_other(claim: ClaimSpec, view: View) -> bool:
    """Is the future/modal cue said by someone else ("US urges Ukraine to leave")?"""
    allowed = claim.actors | {claim.actor}
    for cue in view.mod("modal"):
        agent = agent_of(view, cue.start, cue.end, passive=False)
        if agent is not None and agent.value not in allowed:
            return True
    return False


# How far (in words) a figure may stand from the topic word when the counted side is not its subject.
_FIGURE_WINDOW = 6


def quantity(claim: ClaimSpec, view: View) -> Reading | None:
    found = _topic_position(claim, view)
    if found is None:
        return None
    position, reasons = found
    agent = agent_of(view, position, position + 1)
    sources = [a for a in view.actors if a.value == claim.source]
    denials = [d for d in view.mod("denial") + view.mod("dispute") if not negation_of(view, d.start)]
    revisions = view.mod("revision")
    tokens = _own_tokens(claim, view)
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
    if doer is None:
        return None
    reasons.append(f"actor: {quote(doer)} → {doer.value}")
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
    found = _topic_position(claim, view)
    places = _claim_places(claim, view)
    sources = [a for a in view.actors if a.value == claim.source]
    if places is None or not sources:
        return None
    disputes, changes = view.mod("denial"), view.mod("change")
    if found is None and not (places and (disputes or changes)):
        return None  # without the topic, only "<source> is wrong / has revised its view on <place>"
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
            relation, 0.8, names, tuple(place_reasons(view, places[:1]) + reasons), _own_tokens(claim, view)
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
    if against is not None:
        stance = "negative" if stance == "positive" else "positive"
        reasons.append(f"negation: {quote(against)}")
    reasons.append(f"stance: {quote(cue)} → {stance}")
    if any(0 <= cue.start - r.start <= _LEAD_WINDOW for r in view.mod("retold")):
        # "the earlier judgement that it was justified needs revising": the old stance retold, not repeated
        if not view.mod("change"):
            return None
        relation = Relation.UPDATES
        reasons.append(f"change: {quote(view.mod('change')[0])}")
    elif stance == claim.stance:
        relation = Relation.CONFIRMS
    elif view.mod("change"):
        relation = Relation.UPDATES
        reasons.append(f"change: {quote(view.mod('change')[0])}")
    else:
        relation = Relation.CONTRADICTS
    names = tuple(dict.fromkeys(view.names[h.place_id] for h in places))
    return Reading(
        relation, 0.85, names, tuple(place_reasons(view, places[:1]) + reasons), _own_tokens(claim, view)
    )
