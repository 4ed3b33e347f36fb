"""doctor: each dependency checked in order, one report per problem, a fix for each, exit 1 on failure."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_httpserver import HTTPServer

from pipeline.doctor import Check, Outcome, diagnose
from tests.test_cli import invoke, serve, write_config


def outcomes(checks: list[Check]) -> dict[str, Outcome]:
    return {check.name: check.outcome for check in checks}


def test_healthy_setup_passes_every_check(tmp_path: Path, httpserver: HTTPServer, database_url: str) -> None:
    config = write_config(tmp_path, database_url, [("wire", serve(httpserver, "/wire.xml", "wire.rss"))])
    assert invoke(config, "init")[0] == 0
    checks = diagnose(config, {})
    assert outcomes(checks) == {
        "config": Outcome.OK,
        "database": Outcome.OK,
        "baseline": Outcome.OK,
        "feed wire": Outcome.OK,
    }
    assert "items in" in checks[-1].detail


def test_each_problem_is_named_with_a_fix(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone.xml").respond_with_data("no", status=404)
    httpserver.expect_request("/page.html").respond_with_data(
        "<!doctype html><html><body><p>Hello</p></body></html>", content_type="text/html"
    )
    feeds = [
        ("good", serve(httpserver, "/good.xml", "wire.rss")),
        ("gone", httpserver.url_for("/gone.xml")),
        ("page", httpserver.url_for("/page.html")),
    ]
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'never-initialised.db'}", feeds)
    by_name = {check.name: check for check in diagnose(config, {})}
    assert by_name["database"].outcome is Outcome.FAIL
    assert by_name["database"].fix == "run `newswatch init`"
    assert by_name["baseline"].outcome is Outcome.OK
    assert by_name["feed good"].outcome is Outcome.OK
    assert by_name["feed gone"].outcome is Outcome.FAIL
    assert "http_404" in by_name["feed gone"].detail
    assert by_name["feed page"].outcome is Outcome.FAIL
    assert "not_a_feed" in by_name["feed page"].detail


def test_broken_config_stops_at_the_config(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[database]\nurl = 42\n[[feeds]]\nname = "x"\nurl = "ftp://nope"\n', encoding="utf-8")
    [check] = diagnose(config, {})
    assert (check.name, check.outcome) == ("config", Outcome.FAIL)
    assert "database.url" in check.detail
    assert "feeds[0].url" in check.detail


def test_missing_baseline_fails_but_feeds_are_still_checked(tmp_path: Path, httpserver: HTTPServer) -> None:
    config = tmp_path / "newswatch.toml"
    url = serve(httpserver, "/wire.xml", "wire.rss")
    config.write_text(
        f'[baseline]\nfile = "{tmp_path / "missing.toml"}"\n[[feeds]]\nname = "wire"\nurl = "{url}"\n',
        encoding="utf-8",
    )
    found = outcomes(diagnose(config, {"NEWSWATCH_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}))
    assert found["baseline"] is Outcome.FAIL
    assert found["feed wire"] is Outcome.OK


def test_cli_exit_codes_and_json(tmp_path: Path, httpserver: HTTPServer, database_url: str) -> None:
    config = write_config(tmp_path, database_url, [("wire", serve(httpserver, "/wire.xml", "wire.rss"))])
    code, out, err = invoke(config, "doctor", "--offline")
    assert code == 1
    assert "run `newswatch init`" in err
    assert invoke(config, "init")[0] == 0
    code, out, _ = invoke(config, "doctor", "--format", "json")
    assert code == 0
    assert [entry["outcome"] for entry in json.loads(out)] == ["ok"] * 4
