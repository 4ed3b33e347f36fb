# ruff: noqa: RUF002, RUF003 -- Cyrillic examples and cue words are the data here
"""Reading one sentence against one claim: confirms, updates or contradicts — or nothing.

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

Negation (within 4 tokens before, same clause) and reported denial (denied, спростував, опроверг;
applying to what follows it, or to what precedes when nothing follows) flip a reading: a denied
confirmation contradicts, a denied update confirms. "No longer" turns a negated hold into an update.

Actor roles: the doer is the actor after "by/to/силами", else the nearest actor before the cue that
is not the object of a preposition ("in Ukraine", "проти Росії"), else one right after it (Russian
and Ukrainian passives: "взят ВС РФ"). Events are tied to the nearest place, so "Russia took Soledar
and is attacking Bakhmut" gives Soledar the capture and Bakhmut the attack.

A claim place used as a landmark ("villages north of Bakhmut", "під Бахмутом") speaks to the
place only through an attack and only when no other place is named: the capture of a village near
the city is that village's news. "A failed assault" reads as an attack (the assaults go on), not as
a stalled offensive.

False positives are avoided by demanding an event or topic cue next to a claim place or actor: a
mere mention, or another story at the same place (a missile strike, a concert), reads as nothing,
and the "ignore" lexicon masks false friends (fuel tanks, offensive remarks, withdraw from a deal).

Known failure modes: clause structure is approximated by punctuation and a few conjunctions; long
sentences with several places and events can tie an event to the wrong place; sarcasm, hypotheticals
("if Bakhmut falls") and quotes of old statements read as current.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.analysis.places import PlaceHit
from pipeline.analysis.text import Tokens
from pipeline.records import Relation

EVENT_NAMES = {
    "gain": "capture",
    "recapture": "recapture",
    "loss": "loss",
    "hold": "hold",
    "attack": "attack",
    "withdraw": "withdrawal",
    "encircle": "encirclement",
    "start": "start",
    "stop": "stop",
}
_NEGATION_WINDOW = 4
_PLACE_WINDOW = 14


@dataclass(frozen=True, slots=True)
class Cue:
    """A matched phrase in a sentence: its class, value (event, actor id, number...) and span."""

    label: str
    value: str
    start: int
    end: int
    surface: str


@dataclass(frozen=True, slots=True)
class ClaimSpec:
    """A claim compiled for reading: kind, state and the ids it refers to."""

    id: str
    kind: str
    places: frozenset[str]
    near: frozenset[str]
    actors: frozenset[str]
    holder: str | None
    rival: str | None
    status: str | None
    actor: str | None
    source: str | None
    stance: str | None
    low: float | None
    high: float | None
    per: str | None
    groups: int
    topic_cues: frozenset[str]


@dataclass(slots=True)
class View:
    """One sentence as cues with positions."""

    index: int
    text: str
    tokens: Tokens
    places: list[PlaceHit]
    events: list[Cue]
    mods: dict[str, list[Cue]]
    actors: list[Cue]
    claim: dict[str, list[Cue]]  # "<claim>:<group>", "<claim>:update", ... → hits
    numbers: list[Cue]
    weights: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # place id → canonical name

    def mod(self, name: str) -> list[Cue]:
        """Hits of one modifier class."""
        return self.mods.get(name, [])


@dataclass(frozen=True, slots=True)
class Reading:
    """The relation one sentence bears to one claim, with score and reasons."""

    relation: Relation
    score: float
    places: tuple[str, ...]
    reasons: tuple[str, ...]
    cues: frozenset[int] = frozenset()  # token positions the reading rests on (explaining-away)
    settles: bool = False  # a decision that closes the question outranks restatements of it


_FLIP = {Relation.CONFIRMS: Relation.CONTRADICTS, Relation.UPDATES: Relation.CONFIRMS}


def _q(cue: Cue) -> str:
    return f"'{cue.surface}'"


def agent_of(view: View, start: int, end: int, passive: bool = True) -> Cue | None:
    """The actor doing the event at [start, end), or None; `passive` allows "taken by X"."""
    actors = view.actors
    inside = [a for a in actors if start <= a.start < end]  # "under Russian control"
    if inside:
        return inside[0]
    adjacent = [a for a in actors if a.end == start]  # "Russian-held", "Ukrainian troops"
    follows = [a for a in actors if end <= a.start <= end + 2]
    if passive:
        for marker in view.mod("agent_after"):
            if end <= marker.start <= end + 1:
                after = [a for a in actors if marker.end <= a.start <= marker.end + 2]
                if after:
                    return after[0]
        if any(m.start <= start < m.end or m.end == end for m in view.mod("agent_follows")) and follows:
            return follows[0]
        progressive = view.tokens.light[start].endswith("ing")  # "is losing" is not a passive
        if not progressive and any(start - 2 <= m.start < start for m in view.mod("passive")):
            return None  # "was taken": the doer is only named after "by"
    if adjacent and adjacent[-1].label == "object":
        return adjacent[-1]
    doers = [a for a in actors if a.label == "actor" and a.end <= start]
    if doers:
        last = doers[-1]
        relative = any(last.end <= r.start < start for r in view.mod("relative"))
        doers_after = [a for a in follows if a.label == "actor"]
        if relative and doers_after:  # "the town, which Ukrainian forces hold"
            return doers_after[0]
        return last
    after = [a for a in follows if a.label == "actor"]
    return after[0] if after and passive else None  # "взят ВС РФ": only for events


def negation_of(view: View, start: int) -> Cue | None:
    """A negation shortly before `start` in the same clause."""
    clauses = view.tokens.clauses
    for cue in view.mod("negation"):
        if 0 < start - cue.start <= _NEGATION_WINDOW and clauses[cue.start] == clauses[start]:
            if any(m.start <= cue.start < m.end for m in view.mod("modal") + view.events):
                continue  # "does not rule out", "не принесло результатов": part of a phrase, not a negation
            return cue
    return None


def denial_of(view: View, start: int) -> Cue | None:
    """A reported denial governing the cue at `start` (what follows it, else what precedes it)."""
    anchors = sorted({e.start for e in view.events} | {start})
    clauses = view.tokens.clauses
    for cue in view.mod("denial"):
        if negation_of(view, cue.start):  # "did not deny"
            continue
        follows = [p for p in anchors if p > cue.start]
        # "denied the loss of X and said, that its troops hold it": the denial stops at its clause
        if (follows and start > cue.start and clauses[start] == clauses[cue.start]) or (
            not follows and start < cue.start
        ):
            return cue
    return None


def _flip(relation: Relation, view: View, start: int, reasons: list[str]) -> Relation | None:
    negation, denial = negation_of(view, start), denial_of(view, start)
    if negation:
        reasons.append(f"negation: {_q(negation)}")
    if denial:
        reasons.append(f"denial: {_q(denial)}")
    if negation or denial:
        change = view.mod("change")
        if negation and any(abs(c.start - negation.start) <= 1 for c in change):
            return Relation.UPDATES  # "no longer holds"
        return _FLIP.get(relation)
    return relation


def _modalised(view: View, start: int) -> bool:
    """A future or modal cue shortly before `start` in the same clause ("expected to launch")."""
    clauses = view.tokens.clauses
    return any(
        0 < start - c.start <= _NEGATION_WINDOW + 1 and clauses[c.start] == clauses[start]
        for c in view.mod("future") + view.mod("modal")
    )


def _attempted(view: View, start: int) -> Cue | None:
    clauses = view.tokens.clauses
    for cue in view.mod("partial"):
        if 0 < start - cue.start <= _NEGATION_WINDOW and clauses[cue.start] == clauses[start]:
            return cue
    return None


def _place_reasons(view: View, hits: list[PlaceHit]) -> list[str]:
    surface = view.tokens.surface
    return [
        f"place: '{' '.join(surface[h.start : h.end])}' → {view.names[h.place_id]} ({h.how})" for h in hits
    ]


def _nearest_place(view: View, cue: Cue) -> PlaceHit | None:
    best: PlaceHit | None = None
    best_distance = _PLACE_WINDOW + 1
    clauses = view.tokens.clauses
    for hit in view.places:
        distance = hit.start - cue.end + 1 if hit.start >= cue.end else cue.start - hit.end + 1
        if clauses[hit.start] != clauses[cue.start]:
            distance += 6  # prefer a place in the event's own clause
        if distance < best_distance:
            best, best_distance = hit, distance
    return best


def _is_near(view: View, hit: PlaceHit) -> bool:
    inside = {i for e in view.events for i in range(e.start, e.end)}  # "the ring around X" is one event
    before = any(hit.start - 3 <= c.end <= hit.start and c.start not in inside for c in view.mod("near"))
    after = any(hit.end <= c.start <= hit.end + 1 for c in view.mod("near_after"))
    return before or after


def read(claim: ClaimSpec, view: View) -> Reading | None:
    """How this sentence bears on this claim, or None when it does not speak to it."""
    if claim.kind == "control":
        return _control(claim, view)
    if claim.kind == "quantity":
        return _quantity(claim, view)
    if claim.kind == "assessment":
        return _assessment(claim, view)
    return _topical(claim, view)


# ------------------------------------------------------------------ control


def _other(claim: ClaimSpec, side: str | None) -> str | None:
    if side == claim.holder:
        return claim.rival
    if side == claim.rival:
        return claim.holder
    return None


def _control(claim: ClaimSpec, view: View) -> Reading | None:
    own = [h for h in view.places if h.place_id in claim.places or h.place_id in claim.near]
    if not own or view.mod("stance_positive") or view.mod("stance_negative"):
        return None  # no place of the claim, or an evaluation ("holding X is a mistake"), not a report
    if claim.status == "objective":
        disputed = _objective_denied(view, own[0])
        if disputed is not None:
            return disputed
    best: tuple[float, Relation, list[str], PlaceHit, Cue] | None = None
    for event in view.events:
        place = _nearest_place(view, event)
        if place is None or place not in own:
            continue
        near = _is_near(view, place)
        if place.place_id in claim.near and place.place_id not in claim.places and not near:
            continue
        if near and place.place_id in claim.places and claim.status != "captured":
            others = any(h.place_id not in claim.places for h in view.places)
            if others or event.value != "attack":
                continue  # "villages north of Bakhmut": the city is a landmark for another place's news
        reasons: list[str] = []
        outcome = _control_event(claim, view, event, place, near, reasons)
        if outcome is None:
            continue
        relation = _flip(outcome, view, event.start, reasons)
        if relation is None:
            continue
        score = 0.3 * place.score + 0.5 * view.weights.get(event.value, 0.5) + 0.05 * len(reasons)
        if best is None or score > best[0]:
            best = (score, relation, reasons, place, event)
    if best is None:
        return None
    score, relation, reasons, place, event = best
    return Reading(
        relation,
        min(1.0, round(score + 0.1, 3)),
        (view.names[place.place_id],),
        tuple(_place_reasons(view, [place]) + reasons),
        frozenset(range(event.start, event.end)),
    )


def _objective_denied(view: View, hit: PlaceHit) -> Reading | None:
    """ "X was never the target": the aim itself is disputed."""
    for cue in view.mod("objective"):
        negation = negation_of(view, cue.start)
        if negation is not None:
            reasons = [f"objective: {_q(cue)}", f"negation: {_q(negation)}"]
            return Reading(
                Relation.CONTRADICTS,
                0.85,
                (view.names[hit.place_id],),
                tuple(_place_reasons(view, [hit]) + reasons),
                frozenset([cue.start]),
            )
    return None


def _control_event(
    claim: ClaimSpec, view: View, event: Cue, place: PlaceHit, near: bool, reasons: list[str]
) -> Relation | None:
    captured = claim.status == "captured"
    agent_cue = agent_of(view, event.start, event.end)
    agent = agent_cue.value if agent_cue else None
    kind = event.value
    if agent is not None and agent not in (claim.holder, claim.rival):
        agent = None
    negated = negation_of(view, event.start) is not None
    # the side expected to take the place next: the rival while contested, the holder once captured
    taker = claim.holder if captured else claim.rival
    new_holder: str | None = None
    if kind == "gain":
        new_holder = agent or taker
    elif kind == "recapture":
        new_holder = agent or _other(claim, taker)
    elif kind in ("loss", "withdraw"):
        if kind == "withdraw" and (negated or _modalised(view, event.start)):
            return None  # "will not withdraw", "urged to pull out": a decision, not a change of control
        if kind == "loss" and agent_cue is not None:
            if agent_cue.start >= event.end:  # "fell to Russian forces": the actor after gains it
                marked = any(event.end <= m.start <= event.end + 1 for m in view.mod("agent_after"))
                agent = _other(claim, agent) if agent is not None and marked else None
            elif agent_cue.end < event.start - 1:  # "Kyiv denied the fall of X": a speaker, not the loser
                agent = None
        loser = agent or _other(claim, taker)
        new_holder = _other(claim, loser)
        if not captured and loser == claim.rival:
            reasons.append(f"event: {_q(event)} → {EVENT_NAMES[kind]} by {loser}")
            return Relation.UPDATES  # the attacker pulls back: the assault is over
    name = EVENT_NAMES[kind]
    who = f" by {agent}" if agent else ""
    continuity = view.mod("continuity")
    if new_holder is not None and not negated:
        attempt = _attempted(view, event.start)
        if attempt is not None:  # "seeks to take", "tried to capture": an attack, not a change
            reasons.append(f"partial: {_q(attempt)}")
            kind, new_holder = "attack", None
        elif _modalised(view, event.start):
            return None  # "may fall", "could be taken": not a change of control
    if new_holder is not None:
        if near and not captured:
            return None  # a village near the city changed hands: that is another claim's news
        reasons.append(f"event: {_q(event)} → {name} ({new_holder} takes control)")
        return Relation.CONFIRMS if new_holder == claim.holder else Relation.UPDATES
    if kind == "hold":
        keeper = agent or claim.holder
        reasons.append(f"event: {_q(event)} → {name} by {keeper}")
        if keeper == claim.holder:
            return Relation.CONFIRMS
        if not captured and any(c.end == place.start for c in view.mod("direction_adjective")):
            return Relation.CONFIRMS  # "holds eastern X": the town is split, the fight goes on
        if captured and continuity:
            reasons.append(f"continuity: {_q(continuity[0])}")
            return Relation.CONTRADICTS
        return Relation.UPDATES
    if kind == "attack":
        reasons.append(f"event: {_q(event)} → {name}{who}")
        if not captured:
            return Relation.CONFIRMS
        if agent == claim.rival and not near:
            return Relation.UPDATES
        if agent is None and continuity and not near:
            reasons.append(f"continuity: {_q(continuity[0])}")
            return Relation.CONTRADICTS
        return None
    if kind == "stop":
        advancing = any(e.value == "attack" and abs(e.start - event.start) <= 3 for e in view.events)
        if captured and advancing and agent in (None, claim.holder):
            reasons.append(f"event: {_q(event)} → the advance from it slowed")
            return Relation.UPDATES  # "gains slowed after X fell": the pace since the capture changed
        if captured or agent == claim.holder:
            return None
        if any(e.value == "attack" and 0 < e.start - event.end <= 1 for e in view.events):
            reasons.append(f"event: {_q(event)} → a repelled attack")
            return Relation.CONFIRMS  # "a failed assault": the assaults go on
        reasons.append(f"event: {_q(event)} → {name}{who}")
        return Relation.UPDATES  # the push on the place stalled or was called off
    if kind == "encircle":
        if captured or agent == claim.holder:
            return None
        partial = view.mod("partial") or view.mod("future")
        reasons.append(f"event: {_q(event)} → {name}{who}")
        if negated or denial_of(view, event.start):
            return Relation.CONFIRMS  # flipped below to "contradicts": the encirclement threat is disputed
        if partial:
            reasons.append(f"partial: {_q(partial[0])}")
            return Relation.CONFIRMS
        return Relation.UPDATES  # the encirclement is reported complete
    return None


# ------------------------------------------------------------------ topic-driven kinds


def _topic_position(claim: ClaimSpec, view: View) -> tuple[int, list[str]] | None:
    """Where the claim's topic is, if every topic group (and topic cue) occurs."""
    positions: list[int] = []
    reasons: list[str] = []
    for group in range(claim.groups):
        hits = view.claim.get(f"{claim.id}:{group}")
        if not hits:
            return None
        positions.append(hits[0].start)
        reasons.append(f"topic: {_q(hits[0])}")
    if claim.topic_cues:
        cues = [e for e in view.events if e.value in claim.topic_cues]
        if not cues:
            return None
        positions.append(cues[0].start)
        reasons.append(f"event: {_q(cues[0])} → {EVENT_NAMES[cues[0].value]}")
    return positions[0], reasons


