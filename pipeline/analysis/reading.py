# ruff: noqa: RUF003 -- Cyrillic examples are the data here
"""Cue reading: one sentence as cues with positions, and who does what to which place in it.

The records every decision module shares (`Cue`, `ClaimSpec`, `View`, `Reading`) and the small
questions asked of a sentence: the doer of an event (`agent_of`), a negation or a reported denial
governing it (`negation_of`, `denial_of`), whether it is only expected or attempted, and which
place it is tied to. How the answers become confirms / updates / contradicts is decided in
`relation` (control claims) and `topical` (topic-driven claims).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

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
    "expel": "expulsion",
}
_NEGATION_WINDOW = 4
_PLACE_WINDOW = 14


class Cue(NamedTuple):  # a tuple: built in the thousands per item, 2x cheaper than a frozen dataclass
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
    as_of_year: int = 0  # the baseline's year: an event dated to an earlier year is history

    def stale(self, event: Cue) -> bool:
        """Is the event dated to a year before the baseline's ("the baker, who left X in 2014")?"""
        light, clauses = self.tokens.light, self.tokens.clauses
        if not any(map(str.isdigit, light[event.end : event.end + 5])):
            return False  # no number after the event (most sentences): no year to date it
        return any(
            clauses[i] == clauses[event.start]
            and len(light[i]) == 4
            and light[i].isdigit()
            and 1900 <= int(light[i]) < self.as_of_year
            for i in range(event.end, min(event.end + 5, len(light)))  # within 4 words after the event
        )

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


# What a negated or denied reading becomes. The relation is what the event would say if it happened:
# - confirms (the baseline state: "holds X", "training goes on") denied → contradicts;
# - updates (a change: a stop or halt, a capture by the rival, a withdrawal, a delivery delayed)
#   denied → confirms: "denied that the courses had been halted", "заперечили, що постачання
#   зупинено", "denied that Russia took X" say the baseline state stands, not that it changed;
# - contradicts denied → nothing (a double negative is too weak to read).
_FLIP: dict[Relation, Relation | None] = {
    Relation.CONFIRMS: Relation.CONTRADICTS,
    Relation.UPDATES: Relation.CONFIRMS,
    Relation.CONTRADICTS: None,
}


def quote(cue: Cue) -> str:
    return f"'{cue.surface}'"


