"""Config loading: defaults, env override, and one clear line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import Config, describe_url, load_config, parse_listen, sqlite_path, url_scheme
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
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone: not a time zone name"),
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


def test_report_and_notify_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""), {})
    assert config.report.directory == Path("reports")
    assert config.report.formats == ["html", "md", "json"]
    assert config.notify.urls == []
    assert config.notify.attach == "html"


def test_notify_urls_expand_environment_variables_and_stay_secret(tmp_path: Path) -> None:
    text = (
        '[notify]\nurls = ["ntfy://newswatch-${TOPIC}", "mailtos://analyst:${SMTP_PASSWORD}@mail.example"]\n'
        "retries = 3\nretry_delay_seconds = 0.5\n"
    )
    environ = {"TOPIC": "daily", "SMTP_PASSWORD": "hunter2-secret"}
    config = load_config(write(tmp_path, text), environ)
    urls = [url.get_secret_value() for url in config.notify.urls]
    assert urls == ["ntfy://newswatch-daily", "mailtos://analyst:hunter2-secret@mail.example"]
    assert (config.notify.retries, config.notify.retry_delay_seconds) == (3, 0.5)
    assert "hunter2-secret" not in repr(config) + str(config.model_dump())
    assert url_scheme(urls[1]) == "mailtos"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[notify]\nurls = ["slack://${SLACK_TOKEN}/#news"]\n',
            "notify.urls[0]: environment variable SLACK_TOKEN is not set",
        ),
        (
            '[notify]\nurls = ["ntfy://t", "json://${A}:${B}@h"]\n',
            "notify.urls[1]: environment variables A, B are not set",
        ),
        ('[notify]\nurls = ["hunter2-secret.example/hook"]\n', "notify.urls[0]: not an apprise URL"),
        ('[notify]\nurls = "ntfy://t"\n', "notify.urls: Input should be a valid list"),
        ('[notify]\nurl = ["ntfy://t"]\n', "notify.url: unknown key"),
        ("[notify]\nretries = -1\n", "notify.retries: Input should be greater than or equal to 0"),
        ('[notify]\nattach = "pdf"\n', "notify.attach: not one of the allowed values"),
        (
            '[report]\nformats = ["md"]\n[notify]\nurls = ["ntfy://t"]\n',
            "notify.attach: 'html' is not among report.formats (md)",
        ),
        ("[report]\nformats = []\n", "report.formats: List should have at least 1 item"),
        ('[report]\nformats = ["md", "md"]\n', "report.formats: each format once"),
        ('[report]\nformats = ["pdf"]\n', "report.formats[0]: not one of the allowed values"),
        ('[metrics]\nlisten = "9464"\n', "metrics.listen: expected HOST:PORT"),
        ('[metrics]\nlisten = "127.0.0.1:70000"\n', "metrics.listen: expected HOST:PORT"),
    ],
)
def test_bad_report_or_notify_section(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert f"{path}: {expected}" in str(info.value)
    assert "hunter2-secret" not in str(info.value)


def test_a_set_placeholder_never_shows_in_another_error(tmp_path: Path) -> None:
    path = write(tmp_path, '[notify]\nurls = ["json://u:${PASS}@h", "x"]\nretries = 99\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, {"PASS": "hunter2-secret"})
    message = str(info.value)
    assert "notify.urls[1]: not an apprise URL" in message
    assert "notify.retries" in message
    assert "hunter2-secret" not in message


def test_metrics_listen_takes_ipv4_names_and_bracketed_ipv6(tmp_path: Path) -> None:
    assert parse_listen("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert parse_listen("[::1]:9464") == ("::1", 9464)
    config = load_config(write(tmp_path, '[metrics]\nlisten = "localhost:9100"\n'), {})
    assert config.metrics.listen == "localhost:9100"
    assert load_config(write(tmp_path, ""), {}).metrics.listen is None
