"""A baseline as the plain values the analysis compiles from: what a pool process is sent.

`baseline_terms` reads a validated `Baseline` and the `AnalysisSettings` (pydantic models) into
frozen dataclasses of strings, tuples and numbers; `matcher.compile_terms` compiles those. A pool
process is sent the terms, not the models, so it never imports pydantic or the models' modules:
they were about half of a pool process's start (import and compile) before its first analysis.

Pure: no I/O; this module imports the models only to name their types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from pipeline.analysis.reading import ClaimSpec

if TYPE_CHECKING:  # only their types: importing the models at run time is what this module avoids
    from pipeline.baseline import Baseline, Claim
    from pipeline.config import AnalysisSettings

Phrases = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlaceTerms:
    """A place's id, canonical name, kind and every spelling that names it or only looks like it."""

    id: str
    name: str
    kind: str
    aliases: Phrases
    lookalikes: Phrases


@dataclass(frozen=True, slots=True)
class ClaimTerms:
    """A claim as read (`spec`) with its phrases: topic groups and the claim's own cue phrases."""

    spec: ClaimSpec
    topic: tuple[Phrases, ...]  # every group must occur (any one phrase of it) in a sentence
    confirm: Phrases
    update: Phrases
    contradict: Phrases


@dataclass(frozen=True, slots=True)
class BaselineTerms:
    """Everything `compile_terms` needs of a baseline and the analysis settings, as plain values."""

    id: str
    as_of: date
    places: tuple[PlaceTerms, ...]
    actors: tuple[tuple[str, Phrases], ...]  # actor id, aliases
    claims: tuple[ClaimTerms, ...]
    place_min_score: float
    claim_min_score: float


def baseline_terms(baseline: Baseline, settings: AnalysisSettings) -> BaselineTerms:
    """The plain values of a validated baseline and the analysis settings."""
    return BaselineTerms(
        id=baseline.id,
        as_of=baseline.as_of,
        places=tuple(
            PlaceTerms(p.id, p.name, p.kind, tuple(p.aliases), tuple(p.lookalikes)) for p in baseline.places
        ),
        actors=tuple((actor.id, tuple(actor.aliases)) for actor in baseline.actors),
        claims=tuple(_claim_terms(claim) for claim in baseline.claims),
        place_min_score=settings.place_min_score,
        claim_min_score=settings.claim_min_score,
    )


def _claim_terms(claim: Claim) -> ClaimTerms:
    state = claim.state
    spec = ClaimSpec(
        id=claim.id,
        kind=claim.kind,
        places=frozenset(claim.places),
        near=frozenset(claim.near),
        actors=frozenset(claim.actors),
        holder=state.holder,
        rival=state.rival,
        status=state.status,
        actor=state.actor,
        source=state.source,
        stance=state.stance,
        low=state.low,
        high=state.high,
        per=state.per,
        groups=len(claim.topic),
        topic_cues=frozenset(claim.topic_cues),
    )
    return ClaimTerms(
        spec=spec,
        topic=tuple(tuple(group) for group in claim.topic),
        confirm=tuple(claim.confirm),
        update=tuple(claim.update),
        contradict=tuple(claim.contradict),
    )