def _impersonal(word: str) -> bool:
    """A Ukrainian or Russian impersonal passive in -но/-то ("відбито", "звільнено", "взято")."""
    return len(word) > 4 and word.endswith(("но", "то")) and not word.isascii()


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
        if follows and any(m.start <= start < m.end or m.end == end for m in view.mod("agent_follows")):
            return follows[0]
        passives = view.mod("passive")
        progressive = view.tokens.light[start].endswith("ing")  # "is losing" is not a passive
        if passives and not progressive and any(start - 2 <= m.start < start for m in passives):
            return None  # "was taken": the doer is only named after "by"
        if _impersonal(view.tokens.light[end - 1]):
            return None  # "усі атаки відбито", "город взято": an impersonal passive has no subject doer
    if adjacent and adjacent[-1].label == "object":
        return adjacent[-1]
    clauses = view.tokens.clauses
    # "ЗСУ спростували захоплення X", "Kyiv rejects the claim": who denies a deed is not its doer
    denials = view.mod("denial")
    deniers = (
        {a.start for a in actors for d in denials if a.end <= d.start <= min(a.end + 1, start - 1)}
        if denials
        else set()
    )
    # "Росіяни посилили тиск на X, оборона тримається": an event noun opening its clause is that clause's
    # subject, so an actor of an earlier clause with a verb of its own is not its doer
    opens = start == 0 or clauses[start - 1] != clauses[start]
    busy = (
        {
            a.start
            for a in actors
            for e in view.events
            if clauses[a.start] != clauses[start]
            and clauses[e.start] == clauses[a.start]
            and e.start >= a.end
        }
        if opens
        else set()
    )
    # "According to the Defence Forces, the enemy occupied X", "за даними Генштабу": the source, not the doer
    named_sources = view.mod("source")
    sources = (
        {
            a.start
            for a in actors
            for c in named_sources
            if c.end <= a.start
            and clauses[c.start] == clauses[a.start]
            and not any(c.end <= e.start < a.start for e in view.events)
        }
        if named_sources
        else set()
    )
    doers = [
        a
        for a in actors
        if a.label == "actor"
        and a.end <= start
        and a.start not in deniers
        and a.start not in busy
        and a.start not in sources
        and not _speaker_tag(a, clauses, start)
    ]
    if doers:
        last = doers[-1]
        relative = any(last.end <= r.start < start for r in view.mod("relative"))
        doers_after = [a for a in follows if a.label == "actor"]
        if relative and doers_after:  # "the town, which Ukrainian forces hold"
            return doers_after[0]
        return last
    # "відбили спробу росіян": an actor right after an attack or attempt word is the attacker's genitive
    owners = {c.end for c in view.events if c.value == "attack"} | {c.end for c in view.mod("partial")}
    # "X holds as Russians press": an actor past "as/when/коли/когда" belongs to the next verb
    bound = min((c.start for c in view.mod("conjunction") if c.start >= end), default=len(clauses))
    # "fighting has died down, Ukrainian officers say": an actor in a later clause is no doer of the event
    after = [
        a
        for a in follows
        if a.label == "actor"
        and a.start not in owners
        and a.start < bound
        and clauses[a.start] == clauses[start]
    ]
    return after[0] if after and passive else None  # "взят ВС РФ": only for events


def _speaker_tag(actor: Cue, clauses: tuple[int, ...], start: int) -> bool:
    """ "Zelensky: ...", "Минобороны РФ: ...": an actor alone in its clause is who speaks, not who acts."""
    clause = clauses[actor.start]
    if clauses[start] == clause:
        return False
    return sum(1 for c in clauses if c == clause) == actor.end - actor.start


def negation_of(view: View, start: int) -> Cue | None:
    """A negation shortly before `start` in the same clause, one opening the clause, or one after it."""
    clauses = view.tokens.clauses
    for cue in view.mod("negation"):
        if start > cue.start and clauses[cue.start] == clauses[start]:
            # "No Ukrainian troops are being trained", "Ніхто з американців не радив": a negation opening
            # its clause governs the whole clause, however far the verb
            opening = cue.start == 0 or clauses[cue.start - 1] != clauses[cue.start]
            if start - cue.start > _NEGATION_WINDOW and not opening:
                continue
            phrases = view.mod("modal") + view.mod("continuity") + view.events
            phrases += [h for hits in view.claim.values() for h in hits]  # a claim's "не могут преодолеть"
            if any(m.start <= cue.start < m.end for m in phrases):
                continue  # "does not rule out", "не полишає спроб": part of a phrase, not a negation
            return cue
    for cue in view.mod("negation_after"):  # "наступу на X не було": the negation follows its event
        if 0 < cue.start - start <= _NEGATION_WINDOW + 2 and clauses[cue.start] == clauses[start]:
            return cue
    return None


