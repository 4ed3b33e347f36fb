"""The CLI end to end, on SQLite and (when CI provides it) PostgreSQL; feeds come from 127.0.0.1."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import text
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.engine import create_db_engine

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "cycle"
BASELINE = ROOT / "config" / "baselines" / "bakhmut-2023-01-26.toml"
STATUS_KEYS = {"url", "last_status", "last_error", "items_seen", "consecutive_failures", "last_fetched"}


def invoke(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--config", str(config), *args], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def write_config(tmp_path: Path, database_url: str, feeds: list[tuple[str, str]], extra: str = "") -> Path:
    lines = [f'[database]\nurl = "{database_url}"', f'[baseline]\nfile = "{BASELINE}"', extra]
    lines += [f'[[feeds]]\nname = "{name}"\nurl = "{url}"' for name, url in feeds]
    path = tmp_path / "newswatch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def serve(httpserver: HTTPServer, path: str, fixture: str, content_type: str = "application/rss+xml") -> str:
    body = (FIXTURES / fixture).read_bytes()
    httpserver.expect_request(path).respond_with_data(body, content_type=content_type)
    return httpserver.url_for(path)


def test_demo_config_runs_offline(tmp_path: Path, database_url: str) -> None:
    env = {"NEWSWATCH_DATABASE_URL": database_url}
    demo = ROOT / "config" / "demo.toml"
    assert invoke(demo, "init", env=env)[0] == 0
    code, out, _ = invoke(demo, "run", "--once", env=env)
    assert code == 0
    assert "3 feeds: 3 ok, 0 not modified, 0 failed" in out
    first_items = int(out.split("; ")[1].split()[0])
    assert first_items >= 10
    assert int(out.split("; ")[2].split()[0]) > 0, "the demo must produce findings"
    code, out, _ = invoke(demo, "run", "--once", env=env)
    assert code == 0
    assert "; 0 new items; 0 new findings" in out
    code, out, _ = invoke(demo, "feeds", "status", "--format", "json", env=env)
    statuses = json.loads(out)
    assert len(statuses) == 3
    assert all(set(s) >= STATUS_KEYS for s in statuses)
    assert sum(s["items_seen"] for s in statuses) == first_items


def test_http_feeds_dedupe_and_failures(tmp_path: Path, httpserver: HTTPServer, database_url: str) -> None:
    httpserver.expect_request("/missing.xml").respond_with_data("gone", status=404)
    httpserver.expect_request("/error.xml").respond_with_data("oops", status=500)
    feeds = [
        ("wire", serve(httpserver, "/wire.rss", "wire.rss")),
        ("mirror", serve(httpserver, "/mirror.atom", "mirror.atom", "application/atom+xml")),
        ("broken", serve(httpserver, "/broken.xml", "broken.xml", "text/html")),
        ("missing", httpserver.url_for("/missing.xml")),
        ("error", httpserver.url_for("/error.xml")),
    ]
    config = write_config(tmp_path, database_url, feeds, "[fetch]\nretries = 1\nretry_backoff = 0.01\n")
    code, out, err = invoke(config, "run", "--once")
    assert code == 0, err
    # The same article in two feeds (other tracking params, case and fragment) is one item: 3, not 4.
    assert "5 feeds: 2 ok, 0 not modified, 3 failed; 3 new items" in out
    assert "missing" in err
    assert "404" in err
    code, out, _ = invoke(config, "feeds", "status", "--format", "json")
    status = {s["name"]: s for s in json.loads(out)}
    assert status["wire"]["items_seen"] == 2
    assert status["mirror"]["items_seen"] == 1
    assert status["missing"]["last_status"] == 404
    assert status["missing"]["consecutive_failures"] == 1
    assert status["error"]["last_status"] == 500
    assert status["broken"]["last_error"]
    assert status["broken"]["consecutive_failures"] == 1
    code, out, _ = invoke(config, "run", "--once")
    assert code == 0
    assert "; 0 new items; 0 new findings" in out
    code, out, _ = invoke(config, "feeds", "status", "--format", "json")
    assert {s["name"]: s for s in json.loads(out)}["missing"]["consecutive_failures"] == 2


def test_due_only_skips_backed_off_feeds(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/missing.xml").respond_with_data("gone", status=404)
    feeds = [
        ("wire", serve(httpserver, "/wire.rss", "wire.rss")),
        ("missing", httpserver.url_for("/missing.xml")),
    ]
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", feeds)
    assert invoke(config, "run", "--once")[0] == 0
    code, out, _ = invoke(config, "run", "--once", "--due")
    assert code == 0
    assert "0 feeds: 0 ok, 0 not modified, 0 failed, 2 skipped (not due or busy elsewhere)" in out


def test_hanging_feed_does_not_hold_the_cycle(
    tmp_path: Path, httpserver: HTTPServer, hanging_server: HTTPServer
) -> None:
    feeds = [("wire", serve(httpserver, "/wire.rss", "wire.rss")), ("hang", hanging_server.url_for("/feed"))]
    extra = "[fetch]\nread_timeout = 30\ntotal_timeout = 30\ncycle_deadline = 2\nretries = 0\n"
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", feeds, extra)
    started = time.monotonic()
    code, out, err = invoke(config, "run", "--once")
    assert time.monotonic() - started < 6
    assert code == 0
    assert "1 ok, 0 not modified, 1 failed; 2 new items" in out
    assert "cycle deadline" in err


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[database]\nurl = 42\n[[feeds]]\nname = "x"\nurl = "http://127.0.0.1:9/x.xml"\n')
    code, out, err = invoke(config, "run", "--once")
    assert code == 2
    assert "database.url" in err
    assert "Traceback" not in out + err


def test_unreachable_database_is_exit_1(tmp_path: Path) -> None:
    config = write_config(tmp_path, "postgresql://nobody@127.0.0.1:9/none", [("x", "http://127.0.0.1:9/x")])
    code, _, err = invoke(config, "run", "--once")
    assert code == 1
    assert "127.0.0.1:9" in err
    assert "Traceback" not in err


def test_run_needs_once(tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path / "any.toml", "run")
    assert code == 2
    assert "serve" in err


def test_feeds_list_formats(tmp_path: Path) -> None:
    config = write_config(tmp_path, "sqlite:///x.db", [("a", "http://h.test/a.xml")])
    code, out, _ = invoke(config, "feeds", "list", "--format", "json")
    assert code == 0
    assert json.loads(out) == [{"name": "a", "url": "http://h.test/a.xml", "kind": "url"}]
    code, out, _ = invoke(config, "feeds", "list")
    assert code == 0
    assert "h.test/a.xml" in out


def test_baseline_check(tmp_path: Path) -> None:
    code, out, _ = invoke(tmp_path / "unused.toml", "baseline", "check", str(BASELINE))
    assert code == 0
    assert "18 claims" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\n')
    code, _, err = invoke(tmp_path / "unused.toml", "baseline", "check", str(bad))
    assert code == 2
    assert "bad.toml: metadata: required key is missing" in err


@pytest.mark.parametrize(
    ("text", "claim", "relation"),
    [
        (
            "Wagner captures Bakhmut\nRussian forces took full control of the city.",
            "bakhmut-battle",
            "updates",
        ),
        (
            "Ukraine retakes Klishchiivka\nUkrainian troops liberated Klishchiivka.",
            "klishchiivka-taken",
            "updates",
        ),
    ],
)
def test_analyse_text_shows_findings_and_reasons(
    tmp_path: Path, text: str, claim: str, relation: str
) -> None:
    code, out, _ = invoke(ROOT / "config" / "demo.toml", "analyse", "--text", text, "--format", "json")
    assert code == 0
    result = json.loads(out)
    found = {(f["claim_id"], f["relation"]) for f in result["findings"]}
    assert (claim, relation) in found
    assert all(f["reasons"] and f["evidence"] for f in result["findings"])


def test_every_command_has_help_and_a_readme_entry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = ["init", "run", "serve", "feeds list", "feeds status", "baseline check", "baseline draft"]
    commands += ["analyse", "reanalyse", "findings", "version", "report", "review list", "review accept"]
    commands += ["review dismiss", "baseline status", "web", "doctor"]
    for command in commands:
        result = CliRunner().invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, command
        assert len(result.stdout.strip().splitlines()) > 2, command
        assert re.search(rf"newswatch (--config \S+ )?{command}\b", readme), (
            f"README lacks `newswatch {command}`"
        )


def test_rdf_cp1251_and_malformed_feeds_over_http(
    tmp_path: Path, httpserver: HTTPServer, database_url: str
) -> None:
    feeds_dir = Path(__file__).parent / "fixtures" / "feeds"
    for name, content_type in [
        ("rss10-rdf.xml", "application/rdf+xml"),
        ("cp1251-cyrillic.xml", "application/rss+xml"),
        ("malformed-but-usable.xml", "application/rss+xml"),
    ]:
        httpserver.expect_request(f"/{name}").respond_with_data(
            (feeds_dir / name).read_bytes(), content_type=content_type
        )
    feeds = [
        (n.split(".")[0], httpserver.url_for(f"/{n}"))
        for n in ("rss10-rdf.xml", "cp1251-cyrillic.xml", "malformed-but-usable.xml")
    ]
    config = write_config(tmp_path, database_url, feeds)
    code, out, _ = invoke(config, "run", "--once")
    assert code == 0
    assert "3 feeds: 3 ok, 0 not modified, 0 failed" in out
    code, out, _ = invoke(config, "feeds", "status", "--format", "json")
    status = {s["name"]: s for s in json.loads(out)}
    assert all(s["items_seen"] > 0 for s in status.values())
    assert "malformed feed" in status["malformed-but-usable"]["warning"]
    assert status["cp1251-cyrillic"]["warning"] is None
    expected = json.loads((feeds_dir / "cp1251-cyrillic.expected.json").read_text(encoding="utf-8"))
    stored = stored_titles(database_url)
    assert {item["title"] for item in expected["items"]} <= stored


def stored_titles(database_url: str) -> set[str]:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT title FROM item"))}
    finally:
        engine.dispose()