def _claim_places(claim: ClaimSpec, view: View) -> list[PlaceHit] | None:
    if not claim.places:
        return []
    own = [h for h in view.places if h.place_id in claim.places]
    return own or None


def _doer_ok(claim: ClaimSpec, view: View, position: int, reasons: list[str]) -> bool:
    allowed = claim.actors | {a for a in (claim.actor, claim.source) if a}
    agent = agent_of(view, position, position + 1, passive=False)
    if agent is not None and agent.value not in allowed and claim.kind != "history":
        return False  # someone else does it: Russia sending tanks is not the West sending them
    present = [a for a in view.actors if a.value in allowed]
    if agent is None and not present and not claim.places:
        return False  # neither a doer nor a place: too little to tie the sentence to the claim
    shown = agent or (present[0] if present else None)
    if shown is not None:
        reasons.append(f"actor: {_q(shown)} → {shown.value}")
    return True


def _topical(claim: ClaimSpec, view: View) -> Reading | None:
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
    if not _doer_ok(claim, view, position, reasons):
        return None
    reasons = topic_reasons + reasons
    relation = Relation.CONFIRMS
    explicit = 0.0
    future = view.mod("future") + view.mod("modal")
    if claim.kind == "forecast":
        if _modal_by_other(claim, view):
            return None
        starts = [e for e in view.events if e.value in ("start", "stop") and not _modalised(view, e.start)]
        if starts:
            relation = Relation.UPDATES
            reasons.append(f"event: {_q(starts[0])} → {EVENT_NAMES[starts[0].value]}")
            explicit = 0.15
        elif future:
            reasons.append(f"future: {_q(future[0])}")
            explicit = 0.15
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
        if claim.kind == "history":  # the other side takes back what was won
            stops = [e for e in view.events if e.value in ("gain", "recapture") and _by_other(claim, view, e)]
            doer = agent_of(view, position, position + 1, passive=False)
            if not stops and doer is not None and doer.value not in claim.actors:
                return None
        updates = view.claim.get(f"{claim.id}:update", [])
        if updates or stops:
            cue = (updates or stops)[0]
            relation = Relation.UPDATES
            reasons.append(f"update: {_q(cue)}")
            explicit = 0.15
    for label, rel in (("contradict", Relation.CONTRADICTS), ("confirm", Relation.CONFIRMS)):
        hits = view.claim.get(f"{claim.id}:{label}")
        if hits:
            relation = rel
            reasons.append(f"{label}: {_q(hits[0])}")
            explicit = 0.15
    flipped = _flip(relation, view, position, reasons)
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
        tuple(_place_reasons(view, places[:1]) + reasons),
        _own_tokens(claim, view),
    )


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
        reasons = [f"decision: {_q(decisions[0])}", f"event: {_q(event)} → {EVENT_NAMES[event.value]}"]
        if expected:
            reasons.append(f"negation: {_q(negation_of(view, event.start))}")  # type: ignore[arg-type]
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