def denial_of(view: View, start: int) -> Cue | None:
    """A reported denial governing the cue at `start` (what follows it, else what precedes it)."""
    anchors = sorted({e.start for e in view.events} | {start})
    clauses, light = view.tokens.clauses, view.tokens.light
    for cue in view.mod("denial"):
        if negation_of(view, cue.start):  # "did not deny"
            continue
        # events in a later statement ("..., because Russia has nothing left to launch one") are not its object
        # "... was fake and that (and says) Ukrainian units still hold it": "and that", "and says" open another statement
        reports = {r.start for r in view.mod("reporting")}
        end = next(
            (
                i
                for i in range(cue.end, len(light))
                if light[i - 1] in _AND and (light[i] in _COMPLEMENTISERS or i in reports)
            ),
            None,
        )
        follows = [
            p
            for p in anchors
            if p > cue.start and _same_statement(view, cue.start, p) and (end is None or p < end)
        ]
        # "denied the loss of X and said, that its troops hold it": the denial stops at its clause
        # "denied that X fell" reaches into the reported clause; "denied the loss of X and said, that
        # its troops hold it" does not: the denial already has its object
        reaches = clauses[start] == clauses[cue.start] or (
            _same_statement(view, cue.start, start)
            # an event noun right before the cue is one phrase with it ("постачання танків", "supplies
            # of tanks"), not an object the denial already took
            and not any(cue.start < p < start - 1 for p in anchors)
            and not any(cue.start < r.start < start for r in view.mod("reporting"))  # "... and said that"
        )
        # reaching back, a denial stops at an earlier one, which already has its object ("dismissed
        # statements about advances as fabrications": the fabrications are the advances, not an earlier hold)
        back = not any(start < d.start < cue.start for d in view.mod("denial"))
        # ... nor at an event in a later clause, which is its nearer object: "X stays under Russian control,
        # and Kyiv's reports of its liberation are untrue" denies the liberation, not the control
        back = back and not any(start < p < cue.start and clauses[p] != clauses[start] for p in anchors)
        # ... nor past a statement named in another clause, which is its object: "у Бахмуті тривають бої,
        # заяви Пригожина — неправда" calls Prigozhin's statements false, not the fighting
        back = back and not any(
            start < n.start < cue.start and clauses[n.start] != clauses[start] for n in view.mod("statement")
        )
        if (follows and start > cue.start and reaches) or (not follows and start < cue.start and back):
            return cue
    return None


# Words that open a reported clause: "denied, that ...", "назвали фейком повідомлення про те, що ..."
_COMPLEMENTISERS = frozenset({"that", "що", "что", "чтобы", "щоб"})
_AND = frozenset({"and", "і", "й", "та", "и"})  # noqa: RUF001 -- the Ukrainian "і" is the data


def _same_statement(view: View, a: int, b: int) -> bool:
    """Are tokens a < b in one clause, or joined only by clause breaks that open a reported clause?"""
    clauses, light = view.tokens.clauses, view.tokens.light
    return all(clauses[i] == clauses[i - 1] or light[i] in _COMPLEMENTISERS for i in range(a + 1, b + 1))


def flip(relation: Relation, view: View, start: int, reasons: list[str]) -> Relation | None:
    """The relation once a negation or denial of the cue at `start` is applied (`_FLIP`; "no longer" updates)."""
    negation, denial = negation_of(view, start), denial_of(view, start)
    if negation:
        reasons.append(f"negation: {quote(negation)}")
    if denial:
        reasons.append(f"denial: {quote(denial)}")
    if negation or denial:
        change = view.mod("change")
        if negation and any(abs(c.start - negation.start) <= 1 for c in change):
            return Relation.UPDATES  # "no longer holds"
        return _FLIP.get(relation)
    return relation


def dated_by(view: View, start: int) -> Cue | None:
    """An "after/since/після/после" whose phrase holds the cue at `start`: the event only dates the news.

    Right after the marker ("momentum after Soledar"), or anywhere in a phrase the marker opens, up to
    the clause break or the next event ("After the liberation of X, deminers…", "після того як
    росіяни захопили X, …").
    """
    clauses = view.tokens.clauses
    for cue in view.mod("after"):
        if 0 <= start - cue.end <= 1:
            return cue
        opening = cue.start == 0 or clauses[cue.start - 1] != clauses[cue.start]
        if (
            opening
            and cue.end <= start
            and clauses[cue.start] == clauses[start]
            and not any(cue.end <= e.start < start for e in view.events)
        ):
            return cue
    return None


