"""The baseline file: the shipped baseline loads; each kind of mistake gives its one-line message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.baseline import load_baseline
from pipeline.errors import BaselineError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests/fixtures/baselines"

CLAIM_IDS = {
    "bakhmut-battle", "soledar-fell", "us-advises-withdrawal", "ukraine-losses-hundreds-daily",
    "troops-trained-in-europe", "isw-defence-sound", "western-armour-deliveries", "russian-fortifications",
    "zaporizhzhia-offensive", "vuhledar-offensive", "avdiivka-partially-surrounded", "klishchiivka-taken",
    "towns-around-bakhmut-captured", "siversk-objective", "kreminna-ukrainian-pressure",
    "russian-offensive-expected", "ukraine-may-withdraw-bakhmut", "kharkiv-kherson-victories",
}  # fmt: skip


def test_shipped_baseline_loads_with_its_18_claims() -> None:
    baseline = load_baseline(ROOT / "config/baselines/bakhmut-2023-01-26.toml")
    assert baseline.id == "bakhmut-2023-01-26"
    assert str(baseline.as_of) == "2023-01-26"
    assert baseline.metadata.source == "Militant Wire"
    assert {claim.id for claim in baseline.claims} == CLAIM_IDS
    assert all(claim.text for claim in baseline.claims)


def test_minimal_fixture_loads() -> None:
    assert load_baseline(FIXTURES / "minimal.toml").places[0].name == "Bakhmut"


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            "bad-unknown-place.toml",
            "bad-unknown-place.toml: claims[0].places[0]: unknown place 'solidar' (known: bakhmut, soledar)",
        ),
        (
            "bad-duplicate-id.toml",
            "bad-duplicate-id.toml: places[1].id: duplicate id 'bakhmut' (ids must be unique)",
        ),
        (
            "bad-as-of.toml",
            "bad-as-of.toml: metadata.as_of: not a date (write it as 2023-01-26) (got '26 January')",
        ),
        (
            "bad-coordinates.toml",
            "bad-coordinates.toml: places[1].lat: Input should be less than or equal to 90 (got 148.7)",
        ),
        ("bad-kind.toml", "bad-kind.toml: places[1].kind: not one of the allowed values:"),
        ("bad-unknown-key.toml", "bad-unknown-key.toml: metadata.authr: unknown key (check its spelling)"),
        (
            "bad-missing-state.toml",
            "bad-missing-state.toml: claims[0].state.rival: required for a control claim (add it under [claims.state])",
        ),
        (
            "bad-unknown-actor.toml",
            "bad-unknown-actor.toml: claims[0].state.rival: unknown actor 'rusia' (known: russia, ukraine)",
        ),
        (
            "bad-lookalike-is-alias.toml",
            "bad-lookalike-is-alias.toml: places[1].lookalikes[0]: 'soledar' is also an alias (remove it from one list)",
        ),
        ("bad-not-toml.toml", "bad-not-toml.toml: not valid TOML:"),
    ],
)
def test_each_mistake_has_its_message(fixture: str, message: str) -> None:
    with pytest.raises(BaselineError) as caught:
        load_baseline(FIXTURES / fixture)
    assert str(caught.value).startswith(f"{FIXTURES / fixture}{message.removeprefix(fixture)}")
    assert caught.value.exit_code == 2


def test_missing_file_names_the_config_key(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match=r"baseline file not found \(set baseline.file in the config\)"):
        load_baseline(tmp_path / "nope.toml")


def test_several_problems_give_one_line_each(tmp_path: Path) -> None:
    text = (FIXTURES / "minimal.toml").read_text(encoding="utf-8")
    text = text.replace('places = ["bakhmut"]', 'places = ["solidar", "bakhmutt"]')
    path = tmp_path / "two.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError) as caught:
        load_baseline(path)
    lines = str(caught.value).splitlines()
    assert [line.split(": ")[1] for line in lines] == ["claims[0].places[0]", "claims[0].places[1]"]
