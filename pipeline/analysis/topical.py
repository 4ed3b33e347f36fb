"""Reading a sentence against a topic-driven claim: activity, forecast, history (quantity, assessment: stance.py).

A topic claim needs every one of its topic phrase groups (and topic events) in the sentence, and a doer among
its actors (or one of its places): that is how it keeps off sentences that merely share a word. A negation may
govern any of the topic's words ("the West did not send tanks"). An actor followed by a verb of saying ("МИД
России заявил, что...") is the speaker, not the doer, and another side named between the speaker and the topic
owns the deed ("Moscow said Ukrainian soldiers train for a spring offensive" is no Russian one), while a side
named after the topic as its speaker (", Ukrainian officers say") only reports it; with no side
named at all, an activity of several topic groups is its one natural actor's ("в Европе не готовят ударные
бригады"). Activity: done → confirms, a stop, a completion ("recruits completed the course", "навчання
завершилося") or the claim's `update` phrase (end states: "reached its target", "now fighting") → updates; a
speaker's own earlier stance judged hasty ("we were too quick to tell
Kyiv to leave", "advice overtaken by events", "зарано радили") → updates; a stance only retold ("officials who earlier urged") gives nothing, unless it
turned ("... now argue") → updates. Any kind called untrue by name ("a mirage", "no sign of", "міф") →
contradicts; so does an activity whose topic is followed by a denial opening a reported clause ("the
training is limited, and denied that it was preparing a strike force"), unless that clause reports a stop,
and a negated purpose after the topic ("trained abroad, but never preparation for an offensive", "не
підготовка до наступу"). Forecast: expected (or the claim's own confirm phrase: "all options on the table") →
confirms, happened or failed ("never materialised", "так и не состоялось",
"culminated") → updates (a future word describing the forecast's noun is no modal of its start: "the
long-expected offensive has begun" came true; a start right by the forecast's noun needs no scope word:
"наступ росіян уже почався"), negated or denied → contradicts; a decision to do the opposite ("decided to keep
defending"), or doing it while the event is talked down ("fresh brigades sent in, ending talk of retreat"),
settles it → updates; a general forecast (no places of its own) in a sentence naming a place needs
a scope word by its event ("a major offensive"), else it is a local push ("no offensive in Zaporizhzhia"):
nothing. History: recalled (also on an anniversary: "a year since liberation") → confirms, a bare "after/since
the liberation" is a date and "returned" without the place as object or a side named is another sense
("вернули животных"): nothing; undone by the other side → updates, a negated victory ("not a victory for
Ukraine") → contradicts; recalled in a relative clause ("a town that Ukraine freed") it is background:
nothing, unless the main clause's other-side doer gains or attacks there → updates.

The forecast questions (begun, settled, local, attributive future words) live in forecast.py.
`quantity` and `assessment` (stance.py) are re-exported here (`__all__`) so relation.py reads every topic kind
from one module.
"""

from __future__ import annotations

from pipeline.analysis.forecast import attributive, begun, local, modal_by_other, settled
from pipeline.analysis.reading import (
    EVENT_NAMES,
    ClaimSpec,
    Cue,
    Reading,
    View,
    agent_of,
    denial_of,
    flip,
    modalised,
    negation_of,
    place_reasons,
    quote,
)
from pipeline.analysis.stance import (
    LEAD_WINDOW,
    assessment,
    claim_places,
    own_tokens,
    quantity,
    topic_position,
)
from pipeline.records import Relation

__all__ = ["assessment", "quantity", "topical"]  # relation.py reads all three kinds from here


def _of_attack(view: View, stop: Cue, topic_tokens: set[int]) -> bool:
    """Is the stop another attack's ("assaults petered out" beside trenches), not the activity's own end?"""
    clauses = view.tokens.clauses
    return any(
        e.value == "attack"
        and e.start
        not in topic_tokens  # the claim's own push ("attacks in Zaporizhzhia halted") ends with it
        and clauses[e.start] == clauses[stop.start]
        and (0 <= stop.start - e.end <= 5 or 0 <= e.start - stop.end <= 1)
        for e in view.events
    )


