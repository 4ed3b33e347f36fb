"""A baseline compiled for analysis: one phrase lexicon, one place index, the word gate.

`compile_baseline` turns the baseline and the bundled generic cue lexicons (`cues.toml`, read once
with importlib.resources) into a `Matcher`: one phrase lexicon holding every cue, actor alias and
claim topic phrase, one place index, the coreference words, and the word gate that lets a sentence
through to be read (`gate.py`). `claims.analyse` reads items against it. It compiles the baseline's
plain values (`terms.py`), which is what a pool process is sent and compiles with `compile_terms`.

Pure: no I/O besides reading cues.toml; the Matcher is read-only (its indexes only remember pure
per-word look-ups in bounded caches).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from importlib import resources
from typing import TYPE_CHECKING, Any

from pipeline.analysis.gate import WordGate
from pipeline.analysis.places import Coreference, PlaceIndex
from pipeline.analysis.relation import ClaimSpec
from pipeline.analysis.terms import BaselineTerms, baseline_terms
from pipeline.analysis.text import KeyWords, Lexicon, normalise

if TYPE_CHECKING:  # only their types: a pool process compiles without importing pydantic (`terms`)
    from pipeline.baseline import Baseline
    from pipeline.config import AnalysisSettings

_LANGS = ("en", "uk", "ru")


@dataclass(frozen=True, slots=True)
class Matcher:
    """A baseline compiled for analysis; build with `compile_baseline`, then share read-only."""

    terms: BaselineTerms  # what it was compiled from (plain values: what a pool process is sent)
    lexicon: Lexicon
    places: PlaceIndex
    claims: tuple[ClaimSpec, ...]
    weights: dict[str, float]
    names: dict[str, str]  # place id → canonical name
    known_words: frozenset[str]  # never fuzzy-matched as places
    as_of: datetime  # end of the as_of day, UTC
    # every topic group of the claims tied to no place (in a sentence naming no place only those
    # can be relevant: `claims._candidates`), whole phrases labelled "<claim>:<group>" ("fighting vehicles" is
    # no topic in "fighting continued"), with the "ignore" phrases that mask them as in a view, and
    # the labels each claim needs in one sentence to be read there
    topic_phrases: Lexicon
    topic_needs: tuple[frozenset[str], ...]
    coreference: Coreference  # "the city", "село": a place named earlier in the item
    possessed: dict[str, str]  # light word → event it is right after a place ("Soledar's fall")
    pronouns: frozenset[str]  # "it", "його": right after an event, the place named last ("still hold it")
    gate: WordGate  # which sentences are worth tokenising, from their words (places, topics, references)
    # the positions in `claims` of those a sentence naming a place may speak to (tied to it, or to no
    # place): a view is tried against these few, not all claims; "" lists those tied to no place
    claims_at: dict[str, tuple[int, ...]]


def _claims_at(specs: Sequence[ClaimSpec]) -> dict[str, tuple[int, ...]]:
    """Place id -> positions of the claims tied to it or to no place; "" -> those tied to no place."""
    placeless = [n for n, spec in enumerate(specs) if not spec.places and not spec.near]
    ids = {place for spec in specs for place in spec.places | spec.near}
    return {"": tuple(placeless)} | {
        place: tuple(
            n for n, spec in enumerate(specs) if place in spec.places or place in spec.near or n in placeless
        )
        for place in ids
    }


def _load_cues() -> dict[str, Any]:
    text = resources.files("pipeline.analysis").joinpath("cues.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _phrases(table: dict[str, Any]) -> list[str]:
    return [phrase for lang in _LANGS for phrase in table.get(lang, [])]


def compile_baseline(baseline: Baseline, settings: AnalysisSettings) -> Matcher:
    """Compile the baseline and the generic cue lexicons into a reusable Matcher."""
    return compile_terms(baseline_terms(baseline, settings))


def compile_terms(terms: BaselineTerms) -> Matcher:
    """Compile a baseline's plain values (`terms.baseline_terms`) and the generic cue lexicons into a Matcher."""
    cues = _load_cues()
    lexicon = Lexicon()
    weights: dict[str, float] = {}
    for name, table in cues["events"].items():
        lexicon.add(f"ev:{name}", _phrases(table))
        weights[name] = float(table["weight"])
    for name, table in cues["modifiers"].items():
        lexicon.add(f"mod:{name}", _phrases(table))
    for lang in _LANGS:
        for phrase, value in cues["quantities"].get(lang, {}).items():
            lexicon.add(f"qty:{value}", [phrase])
    lexicon.add("ignore", _phrases(cues["ignore"]))
    control = cues.get("control", {})
    for section in ("events", "modifiers"):  # the control additions extend the tables above
        for name, table in control.get(section, {}).items():
            lexicon.add(f"{'ev' if section == 'events' else 'mod'}:{name}", _phrases(table))
    lexicon.add("noevent", _phrases(control.get("not_event", {})))
    lexicon.add("ignore", _phrases(control.get("ignore", {})))  # "in May": a month, not a modal
    possessed = {
        normalise(w): name for name, table in control.get("possessed", {}).items() for w in _phrases(table)
    }
    coreference = Coreference(
        {kind: _phrases(table) for kind, table in control.get("coreference", {}).items()},
        {p.id: p.kind for p in terms.places},
    )
    for actor_id, aliases in terms.actors:
        lexicon.add(f"actor:{actor_id}", aliases)
    for claim in terms.claims:
        for group, phrases in enumerate(claim.topic):
            lexicon.add(f"topic:{claim.spec.id}:{group}", phrases)
        for label in ("confirm", "update", "contradict"):
            lexicon.add(f"topic:{claim.spec.id}:{label}", getattr(claim, label))
    specs = [claim.spec for claim in terms.claims]
    places = PlaceIndex(
        ((p.id, p.aliases, p.lookalikes) for p in terms.places), min_score=terms.place_min_score
    )
    as_of = datetime.combine(terms.as_of, time.max, tzinfo=UTC)
    # with the false friends ("offensive remarks"), whose words are no topic in a view either
    topic_lexicon = Lexicon()
    topic_lexicon.add("ignore", _phrases(cues["ignore"]) + _phrases(control.get("ignore", {})))
    topic_needs = []
    for claim in terms.claims:
        spec = claim.spec
        # a claim tied to places needs one of them named, and a place gates the sentence on its own
        if not claim.topic or spec.places or spec.near:
            continue
        # a topic claim is read only with every group in the sentence (stance.topic_position); a
        # forecast also with its first alone (an event begun, a decision that settles it)
        needed = 1 if spec.kind == "forecast" else len(claim.topic)
        for group in range(needed):
            topic_lexicon.add(f"{spec.id}:{group}", claim.topic[group])
        topic_needs.append(frozenset(f"{spec.id}:{group}" for group in range(needed)))
    keys = topic_lexicon.key_words()  # the words each group is found by: the gate's test
    known_words = frozenset(lexicon.words)
    pronouns = frozenset(normalise(w) for w in _phrases(control.get("pronoun", {})))
    return Matcher(
        terms=terms,
        lexicon=lexicon,
        places=places,
        claims=tuple(specs),
        weights=weights,
        names={p.id: p.name for p in terms.places},
        known_words=known_words,
        as_of=as_of,
        topic_phrases=topic_lexicon,
        topic_needs=tuple(topic_needs),
        coreference=coreference,
        possessed=possessed,
        pronouns=pronouns,
        gate=WordGate(
            places,
            known_words,
            [[keys.get(label, KeyWords((), ())) for label in sorted(need)] for need in topic_needs],
            coreference.last_words | pronouns,
        ),
        claims_at=_claims_at(specs),
    )
