"""The stored stories a new item may be a syndicated copy of: a word-shingle index in front of `find_syndicated`.

`find_syndicated` scores a new item against every candidate it is given (rapidfuzz ratio,
about 2 µs a pair in all), so a cycle that compared each new item with every recent one cost
n²/2 pairs: 200 million for a cold cycle of 1,000 feeds of 20 items, most of that cycle's time
(py-spy, benchmarks/README.md). A copy that reaches the similarity threshold (92) shares long
verbatim stretches with its original: a changed headline suffix, a dateline, a few edited
words. So the index keeps, for each run of three consecutive words (a shingle) of each
candidate's story text, which candidates hold it, and a new item is scored only against the
candidates that share at least two shingles with it and at least a fifth of the shingles of
the shorter of the two texts, in the order they were added (so `find_syndicated`'s tie rule,
first candidate wins, still holds). Unrelated reports on one subject share stock phrases
("Russian forces captured", "in the Donetsk region"): in the cycle benchmark's feeds no two
different items share more than 16% of their shingles, and they averaged 38 candidates an item
under the two-shingle rule alone. Texts under three words are
keyed by the whole text: short texts must be equal to match anyway.

Known miss, accepted: a copy with an edit in every third word throughout scores under 92 in
any case, so no real copy is lost; the index only skips candidates that share at most one
three-word run, or under a fifth of the shorter text's runs (an edit in every fourth word or
so, throughout), which are not copies under `find_syndicated`'s rules in practice. Runs that
more than STOCK_PHRASE_HOLDERS candidates hold are not counted at all: a copy still shares its
own runs (all 300 copies of random earlier items found among 20,000 benchmark items, each with
an edit in every ninth word, against the same 300 by brute force).

Pure: no I/O; imports only `dedupe`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import chain

from pipeline.dedupe import StoryCandidate, find_syndicated

SHINGLE_WORDS = 3
# Shingles a candidate must share with the new text (or all of a text with fewer): one shared
# phrase ("according to the") is common between unrelated reports; a copy shares dozens.
MIN_SHARED = 2
# ... and this share of the shorter text's shingles: a copy keeps most of its three-word runs.
MIN_SHARED_FRACTION = 0.2
# A shingle more candidates than this hold is a stock phrase: counting its holders made each
# look-up grow with the index (157 -> 514 µs an item from 5,000 to 20,000 benchmark items), and
# sharing it says nothing about being a copy. Stock phrases are left out of both the count and
# the text's shingles that the fifth is taken of.
STOCK_PHRASE_HOLDERS = 256


class StoryIndex:
    """Candidates for syndicated-copy matching, looked up by shared word shingles."""

    def __init__(self, candidates: Iterable[StoryCandidate] = ()) -> None:
        self._candidates: list[StoryCandidate] = []
        self._sizes: list[int] = []  # each candidate's number of distinct shingles
        self._postings: defaultdict[str, list[int]] = defaultdict(list)
        for candidate in candidates:
            self.add(candidate)

    def __len__(self) -> int:
        return len(self._candidates)

    def add(self, candidate: StoryCandidate, keys: set[str] | None = None) -> None:
        """Make a stored item a candidate for later items (`keys`: `shingles(candidate.text)`, if known)."""
        position = len(self._candidates)
        self._candidates.append(candidate)
        keys = shingles(candidate.text) if keys is None else keys
        self._sizes.append(len(keys))
        for key in keys:
            self._postings[key].append(position)

    def find(self, text: str, min_similarity: float, keys: set[str] | None = None) -> StoryCandidate | None:
        """The candidate `text` (a `story_text`) is a syndicated copy of, as `find_syndicated` decides."""
        keys = shingles(text) if keys is None else keys
        get = self._postings.get
        # the holders of each of the text's shingles that is not a stock phrase, counted in one C pass
        held = [holders for holders in (get(key, ()) for key in keys) if len(holders) <= STOCK_PHRASE_HOLDERS]
        counted = len(held)
        shared = Counter(chain.from_iterable(held))
        needed = min(MIN_SHARED, counted)
        sizes = self._sizes
        positions = sorted(
            position
            for position, count in shared.items()
            if count >= needed and count >= MIN_SHARED_FRACTION * min(counted, sizes[position])
        )
        if not positions:
            return None
        return find_syndicated(text, [self._candidates[p] for p in positions], min_similarity)


def shingles(text: str) -> set[str]:
    """The runs of SHINGLE_WORDS words of a story text (the whole text when it is shorter)."""
    words = text.split()
    if len(words) < SHINGLE_WORDS:
        return {text} if text else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}
