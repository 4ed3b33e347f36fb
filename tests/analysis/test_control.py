# ruff: noqa: RUF001 -- Cyrillic letters are the test data
"""Control readings of wire copy: own losses denied, supply threats, pace adjectives, wire verbs, pronouns."""

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
        # the holder (Russia) denies its own loss: the capture stands
        ("Минобороны РФ опровергает потерю Клещеевки", Relation.CONFIRMS),
        ("В Минобороны РФ опровергли сдачу Клещеевки", Relation.CONFIRMS),
        ("Moscow denies the loss of Klishchiivka", Relation.CONFIRMS),
        # Kyiv denies its own loss of a place the baseline says Russia took: disputed
        ("Kyiv denies the fall of Klishchiivka", Relation.CONTRADICTS),
    ],
)
def test_a_side_denying_a_loss_denies_its_own(title: str, relation: Relation, matcher: Matcher) -> None:
    assert relations(title, matcher)["klishchiivka-taken"] is relation


def test_a_denial_with_an_event_in_its_own_clause_does_not_reach_back(matcher: Matcher) -> None:
    body = (
        "В ведомстве заявили, что населенный пункт остается под контролем российских войск, "
        "а сообщения Киева о его освобождении не соответствуют действительности."
    )
    found = relations("Клещеевка: позиция Минобороны", matcher, body)
    assert found["klishchiivka-taken"] is Relation.CONFIRMS


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        ("Wagner units probe the supply routes of Bakhmut", Relation.CONFIRMS),
        ("Росіяни намагаються перерізати логістику Бахмута", Relation.CONFIRMS),
        ("Bakhmut is encircled", Relation.UPDATES),  # the ring closed
        ("Kyiv: reports that Bakhmut's supply lines are cut are false", Relation.CONTRADICTS),
    ],
)
def test_a_threat_to_supply_lines_is_the_ring_being_closed(
    title: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)["bakhmut-battle"] is relation


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        ("Ukrainian units continued their slow advance west of Kreminna", Relation.CONFIRMS),
        ("The Ukrainian advance near Kreminna slowed", Relation.UPDATES),
    ],
)
def test_slow_before_an_advance_describes_it(title: str, relation: Relation, matcher: Matcher) -> None:
    assert relations(title, matcher)["kreminna-ukrainian-pressure"] is relation


@pytest.mark.parametrize(
    "title",
    [
        "Ukraine pulls troops out of Vugledar",
        "Kyiv pulled its forces out of Vuhledar",
        "Ukrainian troops withdraw from Vuhledar",
    ],
)
def test_wire_withdrawal_verbs_with_an_object(title: str, matcher: Matcher) -> None:
    assert relations(title, matcher)["vuhledar-offensive"] is Relation.UPDATES


def test_a_retailer_pulling_products_out_is_nothing(matcher: Matcher) -> None:
    assert relations("Retailer pulls its products out of Vuhledar shops", matcher) == {}


def test_frees_and_secured_change_hands(matcher: Matcher) -> None:
    assert relations("Ukraine frees Andriyivka south of Bakhmut", matcher) == {
        "towns-around-bakhmut-captured": Relation.UPDATES
    }
    assert relations("Having secured Soledar, Wagner regroups", matcher)["soledar-fell"] is Relation.CONFIRMS


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Battalion commander on Bakhmut", "Despite the shelling our soldiers still hold it."),
        ("Командир батальйону про Бахмут", "Попри обстріли, наші хлопці й далі утримують його."),
    ],
)
def test_an_object_pronoun_after_an_event_is_the_place_named_last(
    title: str, body: str, matcher: Matcher
) -> None:
    assert relations(title, matcher, body)["bakhmut-battle"] is Relation.CONFIRMS


