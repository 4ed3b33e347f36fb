# ruff: noqa: RUF001 -- Cyrillic letters are the test data
"""Topic-driven claims (forecast, activity, history): the reading classes of topical.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.analysis import Matcher, analyse, compile_baseline
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
        ("The long-expected Russian offensive has started", Relation.UPDATES),
        ("The big Russian offensive anticipated since January is under way", Relation.UPDATES),
        ("Давно ожидаемое крупное наступление России началось", Relation.UPDATES),
        ("Російська армія перейшла в наступ", Relation.UPDATES),
        ("A major Russian offensive is expected to begin soon", Relation.CONFIRMS),  # still a forecast
        ("Russia readying a new wave of attacks, intelligence says", Relation.CONFIRMS),
        ("Москва готовит новую волну наступления", Relation.CONFIRMS),
    ],
)
def test_a_forecast_offensive_expected_or_begun(title: str, relation: Relation, matcher: Matcher) -> None:
    assert relations(title, matcher)["russian-offensive-expected"] is relation


def test_a_local_push_is_no_general_offensive(matcher: Matcher) -> None:
    assert "russian-offensive-expected" not in relations(
        "Russian forces went on the offensive near Vuhledar", matcher
    )


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        (
            "Russian bloggers: the famous trench lines barely exist",
            "russian-fortifications",
            Relation.CONTRADICTS,
        ),
        ("Российские укрепления так и не построили", "russian-fortifications", Relation.CONTRADICTS),
        (
            "US official: we were too quick to tell Kyiv to leave Bakhmut",
            "us-advises-withdrawal",
            Relation.UPDATES,
        ),
        ("Вашингтон поспешил советовать Киеву уйти из Бахмута", "us-advises-withdrawal", Relation.UPDATES),
    ],
)
def test_retrospective_judgements(title: str, claim: str, relation: Relation, matcher: Matcher) -> None:
    # a thing said to exist that barely does is disputed; one's own earlier advice judged hasty has turned
    assert relations(title, matcher)[claim] is relation


@pytest.mark.parametrize(
    "title",
    [
        "Politico: США советуют Киеву не тратить силы на Бахмут",
        "У Вашингтоні радять Києву не витрачати резерви на Бахмут",
        "US officials urge Kyiv to stop pouring troops into Bakhmut",
    ],
)
def test_advice_to_stop_spending_forces_on_a_place(title: str, matcher: Matcher) -> None:
    assert relations(title, matcher) == {"us-advises-withdrawal": Relation.CONFIRMS}


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        ("ВСУ прошли «зубы дракона» у Вербового", "russian-fortifications", Relation.UPDATES),
        (
            "Ukrainian armour got through the Russian anti-tank obstacles",
            "russian-fortifications",
            Relation.UPDATES,
        ),
        (
            "Бригади, навчені в Європі, пішли в наступ на Запоріжжі",
            "troops-trained-in-europe",
            Relation.UPDATES,
        ),
        (
            "Brigades trained in Britain now spearhead the counteroffensive",
            "troops-trained-in-europe",
            Relation.UPDATES,
        ),
    ],
)
def test_claim_words_in_other_forms(title: str, claim: str, relation: Relation, matcher: Matcher) -> None:
    assert relations(title, matcher)[claim] is relation


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        ("Наступ росіян на Луганщині вже почався", "russian-offensive-expected", Relation.UPDATES),
        (
            "Российское наступление, которого ждали всю зиму, началось",
            "russian-offensive-expected",
            Relation.UPDATES,
        ),
        ("США больше не советуют Киеву уходить из Бахмута", "us-advises-withdrawal", Relation.UPDATES),
        ("ISW no longer considers the defence of Bakhmut worthwhile", "isw-defence-sound", Relation.UPDATES),
        (
            "The Zaporizhzhia offensive never existed, Ukrainian officers say",
            "zaporizhzhia-offensive",
            Relation.CONTRADICTS,
        ),
    ],
)
def test_begun_dropped_and_denied(title: str, claim: str, relation: Relation, matcher: Matcher) -> None:
    # a start right by the forecast's noun; a stance held no longer; a denial whose speaker follows it
    assert relations(title, matcher)[claim] is relation


def test_a_speaker_of_the_other_side_does_not_make_a_doer(matcher: Matcher) -> None:
    # "an adviser to Zelensky said the army could pull back" still names only another side as the doer
    assert "zaporizhzhia-offensive" not in relations(
        "Ukrainian forces launched attacks in Zaporizhzhia", matcher
    )


@pytest.mark.parametrize(
    "title",
    [
        "Навчання українських військових у Британії завершилося",  # the programme ended
        "Українські бійці завершили навчання у Британії",  # trainees completed it: trained now
        "Another group of Ukrainian crews completes training in Germany",
        "Hundreds of Ukrainian soldiers completed training on Bradley vehicles in Germany",
    ],
)
def test_a_course_completed_or_ended_moves_the_training_on(title: str, matcher: Matcher) -> None:
    # three blind label sets agree: trained troops are a new state of "being trained for an offensive"
    assert relations(title, matcher)["troops-trained-in-europe"] is Relation.UPDATES


def test_training_under_way_still_confirms(matcher: Matcher) -> None:
    assert relations("More Ukrainian troops begin training in Britain", matcher)[
        "troops-trained-in-europe"
    ] is (Relation.CONFIRMS)


@pytest.mark.parametrize(
    "title",
    [
        "Fresh brigades sent into Bakhmut, ending talk of retreat",
        "Україна посилює гарнізон Бахмута замість відступу",
        "Киев усиливает оборону Артемовска вопреки разговорам об отходе",
    ],
)
def test_reinforcing_while_refusing_a_withdrawal_settles_it(title: str, matcher: Matcher) -> None:
    assert relations(title, matcher)["ukraine-may-withdraw-bakhmut"] is Relation.UPDATES


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        ("ISW: оборона Бахмута себя оправдала", Relation.CONFIRMS),
        ("ISW: holding Bakhmut paid off", Relation.CONFIRMS),
        (
            "ISW closes the book on Bakhmut: the gamble paid off",
            Relation.UPDATES,
        ),  # closed as the battle ended
        ("ISW: суперечка про доцільність оборони Бахмута закрита", Relation.UPDATES),
    ],
)
def test_an_assessment_repeated_or_closed(title: str, relation: Relation, matcher: Matcher) -> None:
    assert relations(title, matcher)["isw-defence-sound"] is relation


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        # another side's attack that stalls at the lines: the lines hold
        ("Ukrainian assaults stall in front of Russia's trench lines in the south", Relation.CONFIRMS),
        ("Атаки ВСУ захлебнулись у российских укреплений на юге", Relation.CONFIRMS),
        ("Russia halts work on its trench lines", Relation.UPDATES),  # the activity's own end
    ],
)
def test_a_stop_of_another_attack_is_no_end_of_the_activity(
    title: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)["russian-fortifications"] is relation


def test_the_claims_own_attack_still_ends_with_its_stop(matcher: Matcher) -> None:
    title = "Russian attacks in the Zaporizhzhia region have petered out while crews dig new trench lines"
    assert relations(title, matcher) == {
        "zaporizhzhia-offensive": Relation.UPDATES,
        "russian-fortifications": Relation.CONFIRMS,
    }


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        ("The final group of Ukrainian tank crews completes its course in Germany", Relation.UPDATES),
        ("Последняя группа украинских экипажей завершила обучение в Польше", Relation.UPDATES),
        ("Ukrainian brigades trained in Britain head for the front", Relation.UPDATES),
    ],
)
def test_the_last_group_through_the_course_ends_the_programme(
    title: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)["troops-trained-in-europe"] is relation


@pytest.mark.parametrize(
    "title",
    [
        "Pentagon officials urge Kyiv to conserve its troops rather than hold Bakhmut at any price",
        "У Пентагоні радять Києву зберегти війська, а не тримати Бахмут будь-якою ціною",
        # a change word in another clause speaks of something else
        "Washington calls Bakhmut mostly symbolic, as US officials urge Kyiv to pull its troops out",
    ],
)
def test_advice_to_conserve_forces_is_withdrawal_advice(title: str, matcher: Matcher) -> None:
    assert relations(title, matcher) == {"us-advises-withdrawal": Relation.CONFIRMS}


def test_conserving_power_is_no_advice(matcher: Matcher) -> None:
    assert relations("Kyiv residents urged to conserve power as strikes hit plants", matcher) == {}


@pytest.mark.parametrize(
    "title", ["ISW: the defence of Bakhmut did its job", "ISW: оборона Бахмута выполнила свою задачу"]
)
def test_a_judgement_that_did_its_job_is_at_its_end(title: str, matcher: Matcher) -> None:
    assert relations(title, matcher)["isw-defence-sound"] is Relation.UPDATES


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "A senior US official denied reports that Washington had advised Kyiv to leave Bakhmut",
            {"us-advises-withdrawal": Relation.CONTRADICTS},
        ),
        (
            "US officials have urged Ukraine to consider pulling back from Bakhmut, CNN reported",
            {"us-advises-withdrawal": Relation.CONFIRMS},
        ),
        ("US officials who had advised Kyiv to leave Bakhmut toured a Ukrainian factory", {}),
    ],
)
def test_a_retold_stance_gives_nothing_unless_denied(
    title: str, expected: dict[str, Relation], matcher: Matcher
) -> None:
    assert relations(title, matcher) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("ISW: Russian claims of capturing Bakhmut are premature", {"bakhmut-battle": Relation.CONFIRMS}),
        ("ISW: заяви росіян про захоплення Бахмута передчасні", {"bakhmut-battle": Relation.CONFIRMS}),
        ("Retired general: the ISW is wrong about Bakhmut", {"isw-defence-sound": Relation.CONTRADICTS}),
    ],
)
def test_a_source_disputing_an_event_is_no_judgement_of_its_own(
    title: str, expected: dict[str, Relation], matcher: Matcher
) -> None:
    assert relations(title, matcher) == expected


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        # aid named as a whole, arrivals without a verb of sending, aid stopped or exhausted
        ("Washington pauses all military aid to Kyiv", "western-armour-deliveries", Relation.UPDATES),
        ("The weapons pipeline from the US has run dry", "western-armour-deliveries", Relation.UPDATES),
        ("First Leopard tanks already in Ukraine, Kyiv says", "western-armour-deliveries", Relation.CONFIRMS),
        ("США припинили військову допомогу Україні", "western-armour-deliveries", Relation.UPDATES),
        # the lines named as lines or belts
        (
            "Ukrainian troops breach the main Russian line near Verbove",
            "russian-fortifications",
            Relation.UPDATES,
        ),
    ],
)
def test_aid_and_lines_named_in_other_words(
    title: str, claim: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)[claim] is relation


def test_a_training_mission_or_last_years_collapsed_lines_are_no_armour_or_fortification_finding(
    matcher: Matcher,
) -> None:
    found = relations(
        "EU training mission reaches its target",
        matcher,
        "The European Union's military assistance mission for Ukraine has met its goal. Last autumn a "
        "surprise thrust in the Kharkiv region collapsed Russian lines.",
    )
    assert "western-armour-deliveries" not in found
    assert "russian-fortifications" not in found


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        (
            "Russian forces in the Zaporizhzhia region went on the defensive",
            "zaporizhzhia-offensive",
            Relation.UPDATES,
        ),
        ("Російські війська на Запоріжжі перейшли до оборони", "zaporizhzhia-offensive", Relation.UPDATES),
        (
            "Trained in Europe, the new brigades are now at the front",
            "troops-trained-in-europe",
            Relation.UPDATES,
        ),
    ],
)
def test_an_offensive_turned_to_defence_and_trained_units_at_the_front(
    title: str, claim: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)[claim] is relation


def test_a_night_strike_on_a_city_is_no_offensive(matcher: Matcher) -> None:
    found = relations(
        "Удар по Запоріжжю", matcher, "Внаслідок нічної атаки на Запоріжжя загинули троє людей."
    )
    assert "zaporizhzhia-offensive" not in found


def test_anti_tank_ditches_are_no_tanks_but_are_fortifications(matcher: Matcher) -> None:
    found = relations(
        "Ukrainian units slowed by anti-tank ditches and Russian trenches near Robotyne", matcher
    )
    assert "western-armour-deliveries" not in found
    assert found["russian-fortifications"] is Relation.CONFIRMS


@pytest.mark.parametrize(
    "body",
    [
        "Ukrainian officials privately say a withdrawal from Bakhmut is being discussed.",
        "За словами джерел, вихід з Бахмута обговорюється.",
        "По словам источников, отход из Бахмута рассматривается.",
    ],
)
def test_a_withdrawal_named_then_weighed_is_a_possibility(body: str, matcher: Matcher) -> None:
    found = relations("Bakhmut", matcher, body)
    assert found["ukraine-may-withdraw-bakhmut"] is Relation.CONFIRMS
    assert found.get("bakhmut-battle") is not Relation.UPDATES  # nobody has left yet


@pytest.mark.parametrize(
    "title",
    [
        "Zelensky says commanders unanimous on reinforcing Bakhmut",
        "Командири одностайно висловилися за посилення оборони Бахмута",
        "The military leadership agreed not to pull out of Bakhmut but to strengthen it",
    ],
)
def test_an_agreed_or_unanimous_choice_to_stay_settles_the_withdrawal_question(
    title: str, matcher: Matcher
) -> None:
    assert relations(title, matcher)["ukraine-may-withdraw-bakhmut"] is Relation.UPDATES


def test_a_three_digit_daily_toll_is_hundreds(matcher: Matcher) -> None:
    title = "Germany's BND estimates Ukraine is losing a three-digit number of soldiers every day"
    assert relations(title, matcher)["ukraine-losses-hundreds-daily"] is Relation.CONFIRMS


def test_a_large_offensive_on_one_axis_is_that_places_push_not_the_general_forecast(matcher: Matcher) -> None:
    title = "Повідомлення про масштабний наступ окупантів на Запорізькому напрямку є вигадкою"
    found = relations(title, matcher)
    assert found["zaporizhzhia-offensive"] is Relation.CONTRADICTS
    assert "russian-offensive-expected" not in found
    # massing "near" a place, a major offensive stays the general one
    massing = relations("Russia is massing troops for a major offensive near Bakhmut", matcher)
    assert massing["russian-offensive-expected"] is Relation.CONFIRMS


@pytest.mark.parametrize(
    "title",
    [
        "Prigozhin threatens to withdraw Wagner from Bakhmut over munitions",
        "Wagner chief says his fighters would withdraw from Bakhmut once regular Russian troops took over",
    ],
)
def test_the_other_sides_withdrawal_is_not_the_forecast_of_kyivs(title: str, matcher: Matcher) -> None:
    assert "ukraine-may-withdraw-bakhmut" not in relations(title, matcher)


def test_a_denial_of_reports_that_the_training_prepares_an_offensive_disputes_it(matcher: Matcher) -> None:
    body = (
        "The courses run for Ukrainian soldiers in Europe teach basic skills, the mission said, rejecting "
        "reports that trainees were being prepared for a spring offensive."
    )
    assert relations("EU mission", matcher, body)["troops-trained-in-europe"] is Relation.CONTRADICTS


def test_a_match_score_is_no_casualty_figure(matcher: Matcher) -> None:
    assert "ukraine-losses-hundreds-daily" not in relations(
        "Ukrainian football club loses 3-0 in Europa League", matcher
    )
    assert "ukraine-losses-hundreds-daily" not in relations("Ukrainian team lost 2:1 to Poland", matcher)
    ranged = relations("Ukraine loses 50-70 soldiers a day near Bakhmut", matcher)
    assert ranged["ukraine-losses-hundreds-daily"] is Relation.UPDATES  # a range stays a figure


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        ("ISW: оборона Бахмута має стратегічний сенс", "isw-defence-sound", Relation.CONFIRMS),
        ("ЗСУ прорвали першу лінію російської оборони", "russian-fortifications", Relation.UPDATES),
        # a negation inside the claim's own phrase ("не могут преодолеть") does not flip it
        (
            "Украинские подразделения не могут преодолеть первую линию российской обороны",
            "russian-fortifications",
            Relation.CONFIRMS,
        ),
    ],
)
def test_sense_lines_and_negations_inside_claim_phrases(
    title: str, claim: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)[claim] is relation
