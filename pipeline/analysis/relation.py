# ruff: noqa: RUF001, RUF002, RUF003 -- Cyrillic examples and cue words are the data here
"""Reading one sentence against one claim: confirms, updates or contradicts — or nothing.

`read` dispatches on the claim's kind; control claims are decided here (expulsions, hypotheses and the
disputes that need no event in `control`), topic-driven kinds in `topical`, and the shared cue questions
(doer, negation, denial, nearest place) live in `reading`.

The sentence arrives as a `View`: its place hits, event cues (gain, loss, hold, attack, withdraw,
encircle, start, stop), modifiers (negation, denial, continuity, future, partial, near...), actors and
the claim's own topic phrases, all with token positions. The claim's *kind* and *state* decide:

- control (holder H, rival R, status): each event near a claim place gives a new holder or an
  ongoing fight. "R captured X" / "H withdrew from X" → updates when H held it; "H holds X",
  "fighting in X" → confirms while contested; encirclement completed → updates, attempted → confirms.
  For a place the claim says was captured, "H took X" restates it (confirms), "R retook X" updates,
  "R still holds X" or "fighting continues in X" contradicts.
- activity: the topic phrases done by a claim actor confirm; a stop cue or a claim `update` phrase
  (delayed, halted, breached) updates.
- quantity: a number (digits or "hundreds", "сотні") near the topic, per the claim's period:
  inside the claim's range confirms, outside updates.
- assessment: the claim's source with a stance word: same stance confirms, opposite contradicts,
  opposite with "now"/"no longer" updates.
- forecast: future or modal cue confirms; the event happening (start, or the event without any
  future cue) updates; negated or denied contradicts.
- history: the past event mentioned again confirms; denied contradicts.

Negation (within 4 tokens before, same clause; anywhere before when it opens the clause: "No Ukrainian
troops are being trained", "Ніхто не радив"; or a postposed "не було", "never happened" just after the
event) and reported denial (denied, спростував, опроверг;
applying to what follows it in its clause, or in a reported clause it opens with "that/що/что" when no
event or new verb of saying comes between, up to "and that"/"and says"; or to what precedes when nothing
follows, back to an earlier denial, which already has its object) flip a reading: a denied
confirmation contradicts, a denied update (a stop, a halt, a capture by the rival, a withdrawal)
confirms the baseline state, a denied contradiction gives nothing (`reading._FLIP`). "No longer" turns a negated hold into an update.

Actor roles: the doer is the actor after "by/to/силами", else the nearest actor before the cue that
is not the object of a preposition ("in Ukraine", "проти Росії"), else one right after it (Russian
and Ukrainian passives: "взят ВС РФ"). Events are tied to the nearest place, so "Russia took Soledar
and is attacking Bakhmut" gives Soledar the capture and Bakhmut the attack.

A negated withdrawal by the holder ("refused to pull troops out of X", "отказался выводить войска") is flipped
like any denied update: the holder stays (confirms); a vowed one ("will not withdraw") stays a decision.

A modal or future cue before a change of hands holds it open ("may fall", "urged to pull out"), but
weighing or discussing a fall reports it ("analysts weigh X's fall"): only a decision is weighed.

An event in a relative clause right after a landmark ("villages near Bakhmut, which Russia captured
in May") is the landmark's own news: it confirms nothing about the villages around it.

A first-person hold ("X is ours", "Бахмут наш") is the speaker's: the doer, else the one side of the
claim named in the sentence ("Пригожин: Артемовск наш"); with no such speaker it gives nothing. A place
right before a hold is its subject ("Russians storm X, but the town holds", "місто тримається"): the
stormers named earlier are not its keepers, so it holds for the claim's holder.

An expel ("pushed Ukrainians back", "drove X out of", "вибили росіян з", "оттеснили ВСУ от") is a loss of the
side driven out: its object, a passive's subject (or, with no object, the side before "from": "troops forced
back from X", "ВСУ выбили из X"), else the pusher's rival; so the attacker pushed back from a
contested place ends its push (updates) even near it. "Pushed back an assault" repels it (a hold), "to push
them back" is an aim (an attack).

A side denying a loss denies its own ("Минобороны РФ опровергает потерю X": the capture stands), and a
liberation with no doer is the speaking side's ("освобождение Артемовска, пишут военкоры" is Russia's).
A threat to the supply lines is the ring being closed, not closed; "slow" right before an advance describes it.

Within a sentence the strongest event wins; a change of hands that updates the claim (captured,
withdrew, retook) outranks an encirclement or attack reading beside it.

An event right after "after/після/после", or inside a phrase such a marker opens (up to the clause
break or the next event: "After the liberation of X, deminers…", "після того як росіяни захопили X, …")
only dates the news: it is read only when no other event gives a reading ("the advance after the
capture of X slowed" → the slowdown). For a captured place, a
stop of the holder's advance in the same clause, or after "after X", updates (the pace since changed).

A claim place used as a landmark ("villages north of Bakhmut", "під Бахмутом") speaks to the
place only through an attack and only when no other place is named: the capture of a village near
the city is that village's news; a place found through coreference ("the city") is never
such a landmark. "A failed assault" reads as an attack (the assaults go on), not as
a stalled offensive.

An event after a conditional in its clause ("if Russian troops close the ring", "у разі загрози оточення",
"если X падет") is a hypothesis, and one followed by "elsewhere" ("на других участках") is not at the place:
control claims read nothing from either.

Retrospective judgements dispute a claim: a worry about a contested or surrounded place called unfounded
("January alarm over X was misplaced", "тривога щодо X перебільшена") contradicts it when no event reads; an
objective's attack called only a diversion ("a feint", "отвлекающий манёвр") or a negated intent ("never
meant to take X") contradicts the aim.

False positives are avoided by demanding an event or topic cue next to a claim place or actor: a
mere mention, or another story at the same place (a missile strike, a concert), reads as nothing,
and the "ignore" lexicon masks false friends (fuel tanks, offensive remarks, withdraw from a deal);
[control.not_event] keeps an institution's words from being events ("міністр оборони", "лінія оборони").

Known failure modes: clause structure is approximated by punctuation and a few conjunctions; long
sentences with several places and events can tie an event to the wrong place; sarcasm, hypotheticals
("if Bakhmut falls") and quotes of old statements read as current.
"""

