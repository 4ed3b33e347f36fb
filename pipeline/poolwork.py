"""What the pool's processes run: parse a body, analyse items; the other side of `workpool`.

The fork server imports this module before it forks the first worker, so what it imports at
load is on the path to the cycle's first parse: only the parse side (feedparser, the item
keys). The analysis side (the analysis core) is imported by the first analysis a worker is
sent, which compiles the baseline the worker was started with: a cycle whose analyses all run in
the event loop's process never pays for it in a worker. That baseline comes as plain values
(`analysis.terms`), so no worker imports pydantic or the baseline's model.
Only plain values cross the process boundary: bytes in, records or (code, detail) out.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pipeline.affinity import keep_on
from pipeline.dedupe import ItemKeys, item_keys
from pipeline.errors import FetchError
from pipeline.parse import parse_feed
from pipeline.records import Finding, ItemText, ParsedFeed, pickled_as_arguments

# This worker process's baseline (a pickled `analysis.terms.BaselineTerms`), set by `start_worker`.
_terms: bytes | None = None
# This worker process's compiled analysis, made by its first `analyse_texts` (one per process).
_analyser: Callable[[ItemText], list[Finding]] | None = None


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class PreparedFeed:
    """A parsed feed with each item's duplicate keys, computed where it was parsed."""

    feed: ParsedFeed
    keys: tuple[ItemKeys, ...]  # one per item, in order


def parse_body(body: bytes, url: str, now: datetime) -> PreparedFeed | tuple[str, str]:
    """parse_feed as a plain value: the feed with its items' keys, or the error's (code, detail)."""
    try:
        feed = parse_feed(body, source=url, fetched_at=now, now=now)
    except FetchError as exc:
        return exc.code, exc.detail
    # Hashing and folding each item's text is pure CPU work: done here, it leaves the event
    # loop's process (which also stores) free for the database.
    return PreparedFeed(feed, tuple(item_keys(item) for item in feed.items))


def ready() -> None:
    """Nothing: sent to start the pool's processes before there is work."""


def start_worker(terms: bytes, cores: frozenset[int] | None = None) -> None:
    """Keep the pickled baseline terms this worker analyses with (compiled at its first analysis); run on `cores`."""
    global _terms  # one baseline per worker process, set once at its start
    _terms = terms
    if cores is not None:
        keep_on(cores)  # a refusal leaves the process where it was: slower, not wrong


def analyse_texts(items: list[ItemText]) -> list[list[Finding]]:
    """Analyse items with this worker process's compiled baseline."""
    analyse = _analyser or _compile()
    return [analyse(item) for item in items]


def _compile() -> Callable[[ItemText], list[Finding]]:
    global _analyser  # compiled once per worker process, at its first analysis
    assert _terms is not None, "worker process started without start_worker"
    # Imported here, not at the top: see the module's docstring.
    from pipeline.analysis import analyse
    from pipeline.analysis.matcher import compile_terms

    matcher = compile_terms(pickle.loads(_terms))

    def analyser(item: ItemText) -> list[Finding]:
        return analyse(item, matcher)

    _analyser = analyser
    return analyser