def _doer_ok(claim: ClaimSpec, view: View, position: int, reasons: list[str]) -> bool:
    allowed = claim.actors | {a for a in (claim.actor, claim.source) if a}
    agent = agent_of(view, position, position + 1, passive=False)
    speaker = None
    if agent is not None and any(
        agent.end <= r.start <= agent.end + 3 and r.end <= position for r in view.mod("reporting")
    ):
        # "Russia's foreign ministry said that ... tanks": who speaks, not who sends
        speaker, agent = agent, None
    between = [a for a in view.actors if speaker and speaker.end <= a.start < position]
    if any(a.value not in allowed for a in between):
        # "Moscow said Ukrainian soldiers train for a spring offensive": the deed is the side named
        return False
    if agent is not None and agent.value not in allowed and claim.kind != "history":
        return False  # someone else does it: Russia sending tanks is not the West sending them
    present = [a for a in view.actors if a.value in allowed]
    if agent is None and not present and not claim.places and not _implicit_doer(claim, view):
        return False  # neither a doer nor a place: too little to tie the sentence to the claim
    # "..., Ukrainian officers say": a side named after the topic as the speaker only reports the deed
    others = [
        a
        for a in view.actors
        if a.label == "actor" and a.value not in allowed and not (a.start > position and _speaks(view, a))
    ]
    if agent is None and not present and others and claim.kind in ("activity", "forecast"):
        return False  # "an adviser to Zelensky said the army could pull back": only another side is named
    shown = agent or (present[0] if present else None)
    if shown is not None:
        reasons.append(f"actor: {quote(shown)} → {shown.value}")
    return True


def _speaks(view: View, actor: Cue) -> bool:
    """Is the actor followed by a verb of saying ("Ukrainian officers say")?"""
    return any(actor.end <= r.start <= actor.end + 2 for r in view.mod("reporting"))


def _implicit_doer(claim: ClaimSpec, view: View) -> bool:
    """A doerless activity ("в Европе не готовят бригады") is its one natural actor's, if no side is named.

    Only for a topic of several groups (training + troops + abroad): one word ("trenches") is too little.
    """
    named = any(a.label == "actor" for a in view.actors)
    return claim.kind == "activity" and claim.actor is not None and claim.groups > 1 and not named


def topical(claim: ClaimSpec, view: View) -> Reading | None:
    places = claim_places(claim, view)
    if claim.kind == "forecast" and places is not None:
        decided = settled(claim, view)
        if decided is not None:
            return decided
    found = topic_position(claim, view) or begun(claim, view)
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
    future = view.mod("future") + view.mod("modal") + view.mod("modal_after")
    failed = view.mod("unrealised") if claim.kind == "forecast" else []
    if claim.kind == "forecast":
        if modal_by_other(claim, view) or local(claim, view):
            return None
        described = attributive(claim, view)  # "the long-expected offensive has begun": it came true
        starts = [
            e
            for e in view.events
            if e.value in ("start", "stop") and not modalised(view, e.start, skip=described)
        ]
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
        elif claim.topic_cues and any(e.value in claim.topic_cues for e in view.events):
            if all(view.stale(e) for e in view.events if e.value in claim.topic_cues):
                return None  # "the baker, who left X in 2014": a deed of another year, not the forecast's
            relation = Relation.UPDATES  # the expected event is reported as happening
        elif claim.topic_cues:
            pass  # only the claim's own confirm phrase ("all options on the table"): confirmed below
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
            and not _of_attack(view, e, topic_tokens)
        ]
        # "recruits completed the course", "the mission finished its target", "навчання завершилося": the
        # activity reached a new state (trained, not being trained), as analysts label it
        if claim.kind == "activity":
            stops += [c for c in view.mod("completion") if not negation_of(view, c.start)]
        if claim.kind == "history" and _background(claim, view, position):
            return None
        if claim.kind == "history":  # the other side takes back what was won
            stops = [e for e in view.events if e.value in ("gain", "recapture") and _by_other(claim, view, e)]
            if any(0 < position - r.start <= LEAD_WINDOW for r in view.mod("relative")):
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
        hindsight = view.mod("hindsight") if claim.kind == "activity" else []
        if updates or stops:
            cue = (updates or stops)[0]
            relation = Relation.UPDATES
            reasons.append(f"update: {quote(cue)}")
            explicit = 0.15
        elif hindsight and not negation_of(view, hindsight[0].start):
            # "we were too quick to tell Kyiv to leave", "advice overtaken by events": the stance turned
            relation = Relation.UPDATES
            reasons.append(f"hindsight: {quote(hindsight[0])}")
            explicit = 0.15
        elif (retold := _retold(view, position)) is not None:
            # "officials who earlier urged X now back Y": a stance retold is no new confirmation, a turn updates
            turn = view.mod("change") + view.mod("shift")
            if not turn and denial_of(view, position) is None:
                return None
            # "denied reports that Washington had advised Kyiv to leave": the retold stance disputed (flipped below)
            relation = Relation.UPDATES if turn else Relation.CONFIRMS
            reasons += [f"retold: {quote(retold)}"] + ([f"change: {quote(turn[0])}"] if turn else [])
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
    if not disputed and relation is Relation.CONFIRMS and claim.kind == "activity":
        # "... training, and denied that it was preparing ..."; "trained abroad, but never preparation for an offensive"
        for label, find in (("denial", _later_denial), ("purpose denied", _denied_purpose)):
            against = find(view, position)
            if against is not None:
                relation, disputed = Relation.CONTRADICTS, True
                reasons.append(f"{label}: {quote(against)}")
                break
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
        own_tokens(claim, view),
    )


