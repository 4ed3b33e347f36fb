# ruff: noqa: RUF001 -- Cyrillic letters and typographic apostrophes are the test data
"""Place matching: inflection, spellings, fuzzy tolerance and look-alikes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pipeline.analysis import Matcher, compile_baseline, match_places
from pipeline.analysis.text import split_sentences, tokenise_many
from pipeline.baseline import load_baseline
from pipeline.config import AnalysisSettings

BASELINE = Path(__file__).resolve().parents[2] / "config/baselines/bakhmut-2023-01-26.toml"
FIXTURES = Path(__file__).resolve().parents[2] / "tests/fixtures/analysis"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_baseline(load_baseline(BASELINE), AnalysisSettings())


def names(text: str, matcher: Matcher) -> list[str]:
    return [m.canonical for m in match_places(text, matcher)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("у Бахмуті", "Bakhmut"),
        ("завдяки Бахмутові", "Bakhmut"),  # the Ukrainian dative in -ові
        ("до Бахмута", "Bakhmut"),
        ("під Бахмутом", "Bakhmut"),
        ("в Артемовске", "Bakhmut"),
        ("Artemivsk", "Bakhmut"),
        ("в Авдіївці", "Avdiivka"),
        ("в Авдеевке", "Avdiivka"),
        ("у Соледарі", "Soledar"),
        ("в Соледаре", "Soledar"),
        ("на Запорізькому напрямку", "Zaporizhzhia"),
        ("в Запорожской области", "Zaporizhzhia"),
        ("під Кремінною", "Kreminna"),
        ("Kreminna's forests", "Kreminna"),
        ("в Часовом Яру", "Chasiv Yar"),
        ("біля Красної Гори", "Krasna Hora"),
        ("Харкова", "Kharkiv"),
        ("Херсонщина", "Kherson"),
    ],
)
def test_inflected_and_alternative_forms(text: str, expected: str, matcher: Matcher) -> None:
    assert names(text, matcher) == [expected]


@pytest.mark.parametrize("text", ["Bakhmout", "Bakmut", "Bakhmutt", "Kleshcheyevka", "Vuhledarr"])
def test_transliteration_variants_and_typos(text: str, matcher: Matcher) -> None:
    assert len(names(text, matcher)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Bakhmach",
        "у Бахмачі",
        "Kremenchuk",
        "Кременчуг",
        "Kremlin",
        "Severodonetsk",
        "the Siverskyi Donets river",
        "Сіверського Донця",
        "Soledad",
        "Vuhlehirsk",
        "Khersones",
        "Bakhmutivka",
        "Kharkivka",
    ],
)
def test_lookalikes_are_not_places(text: str, matcher: Matcher) -> None:
    assert names(text, matcher) == []


def test_andriivka_is_its_own_place_not_avdiivka(matcher: Matcher) -> None:
    assert names("Andriivka and Андріївка, then Avdiivka", matcher) == ["Andriivka", "Andriivka", "Avdiivka"]


def test_capital_is_an_actor_not_a_place(matcher: Matcher) -> None:
    assert names("Kyiv and Київ and Kiev", matcher) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bajmut", "Bakhmut"),  # Spanish
        ("Wuhłedar", "Vuhledar"),  # Polish ł
        ("Vouhledar", "Vuhledar"),  # French ou
        ("Klischtschijiwka", "Klishchiivka"),  # German schtsch
        ("Avdiïvka", "Avdiivka"),
        ("Zaporoże", "Zaporizhzhia"),
        ("Vakhmut", "Bakhmut"),  # a wrong first letter
        ("Pakhmut", "Bakhmut"),
    ],
)
def test_foreign_press_spellings_and_head_typos(text: str, expected: str, matcher: Matcher) -> None:
    assert names(text, matcher) == [expected]


def test_head_typos_only_in_latin_script(matcher: Matcher) -> None:
    assert names("західні квартали", matcher) == []


def test_mentions_carry_surface_score_and_sentence(matcher: Matcher) -> None:
    mentions = match_places("Quiet day. Heavy fighting in Bachmut.", matcher)
    assert [(m.place_id, m.surface, m.score, m.sentence_index) for m in mentions] == [
        ("bakhmut", "Bachmut", 1.0, 1)
    ]


def test_fuzzy_match_scores_below_one(matcher: Matcher) -> None:
    (mention,) = match_places("Fighting near Sivertsk", matcher)
    assert mention.canonical == "Siversk"
    assert 0.88 <= mention.score < 1.0


def test_find_from_the_gates_start_words_is_find_everywhere(matcher: Matcher) -> None:
    # `_view` passes the item's words that may start a place (`WordGate`): every other position is skipped
    cases = tomllib.loads((FIXTURES / "corpus.toml").read_text(encoding="utf-8"))["case"]
    texts = [f"{case['title']}. {case.get('body', '')}" for case in cases]
    texts += [text.replace("a", "", 1) for text in texts]  # a typo: fuzzy look-ups, look-alikes
    tried = 0
    for tokens in tokenise_many([s for t in texts for s in split_sentences(t)]):
        starts = matcher.gate.item([tokens.light]).place
        everywhere = matcher.places.find(tokens, matcher.known_words)
        assert matcher.places.find(tokens, matcher.known_words, starts) == everywhere, tokens.raw
        tried += bool(everywhere)
    assert tried > 100
