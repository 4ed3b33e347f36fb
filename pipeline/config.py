"""The validated configuration: pydantic models for the TOML file and `load_config()`.

Unknown keys are errors so that a typo never silently does nothing. Relative paths in the
file are resolved against the current directory (where `newswatch` runs, normally the
checkout), falling back to the config file's own directory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.errors import ConfigError
from pipeline.tomlfile import read_toml, validation_lines

DEFAULT_CONFIG = Path("config/newswatch.toml")
DATABASE_URL_ENV = "NEWSWATCH_DATABASE_URL"

_Strict = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(BaseModel):
    """Where findings and items are stored."""

    model_config = _Strict
    url: str = "sqlite:///data/newswatch.db"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError(f"not a sqlite:// or postgresql:// URL ({value!r})")
        return value


class BaselineConfig(BaseModel):
    """Which baseline file to watch."""

    model_config = _Strict
    file: Path = Path("config/baselines/bakhmut-2023-01-26.toml")


class ScheduleConfig(BaseModel):
    """When `serve` fetches and reports."""

    model_config = _Strict
    fetch_every_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30
    report_at: str = "07:00"
    timezone: str = "UTC"

    @field_validator("report_at")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError(f"not a time of day HH:MM ({value!r})")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not a time zone name such as 'UTC' or 'Europe/Kyiv' ({value!r})") from None
        return value

    @property
    def report_time(self) -> time:
        """`report_at` as a time of day (in `timezone`)."""
        hour, minute = self.report_at.split(":")
        return time(int(hour), int(minute))


class FetchSettings(BaseModel):
    """Limits for fetching feeds over HTTP; handed to `fetch` alone."""

    model_config = _Strict
    connect_timeout: Annotated[float, Field(gt=0)] = 10.0
    read_timeout: Annotated[float, Field(gt=0)] = 20.0
    total_timeout: Annotated[float, Field(gt=0)] = 60.0  # one feed, retries included
    cycle_deadline: Annotated[float, Field(gt=0)] = 300.0  # the whole cycle
    max_body_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    max_redirects: Annotated[int, Field(ge=0, le=20)] = 5
    concurrency: Annotated[int, Field(ge=1, le=100)] = 10
    per_host: Annotated[int, Field(ge=1, le=20)] = 2
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    retry_backoff: Annotated[float, Field(ge=0)] = 1.0  # seconds, doubled on each retry
    max_retry_after: Annotated[float, Field(ge=0)] = 120.0  # longer Retry-After: give up this cycle
    failure_backoff_max_minutes: Annotated[int, Field(ge=1)] = 24 * 60
    # A redirect from a feed on a public address into private, loopback or link-local space is
    # refused (netpolicy); feeds configured on such addresses are the operator's choice.
    block_private_redirects: bool = True
    # Processes that parse feeds and analyse items (None: one per core this process may use, but one, when a cycle has 32 feeds
    # or more, none below; 0: parse in a thread, analyse in the main process).
    processes: Annotated[int, Field(ge=0, le=64)] | None = None
    # While a cycle's pool runs, its processes and the event loop each keep to a core of their own when
    # there are enough (`affinity`); off for several workers sharing one machine's cores without a cpuset each.
    pin_cores: bool = True


class AnalysisSettings(BaseModel):
    """Thresholds for the analysis; handed to `analysis` alone."""

    model_config = _Strict
    place_min_score: Annotated[float, Field(ge=0, le=100)] = 88.0  # rapidfuzz ratio for a fuzzy alias
    claim_min_score: Annotated[float, Field(ge=0, le=1)] = 0.5  # a finding needs at least this
    syndication_min_similarity: Annotated[float, Field(ge=0, le=100)] = 92.0


ReportFormat = Literal["html", "md", "json"]


def _all_formats() -> list[ReportFormat]:
    return ["html", "md", "json"]


class ReportConfig(BaseModel):
    """Where `serve` writes the daily report and in which formats."""

    model_config = _Strict
    # Relative to the current directory, like the SQLite database: `reports/YYYY-MM-DD.html` beside `data/`.
    directory: Path = Path("reports")
    formats: Annotated[list[ReportFormat], Field(min_length=1)] = Field(default_factory=_all_formats)

    @field_validator("formats")
    @classmethod
    def _unique_formats(cls, formats: list[ReportFormat]) -> list[ReportFormat]:
        if len(set(formats)) != len(formats):
            raise ValueError("each format once")
        return formats


class NotifyConfig(BaseModel):
    """Where the daily report is sent (apprise URLs) and how hard delivery is tried."""

    model_config = _Strict
    # SecretStr: a token in a URL never shows in a repr, a log line or an error message.
    urls: list[SecretStr] = Field(default_factory=list)
    attach: Literal["html", "md", "json", "none"] = "html"  # the report file attached where supported
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    retry_delay_seconds: Annotated[float, Field(ge=0, le=3600)] = 10.0  # doubled on each retry


class FeedConfig(BaseModel):
    """One feed: a URL, or a local file for offline use."""

    model_config = _Strict
    name: Annotated[str, Field(min_length=1, max_length=200)]
    url: str | None = None
    path: Path | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value, re.IGNORECASE):
            raise ValueError(f"not an http(s) URL ({value!r})")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> FeedConfig:
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of 'url' or 'path'")
        return self

    @property
    def source(self) -> str:
        """The URL, or the file path as text."""
        return self.url if self.url is not None else str(self.path)


class MetricsConfig(BaseModel):
    """The Prometheus endpoint of `serve` (off unless `listen` is set)."""

    model_config = _Strict
    listen: str | None = None  # "HOST:PORT", e.g. "127.0.0.1:9464"; `serve --metrics` overrides

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is not None:
            parse_listen(value)
        return value


def parse_listen(value: str) -> tuple[str, int]:
    """("host", port) from "HOST:PORT" (IPv6 hosts in brackets); ValueError naming the problem."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected HOST:PORT such as 127.0.0.1:9464")
    return host.strip("[]"), int(port)