from __future__ import annotations

from pipeline.analysis.control import (
    AIM,
    alarm_dispelled,
    denier,
    expelled,
    hypothetical,
    objective_denied,
    place_subject,
)
from pipeline.analysis.places import PlaceHit
from pipeline.analysis.reading import (
    EVENT_NAMES,
    ClaimSpec,
    Cue,
    Reading,
    View,
    agent_of,
    attempted,
    dated_by,
    denial_of,
    flip,
    is_near,
    modalised,
    nearest_place,
    negation_of,
    part_given_up,
    part_only,
    place_reasons,
    quote,
)
from pipeline.analysis.topical import assessment, quantity, topical
from pipeline.records import Relation

__all__ = [
    "EVENT_NAMES",
    "ClaimSpec",
    "Cue",
    "Reading",
    "View",
    "agent_of",
    "denial_of",
    "negation_of",
    "read",
]


def read(claim: ClaimSpec, view: View) -> Reading | None:
    """How this sentence bears on this claim, or None when it does not speak to it."""
    if claim.kind == "control":
        return _control(claim, view)
    if claim.kind == "quantity":
        return quantity(claim, view)
    if claim.kind == "assessment":
        return assessment(claim, view)
    return topical(claim, view)


# ------------------------------------------------------------------ control


_HANDS = frozenset({"gain", "loss", "withdraw", "recapture"})
# what a landmark ("villages near X") speaks through: a change of hands or an attack around it
_LANDMARK = frozenset({"gain", "loss", "withdraw", "recapture", "attack"})
# stop words that are also adjectives of pace: right before an advance they describe it, not end it
_PACE = frozenset({"slow", "slower", "slowest"})


def _other(claim: ClaimSpec, side: str | None) -> str | None:
    if side == claim.holder:
        return claim.rival
    if side == claim.rival:
        return claim.holder
    return None


