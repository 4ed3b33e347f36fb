"""`review list|accept|dismiss` and `baseline status` end to end on the offline demo, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

DEMO = Path(__file__).parent.parent / "config" / "demo.toml"
STATUS_OF = {"confirms": "unchanged", "updates": "updated", "contradicts": "contradicted"}


class Demo:
    """The demo config on a fresh database, after one cycle."""

    def __init__(self, database_url: str) -> None:
        self.env = {"NEWSWATCH_DATABASE_URL": database_url}
        code, _, err = self.run("run", "--once")
        assert code == 0, err

    def run(self, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, ["--config", str(DEMO), *args], env=self.env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    def json(self, *args: str) -> Any:
        code, out, err = self.run(*args, "--format", "json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def demo(database_url: str) -> Demo:
    return Demo(database_url)


def test_review_list_is_newest_first_and_filters(demo: Demo) -> None:
    found = demo.json("review", "list")
    assert len(found) >= 5, "the demo must give findings to review"
    published = [f["published"] for f in found]
    assert published == sorted(published, reverse=True)
    assert {f["review_state"] for f in found} == {"pending"}
    claim = found[-1]["claim_id"]
    own = demo.json("review", "list", "--claim", claim)
    assert own
    assert {f["claim_id"] for f in own} == {claim}
    assert [f["id"] for f in own] == [f["id"] for f in found if f["claim_id"] == claim]

    code, out, _ = demo.run("review", "list")
    assert code == 0
    header = out.splitlines()[0].split()
    assert header == ["id", "claim", "relation", "score", "review", "published", "outlet", "title", "url"]
    assert found[0]["url"] in out


def test_accept_and_dismiss_change_the_finding_and_say_so(demo: Demo) -> None:
    first, second = demo.json("review", "list")[:2]
    code, out, _ = demo.run("review", "accept", str(first["id"]), "--note", "checked with ISW")
    assert code == 0
    assert f"finding {first['id']}: pending → accepted" in out
    assert "checked with ISW" in out
    code, out, _ = demo.run("review", "dismiss", str(second["id"]))
    assert code == 0
    assert f"finding {second['id']}: pending → dismissed" in out

    by_id = {f["id"]: f for f in demo.json("review", "list")}
    assert by_id[first["id"]]["review_state"] == "accepted"
    assert by_id[first["id"]]["note"] == "checked with ISW"
    assert by_id[first["id"]]["reviewed_at"] is not None
    assert by_id[second["id"]]["review_state"] == "dismissed"
    assert by_id[second["id"]]["note"] is None
    pending = {f["id"] for f in demo.json("review", "list", "--pending")}
    assert pending == set(by_id) - {first["id"], second["id"]}

    code, out, _ = demo.run("review", "dismiss", str(second["id"]))
    assert code == 0
    assert "already dismissed" in out


def test_unknown_finding_is_a_usage_error(demo: Demo) -> None:
    code, out, err = demo.run("review", "accept", "999999")
    assert code == 2
    assert "no finding with id 999999" in err
    assert "Traceback" not in out + err
    code, _, err = demo.run("review", "dismiss", "0")
    assert code == 2  # ids start at 1: refused by the option parser


def test_baseline_status_follows_the_latest_finding_not_dismissed(demo: Demo) -> None:
    statuses = demo.json("baseline", "status")
    claims = [s["id"] for s in statuses]
    assert len(claims) == 18, "every claim of the bundled baseline, in baseline order"
    found = demo.json("review", "list")
    for status in statuses:
        own = [f for f in found if f["claim_id"] == status["id"]]
        if not own:
            assert (status["status"], status["finding"]) == ("unchanged", None)
            continue
        latest = max(own, key=lambda f: (f["published"], f["id"]))
        assert status["finding"]["id"] == latest["id"]
        assert status["status"] == STATUS_OF[latest["relation"]]
        assert set(status["finding"]) == {"id", "relation", "review", "published", "feed", "title", "url"}

    # Dismissing the finding behind a changed claim hands the status to the next one (or to none).
    changed = next(s for s in statuses if s["status"] != "unchanged")
    assert demo.run("review", "dismiss", str(changed["finding"]["id"]))[0] == 0
    after = {s["id"]: s for s in demo.json("baseline", "status")}[changed["id"]]
    rest = [f for f in found if f["claim_id"] == changed["id"] and f["id"] != changed["finding"]["id"]]
    if rest:
        latest = max(rest, key=lambda f: (f["published"], f["id"]))
        assert after["finding"]["id"] == latest["id"]
        assert after["status"] == STATUS_OF[latest["relation"]]
    else:
        assert after["finding"] is None
        assert after["status"] == "unchanged"

    code, out, _ = demo.run("baseline", "status")
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["claim", "status", "finding"]
    assert all(claim in out for claim in claims)


@pytest.mark.parametrize("command", ["review list", "review accept", "review dismiss", "baseline status"])
def test_commands_have_help_and_a_readme_entry(command: str) -> None:
    readme = (DEMO.parent.parent / "README.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) > 2
    assert f"newswatch {command} " in readme