def test_a_pronoun_after_another_verb_is_no_place(matcher: Matcher) -> None:
    body = "Residents who left the city can register there, and the council will fund it."
    assert relations("Bakhmut's mayor opens a shelter in Dnipro", matcher, body) == {}


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "Переселенцям з Бахмута видають сертифікати",
            "Вже понад 800 родин, які втратили житло, подали заяви.",
        ),
        ("Семьи из Бахмута получат компенсацию", "Уже 900 семей, которые потеряли жилье, подали заявления."),
        ("Bakhmut families who lost their homes get flats", "About 600 households have applied so far."),
        ("Zelensky adviser visits Bakhmut evacuees", "The adviser met families who left the city in spring."),
    ],
)
def test_lost_homes_and_advisers_are_no_findings(title: str, body: str, matcher: Matcher) -> None:
    assert relations(title, matcher, body) == {}


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        ("Военкоры: освобождение Артемовска завершено", "bakhmut-battle", Relation.UPDATES),
        (
            "Russian war bloggers say the liberation of Soledar opened the road west",
            "soledar-fell",
            Relation.CONFIRMS,
        ),
        ("Звільнення Кліщіївки підтвердили у ЗСУ", "klishchiivka-taken", Relation.UPDATES),
        # a denied liberation is the other side's claim
        ("Moscow denies the liberation of Klishchiivka", "klishchiivka-taken", Relation.CONFIRMS),
    ],
)
def test_a_liberation_with_no_doer_is_the_speaking_sides(
    title: str, claim: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)[claim] is relation


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        (
            "ISW: Russian forces are unlikely to encircle Bakhmut in the near term",
            "bakhmut-battle",
            Relation.CONTRADICTS,
        ),
        (
            "Аналитики: окружить Авдеевку российским войскам вряд ли удастся",
            "avdiivka-partially-surrounded",
            Relation.CONTRADICTS,
        ),
        (
            "Bakhmut's encirclement is unlikely, Ukrainian officers say",
            "bakhmut-battle",
            Relation.CONTRADICTS,
        ),
    ],
)
def test_an_unlikely_event_is_disputed(title: str, claim: str, relation: Relation, matcher: Matcher) -> None:
    assert relations(title, matcher)[claim] is relation


def test_a_line_pushed_back_near_a_landmark_names_no_village(matcher: Matcher) -> None:
    found = relations("Ukrainian units pushed Russian troops back near Bakhmut's southern flank", matcher)
    assert "towns-around-bakhmut-captured" not in found
    recaptured = relations("Ukraine recaptured several villages near Bakhmut, the army said", matcher)
    assert recaptured["towns-around-bakhmut-captured"] is Relation.UPDATES


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        ("Українські військові продовжують утримувати Бахмут", "bakhmut-battle", Relation.CONFIRMS),
        ("Наші підрозділи здатні й далі тримати Сіверськ", "siversk-objective", Relation.CONFIRMS),
        ("Russia wants to capture Bakhmut before spring", "bakhmut-battle", Relation.CONFIRMS),  # an aim
        (
            "Ukraine's military said its troops were still fighting in Soledar",
            "soledar-fell",
            Relation.CONTRADICTS,
        ),
    ],
)
def test_infinitive_holds_aims_and_fighting_inside(
    title: str, claim: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)[claim] is relation


def test_attacks_near_a_captured_place_are_no_finding(matcher: Matcher) -> None:
    assert relations("Ukrainian units attack Russian positions near Soledar", matcher) == {}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Kreminna-born painter holds an exhibition in Lviv", {}),
        ("Vuhledar council held a session in exile to approve its budget", {}),
        ("Marines still hold their positions in Vuhledar", {"vuhledar-offensive": Relation.CONFIRMS}),
    ],
)
def test_an_occasion_held_is_no_place_held(
    title: str, expected: dict[str, Relation], matcher: Matcher
) -> None:
    assert relations(title, matcher) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Bakhmut's fall would not change the course of the war, US defence chief says", {}),
        ("Аналітик: падіння Бахмута означало б втрату важливого вузла", {}),
        (
            "Bakhmut has fallen and could become a base for Russian attacks",
            {"bakhmut-battle": Relation.UPDATES},
        ),
    ],
)
def test_a_change_of_hands_before_would_is_supposed(
    title: str, expected: dict[str, Relation], matcher: Matcher
) -> None:
    assert relations(title, matcher) == expected


