"""`newswatch report` end to end on SQLite and (when CI provides it) PostgreSQL, from local feed files."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.report.factory import BASELINE_FILE, FIXTURES, ROOT


def invoke(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--config", str(config), *args], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def feed_config(tmp_path: Path, database_url: str, fixture: str) -> Path:
    path = tmp_path / "newswatch.toml"
    path.write_text(
        f'[database]\nurl = "{database_url}"\n[baseline]\nfile = "{BASELINE_FILE}"\n'
        f'[[feeds]]\nname = "{fixture.split(".")[0]}"\npath = "{FIXTURES / fixture}"\n',
        encoding="utf-8",
    )
    assert invoke(path, "run", "--once")[0] == 0
    return path


def report_json(config: Path, *args: str) -> dict[str, Any]:
    code, out, err = invoke(config, "report", *args)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def titles(data: dict[str, Any]) -> set[str]:
    return {f["item"]["title"] for f in data["findings"]}


def test_window_edges_on_published_time_with_until_inclusive(tmp_path: Path, database_url: str) -> None:
    config = feed_config(tmp_path, database_url, "window-edges.rss")
    day = report_json(config, "--since", "2023-05-20", "--until", "2023-05-20")
    assert day["window"] == {"since": "2023-05-20T00:00:00+00:00", "until": "2023-05-21T00:00:00+00:00"}
    assert titles(day) == {"Russian assault on Vuhledar stalls after heavy armour losses"}
    assert day["stats"] == {
        "items": 1,
        "findings": 1,
        "by_relation": {"confirms": 0, "updates": 1, "contradicts": 0},
        "dismissed": 0,
        "late": 0,
    }
    assert report_json(config, "--until", "2023-05-20")["findings"] == day["findings"]
    three_days = report_json(config, "--since", "2023-05-19", "--until", "2023-05-21")
    assert titles(three_days) == {
        "Ukrainian troops recapture Klishchiivka south of Bakhmut",
        "Russian assault on Vuhledar stalls after heavy armour losses",
        "Ukraine withdraws from Avdiivka to avoid encirclement",
    }


def test_default_window_is_the_last_24_hours_on_fetch_time_for_undated_items(
    tmp_path: Path, database_url: str
) -> None:
    config = feed_config(tmp_path, database_url, "window-edges.rss")
    data = report_json(config)
    assert titles(data) == {"Wagner chief claims full control of Bakhmut"}
    claims = {c["id"]: c["status"] for c in data["claims"]}
    assert claims["bakhmut-battle"] == "updated"
    assert claims["vuhledar-offensive"] == "unchanged"  # its finding is dated 2023, outside the window


def test_empty_window_in_every_format(tmp_path: Path, database_url: str) -> None:
    config = feed_config(tmp_path, database_url, "window-edges.rss")
    data = report_json(config, "--since", "2022-01-01", "--until", "2022-01-31")
    assert data["findings"] == []
    assert data["stats"]["items"] == 0
    assert (
        "No findings in this window."
        in invoke(config, "report", "--until", "2022-01-31", "--format", "md")[1]
    )
    assert (
        "No findings in this window."
        in invoke(config, "report", "--until", "2022-01-31", "--format", "html")[1]
    )


def test_hostile_feed_text_is_inert_end_to_end(tmp_path: Path, database_url: str) -> None:
    config = feed_config(tmp_path, database_url, "hostile.rss")
    window = ("--since", "2023-01-01", "--until", "2023-12-31")
    data = report_json(config, *window)
    assert any("<script>alert(1)</script>" in title for title in titles(data))  # stored as published
    html = invoke(config, "report", *window, "--format", "html")[1]
    assert "<script>" not in html
    assert "<img" not in html
    assert "<svg onload" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html.lower()
    assert 'href="data:' not in html.lower()
    md = invoke(config, "report", *window, "--format", "md")[1]
    assert "<script>" not in md
    assert "](javascript:" in md  # the injected link text, made inert:
    assert "\\[click me\\](javascript:alert(2))" in md


def test_demo_report_to_files(tmp_path: Path, database_url: str) -> None:
    env = {"NEWSWATCH_DATABASE_URL": database_url}
    demo = ROOT / "config" / "demo.toml"
    assert invoke(demo, "run", "--once", env=env)[0] == 0
    window = ("--since", "2023-01-01", "--until", "2026-12-31")
    reports = tmp_path / "reports"
    reports.mkdir()
    for fmt in ("json", "md", "html"):
        out = reports / f"report.{fmt}"
        code, stdout, stderr = invoke(demo, "report", *window, "--format", fmt, "--out", str(out), env=env)
        assert code == 0, stderr
        assert stdout == ""
        assert stderr.strip() == str(out)
        assert out.stat().st_mode & stat.S_IRGRP  # not the 0600 of a bare temporary file
        assert invoke(demo, "report", *window, "--format", fmt, env=env)[1].count(
            "\n"
        ) == out.read_text().count("\n")
    data = json.loads((reports / "report.json").read_text())
    assert data["stats"]["findings"] == len(data["findings"]) >= 5
    assert data["claims"][0]["status"] in {"contradicted", "updated"}
    assert "<svg" in (reports / "report.html").read_text()
    assert "# Change report: The battle for Bakhmut" in (reports / "report.md").read_text()
    assert sorted(p.name for p in reports.iterdir()) == [
        "report.html",
        "report.json",
        "report.md",
    ]  # no temp left


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--since", "2023-13-01"), 2, "not a date"),
        (("--since", "2023-05-21", "--until", "2023-05-20"), 2, "empty"),
        (("--format", "pdf"), 2, "pdf"),
        (("--out", "/nonexistent-dir/report.json"), 1, "cannot write the report"),
    ],
)
def test_bad_options(tmp_path: Path, args: tuple[str, ...], code: int, message: str) -> None:
    config = feed_config(tmp_path, f"sqlite:///{tmp_path / 'test.db'}", "window-edges.rss")
    got, _, err = invoke(config, "report", *args)
    assert got == code
    assert message in err


def test_help_names_the_options_and_the_default_format() -> None:
    result = CliRunner().invoke(app, ["report", "--help"])
    assert result.exit_code == 0
    for option in ("--since", "--until", "--format", "--out", "json (the default)"):
        assert option in result.stdout
