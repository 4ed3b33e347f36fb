"""The stored stories a new item may be a syndicated copy of: a fingerprint index in front of `find_syndicated`.

`find_syndicated` scores a new item against every candidate it is given (rapidfuzz ratio,
about 2 µs a pair in all), so a cycle that compared each new item with every recent one cost
n²/2 pairs: 200 million for a cold cycle of 1,000 feeds of 20 items, most of that cycle's time
(py-spy, benchmarks/README.md). A copy that reaches the similarity threshold (92) shares long
verbatim stretches with its original: a changed headline suffix, a dateline, a few edited
words. So the index keeps, for each fingerprint of each candidate's story text
(`dedupe.story_fingerprints`: the winnowed hashes of its runs of three words, about 2 in 5 of
them, and any six words in a row that two texts share give them a fingerprint in common), which
candidates hold it, and a new item is scored only against the candidates that share at least
two fingerprints with it and at least a tenth of the fingerprints of the smaller of the two
sets, in the order they were added (so `find_syndicated`'s tie rule, first candidate wins,
still holds). Unrelated reports on one subject share stock phrases ("Russian forces
captured", "in the Donetsk region"): in the cycle benchmark's feeds they averaged 38
candidates an item under the two-run rule alone. Texts under three words are keyed by the
whole text: short texts must be equal to match anyway.

Winnowing keeps 2 in 5 runs and so cuts a look-up's dictionary probes and holders counted to
about 2 in 5 (20,000 benchmark items: 105 → 34 µs a look-up, 14 → 4.5 µs to add one), and
`item_keys` computes the fingerprints in the pool's process, not the event loop's.

Known miss, accepted: a copy with an edit in every third word throughout scores under 92 in
any case, so no real copy is lost; the index only skips candidates that share at most one
fingerprint, or under a tenth of the smaller set's, which takes an edit every fourth or fifth
word throughout (300 copies of random earlier items among 10,000 benchmark items, against
brute force: all 300 found with an edit in every ninth word, all but ~2 with one in every
fifth, ~250 with one in every fourth; every stored run of three words found all 300 at every
fourth). Fingerprints that more than STOCK_PHRASE_HOLDERS candidates hold are not counted at
all: a copy still shares its own.

Pure: no I/O; imports only `dedupe`.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Set
from itertools import chain

from pipeline.dedupe import StoryCandidate, find_syndicated, story_fingerprints

# Fingerprints a candidate must share with the new text (or all of a text with fewer): one shared
# phrase ("according to the") is common between unrelated reports; a copy shares dozens of runs.
MIN_SHARED = 2
# ... and this share of the smaller fingerprint set: a copy keeps most of its runs of three words.
MIN_SHARED_FRACTION = 0.1
# A fingerprint more candidates than this hold is a stock phrase: counting its holders made each
# look-up grow with the index (157 -> 514 µs an item from 5,000 to 20,000 benchmark items), and
# sharing it says nothing about being a copy. Stock phrases are left out of both the count and
# the text's fingerprints that the tenth is taken of.
STOCK_PHRASE_HOLDERS = 256
# Candidates an index keeps at most (`StoryIndex`): eight times the stored stories a cycle starts
# from, and a cold cycle of 1,000 feeds (20,000 items) never drops one.
CANDIDATES_KEPT = 40_000


def _numbers() -> array[int]:
    return array("q")  # 64-bit: sequence numbers only grow


class StoryIndex:
    """Candidates for syndicated-copy matching, looked up by shared fingerprints; at most `capacity` of them.

    A cycle adds every item it stores, and a look-up's cost grows with what the index holds
    (finding 44 of benchmarks/README.md), as does its memory (a first cycle over 100,000 feeds
    would add two million items). So the index keeps the latest candidates only: when it holds
    `capacity`, the older half is dropped, and a copy is found when its original is among the
    last `capacity // 2` to `capacity` candidates added. A cycle reads only the newest 5,000
    stored stories to start with (`Store.recent_story_candidates`) for the same reason.

    Each candidate has a sequence number, its position in the order of adding; each fingerprint
    maps to the ascending sequence numbers of its holders, as a C array (counting a look-up's
    holders then reads ints made fresh in cache, where a list's point to objects spread over the
    heap: at 75,000 candidates, 157 -> 92 ns a holder counted; finding 44). One map for every
    candidate kept, not one per half: a look-up's dictionary probes miss the cache, and two maps
    made each look-up probe twice once both held candidates (finding 59).
    """

    def __init__(self, candidates: Iterable[StoryCandidate] = (), capacity: int = CANDIDATES_KEPT) -> None:
        self._half = max(1, capacity // 2)
        self._candidates: list[StoryCandidate] = []
        self._sizes: list[int] = []  # each candidate's number of fingerprints
        self._first = 0  # the sequence number of self._candidates[0]
        self._postings: defaultdict[int, array[int]] = defaultdict(_numbers)
        for candidate in candidates:
            self.add(candidate)

    def __len__(self) -> int:
        return len(self._candidates)

    def add(self, candidate: StoryCandidate, keys: Set[int] | None = None) -> None:
        """Make a stored item a candidate for later items (`keys`: its text's fingerprints, if known)."""
        if len(self._candidates) >= 2 * self._half:
            self._drop_oldest(self._half)
        keys = story_fingerprints(candidate.text) if keys is None else keys
        number = self._first + len(self._candidates)
        self._candidates.append(candidate)
        self._sizes.append(len(keys))
        for key in keys:
            self._postings[key].append(number)

    def find(self, text: str, min_similarity: float, keys: Set[int] | None = None) -> StoryCandidate | None:
        """The candidate `text` (a `story_text`) is a syndicated copy of, as `find_syndicated` decides."""
        candidates = self._sharing(story_fingerprints(text) if keys is None else keys)
        return find_syndicated(text, candidates, min_similarity) if candidates else None

    def _sharing(self, keys: Set[int]) -> list[StoryCandidate]:
        """The candidates that share enough of `keys` (the module's rule), in the order they were added."""
        get = self._postings.get
        # the holders of each of the text's fingerprints that is not a stock phrase, counted in one C pass
        held = [holders for holders in (get(key, ()) for key in keys) if len(holders) <= STOCK_PHRASE_HOLDERS]
        counted = len(held)
        shared = Counter(chain.from_iterable(held))
        needed = min(MIN_SHARED, counted)
        sizes, first = self._sizes, self._first
        numbers = sorted(
            number
            for number, count in shared.items()
            if count >= needed and count >= MIN_SHARED_FRACTION * min(counted, sizes[number - first])
        )
        return [self._candidates[number - first] for number in numbers]

    def _drop_oldest(self, count: int) -> None:
        """Forget the `count` candidates added first, and every fingerprint only they held."""
        cutoff = self._first + count
        del self._candidates[:count], self._sizes[:count]
        self._first = cutoff
        # one pass over the map every `count` additions: 0.06 s for 20,000, ~3 µs an addition (finding 59)
        gone: list[int] = []
        for key, holders in self._postings.items():
            if holders[-1] < cutoff:
                gone.append(key)
            elif holders[0] < cutoff:
                del holders[: bisect_left(holders, cutoff)]
        for key in gone:
            del self._postings[key]
