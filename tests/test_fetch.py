"""Tests for pipeline.fetch against a real HTTP server on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import asyncio
import gzip
import re
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline import __version__
from pipeline.config import FetchSettings
from pipeline.fetch import (
    Resolve,
    failure_backoff,
    fetch_feed,
    make_client,
)
from pipeline.records import FeedState, FetchResult

FIXTURES = Path(__file__).parent / "fixtures" / "http"
RSS_PATH = FIXTURES / "rss20-small.xml"
RSS = RSS_PATH.read_bytes()
LIMIT = 4096


def make_settings(**overrides: Any) -> FetchSettings:
    """Small limits and near-zero backoff so failures are quick."""
    values: dict[str, Any] = {
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "total_timeout": 10.0,
        "retries": 2,
        "retry_backoff": 0.01,
        "max_retry_after": 30.0,
        "max_body_bytes": LIMIT,
        "max_redirects": 3,
    }
    values.update(overrides)
    return FetchSettings(**values)


class SleepRecorder:
    """An injected sleep that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class FakeResolver:
    """An injected resolver: a fixed table of names, every lookup recorded; never real DNS."""

    def __init__(self, table: dict[str, Sequence[str]] | None = None) -> None:
        self.table = {"localhost": ["127.0.0.1"], **(table or {})}
        self.asked: list[str] = []

    async def __call__(self, host: str) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


def feed_at(url: str, **state: Any) -> FeedState:
    return FeedState(name="test-feed", url=url, path=None, **state)


def run_fetch(
    feed: FeedState,
    settings: FetchSettings | None = None,
    sleep: SleepRecorder | None = None,
    resolve: Resolve | None = None,
) -> FetchResult:
    settings = settings or make_settings()

    async def go() -> FetchResult:
        async with make_client(settings) as client:
            return await fetch_feed(
                client, feed, settings, sleep=sleep or SleepRecorder(), resolve=resolve or FakeResolver()
            )

    return asyncio.run(go())


def run_mocked(
    handler: Callable[[httpx.Request], httpx.Response],
    feed: FeedState,
    settings: FetchSettings | None = None,
    resolve: Resolve | None = None,
) -> FetchResult:
    """fetch_feed over httpx.MockTransport: for host names that must never reach a network."""
    settings = settings or make_settings()

    async def go() -> FetchResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await fetch_feed(
                client, feed, settings, sleep=SleepRecorder(), resolve=resolve or FakeResolver()
            )

    return asyncio.run(go())


