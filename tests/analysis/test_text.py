# ruff: noqa: RUF001 -- Cyrillic letters and typographic apostrophes are the test data
"""Folding, sentence splitting, tokenising and the phrase lexicon."""

from __future__ import annotations

import pytest

from pipeline.analysis.text import Lexicon, fold, normalise, split_sentences, tokenise


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Бахмут", "Bakhmut"),
        ("Bachmut", "Bakhmut"),
        ("Bakhmut's", "Bakhmut"),
        ("Сіверськ", "Северск"),
        ("Кремінна", "Kreminna"),
        ("Запоріжжя", "Zaporizhzhia"),
        ("Zaporozhye", "Запорожье"),
        ("Клещеевка", "Klishchiivka"),
        ("Kyiv", "Kiev"),
        ("Харків", "Kharkiv"),
        ("Avdiivka", "Авдеевка"),
        ("Kam’ianka", "Кам'янка"),
    ],
)
def test_spellings_fold_to_one_key(a: str, b: str) -> None:
    assert fold(a) == fold(b)


@pytest.mark.parametrize(
    ("a", "b"), [("Bakhmut", "Bakhmach"), ("Kreminna", "Kremenchuk"), ("Avdiivka", "Andriivka")]
)
def test_lookalikes_keep_distinct_keys(a: str, b: str) -> None:
    assert fold(a) != fold(b)


def test_fold_keeps_word_boundaries_and_drops_punctuation() -> None:
    assert fold("У Бахмуті — бої!") == "u bakmuti boi"


def test_normalise_keeps_script_and_drops_marks_and_signs() -> None:
    assert normalise("Ёлка, Київ’s Café") == "елка, киів cafe"


def test_split_sentences_respects_abbreviations_and_initials() -> None:
    text = "Gen. Syrskyi met U.S. officials on Jan. 5. Then Russia attacked! J. Smith said «yes». Next\nTitle"
    assert split_sentences(text) == [
        "Gen. Syrskyi met U.S. officials on Jan. 5.",
        "Then Russia attacked!",
        "J. Smith said «yes».",
        "Next",
        "Title",
    ]


def test_tokenise_aligns_light_key_surface_and_clauses() -> None:
    tokens = tokenise("Russia took Бахмут, which Kyiv denied")
    assert tokens.light == ("russia", "took", "бахмут", "which", "kyiv", "denied")
    assert tokens.keys[2] == "bakmut"
    assert tokens.surface[2] == "Бахмут"
    assert tokens.clauses == (0, 0, 0, 1, 1, 1)


def test_lexicon_stems_phrases_and_longest_match() -> None:
    lexicon = Lexicon()
    lexicon.add("gain", ["captur*", "took control", "took"])
    lexicon.add("uk", ["захопи*"])
    hits = lexicon.find(tokenise("Russia took control after capturing it; росіяни захопили").light)
    assert [(h.label, h.start, h.end) for h in hits] == [("gain", 1, 3), ("gain", 4, 5), ("uk", 7, 8)]
