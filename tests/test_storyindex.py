"""Tests for pipeline.storyindex: the shingle index finds what find_syndicated finds, and skips the rest."""

from __future__ import annotations

import pytest

from pipeline import storyindex
from pipeline.dedupe import StoryCandidate, find_syndicated, story_text
from pipeline.storyindex import STOCK_PHRASE_HOLDERS, StoryIndex
from tests.test_dedupe import DEFAULT, ORIGINAL, SUMMARY, TITLE

COPIES = [
    (TITLE + " - Reuters", SUMMARY),
    (TITLE.upper() + " | Kyiv Post", SUMMARY),
    (TITLE, SUMMARY.split(" - ", 1)[1]),
    (TITLE, SUMMARY.replace("pounded", "shelled").replace("pressed an offensive", "pushed an assault")),
    (TITLE + " - Reuters", SUMMARY[:160] + "…"),
]
OTHER = StoryCandidate(2, 20, story_text("Ukraine reinforces Bakhmut", "Fresh units arrived on Thursday."))


@pytest.mark.parametrize(("title", "summary"), COPIES)
def test_the_index_finds_every_copy_find_syndicated_finds(title: str, summary: str) -> None:
    text = story_text(title, summary)
    index = StoryIndex([OTHER, ORIGINAL])
    assert find_syndicated(text, [OTHER, ORIGINAL], DEFAULT) == ORIGINAL
    assert index.find(text, DEFAULT) == ORIGINAL


def test_a_different_report_is_not_a_copy_and_an_unrelated_one_is_never_scored() -> None:
    index = StoryIndex([ORIGINAL])
    assert index.find(story_text(TITLE, SUMMARY.replace("14 settlements", "17 settlements")), DEFAULT) is None
    assert index.find(story_text("Grain deal talks resume", "Negotiators met in Istanbul."), 0) is None
    assert find_syndicated(
        story_text("Grain deal talks resume", "Negotiators met in Istanbul."), [ORIGINAL], 0
    )


def test_short_texts_are_keyed_whole_and_later_candidates_are_found() -> None:
    index = StoryIndex()
    assert index.find(story_text("Bakhmut", ""), DEFAULT) is None
    short = StoryCandidate(5, 5, story_text("Bakhmut", ""))
    index.add(short)
    index.add(ORIGINAL)
    assert len(index) == 2
    assert index.find(story_text("Bakhmut!", ""), DEFAULT) == short
    assert index.find(story_text(TITLE + " - Reuters", SUMMARY), DEFAULT) == ORIGINAL


def test_ties_go_to_the_first_candidate_added() -> None:
    first = StoryCandidate(7, 7, ORIGINAL.text)
    second = StoryCandidate(8, 8, ORIGINAL.text)
    assert StoryIndex([first, second]).find(ORIGINAL.text, DEFAULT) == first


def test_a_report_sharing_only_stock_phrases_is_never_scored() -> None:
    # Shares "russian forces pounded", "of bakhmut with", "in the donetsk region"... with the
    # original, but under a fifth of its three-word runs: another report on the same subject.
    other = story_text(
        "Russian forces pounded Vuhledar overnight",
        "Russian forces pounded the outskirts of Vuhledar on Friday while the city of Bakhmut with its "
        "ruined factories stayed quiet, officials in the Donetsk region said, and repairs began on the "
        "water station that supplies several villages nearby after weeks without running water.",
    )
    index = StoryIndex([ORIGINAL])
    assert find_syndicated(other, [ORIGINAL], 0) == ORIGINAL  # scored, it would be a "match" at 0
    assert index.find(other, 0) is None