def test_a_landmark_speaks_only_through_changes_of_hands_and_attacks(matcher: Matcher) -> None:
    assert relations("Ukraine says it repelled attacks near Bakhmut", matcher) == {
        "bakhmut-battle": Relation.CONFIRMS
    }
    assert relations("Вагнеровцы заняли несколько сел под Артемовском", matcher) == {
        "towns-around-bakhmut-captured": Relation.CONFIRMS
    }


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Ukrainian troops withdrew from several positions in Bakhmut",
            {"bakhmut-battle": Relation.CONFIRMS},
        ),
        ("ВСУ вышли из нескольких кварталов Артемовска", {"bakhmut-battle": Relation.CONFIRMS}),
        (
            "Ukrainian units withdraw from the last positions inside Bakhmut",
            {"bakhmut-battle": Relation.UPDATES, "ukraine-may-withdraw-bakhmut": Relation.UPDATES},
        ),
        (
            "Kyiv weighs a tactical retreat from parts of Bakhmut",
            {"ukraine-may-withdraw-bakhmut": Relation.CONFIRMS},
        ),
    ],
)
def test_a_withdrawal_from_part_of_a_place_is_no_pull_out(
    title: str, expected: dict[str, Relation], matcher: Matcher
) -> None:
    assert relations(title, matcher) == expected


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        # a negated progress is a capture that did not happen: the holder keeps the place
        (
            "Russian assaults on Siversk continue with no confirmed gains",
            "siversk-objective",
            Relation.CONFIRMS,
        ),
        ("Russian troops did not advance toward Siversk", "siversk-objective", Relation.CONFIRMS),
        ("Російські війська не просунулися до Сіверська", "siversk-objective", Relation.CONFIRMS),
        ("Ukrainian brigades made no gains at Klishchiivka", "klishchiivka-taken", Relation.CONFIRMS),
        # a negated attack that is no progress word keeps its reading: nothing was attacked
        ("Russia never attacked Vuhledar, Moscow says", "vuhledar-offensive", Relation.CONTRADICTS),
    ],
)
def test_no_progress_toward_a_place_leaves_it_with_its_holder(
    title: str, claim: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)[claim] is relation


def test_an_attempt_beaten_back_weighs_as_an_attack_not_a_change_of_hands(matcher: Matcher) -> None:
    # "attempts to retake" is an attack by Ukraine; the repel beside it is Russia keeping the village
    found = relations("Russian forces repel Ukrainian attempts to retake Klishchiivka", matcher)
    assert found["klishchiivka-taken"] is Relation.CONFIRMS


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        # an impersonal passive names no doer before it: the attacks were beaten back, the holder keeps the town
        (
            "Окупанти намагаються наблизитися до Сіверська, усі атаки відбито",
            "siversk-objective",
            Relation.CONFIRMS,
        ),
        # "посилили тиск" is stepped-up pressure (an attack), not the hold "посилили" (reinforced); the
        # defence opening the next clause holds for the defenders, not for the Russians of the clause before
        (
            "Росіяни посилили тиск на фланги Авдіївки, оборона тримається",
            "avdiivka-partially-surrounded",
            Relation.CONFIRMS,
        ),
        ("Russian troops stepped up attacks on Vuhledar", "vuhledar-offensive", Relation.CONFIRMS),
        # "!" inside a title ends a clause: the assault brigade after it does not turn the liberation into a repel
        (
            "Кліщіївку звільнено! 3-тя штурмова показала відео з прапором",
            "klishchiivka-taken",
            Relation.UPDATES,
        ),
        # "відбили" right before an attack word still repels it
        ("ЗСУ відбили штурм Кліщіївки", "klishchiivka-taken", Relation.UPDATES),
    ],
)
def test_passives_pressure_and_clause_breaks(
    title: str, claim: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)[claim] is relation


@pytest.mark.parametrize(
    "title",
    [
        "According to the Defence Forces, the enemy has occupied Ivanivske",
        "За даними Сил оборони, ворог окупував Іванівське",
        "По данным Генштаба ВСУ, противник занял Ивановское",
    ],
)
def test_the_source_of_a_report_is_not_the_doer(title: str, matcher: Matcher) -> None:
    # the capture is the enemy's (Russia's, the claim's holder): it confirms, it is no Ukrainian recapture
    assert relations(title, matcher)["towns-around-bakhmut-captured"] is Relation.CONFIRMS


def test_an_advance_after_a_capture_goes_on_and_a_still_of_another_clause_is_not_its_continuity(
    matcher: Matcher,
) -> None:
    # "пока" belongs to the clause of Siversk's holder ("который пока удерживают"), not to the advance from Soledar
    found = relations(
        "От Соледара на Северск",
        matcher,
        "После освобождения Соледара подразделения продвигаются на северо-запад, к Северску, который пока "
        "удерживают ВСУ.",
    )
    assert found["soledar-fell"] is Relation.CONFIRMS
    assert found["siversk-objective"] is Relation.CONFIRMS


