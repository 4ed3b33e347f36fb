"""The baseline file: a dated article kept as places, actors and claims; its model and loader.

A baseline is data, never code: `config/baselines/<id>.toml` names the places (with every spelling
and the look-alike names that must *not* match), the actors (sides and sources), and each claim with
its kind, the state it asserted on `as_of`, and the words that express it. The analysis core reads
the kind and state generically.

Claim kinds and the state each one needs:

    control     places + state.holder, state.rival, state.status
                (contested: holder defends against rival; objective: rival aims at it;
                 surrounded: holder partly encircled by rival; captured: holder took it from rival)
    activity    state.actor does what `topic` says (advise, supply, train, build, attack in a region)
    quantity    topic + state.low..state.high in state.unit (per state.per); source optional
    assessment  state.source judged the topic with state.stance (positive | negative)
    forecast    something expected of state.actor: `topic` words or `topic_cues` event classes
    history     a past event of state.actor at places, cited as background

Foundation module: imports only pydantic and the stdlib (plus `errors`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import BaselineError
from pipeline.tomlfile import read_toml, validation_lines

_Strict = ConfigDict(extra="forbid", frozen=True)
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
Text = Annotated[str, Field(min_length=1)]
PlaceKind = Literal["city", "town", "village", "region", "country", "river", "area"]
ClaimKind = Literal["control", "activity", "quantity", "assessment", "forecast", "history"]
ControlStatus = Literal["contested", "captured", "surrounded", "objective"]
EventClass = Literal["gain", "loss", "hold", "attack", "withdraw", "encircle", "start", "stop"]


class Metadata(BaseModel):
    """Which article the baseline keeps, and the date its claims describe."""

    model_config = _Strict
    id: Slug
    title: Text
    source: Text
    author: Text
    as_of: date
    url: str | None = None


class Place(BaseModel):
    """A place with every spelling that names it and the look-alike names that must not match."""

    model_config = _Strict
    id: Slug
    name: Text
    kind: PlaceKind
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    aliases: list[Text] = Field(default_factory=list)
    lookalikes: list[Text] = Field(default_factory=list)


class Actor(BaseModel):
    """A side or a source; aliases are phrases, `word*` meaning any ending."""

    model_config = _Strict
    id: Slug
    name: Text
    aliases: Annotated[list[Text], Field(min_length=1)]


class ClaimState(BaseModel):
    """What the claim asserted on `as_of`; which keys apply depends on the claim's kind."""

    model_config = _Strict
    holder: Slug | None = None
    rival: Slug | None = None
    status: ControlStatus | None = None
    actor: Slug | None = None
    source: Slug | None = None
    stance: Literal["positive", "negative"] | None = None
    low: Annotated[float, Field(ge=0)] | None = None
    high: Annotated[float, Field(ge=0)] | None = None
    unit: str | None = None
    per: Literal["day", "week", "month", "total"] | None = None


class Claim(BaseModel):
    """One claim of the article, with the words that express it."""

    model_config = _Strict
    id: Slug
    text: Text
    kind: ClaimKind
    places: list[Slug] = Field(default_factory=list)
    near: list[Slug] = Field(default_factory=list)  # counts only as "near/around <place>"
    actors: list[Slug] = Field(default_factory=list)
    state: ClaimState = ClaimState()
    # groups of phrases: every group must occur (any one phrase of it) in the sentence
    topic: list[Annotated[list[Text], Field(min_length=1)]] = Field(default_factory=list)
    topic_cues: list[EventClass] = Field(default_factory=list)  # event classes that also count as topic
    confirm: list[Text] = Field(default_factory=list)  # claim-specific phrases, optional
    update: list[Text] = Field(default_factory=list)
    contradict: list[Text] = Field(default_factory=list)


