"""Which sentences of an item are worth tokenising: a per-word test, remembered, run before any sentence work.

A sentence can only give a reading when one of its words could start a place hit, it holds a word
that is a key word of each topic group one claim tied to no place needs ("trained", "troops",
"Europe"; a phrase's key is its longest exact word, which it cannot be found without),
or (once a place was named earlier in the item) one of its words refers back to a place ("the
city", "село", "it"). `WordGate` classifies each distinct light word once against the
compiled baseline and remembers the answer: news repeats its words, so after a few items almost
every word is a dictionary look-up. `ItemWords` holds an item's words of each kind, so that the
test of one sentence is a set operation in C, not a loop over its tokens.

The test is a superset of what `claims._view` reads: every sentence it drops would have been
dropped there, after tokenising. `OPEN` lets every sentence through (tests use it to
show the gate changes no finding).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import NamedTuple

from pipeline.analysis.places import PlaceIndex
from pipeline.analysis.text import KeyWords, word_key

PLACE, TOPIC, REFER = 1, 2, 4
_CACHE = 1 << 17  # distinct words remembered per gate; cleared when full (a long-running service)

# per placeless claim, the item's key words of each topic group it needs in one sentence
Needs = tuple[tuple[frozenset[str], ...], ...]


class ItemWords(NamedTuple):  # a tuple: one per item, built faster than a frozen dataclass
    """An item's distinct words that could start a place, are key words of a placeless claim's topics, or refer back."""

    place: frozenset[str]
    needs: Needs  # only the claims whose every group has a key word somewhere in the item
    refer: frozenset[str]
    open: bool = False  # every sentence passes (the gate switched off)

    @property
    def may_speak(self) -> bool:
        """Whether any sentence could be read: a word that could start a place, or every group of a topic."""
        return self.open or bool(self.place or self.needs)

    def sentence(self, words: Sequence[str], named: bool) -> int:
        """The kinds of word in one sentence's light words (`named`: a place was named before it)."""
        if self.open:
            return PLACE | TOPIC | REFER
        kinds = PLACE if self.place and not self.place.isdisjoint(words) else 0
        for groups in self.needs:
            for group in groups:  # plain loops: a generator per sentence costs more than the test
                if group.isdisjoint(words):
                    break
            else:
                kinds |= TOPIC
                break
        if named and self.refer and not self.refer.isdisjoint(words):
            kinds |= REFER
        return kinds


OPEN = ItemWords(frozenset(), (), frozenset(), open=True)


class WordGate:
    """Classifies light words against a compiled baseline, remembering each word's kinds."""

    def __init__(
        self,
        places: PlaceIndex,
        known_words: frozenset[str],
        topics: Sequence[Sequence[KeyWords]],
        refer_words: frozenset[str],
    ) -> None:
        self._places = places
        self._known = known_words
        self._refer = refer_words
        # each placeless claim's needed groups, as indexes into one flat list of the groups' key words
        self._groups = [keys for need in topics for keys in need]
        self._needs: list[range] = []
        start = 0
        for need in topics:
            self._needs.append(range(start, start + len(need)))
            start += len(need)
        # every word classified so far, those of any kind, and those of each kind and topic group: an
        # item's words are then found by set operations in C, with only its new words classified in Python
        self._seen: set[str] = set()
        self._marked: set[str] = set()
        self._of_kind: dict[int, set[str]] = {PLACE: set(), TOPIC: set(), REFER: set()}
        self._of_group: list[set[str]] = [set() for _ in self._groups]

    def item(self, sentences: Sequence[Sequence[str]]) -> ItemWords:
        """The item's words of each kind, from the light words of its sentences."""
        words = sentences[0] if len(sentences) == 1 else list(chain.from_iterable(sentences))
        # two passes over the list, no set of the item's words: most words are seen and of no kind
        if not self._seen.issuperset(words):
            distinct = set(words)
            if len(self._seen) + len(distinct) > _CACHE:  # a long-running service meets new words forever
                # fresh sets, never cleared ones: a caller reading the old sets still sees them whole
                self._seen, self._marked = set(), set()
                self._of_kind = {PLACE: set(), TOPIC: set(), REFER: set()}
                self._of_group = [set() for _ in self._groups]
            new = distinct - self._seen
            for word in new:  # its kinds first, then seen: a word seen always has its kinds recorded
                self._classify(word)
            self._seen |= new
        of_kind, of_group = self._of_kind, self._of_group
        marked = self._marked.intersection(words)
        needs: Needs = ()
        keyed = marked & of_kind[TOPIC]  # most items hold no key word of any group
        if keyed:
            in_item = [keyed & group for group in of_group]
            needs = tuple(
                tuple(frozenset(in_item[n]) for n in need)
                for need in self._needs
                if all(map(in_item.__getitem__, need))  # in C: no generator frame per claim
            )
        return ItemWords(frozenset(marked & of_kind[PLACE]), needs, frozenset(marked & of_kind[REFER]))

    def _classify(self, word: str) -> None:
        of_kind = self._of_kind
        if self._places.may_name(((word, word_key(word)),), self._known):
            of_kind[PLACE].add(word)
        if word in self._refer:
            of_kind[REFER].add(word)
        for keys, words in zip(self._groups, self._of_group, strict=True):
            if keys.covers(word):
                words.add(word)
                of_kind[TOPIC].add(word)
        if any(word in kind_words for kind_words in of_kind.values()):
            self._marked.add(word)