def _relative_of(view: View, place: PlaceHit, event: Cue) -> bool:
    """Is the event in a relative clause opened right after the place ("Bakhmut, which fell in May")?"""
    return any(place.end <= r.start <= place.end + 1 and r.start < event.start for r in view.mod("relative"))


def _speaker_side(claim: ClaimSpec, view: View, agent: str | None) -> str | None:
    """The side saying "ours": the doer, else the one side of the claim named in the sentence."""
    if agent is not None:
        return agent
    # "звільнено від окупантів": the side after a preposition is what the place was freed from, not who speaks
    sides = {a.value for a in view.actors if a.value in (claim.holder, claim.rival) and a.label != "object"}
    return sides.pop() if len(sides) == 1 else None


def _control(claim: ClaimSpec, view: View) -> Reading | None:
    # "the city" stands for a place the item named, never for a landmark of another claim's villages
    own = [
        h
        for h in view.places
        if h.place_id in claim.places or (h.place_id in claim.near and h.how != "coreference")
    ]
    if not own:
        return None
    # an evaluation ("holding X is a mistake") is no report of the fight, but a change of hands beside it is
    # one ("after the loss of X the dispute over its defence is closed", "the capture of X a pyrrhic victory")
    evaluation = bool(view.mod("stance_positive") or view.mod("stance_negative"))
    if claim.status == "objective":
        disputed = objective_denied(view, own[0])
        if disputed is not None:
            return disputed
    best: tuple[float, Relation, list[str], PlaceHit, Cue] | None = None
    # events right after "after/після/после" come last: they count only when nothing else does (unless
    # negated: "did not accelerate after the capture of X" disputes what the capture brought)
    dated = {
        e.start for e in view.events if dated_by(view, e.start) is not None and not negation_of(view, e.start)
    }
    elsewhere = view.mod("elsewhere")
    for event in sorted(view.events, key=lambda e: e.start in dated):
        if hypothetical(view, event) or (elsewhere and any(0 <= c.start - event.end <= 3 for c in elsewhere)):
            continue  # "if Russian troops close the ring": a hypothesis; "offensives elsewhere": not here
        if evaluation and (event.value not in _HANDS or negation_of(view, event.start)):
            continue
        if view.stale(event):
            continue  # "who left X in 2014", "captured in 2022": history, not news of the place
        place = nearest_place(view, event)
        if place is None or place not in own:
            continue
        if event.value == "expel" and place.start < event.start:
            continue  # driven out of the place named after it; "a club from X forced out of the cup" is not
        if event.value == "withdraw" and _destination(view, event, place):
            continue  # "ВСУ отошли на рубежи у X", "fell back to positions near X": X is where they went
        if _other_object(view, event, place):
            continue  # "the capture of the salt-mining town allowed Wagner to attack X": another town's capture
        near = is_near(view, place)
        landmark = place.place_id in claim.near and place.place_id not in claim.places
        if landmark and (not near or _relative_of(view, place, event) or event.value not in _LANDMARK):
            # "near Bakhmut, which Russia captured": the landmark's own news, not the villages'; "pushed
            # Russians back near X", "repelled attacks near X" name no village changing hands
            continue
        if near and place.place_id in claim.places and claim.status != "captured":
            others = any(h.place_id not in claim.places for h in view.places)
            if others or event.value not in ("attack", "stop", "expel"):
                continue  # "villages north of Bakhmut": the city is a landmark for another place's news
        if best is not None and event.start in dated:
            continue  # "the advance after the capture of X slowed": the capture only dates the news
        reasons: list[str] = []
        outcome = _control_event(claim, view, event, place, near, reasons)
        if outcome is None:
            continue
        kind = outcome[1]  # weighed as read: "attempts to retake X" weighs as an attack, not a recapture
        # a counter-attack without gains is still the fight going on: its negation is part of the report
        relation = outcome[0] if kind == _STALLED else flip(outcome[0], view, event.start, reasons)
        if relation is None:
            continue
        score = 0.3 * place.score + 0.5 * view.weights.get(kind, 0.5) + 0.05 * len(reasons)
        if relation is Relation.UPDATES and kind in _HANDS:
            score += 0.1  # a change of hands is the news; "no units were cut off" beside it is detail
        if best is None or score > best[0]:
            best = (score, relation, reasons, place, event)
    if best is None:
        return alarm_dispelled(claim, view, own)
    score, relation, reasons, place, event = best
    return Reading(
        relation,
        min(1.0, round(score + 0.1, 3)),
        (view.names[place.place_id],),
        tuple(place_reasons(view, [place]) + reasons),
        frozenset(range(event.start, event.end)),
    )