def _quantity(claim: ClaimSpec, view: View) -> Reading | None:
    found = _topic_position(claim, view)
    if found is None:
        return None
    position, reasons = found
    agent = agent_of(view, position, position + 1)
    sources = [a for a in view.actors if a.value == claim.source]
    if not view.numbers:
        # no figure: only a dispute of the claim's source counts ("Kyiv rejects the BND estimate")
        disputes = view.mod("denial") + view.mod("negation")
        dispute = denial_of(view, position) or (disputes[0] if disputes else None)
        if not sources or dispute is None:
            return None
        reasons += [f"source: {_q(sources[0])} → {claim.source}", f"denial: {_q(dispute)}"]
        return Reading(Relation.CONTRADICTS, 0.75, (), tuple(reasons), _own_tokens(claim, view))
    if agent is None or agent.value not in claim.actors:
        return None
    reasons.append(f"actor: {_q(agent)} → {agent.value}")
    number = min(view.numbers, key=lambda c: abs(c.start - position))
    value = float(number.value)
    low, high = claim.low or 0.0, claim.high if claim.high is not None else float("inf")
    per = {"day": "per_day", "week": "per_week", "month": "per_month"}.get(claim.per or "")
    periods = view.mod(per) if per else []
    inside = low <= value <= high and (per is None or bool(periods))
    if periods:
        reasons.append(f"period: {_q(periods[0])}")
    reasons.append(
        f"quantity: {_q(number)} ≈ {value:g} (baseline {low:g}-{high:g} per {claim.per or 'total'})"
    )
    relation = _flip(Relation.CONFIRMS if inside else Relation.UPDATES, view, position, reasons)
    if relation is None:
        return None
    if sources:
        reasons.append(f"source: {claim.source}")
    return Reading(relation, 0.85, (), tuple(reasons), _own_tokens(claim, view))