def test_a_denial_after_a_named_statement_disputes_the_statement_not_the_fighting_before_it(
    matcher: Matcher,
) -> None:
    assert relations("Маляр: у Бахмуті тривають бої, заяви Пригожина — неправда", matcher)[
        "bakhmut-battle"
    ] is (Relation.CONFIRMS)
    # with no statement between, the denial after the event still disputes it
    assert (
        relations("Kyiv: the fall of Klishchiivka is false", matcher)["klishchiivka-taken"]
        is Relation.CONTRADICTS
    )


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        ("Russia launches its biggest push in months to encircle Avdiivka", Relation.CONFIRMS),
        ("Росіяни атакують з флангів, щоб оточити Авдіївку", Relation.CONFIRMS),
        ("Avdiivka has been encircled", Relation.UPDATES),  # the ring reported closed
    ],
)
def test_an_encirclement_as_the_aim_of_an_attack_is_the_ring_not_closed(
    title: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)["avdiivka-partially-surrounded"] is relation


@pytest.mark.parametrize(
    "body",
    [
        "В умовах загрози оточення наші війська відійшли з міста на вигідніші рубежі.",
        "Faced with the threat of encirclement, Ukrainian troops withdrew from the city.",
    ],
)
def test_a_threat_noun_governs_its_own_object_not_the_withdrawal_after_it(
    body: str, matcher: Matcher
) -> None:
    # the city is the one named in the title; "з міста" is its genitive, not the plural "міста"
    found = relations("Сирський ухвалив рішення щодо Авдіївки", matcher, body)
    assert found["avdiivka-partially-surrounded"] is Relation.UPDATES


def test_the_question_of_a_withdrawal_is_no_withdrawal(matcher: Matcher) -> None:
    found = relations("Бахмут", matcher, "Питання про відхід з міста знято з порядку денного.")
    assert found.get("bakhmut-battle") is not Relation.UPDATES


def test_the_holders_counter_attacks_without_gains_are_the_fight_going_on(matcher: Matcher) -> None:
    body = "Russian troops kept up their own attacks near Kreminna without confirmed gains."
    assert relations("Kreminna", matcher, body)["kreminna-ukrainian-pressure"] is Relation.CONFIRMS


def test_an_event_noun_whose_object_is_another_town_says_nothing_of_the_place_after_it(
    matcher: Matcher,
) -> None:
    body = "The capture of the salt-mining town has allowed Wagner units to attack Bakhmut from the north."
    assert (
        relations("Bakhmut", matcher, body)["bakhmut-battle"] is Relation.CONFIRMS
    )  # the attack, not a capture
    # the place itself as the object keeps the reading
    assert relations("The capture of Bakhmut", matcher)["bakhmut-battle"] is Relation.UPDATES


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        (
            "Минобороны РФ: штурмовые отряды заняли центр Артёмовска",
            Relation.CONFIRMS,
        ),  # a part: the fight goes on
        ("Wagner says it has taken the city centre of Bakhmut", Relation.CONFIRMS),
        ("Wagner says it has taken Bakhmut", Relation.UPDATES),
    ],
)
def test_a_part_of_the_place_taken_is_the_fight_going_on(
    title: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)["bakhmut-battle"] is relation


def test_heights_overlooking_a_city_are_a_landmark(matcher: Matcher) -> None:
    body = "Ukrainian troops freed Andriivka, the army said, after weeks of fighting for the heights overlooking Bakhmut."
    found = relations("Andriivka", matcher, body)
    assert "bakhmut-battle" not in found  # the village's news: Bakhmut only locates the heights


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        (
            "Ukraine may have to leave Bakhmut, commander concedes",
            "ukraine-may-withdraw-bakhmut",
            Relation.CONFIRMS,
        ),
        (
            "Zelensky adviser floats a tactical retreat from Bakhmut",
            "ukraine-may-withdraw-bakhmut",
            Relation.CONFIRMS,
        ),
        (
            "Пригожин начал отвод «Вагнера» из Артёмовска",
            "bakhmut-battle",
            Relation.UPDATES,
        ),  # the attacker leaves
        ("Іванівське не здане, заявили в ЗСУ", "towns-around-bakhmut-captured", Relation.CONTRADICTS),
    ],
)
def test_more_ways_to_say_leave_and_surrender(
    title: str, claim: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)[claim] is relation