def _progress(view: View, event: Cue) -> bool:
    """Is the attack word one of progress ("gains", "advance", "просунулися")?"""
    return any(c.start == event.start for c in view.mod("progress"))


def _no_progress(claim: ClaimSpec, view: View, event: Cue, agent: str | None) -> bool:
    """Is a negated attack word a progress that did not happen, by a side that does not hold the place?"""
    if not _progress(view, event):
        return False
    if claim.status == "captured":
        return agent == claim.rival  # "Ukraine made no gains at X": the holder keeps it
    return agent != claim.holder


def _destination(view: View, event: Cue, place: PlaceHit) -> bool:
    """Is the place after a withdrawal where the troops went ("withdrew to positions near X", "отошли на рубежи у X")?"""
    light = view.tokens.light
    return (
        event.end < len(light)
        and light[event.end] in _TOWARDS
        and event.end < place.start <= event.end + 4
        and view.tokens.clauses[place.start] == view.tokens.clauses[event.start]
    )


_TOWARDS = frozenset({"to", "towards", "toward", "на", "до", "к", "в", "у"})


def _other_object(view: View, event: Cue, place: PlaceHit) -> bool:
    """Is an event noun's "of" object another thing than the place ("the capture of the salt-mining town")?"""
    light = view.tokens.light
    if event.end >= len(light) or light[event.end] != "of" or place.start <= event.end:
        return False
    if event.start == 0 or light[event.start - 1] not in _DETERMINERS:
        return False  # a verb with "of" after it ("forced out of the last blocks of X") keeps its place
    return not any(event.end < h.start <= event.end + 4 for h in view.places)


_DETERMINERS = frozenset({"the", "a", "an", "its", "their", "his", "her", "this", "that"})


def _holder_stalled(claim: ClaimSpec, view: View, event: Cue, agent: str | None) -> bool:
    """Is a negated progress the holder's counter-attack on a contested place ("attacks without gains")?"""
    return _progress(view, event) and claim.status == "contested" and agent == claim.holder


# a read kind: attacks that made no gains, the fight goes on (its negation is not flipped)
_STALLED = "stalled"


def _inside(view: View, place: PlaceHit, event: Cue) -> bool:
    """Is the event inside the place, named right after it ("fighting in X", "бої в X")?"""
    light = view.tokens.light
    return event.end <= place.start and place.start > 0 and light[place.start - 1] in _IN


_IN = frozenset({"in", "inside", "у", "в", "во"})


def _liberator(claim: ClaimSpec, view: View, event: Cue) -> str | None:
    """ "Освобождение Соледара открыло дорогу на запад, пишут военкоры": each side liberates what it takes.

    A liberation with no doer is the side that speaks of it, when the sentence names only that side and
    does not dispute the event ("Moscow denies the liberation of X" is Kyiv's claimed liberation).
    """
    if not any(c.start == event.start for c in view.mod("liberation")):
        return None
    if view.mod("denial") or negation_of(view, event.start):
        return None
    return _speaker_side(claim, view, None)


