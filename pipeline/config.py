"""The validated configuration: pydantic models for the TOML file and `load_config()`.

Unknown keys are errors so that a typo never silently does nothing. Relative paths in the
file are resolved against the current directory (where `newswatch` runs, normally the
checkout), falling back to the config file's own directory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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


class AnalysisSettings(BaseModel):
    """Thresholds for the analysis; handed to `analysis` alone."""

    model_config = _Strict
    place_min_score: Annotated[float, Field(ge=0, le=100)] = 88.0  # rapidfuzz ratio for a fuzzy alias
    claim_min_score: Annotated[float, Field(ge=0, le=1)] = 0.5  # a finding needs at least this
    syndication_min_similarity: Annotated[float, Field(ge=0, le=100)] = 92.0


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


class Config(BaseModel):
    """The whole configuration, loaded once by an entry point."""

    model_config = _Strict
    database: DatabaseConfig = DatabaseConfig()
    baseline: BaselineConfig = BaselineConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    fetch: FetchSettings = FetchSettings()
    analysis: AnalysisSettings = AnalysisSettings()
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
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError("\n".join(validation_lines(str(path), exc))) from None
    return _resolve_paths(config, path.parent)


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
