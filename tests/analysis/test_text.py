# ruff: noqa: RUF001 -- Cyrillic letters and typographic apostrophes are the test data
"""Folding, sentence splitting, tokenising and the phrase lexicon."""

from __future__ import annotations

import random
import re

import pytest

from pipeline.analysis.text import (
    Lexicon,
    fold,
    light_texts,
    light_words,
    light_words_of,
    normalise,
    split_sentences,
    tokenise,
)


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


def test_light_words_of_gives_the_words_of_each_light_text_ascii_or_not() -> None:
    # every ASCII character, word characters and gaps, in runs of any length: the translate-and-split
    # path must cut exactly where `\w+` does; Cyrillic and accented texts take the regex path
    rng = random.Random(4)
    alphabet = [chr(c) for c in range(1, 128) if chr(c) != "\n"] + ["a", "b", "z", "0", "_", " "] * 8
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(400)]
    lights = [*light_texts(texts), "росіяни захопили бахмут", "über-straße, ok", ""]
    assert light_words_of(lights) == [re.findall(r"\w+", text) for text in lights]
    assert [light_words(text) for text in lights] == [re.findall(r"\w+", text) for text in lights]
    assert light_words_of(["Fighting in Bakhmut", "Бої за Бахмут"]) == [
        ["Fighting", "in", "Bakhmut"],
        ["Бої", "за", "Бахмут"],
    ]


def test_key_words_name_a_word_no_phrase_of_the_label_matches_without() -> None:
    lexicon = Lexicon()
    lexicon.add("lines", ["line of defence", "main line", "trench*", "anti-tank ditch*", "окоп*"])
    keys = lexicon.key_words()["lines"]
    # the longest exact word of each phrase, else its longest stem: "line" alone is nobody's key
    assert [keys.covers(w) for w in ("defence", "main", "trenches", "anti", "окопи")] == [True] * 5
    assert not keys.covers("line")
    assert not keys.covers("ditches"), "anti-tank ditch* is found by its first longest exact word, 'anti'"
    rng = random.Random(9)
    words = ["line", "of", "defence", "main", "trench", "trenches", "anti", "tank", "ditch", "the", "окопи"]
    for _ in range(2000):  # a hit of the label always holds one of its key words
        tokens = [rng.choice(words) for _ in range(rng.randint(1, 6))]
        if lexicon.find(tokens):
            assert any(keys.covers(token) for token in tokens), tokens


# words and marks that sentence cutting must get right: abbreviations, initials, decimals, quotes
_ONE_LINE_PIECES = [
    "Mr.",
    "(Mr.",
    "Smith",
    "said.",
    "U.S.",
    "troops",
    "e.g.",
    "г.",
    "3.5",
    "km!",
    '"Go."',
    "Then?",
    "a.",
    "b",
    "…",
    "x",
]


def test_split_sentences_cuts_one_line_texts_as_it_cuts_them_with_a_line_break_after() -> None:
    # a text with no line break is searched with the end-mark pattern alone; a final line break
    # sends the same text through the full pattern, which must cut it at the same places
    rng = random.Random(2)
    pieces = _ONE_LINE_PIECES
    for _ in range(500):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        assert split_sentences(text) == split_sentences(text + "\n"), text


def test_lexicon_finds_the_longest_phrase_of_each_label_at_each_position_as_brute_force_does() -> None:
    # phrases of one to three words, exact or stems, many sharing a first word (as "на ...", "the ...")
    rng = random.Random(6)
    vocabulary = ["the", "city", "cit", "на", "підступах", "до", "took", "tak", "control", "of"]
    phrases: dict[str, list[str]] = {}
    for _ in range(60):
        words = [
            rng.choice(vocabulary) + ("*" if rng.random() < 0.3 else "") for _ in range(rng.randint(1, 3))
        ]
        phrases.setdefault(f"l{rng.randint(0, 5)}", []).append(" ".join(words))
    lexicon = Lexicon()
    for label, listed in phrases.items():
        lexicon.add(label, listed)

    def matches(phrase: str, tokens: list[str], i: int) -> int | None:
        words = phrase.split()
        if i + len(words) > len(tokens):
            return None
        for word, token in zip(words, tokens[i:], strict=False):
            if not (token.startswith(word[:-1]) if word.endswith("*") else token == word):
                return None
        return i + len(words)

    for _ in range(3000):
        tokens = [rng.choice([*vocabulary, "takes", "cities"]) for _ in range(rng.randint(1, 8))]
        expected = set()
        for i in range(len(tokens)):
            for label, listed in phrases.items():
                ends = [end for phrase in listed if (end := matches(phrase, tokens, i)) is not None]
                if ends:
                    expected.add((label, i, max(ends)))
        assert {(h.label, h.start, h.end) for h in lexicon.find(tokens)} == expected, tokens


def _split_by_matches(text: str) -> list[str]:
    """The splitter as first written, boundary match by boundary match: the oracle for `split_sentences`."""
    import re

    from pipeline.analysis.text import _ABBREVIATIONS

    sentences, start = [], 0
    for match in re.finditer(r"[.!?…][\"'»”’)]*\s+|\n\s*", text):
        chunk = text[start : match.start()]
        if "\n" not in match.group():
            last = chunk.rstrip(".!?…\"'»”’)").rsplit(None, 1)[-1:] if chunk else []
            word = last[0].lower().strip("(\"'«“") if last else ""
            following = text[match.end() : match.end() + 1]
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or following.islower():
                continue
        if piece := text[start : match.end()].strip():
            sentences.append(piece)
        start = match.end()
    return [*sentences, tail] if (tail := text[start:].strip()) else sentences


def test_split_sentences_cuts_where_a_match_by_match_splitter_does() -> None:
    rng = random.Random(12)
    pieces = [*_ONE_LINE_PIECES, "\n", "  "]
    texts = [" ".join(rng.choice(pieces) for _ in range(rng.randint(0, 20))) for _ in range(5000)]
    texts += ["Він сказав. а потім пішов.", "Ends with mark.\n\nNext para!  Done", "x.\ty. Z"]
    for text in texts:
        assert split_sentences(text) == _split_by_matches(text), repr(text)