class Baseline(BaseModel):
    """A whole baseline file."""

    model_config = _Strict
    metadata: Metadata
    places: list[Place]
    actors: list[Actor]
    claims: Annotated[list[Claim], Field(min_length=1)]

    @property
    def id(self) -> str:
        """The baseline's id (from metadata)."""
        return self.metadata.id

    @property
    def as_of(self) -> date:
        """The date the claims describe."""
        return self.metadata.as_of


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; raise BaselineError with one line per problem."""
    name = str(path)
    raw = read_toml(path, BaselineError, "baseline file", "set baseline.file in the config")
    try:
        baseline = Baseline.model_validate(raw)
    except ValidationError as exc:
        raise BaselineError("\n".join(validation_lines(name, exc))) from None
    problems = check_references(baseline)
    if problems:
        raise BaselineError("\n".join(f"{name}: {problem}" for problem in problems))
    return baseline


def _known(ids: list[str]) -> str:
    shown = ", ".join(ids[:8])
    return shown + (", ..." if len(ids) > 8 else "")


def _duplicates(section: str, ids: list[str]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for index, item_id in enumerate(ids):
        if item_id in seen:
            problems.append(f"{section}[{index}].id: duplicate id {item_id!r} (ids must be unique)")
        seen.add(item_id)
    return problems


def check_references(baseline: Baseline) -> list[str]:
    """Cross-reference problems (unknown ids, duplicates, missing kind-specific state), one per line."""
    place_ids = [place.id for place in baseline.places]
    actor_ids = [actor.id for actor in baseline.actors]
    problems = _duplicates("places", place_ids)
    problems += _duplicates("actors", actor_ids)
    problems += _duplicates("claims", [claim.id for claim in baseline.claims])
    for index, place in enumerate(baseline.places):
        if not place.aliases:
            problems.append(f"places[{index}].aliases: give at least one spelling of {place.name!r}")
        for n, lookalike in enumerate(place.lookalikes):
            if lookalike.casefold() in {alias.casefold() for alias in place.aliases}:
                problems.append(
                    f"places[{index}].lookalikes[{n}]: {lookalike!r} is also an alias (remove it from one list)"
                )
    for index, claim in enumerate(baseline.claims):
        where = f"claims[{index}]"
        for key in ("places", "near"):
            for n, place_id in enumerate(getattr(claim, key)):
                if place_id not in place_ids:
                    problems.append(
                        f"{where}.{key}[{n}]: unknown place {place_id!r} (known: {_known(place_ids)})"
                    )
        for n, actor_id in enumerate(claim.actors):
            if actor_id not in actor_ids:
                problems.append(
                    f"{where}.actors[{n}]: unknown actor {actor_id!r} (known: {_known(actor_ids)})"
                )
        state = claim.state
        for key in ("holder", "rival", "actor", "source"):
            value = getattr(state, key)
            if value is not None and value not in actor_ids:
                problems.append(f"{where}.state.{key}: unknown actor {value!r} (known: {_known(actor_ids)})")
        problems += [f"{where}.{problem}" for problem in _kind_problems(claim)]
    return problems


def _kind_problems(claim: Claim) -> list[str]:
    state = claim.state
    needs: dict[str, tuple[str, ...]] = {
        "control": ("holder", "rival", "status"),
        "activity": ("actor",),
        "quantity": ("low", "high", "unit"),
        "assessment": ("source", "stance"),
        "forecast": ("actor",),
        "history": ("actor",),
    }
    problems = [
        f"state.{key}: required for a {claim.kind} claim (add it under [claims.state])"
        for key in needs[claim.kind]
        if getattr(state, key) is None
    ]
    if claim.kind in {"control", "history"} and not (claim.places or claim.near):
        problems.append(f"places: a {claim.kind} claim needs at least one place")
    if claim.kind in {"activity", "quantity", "assessment", "forecast"} and not (
        claim.topic or claim.topic_cues
    ):
        problems.append(f"topic: a {claim.kind} claim needs topic phrases or topic_cues")
    if state.low is not None and state.high is not None and state.low > state.high:
        problems.append(f"state.low: {state.low:g} is above state.high {state.high:g} (swap them)")
    if state.holder is not None and state.holder == state.rival:
        problems.append(
            f"state.rival: same as state.holder {state.holder!r} (a control claim needs two sides)"
        )
    return problems
