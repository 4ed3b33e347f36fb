"""Which readings of an item stand: explaining-away between claims, and a confirm needs its evidence.

`read_item` in `claims` reads every sentence against every claim it may speak to; `weigh` then drops:

1. a broad place-and-event reading that a more specific claim of the item explains better
   (`_explain_away`: "US urges Kyiv to leave X" is advice, not a withdrawal from X); a place that two
   control claims both name is news for both (Klishchiivka: its own claim and the villages around Bakhmut);
2. a confirmation that speaks of a change no rule understood (`_unexplained_change`): a confirm says
   the baseline still stands, so a sentence with change vocabulary ("the push is ending", "no longer",
   "misplaced", «пройшли») that the reading did not rest on, and with no continuity cue ("still",
   "continue", "досі", "по-прежнему") saying the state goes on, is more likely an update or a dispute
   the rules cannot read than a confirmation: it gives no finding rather than a wrong one. For an
   activity only a change word in a clause of the reading counts ("the city's value is more symbolic, as US
   officials urge Kyiv to conserve its forces": the advice stands).

Pure: readings in, readings out.
"""

from __future__ import annotations

from pipeline.analysis.relation import ClaimSpec, Reading, View
from pipeline.records import Relation


def weigh(
    readings: list[tuple[ClaimSpec, View, Reading]], min_score: float
) -> list[tuple[ClaimSpec, View, Reading]]:
    """The readings of one item that stand (see the module docstring)."""
    return [
        r
        for r in _explain_away(readings, min_score)
        if not _unexplained_change(r[1], r[2], r[0].kind == "activity")
    ]


def _unexplained_change(view: View, reading: Reading, activity: bool) -> bool:
    """A confirmation in a sentence that speaks of a change the reading did not use, and of no continuity."""
    if reading.relation is not Relation.CONFIRMS or view.mod("continuity"):
        return False
    clauses = view.tokens.clauses
    own = {clauses[i] for i in reading.cues if i < len(clauses)}
    # an activity's change word in another clause speaks of something else ("the city's value is more
    # symbolic, as US officials urge Kyiv to conserve its forces"): the advice still stands
    return any(
        cue.start not in reading.cues and (not activity or clauses[cue.start] in own)
        for cue in view.mod("shift")
    )


# Claims whose reading of a sentence explains a control mention of a place in it: a loss figure
# ("hundreds fall daily in X") or advice ("US urges Kyiv to leave X") is the story, not the fight at X.
_EXPLAINERS = frozenset({"quantity", "activity"})
_HANDS = frozenset({"gain", "loss", "withdraw", "recapture"})


def _changes_hands(view: View, reading: Reading) -> bool:
    """Does the reading rest on a change of hands ("X fell") stated in its sentence?"""
    return any(e.start in reading.cues and e.value in _HANDS for e in view.events)


def _third_parties(specific: ClaimSpec, broad: ClaimSpec) -> set[str]:
    """Actors of the specific claim that are no party to the broad one (the US, ISW, the BND)."""
    own = set(specific.actors) | {a for a in (specific.actor, specific.source) if a}
    return own - set(broad.actors) - {broad.holder, broad.rival}


def _more_specific(other: ClaimSpec, spec: ClaimSpec) -> bool:
    """Does `other` ask more of a sentence than `spec`: topic words, its own event, fewer places?"""
    if other is spec or spec.groups > 0:
        return False
    if other.groups > 0:
        return True
    if spec.kind == "control":
        return other.kind != "control" or 0 < len(other.places) < len(spec.places)
    return False


def _explain_away(
    readings: list[tuple[ClaimSpec, View, Reading]], min_score: float
) -> list[tuple[ClaimSpec, View, Reading]]:
    """Drop a place-and-event reading whose sentence a more specific claim of the item explains better.

    A control claim (or a forecast keyed on one event) reads any event near its place; a topic
    claim needs its own actors and topic words, a forecast its own event, a village claim its one
    village, so when both read a sentence the specific one is the likelier story: "US urges Kyiv to
    leave Bakhmut" is advice, not a withdrawal; "ISW: holding Bakhmut is worth it" is an assessment;
    "withdrawal was never on the table" disputes a forecast. A loss figure or advice (a quantity or
    activity claim) explains any control mention in its sentence ("hundreds die daily in X, where
    fighting continues") unless that mention is a change of hands. Otherwise the broad reading goes
    when the specific one rests on the same event word (unless that is a forecast coming true or a change of hands:
    "Ukraine withdrew" is both), or when the sentence names a third party of a specific claim the
    item speaks to (the US adviser, the ISW, the BND) and that claim shares the place or has none.
    """
    specific = [(s, v, r) for s, v, r in readings if r.score >= min_score]
    kept = []
    for spec, view, reading in readings:
        if any(
            _explains(other, other_view, other_reading, spec, view, reading)
            for other, other_view, other_reading in specific
            if _more_specific(other, spec)
        ):
            continue
        kept.append((spec, view, reading))
    return kept


def _explains(
    other: ClaimSpec, other_view: View, other_reading: Reading, spec: ClaimSpec, view: View, reading: Reading
) -> bool:
    if other.places and not other.places & spec.places:
        return False
    if other.kind == "control":
        # a place of both claims is news for both ("Klishchiivka still in Russian hands" confirms that
        # Russia took it and that Russia took villages around Bakhmut); otherwise a claim about fewer
        # places owns restatements and denials about them (Bakhmut's own news is not its villages')
        both = {view.names[p] for p in other.places & spec.places}
        if both & set(reading.places):
            return False
        return other_view is view and reading.relation is not Relation.UPDATES
    explainer = other_view is view and spec.kind == "control" and other.kind in _EXPLAINERS
    if explainer and not _changes_hands(view, reading):
        return True
    if other_view is view and reading.cues & other_reading.cues:
        return not (other.kind == "forecast" and other_reading.relation is Relation.UPDATES)
    third = _third_parties(other, spec)
    return any(actor.value in third for actor in view.actors)