def modalised(view: View, start: int, decision: bool = True, skip: frozenset[int] = frozenset()) -> bool:
    """A future or modal cue shortly before `start` in the same clause ("expected to launch").

    With `decision` False the event is nobody's choice (a place's fall): weighing or discussing it
    ("analysts weigh X's fall") reports it rather than holding it open, so those cues do not count.
    Cues at `skip` describe a noun, not the event ("the offensive anticipated since January began").
    """
    clauses = view.tokens.clauses
    weighing = {c.start for c in view.mod("consider")} if not decision else set()
    governed = _governed(view, start)
    before = any(
        0 < start - c.start <= _NEGATION_WINDOW + 1
        and clauses[c.start] == clauses[start]
        and c.start not in weighing
        and c.start not in skip
        and c.start not in governed
        for c in view.mod("future") + view.mod("modal")
    )
    # "a withdrawal from the city is being discussed", "відхід обговорюється": the deed named, then weighed
    return before or any(
        0 < c.start - start <= 4 and clauses[c.start] == clauses[start] and c.start not in weighing
        for c in view.mod("modal_after")
    )


def part_given_up(view: View, event: Cue) -> bool:
    """Is the withdrawal from a part only ("withdrew from several positions in X", "вышли из нескольких позиций")?"""
    return event.value == "withdraw" and part_only(view, event)


def part_only(view: View, event: Cue) -> bool:
    """Does a part of the place follow the event ("from several positions in", "the centre of", "70% of")?"""
    clauses = view.tokens.clauses
    light = view.tokens.light
    # "control 70% of X": a share in digits ("%" itself is no token), then "of"
    share = event.end + 1 < len(light) and light[event.end].isdigit() and light[event.end + 1] == "of"
    return share or any(
        0 <= c.start - event.end <= 2 and clauses[c.start] == clauses[event.start] for c in view.mod("part")
    )


def _governed(view: View, start: int) -> set[int]:
    """Threat words whose object is an earlier event noun: "під загрозою оточення наші війська відійшли".

    Only a noun with its object right after it ("загрози оточення", "the threat of encirclement"): "tried
    to encircle and capture X" still holds both verbs open.
    """
    light = view.tokens.light
    future = {c.start for c in view.mod("future")}
    return {
        c.start
        for c in view.mod("partial")
        if c.start in future
        and any(
            e.start < start and (e.start == c.end or (e.start == c.end + 1 and light[c.end] == "of"))
            for e in view.events
        )
    }


def attempted(view: View, start: int) -> Cue | None:
    """A partial or attempt word shortly before `start` in its clause ("tried to capture"), if any."""
    clauses = view.tokens.clauses
    governed = _governed(view, start)
    for cue in view.mod("partial"):
        if (
            0 < start - cue.start <= _NEGATION_WINDOW
            and clauses[cue.start] == clauses[start]
            and cue.start not in governed
        ):
            return cue
    return None


def place_reasons(view: View, hits: list[PlaceHit]) -> list[str]:
    surface = view.tokens.surface
    return [
        f"place: '{' '.join(surface[h.start : h.end])}' → {view.names[h.place_id]} ({h.how})" for h in hits
    ]


def nearest_place(view: View, cue: Cue) -> PlaceHit | None:
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


def is_near(view: View, hit: PlaceHit) -> bool:
    """Is the place a landmark: "near X", "north of X", "X's eastern edge"?"""
    near, near_after = view.mod("near"), view.mod("near_after")  # most sentences have neither
    if near:
        inside = {i for e in view.events for i in range(e.start, e.end)}  # "the ring around X" is one event
        if any(hit.start - 3 <= c.end <= hit.start and c.start not in inside for c in near):
            return True
    if not near_after:
        return False
    # "Bakhmut's eastern edge", not "Bakhmut, the eastern town": an apposition after a break is the place itself
    clause = view.tokens.clauses[hit.start]
    return any(
        hit.end <= c.start <= hit.end + 1 and view.tokens.clauses[c.start] == clause for c in near_after
    )
