"""Config loading: defaults, env override, and one clear line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import Config, describe_url, load_config, sqlite_path
from pipeline.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newswatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[[feeds]]\nname = "a"\nurl = "https://example.org/rss"\n'), {})
    assert config.database.url == "sqlite:///data/newswatch.db"
    assert config.schedule.fetch_every_minutes == 30
    assert config.feeds[0].source == "https://example.org/rss"


def test_env_overrides_database_url(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///x.db"\n')
    config = load_config(path, {"NEWSWATCH_DATABASE_URL": "postgresql://u:secret@db/n"})
    assert config.database.url == "postgresql://u:secret@db/n"
    assert describe_url(config.database.url) == "postgresql://u:***@db/n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[database]\nurl = 42\n", "database.url: Input should be a valid string (got 42)"),
        ('[database]\nurl = "mysql://x"\n', "database.url: not a sqlite:// or postgresql:// URL"),
        ('[[feeds]]\nname = "x"\nurl = "ftp://x/y"\n', "feeds[0].url: not an http(s) URL ('ftp://x/y')"),
        ('[[feeds]]\nname = "x"\n', "feeds[0]: give exactly one of 'url' or 'path'"),
        ('[schedule]\nreport_at = "25:00"\n', "schedule.report_at: not a time of day HH:MM"),
        ("[schedule]\nfetch_every_minute = 5\n", "schedule.fetch_every_minute: unknown key"),
        ("[fetch]\nconcurrency = 0\n", "fetch.concurrency: Input should be greater than or equal to 1"),
        (
            '[[feeds]]\nname = "a"\nurl = "http://h/1"\n[[feeds]]\nname = "a"\nurl = "http://h/2"\n',
            "feeds: feed names must be unique; repeated: a",
        ),
        ("[database\n", "not valid TOML"),
    ],
)
def test_bad_config_names_key_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", {})


def test_relative_paths_fall_back_to_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "a.xml").write_text("<rss/>")
    path = write(tmp_path, '[[feeds]]\nname = "a"\npath = "feeds/a.xml"\n')
    monkeypatch.chdir("/")
    config = load_config(path, {})
    assert config.feeds[0].path == tmp_path / "feeds" / "a.xml"


def test_bundled_configs_are_valid() -> None:
    root = Path(__file__).parent.parent
    for name in ("newswatch.toml", "demo.toml"):
        assert isinstance(load_config(root / "config" / name, {}), Config)


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite:///data/x.db") == Path("data/x.db")
    assert sqlite_path("sqlite:////abs/x.db") == Path("/abs/x.db")
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql://h/db") is None