@contextmanager
def raw_server(respond: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A bare TCP server on 127.0.0.1 that reads a request and lets `respond` write any bytes.

    For what a well-behaved HTTP server will not do: drip bytes, or close mid-body.
    """
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            # The client giving up on us (a reset, a broken pipe) is the point of these servers.
            with suppress(OSError):
                respond(conn, stop)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
    finally:
        stop.set()
        thread.join()
        listener.close()


def requests_to(server: HTTPServer) -> list[Request]:
    return [request for request, _response in server.log]


def rss_response(**headers: str) -> Response:
    return Response(RSS, content_type="application/rss+xml", headers=headers)


# --- success, conditional GET, headers -------------------------------------------------------


def test_200_with_etag_then_304_when_if_none_match_sent(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return rss_response(ETag='"v1"')

    httpserver.expect_request("/feed").respond_with_handler(handler)
    url = httpserver.url_for("/feed")

    first = run_fetch(feed_at(url))
    assert (first.ok, first.status, first.body, first.not_modified) == (True, 200, RSS, False)
    assert first.etag == '"v1"'
    assert first.url == url

    second = run_fetch(feed_at(url, etag=first.etag))
    assert (second.ok, second.status, second.body, second.not_modified) == (True, 304, None, True)
    assert second.etag == '"v1"'
    assert [r.headers.get("If-None-Match") for r in requests_to(httpserver)] == [None, '"v1"']


def test_last_modified_sent_as_if_modified_since_and_kept_on_bare_304(httpserver: HTTPServer) -> None:
    stamp = "Wed, 25 Jan 2023 10:00:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)  # no validators in the 304: the old ones stay valid
        return rss_response(**{"Last-Modified": stamp})

    httpserver.expect_request("/feed").respond_with_handler(handler)
    url = httpserver.url_for("/feed")

    first = run_fetch(feed_at(url))
    assert first.status == 200
    assert first.last_modified == stamp
    assert first.etag is None

    second = run_fetch(feed_at(url, etag='"old"', last_modified=stamp))
    assert second.not_modified
    assert (second.etag, second.last_modified) == ('"old"', stamp)
    sent = requests_to(httpserver)[1].headers
    assert sent.get("If-Modified-Since") == stamp
    assert sent.get("If-None-Match") == '"old"'


def test_user_agent_and_accept_headers_sent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_response(rss_response())

    result = run_fetch(feed_at(httpserver.url_for("/feed")))

    assert result.ok
    headers = requests_to(httpserver)[0].headers
    assert headers["User-Agent"] == f"newswatch/{__version__} (+https://github.com/newswatch/newswatch)"
    assert headers["Accept"].startswith("application/rss+xml, application/atom+xml")
    assert "If-None-Match" not in headers


# --- HTTP errors and retries -------------------------------------------------------------------


def test_404_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("gone", status=404)
    sleep = SleepRecorder()

    result = run_fetch(feed_at(httpserver.url_for("/feed"), etag='"e"'), sleep=sleep)

    assert (result.ok, result.error_code, result.status, result.body) == (False, "http_404", 404, None)
    assert result.error_message == "HTTP 404 Not Found: check the feed URL"
    assert result.etag == '"e"'  # a failure keeps the validators we had
    assert len(httpserver.log) == 1
    assert sleep.calls == []


def test_500_retried_with_doubling_backoff_then_fails(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("boom", status=500)
    sleep = SleepRecorder()

    result = run_fetch(feed_at(httpserver.url_for("/feed")), make_settings(retries=2), sleep)

    assert (result.error_code, result.status) == ("http_500", 500)
    assert result.error_message == "HTTP 500 Internal Server Error (after 3 attempts)"
    assert len(httpserver.log) == 3
    assert sleep.calls == [0.01, 0.02]


def test_503_then_200_succeeds_after_one_retry(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/feed").respond_with_data("busy", status=503)
    httpserver.expect_request("/feed").respond_with_response(rss_response())
    sleep = SleepRecorder()

    result = run_fetch(feed_at(httpserver.url_for("/feed")), sleep=sleep)

    assert (result.ok, result.status, result.body) == (True, 200, RSS)
    assert len(httpserver.log) == 2
    assert len(sleep.calls) == 1


def test_429_retry_after_seconds_is_honoured(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/feed").respond_with_data("slow down", 429, {"Retry-After": "1"})
    httpserver.expect_request("/feed").respond_with_response(rss_response())
    sleep = SleepRecorder()

    result = run_fetch(feed_at(httpserver.url_for("/feed")), sleep=sleep)

    assert result.ok
    assert len(sleep.calls) == 1
    assert sleep.calls[0] >= 1


def test_429_retry_after_http_date_is_honoured(httpserver: HTTPServer) -> None:
    when = datetime.now(UTC) + timedelta(seconds=10)
    headers = {"Retry-After": format_datetime(when, usegmt=True)}
    httpserver.expect_oneshot_request("/feed").respond_with_data("slow down", 429, headers)
    httpserver.expect_request("/feed").respond_with_response(rss_response())
    sleep = SleepRecorder()

    result = run_fetch(feed_at(httpserver.url_for("/feed")), sleep=sleep)

    assert result.ok
    assert len(sleep.calls) == 1
    assert 5 <= sleep.calls[0] <= 10


@pytest.mark.parametrize("retry_after", ["86400", "in-date"])
def test_429_with_huge_retry_after_gives_up_this_cycle(httpserver: HTTPServer, retry_after: str) -> None:
    if retry_after == "in-date":
        retry_after = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    httpserver.expect_request("/feed").respond_with_data("slow down", 429, {"Retry-After": retry_after})
    sleep = SleepRecorder()

    result = run_fetch(feed_at(httpserver.url_for("/feed")), make_settings(max_retry_after=30), sleep)

    assert (result.error_code, result.status) == ("http_429", 429)
    assert result.error_message is not None
    assert "UTC" in result.error_message
    assert "later cycle" in result.error_message
    assert len(httpserver.log) == 1
    assert sleep.calls == []


def test_retry_that_would_outlast_the_total_timeout_is_not_attempted(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("busy", 503, {"Retry-After": "20"})
    sleep = SleepRecorder()
    settings = make_settings(total_timeout=5.0, max_retry_after=30)

    result = run_fetch(feed_at(httpserver.url_for("/feed")), settings, sleep)

    assert result.error_code == "http_503"
    assert result.error_message is not None
    assert "no time left" in result.error_message
    assert sleep.calls == []


def test_connection_refused_is_connect_error_and_retried() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleep = SleepRecorder()

    result = run_fetch(feed_at(f"http://127.0.0.1:{port}/feed"), make_settings(retries=1), sleep)

    assert (result.error_code, result.status) == ("connect_error", None)
    assert len(sleep.calls) == 1


# --- hanging servers and the total timeout -------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            make_settings(read_timeout=0.3, total_timeout=5.0, retries=1),
            "no response within 0.3 s (after 2 attempts)",
        ),
        (
            make_settings(read_timeout=5.0, total_timeout=0.5, retries=2),
            "no complete response within 0.5 s (limit per feed, retries included)",
        ),
    ],
    ids=["read-timeout", "total-timeout"],
)
def test_hanging_server_times_out(hanging_server: HTTPServer, settings: FetchSettings, message: str) -> None:
    started = time.monotonic()

    result = run_fetch(feed_at(hanging_server.url_for("/feed")), settings)

    took = time.monotonic() - started
    assert (result.error_code, result.status, result.error_message) == ("timeout", None, message)
    assert took < settings.total_timeout + 1.0
    assert result.elapsed_ms >= 250


def test_cancellation_propagates(hanging_server: HTTPServer) -> None:
    settings = make_settings(read_timeout=5.0)

    async def go() -> None:
        async with make_client(settings) as client:
            task = asyncio.create_task(fetch_feed(client, feed_at(hanging_server.url_for("/feed")), settings))
            await asyncio.sleep(0.2)
            task.cancel()
            await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(go())


def drip(conn: socket.socket, stop: threading.Event) -> None:
    """Headers for a 1000-byte body, then one byte every 0.2 s: never a read timeout, never done."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        if stop.wait(0.2):
            return
        conn.sendall(b" ")


def test_dripping_server_is_cut_by_the_total_timeout() -> None:
    settings = make_settings(read_timeout=2.0, total_timeout=1.0)
    with raw_server(drip) as url:
        started = time.monotonic()
        result = run_fetch(feed_at(url), settings)
        took = time.monotonic() - started

    assert (result.error_code, result.status, result.body) == ("timeout", None, None)
    assert result.error_message == "no complete response within 1 s (limit per feed, retries included)"
    assert 1.0 <= took < 2.0  # the read timeout (2 s) never fired: bytes kept coming


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n<rss version='2.0'><channel>",
            id="content-length",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n<rss version='2.0'>", id="chunked"
        ),
    ],
)
def test_server_closing_mid_body_is_a_transport_error(response: bytes) -> None:
    attempts: list[int] = []

    def close_early(conn: socket.socket, _stop: threading.Event) -> None:
        attempts.append(1)
        conn.sendall(response)
        conn.shutdown(socket.SHUT_RDWR)

    with raw_server(close_early) as url:
        result = run_fetch(feed_at(url), make_settings(retries=1))

    assert (result.error_code, result.status, result.body) == ("transport_error", None, None)
    assert result.error_message is not None
    assert result.error_message.startswith("connection failed mid-response: ")
    assert result.error_message.endswith("(after 2 attempts)")
    assert len(attempts) == 2  # a cut connection is worth one more try


