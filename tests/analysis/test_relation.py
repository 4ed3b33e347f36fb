# ruff: noqa: RUF001 -- Cyrillic letters and typographic apostrophes are the test data
"""The relation decision: negation, denial, actor roles, evidence, reasons, purity."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.analysis import Matcher, analyse, compile_baseline, explain
from pipeline.analysis.matcher import compile_terms
from pipeline.baseline import load_baseline
from pipeline.config import AnalysisSettings
from pipeline.records import ItemText, Relation

BASELINE = Path(__file__).resolve().parents[2] / "config/baselines/bakhmut-2023-01-26.toml"
LATER = datetime(2023, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_baseline(load_baseline(BASELINE), AnalysisSettings())


def relations(title: str, matcher: Matcher, body: str = "") -> dict[str, Relation]:
    return {f.claim_id: f.relation for f in analyse(ItemText(title, body, LATER), matcher)}


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        ("Soledar has fallen", Relation.CONFIRMS),
        ("Soledar has not fallen", Relation.CONTRADICTS),
        ("Soledar never fell, Ukraine says", Relation.CONTRADICTS),
        ("Ukraine denied that Soledar had fallen", Relation.CONTRADICTS),
        ("Russian claims that Soledar fell are false", Relation.CONTRADICTS),
        ("Соледар не впав, заявили в ЗСУ", Relation.CONTRADICTS),
        ("Украина опровергла падение Соледара", Relation.CONTRADICTS),
    ],
)
def test_negation_and_denial_of_a_capture(title: str, relation: Relation, matcher: Matcher) -> None:
    assert relations(title, matcher)["soledar-fell"] is relation


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        ("Bakhmut has fallen", Relation.UPDATES),
        ("Bakhmut has not fallen", Relation.CONFIRMS),
        ("Ukraine denies Bakhmut fell", Relation.CONFIRMS),
        ("Ukraine no longer holds Bakhmut", Relation.UPDATES),
    ],
)
def test_negation_of_a_change_confirms_the_old_state(
    title: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)["bakhmut-battle"] is relation


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        ("Russian forces captured Klishchiivka", Relation.CONFIRMS),  # restates the baseline
        ("Ukrainian forces captured Klishchiivka", Relation.UPDATES),
        ("Klishchiivka was captured by Ukrainian forces", Relation.UPDATES),  # passive: the doer after "by"
        ("Klishchiivka fell to Ukrainian troops", Relation.UPDATES),
        ("Кліщіївку звільнили", Relation.UPDATES),  # recapture without a named doer: the former holder
    ],
)
def test_actor_roles_decide_who_holds(title: str, relation: Relation, matcher: Matcher) -> None:
    assert relations(title, matcher)["klishchiivka-taken"] is relation


def test_object_of_preposition_is_not_the_doer(matcher: Matcher) -> None:
    # "in Ukraine" must not make Ukraine the one who captured Soledar
    assert (
        relations("Wagner's war in Ukraine: Soledar captured", matcher)["soledar-fell"] is Relation.CONFIRMS
    )


def test_events_tie_to_their_own_place(matcher: Matcher) -> None:
    found = relations("Russia took Klishchiivka; its forces keep attacking Siversk", matcher)
    assert found == {
        "klishchiivka-taken": Relation.CONFIRMS,
        "towns-around-bakhmut-captured": Relation.CONFIRMS,  # Klishchiivka is one of its villages too
        "siversk-objective": Relation.CONFIRMS,
    }


def test_strongest_sentence_wins_and_one_finding_per_claim(matcher: Matcher) -> None:
    item = ItemText(
        "Fighting continues in Bakhmut",
        "Ukrainian troops hold the western districts. Later, Russian forces captured Bakhmut.",
        LATER,
    )
    (finding,) = analyse(item, matcher)
    assert finding.claim_id == "bakhmut-battle"
    assert finding.relation is Relation.UPDATES
    assert finding.evidence == "Later, Russian forces captured Bakhmut."
    assert finding.places == ("Bakhmut",)
    assert "place: 'Bakhmut' → Bakhmut (exact)" in finding.reasons
    assert any(reason.startswith("event: 'captured'") for reason in finding.reasons)
    assert 0.5 <= finding.score <= 1.0


def test_reasons_name_inflection(matcher: Matcher) -> None:
    (finding,) = analyse(ItemText("Росіяни захопили Соледар і наступають", "", LATER), matcher)
    assert finding.reasons[0] == "place: 'Соледар' → Soledar (exact)"
    (finding,) = analyse(ItemText("ЗСУ відбили атаки на Вугледар", "", LATER), matcher)
    assert finding.claim_id == "vuhledar-offensive"


def test_threshold_drops_weak_readings(matcher: Matcher) -> None:
    strict = compile_terms(replace(matcher.terms, claim_min_score=0.99))
    item = ItemText("Fighting in Bakhmut", "", LATER)
    assert analyse(item, matcher)
    assert analyse(item, strict) == []
    assert any("below threshold" in line for line in explain(item, strict))


def test_published_on_as_of_day_gives_nothing(matcher: Matcher) -> None:
    item = ItemText("Russian forces captured Bakhmut", "", datetime(2023, 1, 26, 23, 0, tzinfo=UTC))
    assert analyse(item, matcher) == []


def test_analyse_is_pure(matcher: Matcher) -> None:
    item = ItemText("Ukrainian troops recaptured Klishchiivka near Bakhmut", "Fighting goes on.", LATER)
    assert analyse(item, matcher) == analyse(item, matcher)


def test_matcher_exposes_the_baseline_it_was_compiled_from(matcher: Matcher) -> None:
    assert matcher.terms.id == "bakhmut-2023-01-26"
    assert str(matcher.terms.as_of) == "2023-01-26"
    assert len(matcher.terms.claims) == 18


@pytest.mark.parametrize(
    ("title", "claim"),
    [
        ("Russians storm Vuhledar again, but the town holds", "vuhledar-offensive"),
        ("Wagner keeps up the pressure but Bakhmut still holds", "bakhmut-battle"),
        ("Вагнеровцы штурмуют Артемовск, но город держится", "bakhmut-battle"),
        ("Окупанти атакують Авдіївку з флангів, проте місто стоїть", "avdiivka-partially-surrounded"),
    ],
)
def test_a_place_that_holds_is_its_holders(title: str, claim: str, matcher: Matcher) -> None:
    # the stormers named before "but" are not who keeps the place: the town itself is the subject
    assert relations(title, matcher) == {claim: Relation.CONFIRMS}


def test_troops_inside_a_place_are_not_the_place_holding(matcher: Matcher) -> None:
    found = relations("Russian troops in Bakhmut hold the eastern districts", matcher)
    assert found["bakhmut-battle"] is Relation.UPDATES


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        (
            "Russian forces push Ukrainians back near Kreminna",
            "kreminna-ukrainian-pressure",
            Relation.UPDATES,
        ),
        ("Российские войска оттеснили ВСУ от Кременной", "kreminna-ukrainian-pressure", Relation.UPDATES),
        ("ЗСУ вибили росіян з Кліщіївки", "klishchiivka-taken", Relation.UPDATES),
        ("Russian troops were forced out of Klishchiivka", "klishchiivka-taken", Relation.UPDATES),
        ("Wagner drove Ukrainian units out of Bakhmut", "bakhmut-battle", Relation.UPDATES),
        (
            "Defenders pushed back another Russian assault on Vuhledar",
            "vuhledar-offensive",
            Relation.CONFIRMS,
        ),
        (
            "Russia sends reserves to push Ukrainians back from Kreminna",
            "kreminna-ukrainian-pressure",
            Relation.CONFIRMS,
        ),
    ],
)
def test_the_side_driven_out_loses(title: str, claim: str, relation: Relation, matcher: Matcher) -> None:
    # the object of "pushed back" / "drove out" (or a passive's subject) loses; "pushed back an assault"
    # repels it; "to push them back" is only an aim
    assert relations(title, matcher)[claim] is relation


def test_pushing_back_against_a_report_is_no_retreat(matcher: Matcher) -> None:
    assert relations("Kremlin pushes back against reports of losses at Kreminna", matcher) == {}


@pytest.mark.parametrize(
    ("title", "claim"),
    [
        ("Analysts say the panic over Avdiivka was overblown", "avdiivka-partially-surrounded"),
        ("Тривога щодо Бахмута була перебільшеною", "bakhmut-battle"),
        ("The Siversk push was only a diversion, a Russian blogger says", "siversk-objective"),
        ("Удар на Северск был отвлекающим манёвром", "siversk-objective"),
        ("Russia never meant to take Siversk, its commander says", "siversk-objective"),
        ("Nobody was storming Vuhledar, Russian blogger says", "vuhledar-offensive"),
    ],
)
def test_retrospective_judgements_dispute_the_claim(title: str, claim: str, matcher: Matcher) -> None:
    assert relations(title, matcher)[claim] is Relation.CONTRADICTS


def test_an_alarm_about_something_else_is_no_finding(matcher: Matcher) -> None:
    assert relations("Fears over Kharkiv blackouts were overblown, mayor says", matcher) == {}


@pytest.mark.parametrize(
    "title",
    [
        "Ukraine could pull troops back if Russian forces encircle Avdiivka",
        "Якщо окупанти оточать Авдіївку, місто доведеться залишити",
        "Если Угледар окружат, южный фронт посыплется",
    ],
)
def test_a_hypothesis_reports_nothing(title: str, matcher: Matcher) -> None:
    assert relations(title, matcher) == {}


@pytest.mark.parametrize(
    "title",
    [
        "ISW: Bakhmut defence has reached its natural end point",
        "ISW: оборона Бахмута вичерпала себе",
        "Институт изучения войны: оборона Артемовска исчерпала себя",
    ],
)
def test_a_judgement_at_its_end_updates(title: str, matcher: Matcher) -> None:
    assert relations(title, matcher)["isw-defence-sound"] is Relation.UPDATES


def test_an_event_elsewhere_is_not_at_the_place(matcher: Matcher) -> None:
    assert relations("Росія перекидає резерви від Бахмута для наступу на інших напрямках", matcher) == {}


@pytest.mark.parametrize(
    ("title", "claim"),
    [
        ("Ukrainian troops forced back from Kreminna outskirts", "kreminna-ukrainian-pressure"),
        ("ВСУ выбили из Кременной, пишут военкоры", "kreminna-ukrainian-pressure"),
    ],
)
def test_driven_back_from_a_place_without_an_object(title: str, claim: str, matcher: Matcher) -> None:
    # with nothing driven between the verb and "from", the side before the verb is the one driven out
    assert relations(title, matcher)[claim] is Relation.UPDATES


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        (
            "Оточення Авдіївки не буде, запевняє командир",
            "avdiivka-partially-surrounded",
            Relation.CONTRADICTS,
        ),
        (
            "Encirclement of Avdiivka will not happen, commander says",
            "avdiivka-partially-surrounded",
            Relation.CONTRADICTS,
        ),
        ("Russia's push from Soledar has waned, ISW says", "soledar-fell", Relation.UPDATES),
        ("Зеленский отказался выводить войска из Бахмута", "bakhmut-battle", Relation.CONFIRMS),
        ("Ukraine refused to abandon Vuhledar", "vuhledar-offensive", Relation.CONFIRMS),
        (
            "Ukraine will not withdraw from Vuhledar, Zelensky vows",
            "vuhledar-offensive",
            None,
        ),  # a vow, not a report
    ],
)
def test_threats_that_will_not_come_and_refused_withdrawals(
    title: str, claim: str, relation: Relation | None, matcher: Matcher
) -> None:
    assert relations(title, matcher).get(claim) is relation


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        ("Siversk is no longer a Russian target", "siversk-objective", Relation.UPDATES),
        ("Siversk was never a Russian target", "siversk-objective", Relation.CONTRADICTS),
        ("Россия отказывается от наступления на Угледар", "vuhledar-offensive", Relation.UPDATES),
        ("Ukrainian units have left Soledar", "soledar-fell", Relation.CONFIRMS),
    ],
)
def test_no_longer_and_given_up_update(title: str, claim: str, relation: Relation, matcher: Matcher) -> None:
    assert relations(title, matcher)[claim] is relation


@pytest.mark.parametrize(
    ("title", "claim"),
    [
        ("Fighting around Vuhledar has died down, Ukrainian officers say", "vuhledar-offensive"),
        ("Бои за Угледар затихли", "vuhledar-offensive"),
        ("Натиск ЗСУ під Кремінною ослаб", "kreminna-ukrainian-pressure"),
        ("Russia has switched to the defensive near Vuhledar", "vuhledar-offensive"),
        ("Russian assaults on Avdiivka have become rare", "avdiivka-partially-surrounded"),
        ("The Bakhmut battle is over", "bakhmut-battle"),
    ],
)
def test_fighting_that_died_down_updates(title: str, claim: str, matcher: Matcher) -> None:
    # a speaker named after the event in its own clause ("..., Ukrainian officers say") is not its doer
    assert relations(title, matcher)[claim] is Relation.UPDATES


@pytest.mark.parametrize(
    "title",
    [
        "Football club from Soledar forced out of the cup",
        "Residents of Bakhmut's surroundings left their homes years ago",
        "Russia launched a new wave of cyberattacks on Ukrainian banks",
    ],
)
def test_class_words_in_other_senses(title: str, matcher: Matcher) -> None:
    assert relations(title, matcher) == {}


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        # the denial has its own object before it: the hold in the earlier clause stands
        (
            "Moscow says its troops firmly hold Klishchiivka and dismissed Ukrainian reports of advances as fabrications",
            "klishchiivka-taken",
            Relation.CONFIRMS,
        ),
        # "and says ..." is another statement: "fake" reaches back to the capture it follows
        (
            "Kyiv calls Russia's claim to have taken Berkhivka fake and says its troops still hold the village",
            "towns-around-bakhmut-captured",
            Relation.CONTRADICTS,
        ),
    ],
)
def test_the_scope_of_a_denial(title: str, claim: str, relation: Relation, matcher: Matcher) -> None:
    assert relations(title, matcher)[claim] is relation
