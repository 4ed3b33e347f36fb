"""Which sentences of an item are worth tokenising: a per-word test, remembered, run before any sentence work.

A sentence can only give a reading when one of its words could start a place hit, opens the topic
of a claim tied to no place, or (once a place was named earlier in the item) refers back to one
("the city", "село", "it"). `WordGate` classifies each distinct light word once against the
compiled baseline and remembers the answer: news repeats its words, so after a few items almost
every word is a dictionary look-up. `ItemWords` holds an item's words of each kind, so that the
test of one sentence is a set operation in C, not a loop over its tokens.

The test is a superset of what `claims._view` reads: every sentence it drops would have been
dropped there, after tokenising. `OPEN` lets every sentence through (tests use it to
show the gate changes no finding).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.analysis.places import PlaceIndex
from pipeline.analysis.text import word_key

PLACE, TOPIC, REFER = 1, 2, 4
_CACHE = 1 << 17  # distinct words remembered per gate; cleared when full (a long-running service)


@dataclass(frozen=True, slots=True)
class ItemWords:
    """An item's distinct words that could start a place, open a placeless topic, or refer back."""

    place: frozenset[str]
    topic: frozenset[str]
    refer: frozenset[str]
    open: bool = False  # every sentence passes (the gate switched off)

    @property
    def may_speak(self) -> bool:
        """Whether any sentence could be read: a word that could start a place or a placeless topic."""
        return self.open or bool(self.place or self.topic)

    def sentence(self, words: Sequence[str], named: bool) -> int:
        """The kinds of word in one sentence's light words (`named`: a place was named before it)."""
        if self.open:
            return PLACE | TOPIC | REFER
        kinds = PLACE if self.place and not self.place.isdisjoint(words) else 0
        if self.topic and not self.topic.isdisjoint(words):
            kinds |= TOPIC
        if named and self.refer and not self.refer.isdisjoint(words):
            kinds |= REFER
        return kinds


OPEN = ItemWords(frozenset(), frozenset(), frozenset(), open=True)


class WordGate:
    """Classifies light words against a compiled baseline, remembering each word's kinds."""

    def __init__(
        self,
        places: PlaceIndex,
        known_words: frozenset[str],
        topic_words: frozenset[str],
        topic_stems: dict[str, tuple[str, ...]],
        refer_words: frozenset[str],
    ) -> None:
        self._places = places
        self._known = known_words
        self._topic_words = topic_words
        self._topic_stems = topic_stems
        self._refer = refer_words
        # every word classified so far, and those of each kind: an item's words are then found by
        # set operations in C, with only its new words classified in Python
        self._seen: set[str] = set()
        self._of_kind: dict[int, set[str]] = {PLACE: set(), TOPIC: set(), REFER: set()}

    def item(self, sentences: Iterable[Sequence[str]]) -> ItemWords:
        """The item's words of each kind, from the light words of its sentences."""
        distinct = set().union(*sentences)
        seen, of_kind = self._seen, self._of_kind
        if len(seen) + len(distinct) > _CACHE:  # a long-running service meets new words forever
            # fresh sets, never cleared ones: a caller reading the old sets still sees them whole
            seen, of_kind = set(), {PLACE: set(), TOPIC: set(), REFER: set()}
            self._seen, self._of_kind = seen, of_kind
        new = distinct - seen
        for word in new:  # its kinds first, then seen: a word seen always has its kinds recorded
            kinds = self._classify(word)
            for kind, kind_words in of_kind.items():
                if kinds & kind:
                    kind_words.add(word)
        seen |= new
        return ItemWords(
            frozenset(distinct & of_kind[PLACE]),
            frozenset(distinct & of_kind[TOPIC]),
            frozenset(distinct & of_kind[REFER]),
        )

    def _classify(self, word: str) -> int:
        kinds = PLACE if self._places.may_name(((word, word_key(word)),), self._known) else 0
        stems = self._topic_stems.get(word[:3], ())
        if word in self._topic_words or any(word.startswith(stem) for stem in stems):
            kinds |= TOPIC
        if word in self._refer:
            kinds |= REFER
        return kinds