@pytest.mark.parametrize("every", [7, 5])
def test_a_copy_with_an_edit_every_few_words_is_still_found(every: int) -> None:
    words = SUMMARY.split()
    edited = " ".join(
        word + "s" if n % every == every // 2 and word.isalpha() else word for n, word in enumerate(words)
    )
    index = StoryIndex([OTHER, ORIGINAL])
    text = story_text(TITLE, edited)
    assert find_syndicated(text, [OTHER, ORIGINAL], DEFAULT) == ORIGINAL
    assert index.find(text, DEFAULT) == ORIGINAL


STOCK = "officials in the donetsk region said the city came under heavy shelling overnight"


def _stock_reports(count: int) -> list[StoryCandidate]:
    return [
        StoryCandidate(
            n, n, story_text(f"Report {n}", f"{STOCK} and repair crew {n} restored power to street {n}")
        )
        for n in range(count)
    ]


@pytest.mark.parametrize(
    "capacity",
    [
        storyindex.CANDIDATES_KEPT,
        # more holders than the limit in all, fewer in each half: the limit is of every candidate kept
        2 * STOCK_PHRASE_HOLDERS,
    ],
)
def test_stock_phrases_held_by_hundreds_of_stories_are_not_counted_and_copies_are_still_found(
    monkeypatch: pytest.MonkeyPatch, capacity: int
) -> None:
    stories = _stock_reports(STOCK_PHRASE_HOLDERS + 50)
    index = StoryIndex(stories, capacity=capacity)
    assert len(index) == len(stories)
    scored: list[int] = []

    def counting(text: str, candidates: list[StoryCandidate], min_similarity: float) -> StoryCandidate | None:
        scored.append(len(candidates))
        return find_syndicated(text, candidates, min_similarity)

    monkeypatch.setattr(storyindex, "find_syndicated", counting)
    copy = story_text("Report 120 - Reuters", f"{STOCK} and repair crew 120 restored power to street 120")
    assert index.find(copy, DEFAULT) == stories[120]
    assert scored[-1] < 10, "only stories sharing more than the stock phrase are scored"


def test_the_index_keeps_the_latest_candidates_only_and_finds_copies_among_them() -> None:
    # when the index holds `capacity`, the older half is dropped
    others = [
        StoryCandidate(100 + n, 100 + n, story_text(f"Report {n} on grain exports", f"Ships {n} left."))
        for n in range(3)
    ]
    index = StoryIndex([ORIGINAL, others[0], others[1]], capacity=4)
    assert (len(index), index.find(ORIGINAL.text, DEFAULT)) == (3, ORIGINAL)
    index.add(others[2])
    assert (len(index), index.find(ORIGINAL.text, DEFAULT)) == (4, ORIGINAL)
    index.add(OTHER)  # it was full: the original and others[0] go
    assert len(index) == 3
    assert index.find(ORIGINAL.text, DEFAULT) is None
    assert index.find(others[2].text, DEFAULT) == others[2]


def test_ties_go_to_the_first_candidate_added_after_a_drop() -> None:
    first = StoryCandidate(7, 7, ORIGINAL.text)
    second = StoryCandidate(8, 8, ORIGINAL.text)
    index = StoryIndex([OTHER, OTHER, OTHER, OTHER, OTHER, first, second], capacity=4)
    assert len(index) == 3
    assert index.find(ORIGINAL.text, DEFAULT) == first


def test_a_dropped_candidate_leaves_no_fingerprint_behind() -> None:
    index = StoryIndex(capacity=10)
    for n in range(1_000):
        index.add(
            StoryCandidate(n, n, story_text(f"Report {n} on grain", f"Convoy {n} left port {n * 7} today."))
        )
    kept = StoryIndex(list(index._candidates), capacity=10)  # the same candidates, never dropped
    assert len(index) == 10
    # what is held is the point: the same fingerprints, each with as many holders
    assert {key: len(held) for key, held in index._postings.items()} == {
        key: len(held) for key, held in kept._postings.items()
    }
    found = index.find(story_text("Report 995 on grain", "Convoy 995 left port 6965 today."), DEFAULT)
    assert found is not None
    assert found.item_id == 995
