"""The gates in front of sentence reading change no finding, only skip work.

`claims._gate` drops whole items and untokenised sentences by their words; `claims._placeless_topic`
drops a sentence naming no place unless it holds every topic group a placeless claim needs.
"""

from __future__ import annotations

import random
import sys
import tomllib
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from pipeline.analysis import Matcher, analyse, claims, compile_baseline, gate, text
from pipeline.analysis.gate import OPEN
from pipeline.analysis.text import split_sentences
from pipeline.baseline import load_baseline
from pipeline.config import AnalysisSettings
from pipeline.records import Finding, ItemText

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests/fixtures/analysis"
BASELINE = ROOT / "config/baselines/bakhmut-2023-01-26.toml"
# holdout-5 stays unread here as everywhere: it is the blind set (holdout-4 was, until it became a development set).
CORPORA = sorted(p for p in FIXTURES.glob("*.toml") if p.name != "holdout-5.toml")
PUBLISHED = datetime(2023, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_baseline(load_baseline(BASELINE), AnalysisSettings())


def _published(raw: object) -> datetime:
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if isinstance(raw, date):
        return datetime.combine(raw, time(12), tzinfo=UTC)
    return PUBLISHED


def corpus_items() -> list[ItemText]:
    items = []
    for path in CORPORA:
        for case in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            items.append(ItemText(case["title"], case.get("body", ""), _published(case.get("published"))))
    return items


def shaped(items: list[ItemText], rng: random.Random) -> list[ItemText]:
    """Each text with a typo in one long word, title and body swapped, and each sentence alone (most
    sentences name a place without any topic word, so only the place test can let them through)."""
    out = []
    for item in items:
        words = item.body.split() if item.body else []
        long = [n for n, w in enumerate(words) if len(w) >= 6]
        if long:
            n = rng.choice(long)
            words[n] = words[n][:2] + words[n][3:]
        out.append(ItemText(item.title, " ".join(words), item.published))
        out.append(ItemText(item.body or "", item.title, item.published))
        out += [ItemText(sentence, "", item.published) for sentence in split_sentences(item.body or "")]
    return out


def without_filter(item: ItemText, matcher: Matcher, monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    with monkeypatch.context() as patch:
        patch.setattr(claims, "_gate", lambda *_: OPEN)
        patch.setattr(claims, "_placeless_topic", lambda *_: True)  # every sentence gets a view
        return analyse(item, matcher)


def test_the_filter_changes_no_finding_on_any_corpus_text_or_its_variants(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = corpus_items()
    assert len(items) > 1000
    variants = items + shaped(items, random.Random(5))
    skipped = 0
    for item in variants:
        skipped += not claims._may_speak(item, matcher)
        assert analyse(item, matcher) == without_filter(item, matcher, monkeypatch), item.title
    assert skipped > 0, "the corpus has off-topic items the filter skips"


def test_the_filter_changes_no_finding_on_the_speed_benchmark_items(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from analysis_speed import make_item
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    rng = random.Random(11)
    for _ in range(500):
        item = make_item(rng, on_topic=rng.random() < 0.3)
        assert analyse(item, matcher) == without_filter(item, matcher, monkeypatch)


def test_the_words_of_a_whole_text_hold_the_words_of_each_of_its_sentences() -> None:
    # the gate of an ASCII item reads its whole text in one pass, before it is cut into sentences:
    # no word of a sentence may be missing there (possessives, "US", line breaks, quotes, initials)
    rng = random.Random(8)
    pieces = [
        "Bakhmut's",
        "US",
        "U.S.",
        "it's",
        "Mr.",
        "said.",
        '"No."',
        "(Soledar)",
        "3.5",
        "\n",
        "x",
        "'s",
        "-",
    ]
    generated = [
        ItemText(
            " ".join(rng.choice(pieces) for _ in range(6)),
            " ".join(rng.choice(pieces) for _ in range(30)),
            None,
        )
        for _ in range(500)
    ]
    for item in corpus_items() + generated:
        whole = set(text.text_words(f"{item.title}\n{item.body or ''}"))
        for words in text.light_words_of(text.light_texts(claims._sentences(item))):
            assert whole.issuperset(words), (item.title, words)


def test_an_item_with_no_place_and_no_topic_is_skipped_and_a_misspelt_place_is_not(matcher: Matcher) -> None:
    weather = ItemText("Weather", "Sunny spells and light winds are forecast for the weekend.", PUBLISHED)
    typo = ItemText("Shelling", "Shells fell on Bakhmutt overnight.", PUBLISHED)
    cyrillic = ItemText("Новини", "Обстріли Бахмуті тривають.", PUBLISHED)
    assert not claims._may_speak(weather, matcher)
    assert claims._may_speak(typo, matcher)
    assert claims._may_speak(cyrillic, matcher)


def test_the_topic_of_a_claim_tied_to_places_lets_nothing_through_without_a_place(matcher: Matcher) -> None:
    # "urged" and "recommended" are topic words of us-advises-withdrawal, a claim about Bakhmut:
    # with no place in the item no claim can be read, so the item is skipped before any sentence work
    trade = ItemText("Trade talks", "Officials urged calm and recommended patience at the talks.", PUBLISHED)
    # "tanks" is the topic of western-armour-deliveries, which names no place: it must be read
    armour = ItemText("Deliveries", "Germany will send more tanks to Ukraine.", PUBLISHED)
    assert not claims._may_speak(trade, matcher)
    assert claims._may_speak(armour, matcher)


@pytest.fixture
def tokenised(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sentences `read_item` tokenises, in order."""
    seen: list[str] = []
    real = text.tokens_of

    def spy(sentence: str, *rest: object) -> object:
        seen.append(sentence)
        return real(sentence, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(claims, "tokens_of", spy)  # the name read_item calls
    return seen


def test_only_sentences_with_a_place_a_topic_or_a_reference_word_are_tokenised(
    matcher: Matcher, tokenised: list[str]
) -> None:
    body = "Russian forces shelled Bakhmut overnight. Sunny spells are forecast. The city is burning."
    analyse(ItemText("Overnight", body, PUBLISHED), matcher)
    # "the city" refers back only after a place was named: before any, it is not worth tokenising
    analyse(ItemText("The city is quiet", "Sunny spells are forecast.", PUBLISHED), matcher)
    assert tokenised == ["Russian forces shelled Bakhmut overnight.", "The city is burning."]


def test_a_false_friend_of_a_topic_and_a_kind_word_that_refers_to_nothing_are_not_tokenised(
    matcher: Matcher, tokenised: list[str]
) -> None:
    # "offensive" is the topic of russian-offensive-expected, "offensive remarks" a false friend;
    # "city" alone is no "the city", so after Bakhmut it stands for no place
    body = (
        "Wagner fighters captured Bakhmut. The minister made offensive remarks. Prices in city shops rose."
        " The city is burning. A new offensive has begun."
    )
    analyse(ItemText("Overnight", body, PUBLISHED), matcher)
    assert tokenised == [
        "Wagner fighters captured Bakhmut.",
        "The city is burning.",
        "A new offensive has begun.",
    ]


def test_the_gate_renews_its_word_sets_when_full_and_still_knows_every_word(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate, "_CACHE", 8)  # a long-running service: the sets fill up and start again
    fresh = compile_baseline(load_baseline(BASELINE), AnalysisSettings())
    report = ItemText("Bakhmut", "Wagner said its fighters captured Bakhmut after a long battle.", PUBLISHED)
    first = analyse(report, fresh)
    assert first, "the report names Bakhmut: a finding"
    # The same report with new words that overflow the sets: its known words must not be forgotten
    longer = ItemText(report.title, f"{report.body} Sunny spells and light winds are forecast.", PUBLISHED)
    assert analyse(longer, fresh) == analyse(longer, matcher)
    for n in range(20):  # other words fill the sets again and again
        analyse(ItemText(f"Weather {n}", f"Sunny spells number{n} and light winds{n}.", PUBLISHED), fresh)
    assert analyse(report, fresh) == first == analyse(report, matcher)
    assert len(fresh.gate._seen) <= 8 + 12, "renewed, not grown: at most one item's words past the limit"


def test_a_look_alike_alone_lets_no_sentence_through_and_its_place_does(matcher: Matcher) -> None:
    # Bakhmach is Bakhmut's look-alike: its hit never counts, so its sentence is not worth tokenising
    lookalike = ItemText("Shelling", "Shelling hit Bakhmach overnight, officials said.", PUBLISHED)
    place = ItemText("Shelling", "Shelling hit Bakhmut overnight, officials said.", PUBLISHED)
    assert not claims._may_speak(lookalike, matcher)
    assert claims._may_speak(place, matcher)
    assert not matcher.places.may_name([("bakhmach", text.word_key("bakhmach"))])
    assert matcher.places.may_name([("bakhmuti", text.word_key("bakhmuti"))]), "an inflected alias counts"
