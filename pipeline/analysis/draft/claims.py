"""Claim candidates: the sentences of an article that read like claims a baseline could track.

Every sentence is scored for claim-likeness (a place or a named actor, an assertion verb, numbers, modal
or forecast words); sentences that are mostly a quotation are dropped (headings and bylines never reach
here); the best `MAX_CLAIMS` are kept in article order with a slug id (place + key verb) and a guessed
kind. Pure: sentences and the draft's places in, claims out; no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.analysis.draft.article import (
    NEVER_PLACES,
    POSSESSIVE,
    TOKEN,
    capitalised,
    is_acronym,
    slug,
    tokens_of,
    unique_id,
    word_list,
)
from pipeline.analysis.draft.places import DraftPlace, PlaceAcc
from pipeline.analysis.text import fold

MAX_CLAIMS = 25


@dataclass(frozen=True, slots=True)
class DraftClaim:
    """A sentence that reads like a claim the baseline could track."""

    id: str
    text: str
    places: tuple[str, ...]  # DraftPlace ids
    kind_guess: str  # control, quantity, forecast, assessment, supply, history, trend
    topic: tuple[str, ...] = ()


_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        ("control", r"\b(?:captur\w*|seiz\w*|taken|took|fell|fall of|hold(?:s|ing)?|held|liberat\w*|retak\w*|recaptur\w*|encircl\w*|surround\w*|withdr[ae]w\w*|occup\w*|push(?:ed)? \w+ out|repel\w*|retreat\w*|advanc(?:e|ed|ing)\b)"),
        ("forecast", r"\b(?:will|would|expected|anticipated|likely|(?-i:may)|might|could|forecast\w*|coming (?:days|weeks|months)|potential|plans? to|set to|poised)\b"),
        ("supply", r"\b(?:send\w*|sent|ship\w*|deliver\w*|supplies|supply|weapons|ammunition|generators|meals|funds|train(?:ed|ing)|deploy\w*)\b"),
        ("quantity", r"\b(?:\d[\d,.]*|hundreds|thousands|dozens|millions?|billions?|percent)\b|%"),
        ("trend", r"\b(?:deteriorat\w*|improv\w*|increas\w*|decreas\w*|declin\w*|grow\w*|rising|falling|faster|slower|shift\w*|momentum|stabili[sz]\w*|losing|gains?)\b"),
        ("assessment", r"\b(?:says?|said|believed?|claim\w*|estimat\w*|argu\w*|assess\w*|describ\w*|according to|reportedly|stated|asserted|suggest\w*|speculat\w*|warn\w*|considered)\b"),
        ("history", r"\b(?:was|were|had|previously|earlier|in \d{4})\b"),
    )
)  # fmt: skip
_ASSERTION = re.compile(
    r"\b(?:ha(?:s|ve|d) (?:been )?(?:taken|captured|made|launched|initiated|spent|rescued|shipped|deployed|approved)"
    r"|captur\w*|took|taken|fell|seiz\w*|retak\w*|destroy\w*|encircl\w*|surround\w*|(?:is|are) (?:now )?\w+ing"
    r"|are being \w+|expected|anticipated|may have to|says?|said|believed?|claim\w*|estimat\w*|argu\w*"
    r"|assert\w*|stated|reported\w*|approved|declared|deployed)\b",
    re.I,
)
_FORECAST = re.compile(
    r"\b(?:will|(?-i:may)|might|could|likely|expected|anticipated|potential|coming (?:days|weeks|months))\b",
    re.I,
)
_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(?:hundreds|thousands|dozens|millions?|billions?)\b|%|\$", re.I)
_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")
_KEY_VERB = re.compile(
    r"\b(fell|fall|captured|capture|taken|take|hold|holds|held|retaken|seized|encircled?|surrounded|withdraw|losing|lost|"
    r"sending|sent|shipped|deployed|trained|destroyed|killed|advised|advising|expected|anticipated|"
    r"believed|claimed|estimated|argued|asserted|said|says|stated|approved|declared|launched|initiated|"
    r"rescued|improving|deteriorating|spent|hindering|retreated|repelled|constructed|crossed|may have to)\b",
    re.I,
)
_STOPWORDS = frozenset(
    word_list(
        "about above after again against also although among another because been before being between both "
        "could does doing down during each even ever every from further have having here into itself just more "
        "most much must only other over same should some such than that their them then there these they this "
        "those through under until very were what when where which while whom will with within would your "
        "said says once still where been part made make many well back least being upon onto toward towards "
        "including include includes across around against along"
    )
)


def _claim_score(sentence: str, places: int, actors: int) -> float:
    if len(sentence.split()) < 6:
        return 0.0
    unquoted = _QUOTED.sub(" ", sentence)
    if len(unquoted.split()) < 5:
        return 0.0  # a quotation on its own: nothing to track without who said it
    score = 0.0
    if places:
        score += 2 + min(places - 1, 2) * 0.5
    if actors:
        score += 1
    if _ASSERTION.search(unquoted):
        score += 2
    if _NUMBER.search(unquoted):
        score += 1
    if _FORECAST.search(unquoted):
        score += 1.5
    return score


def _actors(sentence: str) -> list[str]:
    """Capitalised words mid-sentence and acronyms: who acts or speaks."""
    tokens = tokens_of(sentence)
    return [
        t.text
        for i, t in enumerate(tokens)
        if (i > 0 and capitalised(t) and t.text.casefold() not in NEVER_PLACES) or is_acronym(t.text)
    ]


def _kind(sentence: str) -> str:
    for kind, pattern in _KINDS:
        if pattern.search(sentence):
            return kind
    return "assessment"


def _topic(sentence: str, exclude: Iterable[str]) -> tuple[str, ...]:
    skip = {fold(w) for name in exclude for w in name.split()}
    words: list[str] = []
    for token in TOKEN.findall(_QUOTED.sub(" ", sentence)):
        word = POSSESSIVE.sub("", token).casefold()
        if len(word) >= 4 and word not in _STOPWORDS | NEVER_PLACES and fold(word) not in skip | set(words):
            words.append(word)
    return tuple(words[:5])


def draft_claims(
    sentences: Sequence[str], places: Sequence[DraftPlace], accs: Sequence[PlaceAcc]
) -> tuple[DraftClaim, ...]:
    """The best `MAX_CLAIMS` claim-like sentences, in article order, with ids, places and kinds."""
    by_sentence: dict[int, list[DraftPlace]] = {}
    for place, acc in zip(places, accs, strict=True):
        for index in dict.fromkeys(acc.sentences):
            by_sentence.setdefault(index, []).append(place)
    scored: list[tuple[float, int]] = []
    for index, sentence in enumerate(sentences):
        here = by_sentence.get(index, [])
        place_words = {w for p in here for w in p.name.split()} | {
            w for acc in accs if index in acc.sentences for s in acc.surfaces for w in s.split()
        }
        actors = [a for a in _actors(sentence) if a not in place_words]
        score = _claim_score(sentence, len(here), len(actors))
        if score >= 3:
            scored.append((score, index))
    keep = sorted(index for _, index in sorted(scored, key=lambda s: (-s[0], s[1]))[:MAX_CLAIMS])
    used: set[str] = set()
    claims = []
    for index in keep:
        sentence = sentences[index]
        here = sorted(by_sentence.get(index, []), key=lambda p: sentence.find(p.name) % (len(sentence) + 1))
        names = [p.name for p in here]
        verb = _KEY_VERB.search(_QUOTED.sub(" ", sentence))
        topic = _topic(sentence, names)
        subject = (
            slug(here[0].name, 3) if here else slug(" ".join(_actors(sentence)[:1]) or " ".join(topic[:1]), 3)
        )
        action = slug(verb.group(1), 3) if verb else slug(" ".join(topic[:2]), 2)
        base = "-".join(part for part in (subject, action) if part) or "claim"
        claims.append(
            DraftClaim(
                id=unique_id(base, used),
                text=sentence,
                places=tuple(dict.fromkeys(p.id for p in here)),
                kind_guess=_kind(sentence),
                topic=topic,
            )
        )
    return tuple(claims)
