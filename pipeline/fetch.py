"""Fetch one feed over HTTP (httpx) or from a local file and return a `FetchResult`.

Owns: conditional GET (ETag / Last-Modified), manual redirects (limit, loop and scheme checks,
and the address policy of `netpolicy`: no redirect from a public feed into private space), the
body-size cap enforced on decoded bytes while streaming (decoded by `inflate` in bounded pieces,
so compression bombs stay small in memory), retries with exponential backoff and Retry-After,
and the per-feed total timeout. Failures come back as data with a stable `error_code`; nothing
here raises for a feed's own failure.

Must not import the database, the analysis or other edges: `cycle` wires stages together,
and bounded concurrency across feeds lives there too.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path

import httpx

from pipeline import __version__
from pipeline.config import FetchSettings
from pipeline.inflate import ACCEPT_ENCODING, BadEncoding, Decoder, UnsupportedEncoding
from pipeline.netpolicy import IPAddress, check_redirect, parse_address
from pipeline.records import FeedState, FetchResult

logger = logging.getLogger(__name__)

USER_AGENT = f"newswatch/{__version__} (+https://github.com/newswatch/newswatch)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"

Sleep = Callable[[float], Awaitable[None]]
# host name -> the addresses it resolves to, as text; raises OSError when it cannot resolve.
Resolve = Callable[[str], Awaitable[Sequence[str]]]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HINTS = {
    401: "the feed needs a login",
    403: "access denied by the server",
    404: "check the feed URL",
    410: "the feed was removed; check the feed URL",
    429: "the server is rate-limiting us",
}


@dataclass(frozen=True, slots=True)
class _Failure:
    """One attempt's failure; `retry_after` is the server's wish in seconds, if it said one."""

    url: str
    code: str
    message: str
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None


def make_client(
    settings: FetchSettings, connections: int | None = None, tls: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    """An AsyncClient with our timeouts, connection limits and headers; redirects are ours to follow.

    `tls` is a TLS context to share (`shared_tls_context()`, what the client would make itself):
    making one loads the CA bundle, ~25-30 ms, as long as a 304 takes for 30 feeds.
    """
    connections = settings.concurrency if connections is None else connections
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        # Waiting for a free pooled connection is queueing, not this feed's fault; the total
        # timeout still bounds it.
        pool=settings.total_timeout,
    )
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=30.0
    )
    # Only the codings `inflate` decodes in bounded pieces; httpx would also offer br and zstd.
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
    return httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        headers=headers,
        follow_redirects=False,
        verify=True if tls is None else tls,
    )


class Clients:
    """One AsyncClient of one connection per fetch slot; a fetch takes a free one, one already used for its host if any.

    Not a few clients of several connections each: httpcore gives the first idle connection to every
    request that arrives before the first of them has started on it, and all but one go back to
    wait, so one fetch could be passed over by every other fetch of a cycle (by 1,994 of 2,000 in
    `tests/test_fetch_clients.py`; 0.7 s in a third of 250-feed cycles, with the cycle's storing, in claim
    order, waiting for it: benchmarks/README.md, finding 62). A client that one fetch holds at a
    time never queues a request. httpcore also checks every pooled connection whenever a request
    starts or ends, so a pool of one is the cheapest per request too.
    """

    def __init__(self, settings: FetchSettings) -> None:
        tls = shared_tls_context()
        self._clients = [make_client(settings, 1, tls) for _ in range(settings.concurrency)]
        # each free client with the host of its last fetch (where its kept-alive connection goes, None
        # before its first), least recently used first
        self._free: list[tuple[str | None, httpx.AsyncClient]] = [(None, client) for client in self._clients]

    async def __aenter__(self) -> Clients:
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients))

    @asynccontextmanager
    async def lease(self, host: str) -> AsyncIterator[httpx.AsyncClient]:
        """A free client for one fetch from `host`; the caller holds at most one lease per fetch slot."""
        if not self._free:
            raise RuntimeError(f"more fetches at once than the {len(self._clients)} fetch slots")
        same = [n for n, (last, _) in enumerate(self._free) if last == host]
        # the most recently used of those that know the host, else the least recently used
        _, client = self._free.pop(same[-1] if same else 0)
        try:
            yield client
        finally:
            self._free.append((host, client))


@cache
def shared_tls_context() -> ssl.SSLContext:
    """The TLS context of every client this process makes: each would load the CA bundle, ~25-30 ms.

    Made once per process, not once per cycle: a service's cycles, and both passes of a
    benchmark, each paid it again (a 304 pass of 250 feeds takes ~0.6 s). Nothing changes it
    once made; a new CA bundle (a certifi upgrade) comes with a restart, as new code does.
    """
    return httpx.create_ssl_context()


def failure_backoff(consecutive_failures: int, base_minutes: int, cap_minutes: int) -> timedelta:
    """How long until a failing feed is due again: base * 2**(n-1) minutes, capped; zero for n <= 0."""
    if consecutive_failures <= 0:
        return timedelta(0)
    # Cap the exponent first so a feed failing for months never builds a huge integer.
    exponent = min(consecutive_failures - 1, 32)
    return timedelta(minutes=min(base_minutes * 2**exponent, cap_minutes))


async def resolve_host(host: str) -> list[str]:
    """The addresses `host` resolves to (getaddrinfo in a worker thread); OSError if none."""
    infos = await asyncio.to_thread(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


async def fetch_feed(
    client: httpx.AsyncClient,
    feed: FeedState,
    settings: FetchSettings,
    *,
    sleep: Sleep = asyncio.sleep,
    resolve: Resolve = resolve_host,
) -> FetchResult:
    """Fetch one feed; never raises for the feed's own failures."""
    started = time.monotonic()
    source = feed.url or feed.path or ""
    try:
        async with asyncio.timeout(settings.total_timeout):
            if feed.url is not None:
                outcome = await _fetch_http(client, feed, feed.url, settings, sleep, resolve)
            elif feed.path is not None:
                outcome = await _read_file(feed, feed.path, settings.max_body_bytes)
            else:
                outcome = _Failure("", "no_source", "feed has neither a URL nor a path")
    except TimeoutError:
        outcome = _Failure(
            source,
            "timeout",
            f"no complete response within {_secs(settings.total_timeout)} (limit per feed, retries included)",
        )
    elapsed_ms = int((time.monotonic() - started) * 1000)
    if isinstance(outcome, FetchResult):
        return replace(outcome, elapsed_ms=elapsed_ms)
    # The cycle logs failures at WARNING with the feed's state; this is the fetcher's detail.
    logger.debug(
        "feed fetch failed",
        extra={"feed": feed.name, "code": outcome.code, "error": outcome.message, "ms": elapsed_ms},
    )
    # Keep the validators we had: a failed fetch says nothing about the content they describe.
    return FetchResult(
        feed_name=feed.name,
        url=outcome.url,
        status=outcome.status,
        etag=feed.etag,
        last_modified=feed.last_modified,
        error_code=outcome.code,
        error_message=outcome.message,
        elapsed_ms=elapsed_ms,
    )