def _background(claim: ClaimSpec, view: View, position: int) -> bool:
    """Is the history topic word only a date or another sense of the word, not a report on the victory?"""
    if any(0 < position - c.start <= 1 for c in view.mod("after")) and not view.mod("anniversary"):
        return True  # "after the liberation of X, deminers ...", but "X marks a year since liberation" recalls it
    if not any(c.start == position for c in view.mod("returned")):
        return False
    # "вернули животных": "returned" is a war event only with a place of the claim as object or a side named
    own = any(h.place_id in claim.places and 0 < h.start - position <= 2 for h in view.places)
    return not own and not any(a.label == "actor" for a in view.actors)


def _later_denial(view: View, position: int) -> Cue | None:
    """A denial after the topic that opens a reported clause: "said the training is limited and denied that"."""
    light = view.tokens.light
    nouns = {c.start for c in view.mod("statement")}
    for cue in view.mod("denial"):
        at = (
            cue.end + 1
            if cue.end in nouns or (cue.end < len(light) and light[cue.end] in _CLAIM_NOUNS)
            else cue.end
        )
        # "denied that ...", and "rejecting reports that ...", "заперечив повідомлення, що ..."
        opens = at < len(light) and light[at] in ("that", "що", "что")
        # "denied that the courses had been halted" denies a stop: that keeps the activity going
        stopped = any(e.start > cue.start and e.value in ("stop", "withdraw") for e in view.events)
        if cue.start > position and opens and not stopped and not negation_of(view, cue.start):
            return cue
    return None


# English nouns of what is reported, between a denial and its "that" ("rejecting reports that")
_CLAIM_NOUNS = frozenset({"reports", "claims", "suggestions", "speculation", "allegations", "statements"})


def _denied_purpose(view: View, position: int) -> Cue | None:
    """A negated purpose at or after the topic: "the courses were never preparation for an offensive"."""
    for cue in view.mod("purpose"):
        if cue.start >= position and negation_of(view, cue.start):
            return cue
    return None


def _retold(view: View, position: int) -> Cue | None:
    """A retelling cue just before the topic in its clause ("who had urged", "ранее призывавшие")."""
    clauses = view.tokens.clauses
    for cue in view.mod("retold"):
        if 0 <= position - cue.start <= LEAD_WINDOW and clauses[cue.start] == clauses[position]:
            return cue
    return None


def _by_other(claim: ClaimSpec, view: View, event: Cue) -> bool:
    agent = agent_of(view, event.start, event.end)
    return agent is not None and agent.value not in claim.actors and agent.value != claim.actor
