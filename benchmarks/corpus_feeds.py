"""Helpers for benchmarks: turn labelled cases into RSS feeds and serve them from 127.0.0.1."""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled report."""

    id: str
    published: datetime
    lang: str
    tags: tuple[str, ...]
    title: str
    body: str
    places: frozenset[str]
    expect: frozenset[tuple[str, str]]


def load_cases(path: Path) -> list[Case]:
    """Read a labelled corpus file ([[case]] tables)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    cases = []
    for raw in data["case"]:
        day = raw["published"]
        published = day if isinstance(day, datetime) else datetime.combine(day, time(12), tzinfo=UTC)
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        cases.append(
            Case(
                id=raw["id"],
                published=published,
                lang=raw.get("lang", "en"),
                tags=tuple(raw.get("tags", ())),
                title=raw["title"],
                body=raw.get("body", ""),
                places=frozenset(raw.get("places", ())),
                expect=frozenset((e["claim"], e["relation"]) for e in raw.get("expect", ())),
            )
        )
    return cases


def rss_document(title: str, base_url: str, cases: list[Case]) -> str:
    """An RSS 2.0 document with one item per case; the link ends in the case id."""
    items = "".join(
        f"<item><title>{escape(c.title)}</title><link>{escape(base_url)}/items/{c.id}</link>"
        f"<guid>{escape(c.id)}</guid><pubDate>{format_datetime(c.published)}</pubDate>"
        f"<description>{escape(c.body)}</description></item>\n"
        for c in cases
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{escape(base_url)}</link><description>corpus</description>\n"
        f"{items}</channel></rss>\n"
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve a directory over HTTP on 127.0.0.1 in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def as_of_datetime(as_of: date) -> datetime:
    """The end of the baseline's as-of day, UTC."""
    return datetime.combine(as_of, time.max, tzinfo=UTC)