async def _fetch_http(
    client: httpx.AsyncClient,
    feed: FeedState,
    url: str,
    settings: FetchSettings,
    sleep: Sleep,
    resolve: Resolve,
) -> FetchResult | _Failure:
    """Try up to 1 + retries times, sleeping between tries; give up early when waiting cannot help."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.total_timeout
    attempts = settings.retries + 1
    attempt = 1
    while True:
        outcome = await _attempt(client, feed, url, settings, resolve)
        if isinstance(outcome, FetchResult) or not outcome.retryable:
            return outcome
        if outcome.retry_after is not None and outcome.retry_after > settings.max_retry_after:
            when = datetime.now(UTC) + timedelta(seconds=outcome.retry_after)
            return _failure_with(
                outcome,
                f"{outcome.message}; the server asks us to wait {_secs(outcome.retry_after)} "
                f"(until {when:%Y-%m-%d %H:%M} UTC), more than the {_secs(settings.max_retry_after)} "
                "limit, so it is retried in a later cycle",
            )
        if attempt == attempts:
            return (
                outcome
                if attempts == 1
                else _failure_with(outcome, f"{outcome.message} (after {attempts} attempts)")
            )
        delay = settings.retry_backoff * 2 ** (attempt - 1)
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        if delay >= deadline - loop.time():
            return _failure_with(
                outcome,
                f"{outcome.message}; no time left within the {_secs(settings.total_timeout)} limit to retry",
            )
        logger.debug(
            "feed fetch retry",
            extra={"feed": feed.name, "code": outcome.code, "attempt": attempt, "delay": delay},
        )
        await sleep(delay)
        attempt += 1


async def _attempt(
    client: httpx.AsyncClient, feed: FeedState, url: str, settings: FetchSettings, resolve: Resolve
) -> FetchResult | _Failure:
    """One GET with redirects followed by hand; transport errors become failures."""
    headers = {}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    origin: list[IPAddress] | None = None  # the configured host's addresses, looked up at the first redirect
    seen: set[str] | None = None  # the URLs visited, once there is a redirect (most fetches have none)
    try:
        for _hop in range(settings.max_redirects + 1):
            request = client.build_request("GET", url, headers=headers)
            response = await client.send(request, stream=True)
            try:
                if response.status_code not in _REDIRECTS or "Location" not in response.headers:
                    return await _finish(response, feed, url, settings)
                location = response.headers["Location"]
                target = response.url.join(location)
            finally:
                await response.aclose()
            if target.scheme not in ("http", "https"):
                return _Failure(url, "bad_redirect_scheme", f"redirect to a non-http(s) URL ({location})")
            if seen is None:
                seen = {str(httpx.URL(url))}
            if str(target) in seen:
                return _Failure(url, "redirect_loop", f"redirect loop back to {target}")
            if settings.block_private_redirects:
                if origin is None:
                    origin = await _origin_addresses(httpx.URL(feed.url or url), resolve)
                refused = await _check_target(url, origin, target, resolve)
                if refused is not None:
                    return refused
            seen.add(str(target))
            url = str(target)
        return _Failure(url, "too_many_redirects", f"more than {settings.max_redirects} redirects")
    except httpx.TimeoutException as exc:
        return _Failure(url, "timeout", _timeout_message(exc, settings), retryable=True)
    except httpx.ConnectError as exc:
        return _Failure(url, "connect_error", f"cannot connect: {exc or type(exc).__name__}", retryable=True)
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        message = f"connection failed mid-response: {exc or type(exc).__name__}"
        return _Failure(url, "transport_error", message, retryable=True)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return _Failure(url, "transport_error", f"{type(exc).__name__}: {exc}")


async def _finish(
    response: httpx.Response, feed: FeedState, url: str, settings: FetchSettings
) -> FetchResult | _Failure:
    """Turn a final (non-redirect) response into a result, reading at most max_body_bytes."""
    status = response.status_code
    if status == 304:
        # A 304 has no body, but its (empty) stream must be read to the end: closed unread, the
        # connection is dropped instead of kept, and the next fetch pays a new one (and TLS).
        await response.aread()
        return FetchResult(
            feed_name=feed.name,
            url=url,
            status=304,
            not_modified=True,
            etag=response.headers.get("ETag") or feed.etag,
            last_modified=response.headers.get("Last-Modified") or feed.last_modified,
        )
    if not 200 <= status < 300:
        # The standard phrase, not the server's: some send "NOT FOUND" or nothing at all.
        message = f"HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip()
        if status in _HINTS:
            message = f"{message}: {_HINTS[status]}"
        elif status in _REDIRECTS:
            message = f"{message}: redirect without a Location header"
        retryable = status == 429 or status >= 500
        retry_after = _retry_after(response.headers.get("Retry-After")) if retryable else None
        return _Failure(url, f"http_{status}", message, status, retryable, retry_after)
    limit = settings.max_body_bytes
    too_large = _Failure(url, "body_too_large", f"body exceeds {_size(limit)} limit", status)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return too_large
    try:
        decoder = Decoder(response.headers.get_list("Content-Encoding", split_commas=True))
    except UnsupportedEncoding as exc:
        return _Failure(url, "transport_error", str(exc), status)
    chunks: list[bytes] = []
    total = raw_total = 0
    # Raw bytes are decoded here in pieces of at most 64 KiB (httpx would decode a whole network
    # chunk at once: a nested gzip bomb would be gigabytes before we could count it). The raw
    # count is capped too, for streams that decode to nothing forever.
    async for raw in response.aiter_raw():
        raw_total += len(raw)
        if raw_total > limit:
            return too_large
        try:
            for piece in decoder.feed(raw):
                total += len(piece)
                if total > limit:
                    return too_large
                chunks.append(piece)
        except BadEncoding as exc:
            return _Failure(url, "transport_error", str(exc), status)
    return FetchResult(
        feed_name=feed.name,
        url=url,
        status=status,
        body=b"".join(chunks),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


async def _origin_addresses(configured: httpx.URL, resolve: Resolve) -> list[IPAddress]:
    """The configured host's addresses; none (judged as public, the strict side) if it cannot resolve."""
    try:
        return await _addresses(configured.raw_host.decode("ascii", "replace"), resolve)
    except (OSError, UnicodeError):
        return []