class Config(BaseModel):
    """The whole configuration, loaded once by an entry point."""

    model_config = _Strict
    database: DatabaseConfig = DatabaseConfig()
    baseline: BaselineConfig = BaselineConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    fetch: FetchSettings = FetchSettings()
    analysis: AnalysisSettings = AnalysisSettings()
    report: ReportConfig = ReportConfig()
    notify: NotifyConfig = NotifyConfig()
    metrics: MetricsConfig = MetricsConfig()
    feeds: list[FeedConfig] = Field(default_factory=list)

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, feeds: list[FeedConfig]) -> list[FeedConfig]:
        names = [feed.name for feed in feeds]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"feed names must be unique; repeated: {', '.join(duplicates)}")
        return feeds


def load_config(path: Path, environ: Mapping[str, str]) -> Config:
    """Read, validate and resolve the config file; raise ConfigError naming key and problem."""
    raw = read_toml(path, ConfigError, "config file", "pass --config PATH")
    if environ.get(DATABASE_URL_ENV):
        raw.setdefault("database", {})
        if isinstance(raw["database"], dict):
            raw["database"]["url"] = environ[DATABASE_URL_ENV]
    problems = [f"{path}: {problem}" for problem in _expand_notify_urls(raw, environ)]
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems += validation_lines(str(path), exc)
    else:
        problems += [f"{path}: {problem}" for problem in _cross_checks(config)]
    if problems:
        raise ConfigError("\n".join(problems))
    return _resolve_paths(config, path.parent)


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://\S")


def _expand_notify_urls(raw: dict[str, Any], environ: Mapping[str, str]) -> list[str]:
    """Fill `${VAR}` in `notify.urls` from `environ`, in place; problems name key and variable, never a value."""
    notify = raw.get("notify")
    if not isinstance(notify, dict) or not isinstance(notify.get("urls"), list):
        return []  # pydantic reports a wrong shape
    problems = []
    urls: list[object] = notify["urls"]
    for index, url in enumerate(urls):
        if not isinstance(url, str):
            continue
        key = f"notify.urls[{index}]"
        missing = sorted({name for name in _PLACEHOLDER.findall(url) if not environ.get(name)})
        if missing:
            names = (
                f"variable {missing[0]} is" if len(missing) == 1 else f"variables {', '.join(missing)} are"
            )
            problems.append(f"{key}: environment {names} not set (export it before starting newswatch)")
            continue
        urls[index] = expanded = _PLACEHOLDER.sub(lambda match: environ[match[1]], url)
        if not _SCHEME.match(expanded):
            problems.append(
                f"{key}: not an apprise URL such as 'ntfy://topic' or 'mailtos://user:${{PASSWORD}}@host' "
                "(see https://github.com/caronc/apprise/wiki)"
            )
    return problems


def _cross_checks(config: Config) -> list[str]:
    """Problems that span sections."""
    notify = config.notify
    if notify.urls and notify.attach != "none" and notify.attach not in config.report.formats:
        return [
            f"notify.attach: {notify.attach!r} is not among report.formats "
            f'({", ".join(config.report.formats)}); add it there or set attach = "none"'
        ]
    return []


def url_scheme(url: str) -> str:
    """The scheme of a URL (`slack`, `mailtos`), the only part of a notification URL safe to log."""
    match = _SCHEME.match(url)
    return match[1].lower() if match else "?"


def _resolve(path: Path, config_dir: Path) -> Path:
    if path.is_absolute() or path.exists():
        return path
    beside = config_dir / path
    return beside if beside.exists() else path


def _resolve_paths(config: Config, config_dir: Path) -> Config:
    feeds = [
        feed.model_copy(update={"path": _resolve(feed.path, config_dir)}) if feed.path else feed
        for feed in config.feeds
    ]
    baseline = config.baseline.model_copy(update={"file": _resolve(config.baseline.file, config_dir)})
    return config.model_copy(update={"feeds": feeds, "baseline": baseline})


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL, or None for other databases and in-memory SQLite."""
    match = re.match(r"^sqlite(\+\w+)?:///(.+)$", url)
    if not match or match[2] == ":memory:":
        return None
    return Path(match[2])


def describe_url(url: str) -> str:
    """The database URL with any password masked, for logs and messages."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
