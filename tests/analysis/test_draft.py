# ruff: noqa: RUF001 -- Cyrillic test text
"""Tests for the baseline draft: places from the gazetteer, candidate claims, the TOML it writes."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, get_args

import pytest

from pipeline.analysis.draft import (
    MAX_CLAIMS,
    Draft,
    draft_baseline,
    render_draft_toml,
    slug,
    transliterate,
)
from pipeline.analysis.gazetteer import Gazetteer, gazetteer_rows, load_gazetteer
from pipeline.baseline import ClaimKind, PlaceKind

FIXTURES = Path(__file__).parent.parent / "fixtures" / "draft"
CASES = sorted(p.name.removesuffix(".expected.toml") for p in FIXTURES.glob("*.expected.toml"))


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def _draft(name: str, gazetteer: Gazetteer) -> Draft:
    return draft_baseline((FIXTURES / f"{name}.txt").read_text(encoding="utf-8"), gazetteer)


def _expected(name: str) -> dict[str, Any]:
    return tomllib.loads((FIXTURES / f"{name}.expected.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", CASES)
def test_places_found(name: str, gazetteer: Gazetteer) -> None:
    draft = _draft(name, gazetteer)
    places = {p.id: p for p in draft.places}
    for want in _expected(name)["places"]:
        assert want["id"] in places, f"{want['id']} not found; found {sorted(places)}"
        got = places[want["id"]]
        assert got.kind == want["kind"]
        if "lat" in want:
            assert got.lat == pytest.approx(want["lat"], abs=0.1)
            assert got.lon == pytest.approx(want["lon"], abs=0.1)
        assert set(want.get("aliases", [])) <= set(got.aliases), got.aliases
        assert got.mentions >= 1


@pytest.mark.parametrize("name", CASES)
def test_no_junk_places(name: str, gazetteer: Gazetteer) -> None:
    draft = _draft(name, gazetteer)
    words = {w.casefold() for p in draft.places for w in p.name.split()}
    assert not words & {w.casefold() for w in _expected(name)["absent"]}
    expected_ids = {p["id"] for p in _expected(name)["places"]}
    extra = {p.id for p in draft.places} - expected_ids
    assert extra <= {"russia", "ukraine", "france"}, extra  # countries named in passing are fine


@pytest.mark.parametrize("name", CASES)
def test_claims_and_metadata(name: str, gazetteer: Gazetteer) -> None:
    draft = _draft(name, gazetteer)
    expected = _expected(name)
    claims = {c.id: c for c in draft.claims}
    for want in expected.get("claims", []):
        assert want["id"] in claims, f"{want['id']} not found; found {sorted(claims)}"
        assert claims[want["id"]].kind_guess == want["kind"]
        assert list(claims[want["id"]].places) == want["places"]
    assert draft.title == expected.get("title")
    assert draft.as_of == expected.get("as_of")
    assert draft.author == expected.get("author")


def test_claims_skip_bylines_quotes_and_headings(gazetteer: Gazetteer) -> None:
    article = (
        "Situation report\n\n"
        "Russian forces captured the village of Novoselivka near Kramatorsk on Monday.\n"
        "\u201cWe will hold the line no matter what it costs us,\u201d\n"
        "Jane Smith is a senior correspondent at Example News\n"
    )
    draft = draft_baseline(article, gazetteer, source="Example News")
    assert [c.text for c in draft.claims] == [
        "Russian forces captured the village of Novoselivka near Kramatorsk on Monday."
    ]
    assert draft.author == "Jane Smith"
    assert draft.title == "Situation report"
    assert draft.source == "Example News"


def test_claims_are_capped_in_article_order_with_unique_ids(gazetteer: Gazetteer) -> None:
    towns = ["Kramatorsk", "Sloviansk", "Kharkiv", "Pokrovsk", "Lyman"]
    sentences = [
        f"Officials in {towns[i % 5]} said that {100 + i} shells hit the town on day {i}." for i in range(40)
    ]
    draft = draft_baseline(" ".join(sentences), gazetteer)
    assert len(draft.claims) == MAX_CLAIMS
    order = [sentences.index(c.text) for c in draft.claims]
    assert order == sorted(order)
    assert len({c.id for c in draft.claims}) == MAX_CLAIMS
    assert draft.claims[0].id == "kramatorsk-said"
    assert draft.claims[5].id == "kramatorsk-said-2"


@pytest.mark.parametrize(
    ("article", "place_id", "country_hint"),
    [
        (
            "Floods hit Florida and Alabama. Rescue teams reached Georgia and Tennessee on Monday.",
            "georgia",
            "US",
        ),
        (
            "Talks between Armenia and Azerbaijan resumed in Georgia, near the border with Russia.",
            "georgia",
            "GE",
        ),
    ],
)
def test_country_consensus_decides_ambiguous_names(
    article: str, place_id: str, country_hint: str, gazetteer: Gazetteer
) -> None:
    place = {p.id: p for p in draft_baseline(article, gazetteer).places}[place_id]
    assert place.kind == ("region" if country_hint == "US" else "country")
    assert place.lon is not None
    assert (place.lon < -60) == (country_hint == "US")


def test_cyrillic_and_inflected_names(gazetteer: Gazetteer) -> None:
    draft = draft_baseline("Бої тривають у Бахмуті та біля Соледара, повідомив Генштаб.", gazetteer)
    places = {p.id: p for p in draft.places}
    assert {"bakhmut", "soledar"} <= set(places)
    assert "Artemivsk" in places["bakhmut"].aliases or "Artemovsk" in places["bakhmut"].aliases
    assert "Бахмут" in places["bakhmut"].aliases


@pytest.mark.parametrize("name", CASES)
def test_rendered_toml_parses_in_baseline_shape(name: str, gazetteer: Gazetteer) -> None:
    draft = _draft(name, gazetteer)
    text = render_draft_toml(draft)
    data = tomllib.loads(text)
    assert "# TODO: check aliases" in text
    assert "# kind guessed" in text
    assert data["metadata"]["id"] == slug(data["metadata"]["id"], 20)
    if draft.as_of:
        assert data["metadata"]["as_of"] == draft.as_of
    else:
        assert "# TODO: as_of" in text
    place_ids = [p["id"] for p in data["places"]]
    assert place_ids == [p.id for p in draft.places]
    for place in data["places"]:
        assert place["kind"] in get_args(PlaceKind)
        assert place["aliases"]
        assert place["lookalikes"] == []
        assert ("lat" in place) == (next(p for p in draft.places if p.id == place["id"]).lat is not None)
    for claim in data["claims"]:
        assert claim["kind"] in get_args(ClaimKind)
        assert set(claim["places"]) <= set(place_ids)
        assert claim["actors"] == []
        assert all(len(group) == 1 for group in claim["topic"])


def test_render_escapes_strings() -> None:
    draft = Draft(title='A "quoted" \\ title', as_of=None, places=(), claims=(), source="x\ty")
    data = tomllib.loads(render_draft_toml(draft))
    assert data["metadata"]["title"] == 'A "quoted" \\ title'
    assert data["metadata"]["source"] == "x\ty"
    assert "as_of" not in data["metadata"]


def test_transliterate_and_slug() -> None:
    assert transliterate("Бахмут") == "Bakhmut"
    assert transliterate("Запоріжжя") == "Zaporizhzhia"
    assert slug("Zaporizhzhia region") == "zaporizhzhia-region"
    assert slug("Слов'янськ") == "sloviansk"


def test_gazetteer_lookup_matches_whole_names_ignoring_case() -> None:
    rows = gazetteer_rows(
        cities=[
            {"geonameid": 1, "name": "Springfield", "latitude": 39.8, "longitude": -89.6, "countrycode": "US",
             "admin1code": "IL", "population": 114000, "alternatenames": ["Springfeld", "Спрингфилд"]},
            {"geonameid": 2, "name": "Großenhain", "latitude": 51.3, "longitude": 13.5, "countrycode": "DE",
             "admin1code": "13", "population": 18000, "alternatenames": []},
            {"geonameid": 3, "name": "Field", "latitude": 40.0, "longitude": -90.0, "countrycode": "US",
             "admin1code": "IL", "population": 600, "alternatenames": []},
        ],
        countries=[{"iso": "US", "name": "United States", "population": 330000000}],
        us_states=[{"code": "IL", "name": "Illinois"}],
        us_counties=[{"fips": "17167", "name": "Sangamon County", "state": "IL"}],
    )  # fmt: skip
    gazetteer = Gazetteer(rows)
    found = gazetteer.lookup(["SPRINGFIELD", "спрингфилд", "field", "Spring", "grossenhain", "Illinois"])
    assert [e.name for e in found["springfield"]] == ["Springfield"]
    assert [e.name for e in found["спрингфилд"]] == ["Springfield"]
    assert [e.name for e in found["field"]] == ["Field"]  # not a substring of Springfield
    assert "spring" not in found
    assert [e.name for e in found["grossenhain"]] == ["Großenhain"]  # casefold turns ß into ss
    (illinois,) = found["illinois"]
    assert illinois.kind == "state"
    assert illinois.approximate
    assert illinois.lat == pytest.approx(39.9)  # the mean of its towns
    assert illinois.population == 114600
    assert gazetteer.lookup([]) == {}


def test_load_gazetteer_is_built_once(gazetteer: Gazetteer) -> None:
    assert load_gazetteer() is gazetteer
    assert len(gazetteer) > 200_000


@pytest.mark.parametrize(
    ("article", "kind"),
    [
        ("Officials in Washington said the aid package would reach Kyiv within weeks.", "city"),
        ("After talks in Kyiv, Washington promised more air defence systems for the spring.", "city"),
        ("Wildfires spread across Washington state on Monday, forcing evacuations near Yakima.", "region"),
        ("Crews from the State of Washington reached Oregon on Tuesday to fight the fires.", "region"),
        ("Volunteers drove from Spokane, Washington to Boise on Sunday with supplies.", "region"),
    ],
)
def test_capital_beats_same_named_state_without_a_state_cue(
    article: str, kind: str, gazetteer: Gazetteer
) -> None:
    place = {p.id: p for p in draft_baseline(article, gazetteer).places}["washington"]
    assert place.kind == kind
    assert place.lon is not None
    assert (place.lon > -80) == (kind == "city")  # Washington, D.C. is in the east, the state in the far west


def _invented_gazetteer() -> Gazetteer:
    """A state and a big city of the same name, the city in another state: no real name involved."""
    rows = gazetteer_rows(
        cities=[
            {"geonameid": 1, "name": "Avalon", "latitude": 38.9, "longitude": -77.0, "countrycode": "US",
             "admin1code": "CP", "population": 700000, "alternatenames": []},
            {"geonameid": 2, "name": "Brightwater", "latitude": 47.0, "longitude": -120.0, "countrycode": "US",
             "admin1code": "AV", "population": 2000000, "alternatenames": []},
        ],
        countries=[{"iso": "US", "name": "United States", "population": 330000000}],
        us_states=[{"code": "AV", "name": "Avalon"}, {"code": "CP", "name": "Capitolia"}],
        us_counties=[],
    )  # fmt: skip
    return Gazetteer(rows)


@pytest.mark.parametrize(
    ("article", "kind"),
    [
        ("The talks in Avalon ended without a deal, officials said on Monday.", "city"),
        ("Floods hit Avalon state on Monday and closed every road.", "region"),
        ("Volunteers drove from Brightwater, Avalon to the coast on Sunday.", "region"),
    ],
)
def test_capital_rule_is_general(article: str, kind: str) -> None:
    place = {p.id: p for p in draft_baseline(article, _invented_gazetteer()).places}["avalon"]
    assert place.kind == kind