def _assessment(claim: ClaimSpec, view: View) -> Reading | None:
    found = _topic_position(claim, view)
    places = _claim_places(claim, view)
    if found is None or places is None:
        return None
    sources = [a for a in view.actors if a.value == claim.source]
    if not sources:
        return None
    _, reasons = found
    reasons.append(f"source: {_q(sources[0])} → {claim.source}")
    positive, negative = view.mod("stance_positive"), view.mod("stance_negative")
    if not positive and not negative:
        return None
    cue = (positive or negative)[0]
    stance = "positive" if positive else "negative"
    if negation_of(view, cue.start):
        stance = "negative" if stance == "positive" else "positive"
        reasons.append(f"negation: {_q(negation_of(view, cue.start))}")  # type: ignore[arg-type]
    reasons.append(f"stance: {_q(cue)} → {stance}")
    if stance == claim.stance:
        relation = Relation.CONFIRMS
    elif view.mod("change"):
        relation = Relation.UPDATES
        reasons.append(f"change: {_q(view.mod('change')[0])}")
    else:
        relation = Relation.CONTRADICTS
    names = tuple(dict.fromkeys(view.names[h.place_id] for h in places))
    return Reading(
        relation, 0.85, names, tuple(_place_reasons(view, places[:1]) + reasons), _own_tokens(claim, view)
    )