async def _check_target(
    url: str, origin: list[IPAddress], target: httpx.URL, resolve: Resolve
) -> _Failure | None:
    """A failure when the address policy refuses the redirect to `target`, else None."""
    host = target.raw_host.decode("ascii", "replace")
    try:
        addresses = await _addresses(host, resolve)
    except (OSError, UnicodeError) as exc:  # getaddrinfo raises UnicodeError for a label over 63 bytes
        # Fail closed: a target we cannot check is not followed; a later try may resolve it.
        return _Failure(url, "connect_error", f"cannot resolve redirect target {host}: {exc}", retryable=True)
    reason = check_redirect(origin, host, addresses)
    return None if reason is None else _Failure(url, "redirect_blocked", f"{reason} ({target})")


async def _addresses(host: str, resolve: Resolve) -> list[IPAddress]:
    """The addresses of `host`: itself when it is a literal address, else what `resolve` says."""
    literal = parse_address(host)
    if literal is not None:
        return [literal]
    resolved = (parse_address(text) for text in await resolve(host))
    return [ip for ip in resolved if ip is not None]


async def _read_file(feed: FeedState, path: str, limit: int) -> FetchResult | _Failure:
    """Read a local feed file in a worker thread, capped at `limit` bytes."""
    try:
        body = await asyncio.to_thread(_read_capped, Path(path), limit)
    except FileNotFoundError:
        return _Failure(path, "file_not_found", f"file not found: {path}")
    except OSError as exc:
        return _Failure(path, "file_unreadable", f"cannot read file: {exc.strerror or exc}")
    if len(body) > limit:
        return _Failure(path, "body_too_large", f"file exceeds {_size(limit)} limit", 200)
    return FetchResult(feed_name=feed.name, url=path, status=200, body=body)


def _read_capped(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP-date is GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _timeout_message(exc: httpx.TimeoutException, settings: FetchSettings) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect within {_secs(settings.connect_timeout)}"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no free connection within {_secs(settings.total_timeout)}"
    return f"no response within {_secs(settings.read_timeout)}"


def _failure_with(failure: _Failure, message: str) -> _Failure:
    return _Failure(failure.url, failure.code, message, failure.status)


def _secs(seconds: float) -> str:
    return f"{seconds:g} s"


def _size(n: int) -> str:
    for unit, factor in (("MiB", 1024**2), ("KiB", 1024)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"