# --- redirects ---------------------------------------------------------------------------------


def test_two_redirect_hops_with_relative_location_are_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/start").respond_with_data("", 301, {"Location": "/mid"})
    httpserver.expect_request("/mid").respond_with_data("", 302, {"Location": httpserver.url_for("/feed")})
    httpserver.expect_request("/feed").respond_with_response(rss_response(ETag='"r"'))

    result = run_fetch(feed_at(httpserver.url_for("/start"), etag='"r0"'), make_settings(max_redirects=2))

    assert (result.ok, result.status, result.body, result.etag) == (True, 200, RSS, '"r"')
    assert result.url == httpserver.url_for("/feed")
    assert [r.path for r in requests_to(httpserver)] == ["/start", "/mid", "/feed"]
    assert requests_to(httpserver)[2].headers.get("If-None-Match") == '"r0"'


def test_redirect_loop_is_detected(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("", 302, {"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", 302, {"Location": "/a"})

    result = run_fetch(feed_at(httpserver.url_for("/a")), make_settings(max_redirects=5))

    assert result.error_code == "redirect_loop"
    assert len(httpserver.log) == 2


def test_a_url_httpx_cannot_parse_is_a_failure_not_a_crash() -> None:
    result = run_fetch(feed_at("http://[::1/rss"), make_settings())

    assert result.error_code == "transport_error"
    assert result.error_message == "InvalidURL: Invalid port: ':1'"


def test_too_many_redirects(httpserver: HTTPServer) -> None:
    def next_hop(request: Request) -> Response:
        hop = int(request.path.rsplit("/", 1)[1])
        return Response("", 302, {"Location": f"/hop/{hop + 1}"})

    httpserver.expect_request(re.compile(r"/hop/\d+")).respond_with_handler(next_hop)

    result = run_fetch(feed_at(httpserver.url_for("/hop/0")), make_settings(max_redirects=3))

    assert (result.error_code, result.error_message) == ("too_many_redirects", "more than 3 redirects")
    assert len(httpserver.log) == 4


@pytest.mark.parametrize("location", ["ftp://example.org/feed.xml", "file:///etc/passwd"])
def test_redirect_to_other_scheme_is_refused(httpserver: HTTPServer, location: str) -> None:
    httpserver.expect_request("/feed").respond_with_data("", 301, {"Location": location})

    result = run_fetch(feed_at(httpserver.url_for("/feed")))

    assert result.error_code == "bad_redirect_scheme"
    assert result.error_message is not None
    assert location in result.error_message


# --- the address policy on redirects (netpolicy) ---------------------------------------------------

PUBLIC_IP = "93.184.216.34"


def test_redirect_from_a_public_feed_to_loopback_is_refused(httpserver: HTTPServer) -> None:
    # The injected resolver says the configured host is public; the server is really local.
    private = f"http://127.0.0.1:{httpserver.port}/private"
    httpserver.expect_request("/feed").respond_with_data("", 302, {"Location": private})
    httpserver.expect_request("/private").respond_with_response(rss_response())
    resolver = FakeResolver({"localhost": [PUBLIC_IP]})

    result = run_fetch(feed_at(httpserver.url_for("/feed")), resolve=resolver)

    assert (result.error_code, result.body) == ("redirect_blocked", None)
    assert result.error_message == (
        f"redirect from a public feed to a loopback address refused: 127.0.0.1 ({private})"
    )
    assert [r.path for r in requests_to(httpserver)] == ["/feed"]  # never followed, never retried
    assert resolver.asked == ["localhost"]


def test_redirect_policy_can_be_turned_off(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "", 302, {"Location": f"http://127.0.0.1:{httpserver.port}/private"}
    )
    httpserver.expect_request("/private").respond_with_response(rss_response())
    resolver = FakeResolver({"localhost": [PUBLIC_IP]})

    result = run_fetch(
        feed_at(httpserver.url_for("/feed")), make_settings(block_private_redirects=False), resolve=resolver
    )

    assert (result.ok, result.body) == (True, RSS)
    assert resolver.asked == []


def test_feed_configured_on_loopback_may_redirect_to_loopback(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("", 301, {"Location": httpserver.url_for("/moved")})
    httpserver.expect_request("/moved").respond_with_response(rss_response())
    resolver = FakeResolver()

    result = run_fetch(feed_at(f"http://127.0.0.1:{httpserver.port}/feed"), resolve=resolver)

    assert (result.ok, result.body) == (True, RSS)
    assert resolver.asked == ["localhost"]  # the target is checked; a literal origin needs no lookup


class Hosts:
    """A MockTransport handler: canned responses by URL (else by host), every request recorded."""

    def __init__(self, routes: dict[str, httpx.Response]) -> None:
        self.routes = routes
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(str(request.url))
        # A stream, not content=: httpx reads content= at once and aiter_raw() would then refuse it.
        default = self.routes.get(request.url.host, httpx.Response(200, stream=httpx.ByteStream(RSS)))
        return self.routes.get(str(request.url), default)


def redirect(location: str) -> httpx.Response:
    return httpx.Response(302, headers={"Location": location})


@pytest.mark.parametrize(
    ("location", "table", "reason"),
    [
        (
            "http://intranet.example/admin",
            {"intranet.example": ["10.0.0.5"]},
            "private address refused: intranet.example (10.0.0.5)",
        ),
        (
            "http://mixed.example/",
            {"mixed.example": ["151.101.1.1", "192.168.1.1"]},
            "private address refused: mixed.example (192.168.1.1)",
        ),
        ("http://169.254.169.254/latest/meta-data/", {}, "link-local address refused: 169.254.169.254"),
        (
            "http://[::ffff:169.254.169.254]/",
            {},
            "IPv4-mapped link-local address refused: ::ffff:169.254.169.254",
        ),
        ("http://[::1]:8080/", {}, "loopback address refused: ::1"),
        ("http://100.64.1.1/", {}, "shared (CGNAT) address refused: 100.64.1.1"),
        ("http://0.0.0.0/", {}, "unspecified address refused: 0.0.0.0"),
        ("http://224.0.0.251/", {}, "multicast address refused: 224.0.0.251"),
        # getaddrinfo reads 2130706433 as 127.0.0.1; the resolver's answer is what is judged.
        (
            "http://2130706433/",
            {"2130706433": ["127.0.0.1"]},
            "loopback address refused: 2130706433 (127.0.0.1)",
        ),
    ],
)
def test_redirect_from_a_public_host_into_private_space_is_refused(
    location: str, table: dict[str, list[str]], reason: str
) -> None:
    hosts = Hosts({"news.example": redirect(location)})
    resolver = FakeResolver({"news.example": [PUBLIC_IP], **table})

    result = run_mocked(hosts, feed_at("http://news.example/feed"), resolve=resolver)

    assert result.error_code == "redirect_blocked"
    assert result.error_message is not None
    assert reason in result.error_message
    assert hosts.seen == ["http://news.example/feed"]


def test_public_redirect_chain_is_followed_and_the_origin_resolved_once() -> None:
    hosts = Hosts(
        {"news.example": redirect("https://cdn.example/a"), "https://cdn.example/a": redirect("/b")}
    )
    resolver = FakeResolver({"news.example": [PUBLIC_IP], "cdn.example": ["151.101.1.1", "2a04:4e42::1"]})

    result = run_mocked(hosts, feed_at("http://news.example/feed"), resolve=resolver)

    assert (result.ok, result.url, result.body) == (True, "https://cdn.example/b", RSS)
    assert resolver.asked == ["news.example", "cdn.example", "cdn.example"]


def test_public_chain_that_ends_in_private_space_is_refused_at_that_hop() -> None:
    hosts = Hosts(
        {"news.example": redirect("https://cdn.example/a"), "cdn.example": redirect("http://10.1.1.1/x")}
    )
    resolver = FakeResolver({"news.example": [PUBLIC_IP], "cdn.example": ["151.101.1.1"]})

    result = run_mocked(hosts, feed_at("http://news.example/feed"), resolve=resolver)

    assert (result.error_code, result.url) == ("redirect_blocked", "https://cdn.example/a")
    assert hosts.seen == ["http://news.example/feed", "https://cdn.example/a"]


@pytest.mark.parametrize(
    "error",
    [socket.gaierror(socket.EAI_NONAME, "Name or service not known"), UnicodeError("label too long")],
    ids=["no-such-name", "label-too-long"],
)
def test_redirect_target_that_cannot_be_resolved_is_not_followed(error: Exception) -> None:
    hosts = Hosts({"news.example": redirect("http://nowhere.example/")})

    async def resolver(host: str) -> Sequence[str]:
        if host == "news.example":
            return [PUBLIC_IP]
        raise error

    result = run_mocked(hosts, feed_at("http://news.example/feed"), make_settings(retries=1), resolver)

    assert result.error_code == "connect_error"
    assert result.error_message is not None
    assert result.error_message.startswith("cannot resolve redirect target nowhere.example: ")
    assert "nowhere.example/" not in " ".join(hosts.seen)
    assert len(hosts.seen) == 2  # retried once, like any failed lookup


# --- body size -----------------------------------------------------------------------------------


def test_body_at_the_limit_is_accepted(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"x" * LIMIT)

    result = run_fetch(feed_at(httpserver.url_for("/feed")))

    assert result.ok
    assert result.body is not None
    assert len(result.body) == LIMIT


def test_oversize_body_with_content_length(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"x" * (LIMIT + 1))

    result = run_fetch(feed_at(httpserver.url_for("/feed")))

    assert (result.error_code, result.error_message) == ("body_too_large", "body exceeds 4 KiB limit")
    assert result.body is None


def test_oversize_body_without_content_length(httpserver: HTTPServer) -> None:
    def streamed(_request: Request) -> Response:
        return Response((b"x" * 1000 for _ in range(50)), content_type="application/rss+xml")

    httpserver.expect_request("/feed").respond_with_handler(streamed)
    url = httpserver.url_for("/feed")
    with httpx.stream("GET", url) as probe:  # the case under test: the server declares no length
        assert "Content-Length" not in probe.headers
    httpserver.clear_log()

    result = run_fetch(feed_at(url))

    assert result.error_code == "body_too_large"


def test_declared_oversize_length_is_rejected_before_reading() -> None:
    class Unreadable(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            raise AssertionError("the body must not be read")
            yield b""  # pragma: no cover - makes this an async generator

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": str(LIMIT * 100)}, stream=Unreadable())

    settings = make_settings()

    async def go() -> FetchResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await fetch_feed(
                client, feed_at("http://feeds.test/feed"), settings, sleep=SleepRecorder()
            )

    result = asyncio.run(go())

    assert result.error_code == "body_too_large"


def gzip_handler(payload: bytes) -> Callable[[Request], Response]:
    compressed = gzip.compress(payload)

    def handler(_request: Request) -> Response:
        return Response(compressed, content_type="application/rss+xml", headers={"Content-Encoding": "gzip"})

    return handler


def test_gzip_body_is_decompressed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_handler(gzip_handler(RSS))

    result = run_fetch(feed_at(httpserver.url_for("/feed")))

    assert result.body == RSS


def test_gzip_bomb_is_stopped_on_decompressed_size(httpserver: HTTPServer) -> None:
    payload = b"<rss>" + b" " * (LIMIT * 200)
    assert len(gzip.compress(payload)) < LIMIT  # small on the wire, large once decoded
    httpserver.expect_request("/feed").respond_with_handler(gzip_handler(payload))

    result = run_fetch(feed_at(httpserver.url_for("/feed")))

    assert result.error_code == "body_too_large"


def fetch_peak(url: str, settings: FetchSettings) -> tuple[FetchResult, int]:
    """Fetch with tracemalloc on; the peak of traced memory in bytes.

    The servers here are raw_server threads that allocate nothing per byte sent (tracemalloc
    counts every thread), so the peak is the client's.
    """
    tracemalloc.start()
    try:
        result = run_fetch(feed_at(url), settings)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def send_response(body: bytes, **headers: str) -> Callable[[socket.socket, threading.Event], None]:
    head = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
    message = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body

    def respond(conn: socket.socket, _stop: threading.Event) -> None:
        conn.sendall(message)

    return respond


def test_hundreds_of_megabytes_are_cut_at_the_limit_with_bounded_memory() -> None:
    block = b"<item>" + b"x" * 65530  # 64 KiB, the same bytes object every time
    sent: list[int] = []

    def endless(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(300 * 16):  # 300 MiB, no Content-Length
            if stop.is_set():
                return
            conn.sendall(b"10000\r\n")
            conn.sendall(block)
            conn.sendall(b"\r\n")
            sent.append(len(block))

    limit = 1 << 20
    with raw_server(endless) as url:
        result, peak = fetch_peak(url, make_settings(max_body_bytes=limit))

    assert (result.error_code, result.error_message) == ("body_too_large", "body exceeds 1 MiB limit")
    assert peak < 4 * limit, f"peak {peak} bytes"
    assert sum(sent) < 32 * limit  # we hung up long before 300 MiB


def test_declared_huge_length_is_refused_without_reading(httpserver: HTTPServer) -> None:
    served: list[int] = []

    def huge(_request: Request) -> Response:
        def body() -> Iterator[bytes]:
            served.append(1)
            yield b"x" * 65536

        return Response(body(), headers={"Content-Length": str(300 << 20)})

    httpserver.expect_request("/feed").respond_with_handler(huge)

    result = run_fetch(feed_at(httpserver.url_for("/feed")))

    assert result.error_code == "body_too_large"
    assert len(httpserver.log) == 1


def encoded_handler(body: bytes, encoding: str) -> Callable[[Request], Response]:
    def handler(_request: Request) -> Response:
        return Response(body, content_type="application/rss+xml", headers={"Content-Encoding": encoding})

    return handler


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        pytest.param("deflate", zlib.compress(RSS), id="deflate"),
        pytest.param("deflate", zlib.compress(RSS)[2:-4], id="raw-deflate"),
        pytest.param("gzip, gzip", gzip.compress(gzip.compress(RSS)), id="gzip-twice"),
    ],
)
def test_other_encodings_are_decoded(httpserver: HTTPServer, encoding: str, body: bytes) -> None:
    httpserver.expect_request("/feed").respond_with_handler(encoded_handler(body, encoding))

    result = run_fetch(feed_at(httpserver.url_for("/feed")))

    assert result.body == RSS


def test_we_only_ask_for_codings_we_decode_in_bounded_pieces(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_response(rss_response())

    run_fetch(feed_at(httpserver.url_for("/feed")))

    assert requests_to(httpserver)[0].headers["Accept-Encoding"] == "gzip, deflate"


def zeros(size: int, wbits: int) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    return b"".join([compressor.compress(block) for _ in range(size >> 20)] + [compressor.flush()])


@pytest.mark.parametrize(
    ("encoding", "bomb"),
    [
        pytest.param("deflate", zeros(64 << 20, zlib.MAX_WBITS), id="deflate"),
        # The case httpx's own decoder cannot bound: one network chunk of the outer stream is
        # the whole inner stream, which it would turn into 64 MiB in one call.
        pytest.param("gzip, gzip", gzip.compress(zeros(64 << 20, zlib.MAX_WBITS | 16)), id="nested-gzip"),
    ],
)
def test_compression_bombs_are_stopped_with_bounded_memory(encoding: str, bomb: bytes) -> None:
    limit = 1 << 20
    with raw_server(send_response(bomb, Content_Encoding=encoding)) as url:
        result, peak = fetch_peak(url, make_settings(max_body_bytes=limit))

    assert result.error_code == "body_too_large"
    assert peak < 4 * limit, f"peak {peak} bytes"


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("br", "unsupported Content-Encoding 'br' (we ask for gzip, deflate)"),
        ("gzip, gzip, gzip, gzip", "4 Content-Encoding layers (at most 3)"),
    ],
)
def test_codings_we_cannot_decode_are_refused(httpserver: HTTPServer, encoding: str, message: str) -> None:
    httpserver.expect_request("/feed").respond_with_handler(encoded_handler(b"\x1b\x00\x00", encoding))

    result = run_fetch(feed_at(httpserver.url_for("/feed")))

    assert (result.error_code, result.error_message, result.status) == ("transport_error", message, 200)


def test_body_that_does_not_match_its_encoding_is_a_transport_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_handler(encoded_handler(RSS, "gzip"))

    result = run_fetch(feed_at(httpserver.url_for("/feed")))

    assert result.error_code == "transport_error"
    assert result.error_message is not None
    assert result.error_message.startswith("cannot decode the gzip body")


# --- local files ---------------------------------------------------------------------------------


def test_local_file_is_read() -> None:
    result = run_fetch(FeedState(name="offline", url=None, path=str(RSS_PATH)))

    assert (result.ok, result.status, result.body, result.url) == (True, 200, RSS, str(RSS_PATH))
    assert result.feed_name == "offline"


def test_missing_local_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.xml"

    result = run_fetch(FeedState(name="offline", url=None, path=str(missing)))

    assert (result.error_code, result.status, result.body) == ("file_not_found", None, None)
    assert result.error_message == f"file not found: {missing}"


def test_oversize_local_file(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * (LIMIT + 1))

    result = run_fetch(FeedState(name="offline", url=None, path=str(big)))

    assert result.error_code == "body_too_large"


def test_directory_as_local_file(tmp_path: Path) -> None:
    result = run_fetch(FeedState(name="offline", url=None, path=str(tmp_path)))

    assert result.error_code == "file_unreadable"


# --- failure backoff -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "minutes"),
    [(0, 0), (1, 30), (2, 60), (3, 120), (6, 960), (7, 1440), (1000, 1440)],
)
def test_failure_backoff_doubles_up_to_the_cap(failures: int, minutes: int) -> None:
    assert failure_backoff(failures, base_minutes=30, cap_minutes=1440) == timedelta(minutes=minutes)


@contextmanager
def keep_alive_server(body: bytes) -> Iterator[tuple[str, set[int]]]:
    """An HTTP/1.1 server answering 304 to its ETag; yields its URL and the client ports seen (one a connection)."""
    ports: set[int] = set()
    etag = '"v1"'

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers

        def do_GET(self) -> None:
            ports.add(self.client_address[1])
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed", ports
    finally:
        server.shutdown()
        server.server_close()


def test_a_304_leaves_its_connection_open_for_the_next_fetch() -> None:
    # A 304 has no body, but the stream must still be read to its end for the connection to go
    # back to the pool: unread, every 304 after the first cost a new connection (and a TLS handshake).
    settings = make_settings()
    with keep_alive_server(b"<rss/>") as (url, ports):

        async def go() -> list[FetchResult]:
            results = []
            async with make_client(settings) as client:
                state = feed_at(url)
                for _ in range(4):
                    result = await fetch_feed(
                        client, state, settings, resolve=FakeResolver({"127.0.0.1": ["127.0.0.1"]})
                    )
                    results.append(result)
                    state = feed_at(url, etag=result.etag)
            return results

        results = asyncio.run(go())
    assert [r.status for r in results] == [200, 304, 304, 304]
    assert len(ports) == 1, f"{len(ports)} connections for 4 fetches"