def test_a_bare_leave_needs_a_place_right_after_it(matcher: Matcher) -> None:
    body = "Wagner, whose fighters captured Bakhmut in May, will leave Russia under the deal."
    assert "ukraine-may-withdraw-bakhmut" not in relations("Wagner to move to Belarus", matcher, body)


def test_a_village_on_the_road_to_a_city_makes_the_city_a_landmark(matcher: Matcher) -> None:
    body = "Село на трасі до Бахмута залишається під контролем українських військ."
    assert "bakhmut-battle" not in relations("Іванівське", matcher, body)


def test_a_change_of_hands_beside_an_evaluation_is_still_news(matcher: Matcher) -> None:
    found = relations("The fall of Bakhmut was a strategic mistake by Kyiv, analysts say", matcher)
    assert found["bakhmut-battle"] is Relation.UPDATES
    # an evaluation with no change of hands reports nothing of the fight
    assert "bakhmut-battle" not in relations("Holding Bakhmut was a mistake, analysts say", matcher)


@pytest.mark.parametrize(
    ("title", "claim", "relation"),
    [
        ("Prigozhin claims his fighters control 70% of Bakhmut", "bakhmut-battle", Relation.CONFIRMS),
        ("Russia controls most of Bakhmut, the ISW says", "bakhmut-battle", Relation.CONFIRMS),
        ("Russia controls Bakhmut", "bakhmut-battle", Relation.UPDATES),
        ("Ukrainian troops left Vuhledar to avoid being surrounded", "vuhledar-offensive", Relation.UPDATES),
        ("Ukrainian paratroopers: we never left Klishchiivka", "klishchiivka-taken", Relation.CONTRADICTS),
        ("Russian troops reached the outskirts of Siversk", "siversk-objective", Relation.CONFIRMS),
    ],
)
def test_shares_of_a_place_left_and_outskirts(
    title: str, claim: str, relation: Relation, matcher: Matcher
) -> None:
    assert relations(title, matcher)[claim] is relation


@pytest.mark.parametrize(
    "title",
    [
        "The baker, who left Bakhmut in 2014, now sells bread in Kyiv",
        "Ukrainian troops dug in on the left bank near Kherson",  # "left" with no place right after
    ],
)
def test_a_deed_of_an_earlier_year_or_the_left_bank_is_no_withdrawal(title: str, matcher: Matcher) -> None:
    found = relations(title, matcher)
    assert "bakhmut-battle" not in found
    assert "ukraine-may-withdraw-bakhmut" not in found


def test_a_capture_foreseen_is_the_threat_to_a_place_still_held(matcher: Matcher) -> None:
    title = "Russian forces are likely to capture Bakhmut in the coming weeks, the UK defence ministry said"
    assert relations(title, matcher)["bakhmut-battle"] is Relation.CONFIRMS
    # for a place already taken, a foreseen capture by its holder says nothing new
    assert "soledar-fell" not in relations("Russia may soon take full control of Soledar", matcher)


@pytest.mark.parametrize(
    "title",
    [
        "Генштаб: ворог не полишає спроб оточити Бахмут",
        "Противник не прекращает попыток окружить Артемовск",
        "Russian forces have not given up trying to encircle Bakhmut",
    ],
)
def test_a_negated_stop_is_the_attempt_going_on(title: str, matcher: Matcher) -> None:
    assert relations(title, matcher)["bakhmut-battle"] is Relation.CONFIRMS


@pytest.mark.parametrize(
    "title", ["ВСУ отошли на рубежи у Артёмовска", "Ukrainian troops fell back to positions outside Bakhmut"]
)
def test_a_withdrawal_towards_a_place_is_no_withdrawal_from_it(title: str, matcher: Matcher) -> None:
    assert relations(title, matcher).get("bakhmut-battle") is not Relation.UPDATES
    assert relations("ВСУ отошли из Артёмовска", matcher)["bakhmut-battle"] is Relation.UPDATES


def test_a_place_freed_from_a_side_is_that_sides_loss(matcher: Matcher) -> None:
    assert relations("Кліщіївку звільнено від окупантів", matcher)["klishchiivka-taken"] is Relation.UPDATES