def _control_event(
    claim: ClaimSpec, view: View, event: Cue, place: PlaceHit, near: bool, reasons: list[str]
) -> tuple[Relation, str] | None:
    """The relation an event gives, and the kind it was read as (an attempted capture is an attack)."""
    captured = claim.status == "captured"
    agent_cue = agent_of(view, event.start, event.end)
    agent = agent_cue.value if agent_cue else None
    kind = event.value
    if agent is not None and agent not in (claim.holder, claim.rival):
        agent = None
    if kind == "expel":  # "pushed Ukrainians back": the side driven out loses the place (or its push)
        before = agent if agent_cue is not None and agent_cue.end <= event.start else None
        kind, agent, agent_cue = expelled(claim, view, event, before)
    negated = negation_of(view, event.start) is not None
    # the side expected to take the place next: the rival while contested, the holder once captured
    taker = claim.holder if captured else claim.rival
    if kind == "attack" and negated and _no_progress(claim, view, event, agent):
        kind = "gain"  # "no confirmed gains toward X", "failed to advance": a capture that did not happen
    elif kind == "attack" and negated and _holder_stalled(claim, view, event, agent):
        # "Russian troops kept up their attacks near X without confirmed gains", X contested and Russian-held
        reasons.append(f"event: {quote(event)} → attacks without gains by {agent}")
        return Relation.CONFIRMS, _STALLED
    new_holder: str | None = None
    if kind == "gain" and not captured and part_only(view, event) and not modalised(view, event.start):
        kind = "attack"  # "took the centre of X", "заняли центр X": the fight for the rest goes on
        reasons.append("partial: a part taken")
    elif kind == "gain":
        new_holder = agent or taker
    elif (
        kind == "recapture"
        and any(c.start == event.start for c in view.mod("repel_or_retake"))
        and any(
            0 < e.start - event.end <= 2 and view.tokens.clauses[e.start] == view.tokens.clauses[event.start]
            for e in view.events
            if e.value == "attack"
        )
    ):
        kind = "hold"  # "відбили штурм": an assault beaten back, not a place retaken
    elif kind == "recapture":
        new_holder = agent or _liberator(claim, view, event) or _other(claim, taker)
    elif kind == "withdraw" and part_given_up(view, event) and not modalised(view, event.start):
        kind = "attack"  # "pulled back from several positions in X": the fight for X goes on
        reasons.append("partial: a part given up")
    elif kind in ("loss", "withdraw"):
        if kind == "withdraw" and modalised(view, event.start):
            return None  # "will not withdraw", "urged to pull out": a decision, not a change of control
        if kind == "loss" and agent_cue is not None:
            if agent_cue.start >= event.end:  # "fell to Russian forces": the actor after gains it
                marked = any(event.end <= m.start <= event.end + 1 for m in view.mod("agent_after"))
                agent = _other(claim, agent) if agent is not None and marked else None
            elif agent_cue.end < event.start - 1:  # "Kyiv said X fell": a speaker, not the loser
                agent = None
        if agent is None:  # "Moscow denies the loss (the surrender) of X": a side denies its own
            agent = denier(claim, view, event)
        loser = agent or _other(claim, taker)
        new_holder = _other(claim, loser)
        if not captured and loser == claim.rival:
            reasons.append(f"event: {quote(event)} → {EVENT_NAMES[kind]} by {loser}")
            return Relation.UPDATES, kind  # the attacker pulls back: the assault is over
    name = EVENT_NAMES[kind]
    who = f" by {agent}" if agent else ""
    # "still", "пока" in another clause ("..., which Ukraine still holds") speaks of another verb
    continuity = [
        c for c in view.mod("continuity") if view.tokens.clauses[c.start] == view.tokens.clauses[event.start]
    ]
    if new_holder is not None and not negated:
        attempt = attempted(view, event.start)
        if attempt is not None:  # "seeks to take", "tried to capture": an attack, not a change
            reasons.append(f"partial: {quote(attempt)}")
            kind, new_holder = "attack", None
        elif modalised(view, event.start, decision=kind != "loss"):
            if captured or new_holder != claim.rival or near:
                return None  # "may fall", "could be taken": not a change of control
            # "Russian forces are likely to capture X in the coming weeks": the threat to a place still held
            reasons.append("future: the rival may take it")
            kind, new_holder = "attack", None
    if new_holder is not None:
        if near and not captured:
            return None  # a village near the city changed hands: that is another claim's news
        reasons.append(f"event: {quote(event)} → {name} ({new_holder} takes control)")
        return (Relation.CONFIRMS if new_holder == claim.holder else Relation.UPDATES), kind
    if kind == "hold":
        if agent_cue is not None and agent_cue.end <= place.start and place_subject(view, place, event):
            agent = None  # "Russians storm X, but the city holds": the place is the subject, not the stormers
        keeper = agent or claim.holder
        if any(event.start <= m.start < event.end for m in view.mod("first_person")):
            keeper = _speaker_side(claim, view, agent)  # "X is ours": whose "ours" only the speaker says
            if keeper is None:
                return None
        reasons.append(f"event: {quote(event)} → {name} by {keeper}")
        if keeper == claim.holder:
            return Relation.CONFIRMS, kind
        clause = view.tokens.clauses[place.start]
        if not captured and (
            part_only(view, event)
            or any(
                place.start - 3 <= c.end <= place.start and view.tokens.clauses[c.start] == clause
                for c in view.mod("direction_adjective")
            )
        ):
            # "holds eastern X", "controls 70% of X", "most of X": the town is split, the fight goes on
            return Relation.CONFIRMS, kind
        if captured and continuity:
            reasons.append(f"continuity: {quote(continuity[0])}")
            return Relation.CONTRADICTS, kind
        return Relation.UPDATES, kind
    if kind == "attack":
        reasons.append(f"event: {quote(event)} → {name}{who}")
        if not captured:
            return Relation.CONFIRMS, kind
        if agent != claim.rival and any(m.end <= place.start <= m.end + 2 for m in view.mod("after")):
            return Relation.CONFIRMS, kind  # "after X fell, units advance on": the advance from it goes on
        if agent == claim.rival and not near:
            if continuity and _inside(view, place, event):
                reasons.append(f"continuity: {quote(continuity[0])}")
                # "its troops are still fighting in X": the place never fell
                return Relation.CONTRADICTS, kind
            return Relation.UPDATES, kind
        if agent is None and continuity and not near:
            reasons.append(f"continuity: {quote(continuity[0])}")
            return Relation.CONTRADICTS, kind
        return None
    if kind == "stop":
        if view.tokens.light[event.start] in _PACE and any(e.start == event.end for e in view.events):
            return None  # "their slow advance": an adjective of the advance, which goes on
        clauses = view.tokens.clauses
        advancing = any(e.value == "attack" and clauses[e.start] == clauses[event.start] for e in view.events)
        # "the advance slowed after X fell", "after X, Wagner got bogged down": the pace since the capture
        since = any(m.start < place.start for m in view.mod("after"))
        own = place.place_id in claim.places  # not a landmark of the claim's villages
        if own and captured and (advancing or since) and agent in (None, claim.holder):
            reasons.append(f"event: {quote(event)} → the advance from it slowed")
            return Relation.UPDATES, kind  # "gains slowed after X fell": the pace since the capture changed
        if captured or agent == claim.holder:
            return None
        # "failed Vuhledar assault": the stop word qualifies the attack on the place; "halted its assault"
        # is a verb and its object
        if any(
            e.value == "attack"
            and e.start == event.end + 1
            and any(h.start == event.end for h in view.places)
            for e in view.events
        ):
            reasons.append(f"event: {quote(event)} → a repelled attack")
            return Relation.CONFIRMS, kind  # "a failed assault": the assaults go on
        reasons.append(f"event: {quote(event)} → {name}{who}")
        return Relation.UPDATES, kind  # the push on the place stalled or was called off
    if kind == "encircle":
        if captured or agent == claim.holder:
            return None
        partial = view.mod("partial") or view.mod("future")
        light = view.tokens.light
        if not partial and event.start > 0 and light[event.start - 1] in AIM:
            # "a push to encircle X", "наступ, щоб оточити": the aim of an attack, the ring not closed
            partial = [Cue("partial", "aim", event.start - 1, event.start, light[event.start - 1])]
        reasons.append(f"event: {quote(event)} → {name}{who}")
        if negated or denial_of(view, event.start):
            # flipped below to "contradicts": the encirclement threat is disputed
            return Relation.CONFIRMS, kind
        if partial:
            reasons.append(f"partial: {quote(partial[0])}")
            return Relation.CONFIRMS, kind
        if any(c.start == event.start for c in view.mod("supply")):
            return Relation.CONFIRMS, kind  # "Wagner probes the supply routes": the ring is being closed
        return Relation.UPDATES, kind  # the encirclement is reported complete
    return None
