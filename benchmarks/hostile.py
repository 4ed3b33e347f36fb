"""One real newswatch cycle over a hostile local server: prints wall time, peak RSS and items kept.

    python benchmarks/hostile.py [--small] [--items 5000] [--huge-mb 300] [--bomb-mb 1024]
                                 [--good 10] [--storm 20] [--total-timeout 15] [--read-timeout 5]

A threaded HTTP server on 127.0.0.1 serves, one feed each: a server that never answers, one
that drips a byte a second, a 300 MiB body without Content-Length and one that declares it,
gzip, nested gzip and deflate bombs (1 GiB of zeros each), a body cut mid-way, a redirect loop,
an HTML page, JSON, an entity bomb, a 5,000-item feed, a storm of 500/503/429 answers and good
feeds. `pipeline.cycle.run_cycle` runs once on a temporary SQLite database with a temporary
config. Targets: the cycle ends within its deadline, peak RSS stays well under 400 MB, every
item of the good feeds is kept.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import resource
import struct
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipeline.analysis import compile_baseline
from pipeline.baseline import load_baseline
from pipeline.config import Config
from pipeline.cycle import run_cycle
from pipeline.db.engine import create_db_engine, migrate
from pipeline.db.store import Store
from pipeline.logs import setup_logging

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "config/baselines/bakhmut-2023-01-26.toml"
MIB = 1 << 20

# name -> (path, expected outcome); good-N and storm-N feeds are added by size.
HOSTILE = {
    "hang": ("/hang", "timeout"),
    "drip": ("/drip", "timeout"),
    "huge-body": ("/huge", "body_too_large"),
    "huge-declared": ("/huge-declared", "body_too_large"),
    "gzip-bomb": ("/gzip-bomb", "body_too_large"),
    "nested-gzip-bomb": ("/nested-gzip-bomb", "body_too_large"),
    "deflate-bomb": ("/deflate-bomb", "body_too_large"),
    "cut-mid-body": ("/cut", "transport_error"),
    "redirect-loop": ("/loop/a", "redirect_loop"),
    "html-page": ("/html", "not_a_feed"),
    "json": ("/json", "not_a_feed"),
    "entity-bomb": ("/entity-bomb", "ok"),
    "many-items": ("/many", "ok"),
}
STORM = [(500, {}), (503, {"Retry-After": "1"}), (429, {"Retry-After": "86400"})]


def zeros_stream(size: int, *, wrapper: str) -> bytes:
    """`size` zero bytes compressed ~1000:1, built from one compressed MiB repeated (fast)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = bytes(MIB)
    # A full flush resets the compressor, so the compressed MiB can be repeated as it is.
    chunk = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush(zlib.Z_FINISH)
    count = size // MIB
    crc, adler = 0, 1  # the initial values of CRC-32 and Adler-32
    for _ in range(count):
        crc, adler = zlib.crc32(block, crc), zlib.adler32(block, adler)
    deflated = chunk * count + end
    if wrapper == "gzip":
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        return header + deflated + struct.pack("<II", crc, (count * MIB) & 0xFFFFFFFF)
    return b"\x78\xda" + deflated + struct.pack(">I", adler)


def rss(title: str, items: list[tuple[str, str, str]], now: datetime) -> bytes:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{(now - timedelta(minutes=i)).strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>"
        f"<description>{text}</description></item>"
        for i, (t, link, text) in enumerate(items)
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>{entries}</channel></rss>'.encode()


def good_feed(n: int, count: int, now: datetime) -> bytes:
    items = [
        (
            f"Fighting near Bakhmut, report {n}-{i}",
            f"http://good{n}.test/story/{i}",
            f"Wire {n}, story {i}: Ukrainian forces still hold positions in Bakhmut, officials said on day {i}.",
        )
        for i in range(count)
    ]
    return rss(f"Good wire {n}", items, now)


def entity_bomb() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + b"A" * 100_000 + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>bomb</title><item><title>Bomb &a;</title>'
        b"<link>http://bomb.test/1</link><description>" + b"&a;" * 200_000 + b"</description></item>"
        b"</channel></rss>"
    )


class Bodies:
    """Everything the server sends, built once before the clock starts."""

    def __init__(self, args: argparse.Namespace, now: datetime) -> None:
        self.huge_bytes = args.huge_mb * MIB
        self.gzip_bomb = zeros_stream(args.bomb_mb * MIB, wrapper="gzip")
        self.nested = gzip.compress(self.gzip_bomb, 9)
        self.deflate_bomb = zeros_stream(args.bomb_mb * MIB, wrapper="zlib")
        self.entity = entity_bomb()
        many = [(f"Item {i}", f"http://many.test/{i}", f"Text of item {i}.") for i in range(args.items)]
        self.many = rss("Many", many, now)
        self.good = {n: good_feed(n, args.good_items, now) for n in range(args.good)}


def make_handler(bodies: Bodies, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    block = b"<item>" + b"x" * (64 * 1024 - 6)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return None

        def send(self, status: int, body: bytes, **headers: str) -> None:
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            route = ROUTES.get(self.path) or next((f for p, f in PREFIXES if self.path.startswith(p)), None)
            if route is None:
                self.send(404, b"no such feed")
                return
            with contextlib.suppress(OSError):  # the client hung up: what a fetch does at a limit
                route(self)

        def hang(self) -> None:
            stop.wait()

        def drip(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            while not stop.wait(1.0):
                self.wfile.write(b" ")
                self.wfile.flush()

        def huge(self) -> None:
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(bodies.huge_bytes // len(block)):
                self.wfile.write(b"%x\r\n" % len(block) + block + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")

        def huge_declared(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(bodies.huge_bytes))
            self.end_headers()
            for _ in range(bodies.huge_bytes // len(block)):
                self.wfile.write(block)

        def cut(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"<rss version='2.0'><channel><title>cut</title>")
            self.close_connection = True
            self.connection.shutdown(2)

        def loop(self) -> None:
            self.send(302, b"", Location="/loop/b" if self.path.endswith("/a") else "/loop/a")

        def storm(self) -> None:
            status, headers = STORM[int(self.path.rsplit("-", 1)[1]) % len(STORM)]
            self.send(status, b"busy", **headers)

        def good(self) -> None:
            self.send(200, bodies.good[int(self.path.rsplit("-", 1)[1])], Content_Type="application/rss+xml")

    ROUTES: dict[str, Callable[[Handler], None]] = {
        "/hang": Handler.hang,
        "/drip": Handler.drip,
        "/huge": Handler.huge,
        "/huge-declared": Handler.huge_declared,
        "/gzip-bomb": lambda h: h.send(200, bodies.gzip_bomb, Content_Encoding="gzip"),
        "/nested-gzip-bomb": lambda h: h.send(200, bodies.nested, Content_Encoding="gzip, gzip"),
        "/deflate-bomb": lambda h: h.send(200, bodies.deflate_bomb, Content_Encoding="deflate"),
        "/cut": Handler.cut,
        "/html": lambda h: h.send(
            200, b"<!DOCTYPE html><html><head><title>Home</title></head><body>hi</body></html>"
        ),
        "/json": lambda h: h.send(
            200, b'{"items": [{"title": "not a feed"}]}', Content_Type="application/json"
        ),
        "/entity-bomb": lambda h: h.send(200, bodies.entity),
        "/many": lambda h: h.send(200, bodies.many),
    }
    PREFIXES: list[tuple[str, Callable[[Handler], None]]] = [
        ("/loop/", Handler.loop),
        ("/storm-", Handler.storm),
        ("/good-", Handler.good),
    ]
    return Handler


class QuietServer(ThreadingHTTPServer):
    """Clients hanging up is the point here: no traceback for it."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]  # the stdlib's own types


def feeds(base: str, args: argparse.Namespace) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The configured feeds and each one's expected outcome."""
    expected = {name: code for name, (_path, code) in HOSTILE.items()}
    configured = [{"name": name, "url": base + path} for name, (path, _code) in HOSTILE.items()]
    for n in range(args.storm):
        status = STORM[n % len(STORM)][0]
        configured.append({"name": f"storm-{n}", "url": f"{base}/storm-{n}"})
        expected[f"storm-{n}"] = f"http_{status}"
    for n in range(args.good):
        configured.append({"name": f"good-{n}", "url": f"{base}/good-{n}"})
        expected[f"good-{n}"] = "ok"
    return configured, expected


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", action="store_true", help="small sizes and timeouts (a smoke test)")
    parser.add_argument("--items", type=int, default=5000, help="entries in the many-items feed")
    parser.add_argument("--huge-mb", type=int, default=300, help="MiB in the huge bodies")
    parser.add_argument("--bomb-mb", type=int, default=1024, help="MiB the compression bombs decode to")
    parser.add_argument("--good", type=int, default=10, help="good feeds")
    parser.add_argument("--good-items", type=int, default=20, help="items in each good feed")
    parser.add_argument("--storm", type=int, default=20, help="feeds answering 500, 503 or 429")
    parser.add_argument("--total-timeout", type=float, default=15.0, help="fetch.total_timeout, seconds")
    parser.add_argument("--read-timeout", type=float, default=5.0, help="fetch.read_timeout, seconds")
    parser.add_argument(
        "--log-level", default="ERROR", help="newswatch's logs on stderr (WARNING: each failed feed)"
    )
    args = parser.parse_args()
    setup_logging(args.log_level)
    if args.small:
        args.items, args.huge_mb, args.bomb_mb = 300, 40, 64
        args.good, args.good_items, args.storm = 3, 5, 6
        args.total_timeout, args.read_timeout = 3.0, 1.0

    now = datetime.now(UTC)
    built = time.perf_counter()
    bodies = Bodies(args, now)
    built = time.perf_counter() - built
    stop = threading.Event()
    server = QuietServer(("127.0.0.1", 0), make_handler(bodies, stop))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    configured, expected = feeds(base, args)

    with tempfile.TemporaryDirectory() as tmp:
        config = Config.model_validate(
            {
                "database": {"url": f"sqlite:///{tmp}/hostile.db"},
                "baseline": {"file": str(BASELINE)},
                "fetch": {
                    # Every feed here is on one host; real ones are spread over many.
                    "per_host": 10,
                    "total_timeout": args.total_timeout,
                    "read_timeout": args.read_timeout,
                    "retry_backoff": 0.5,
                    "max_retry_after": 2.0,
                },
                "feeds": configured,
            }
        )
        engine = create_db_engine(config.database.url)
        migrate(engine)
        matcher = compile_baseline(load_baseline(config.baseline.file), config.analysis)
        rss_before = peak_rss_mb()
        with Store(engine) as store:
            started = time.perf_counter()
            summary = run_cycle(config, store, matcher, now=now)
            wall = time.perf_counter() - started
            statuses = {status.name: status for status in store.feed_statuses()}
        engine.dispose()
    stop.set()
    server.shutdown()

    peak = peak_rss_mb()
    print(f"bodies built in {built:.1f} s (not timed); RSS before the cycle {rss_before:.0f} MB")
    print(
        f"settings: total_timeout {args.total_timeout:g} s, read_timeout {args.read_timeout:g} s, "
        f"max_body_bytes {config.fetch.max_body_bytes // MIB} MiB, cycle_deadline {config.fetch.cycle_deadline:g} s"
    )
    print("feed outcomes (expected in brackets when different):")
    surprises = 0
    for name, want in expected.items():
        status = statuses[name]
        got = status.last_error_code or "ok"
        surprises += got != want
        note = "" if got == want else f"  [expected {want}]"
        warning = f"  warning: {status.warning[:90]}" if status.warning else ""
        print(f"  {name:<18} {got:<16} {status.items_seen} items{note}{warning}")
    good_expected = args.good * args.good_items
    good_kept = sum(statuses[f"good-{n}"].items_seen for n in range(args.good))
    print(f"good feeds: {good_kept}/{good_expected} items kept")
    print(f"cycle: {summary.line()}")
    print(
        f"hostile cycle: {len(configured)} feeds in {wall:.1f} s (deadline {config.fetch.cycle_deadline:g} s); "
        f"peak RSS {peak:.0f} MB (target < 400 MB); good items {good_kept}/{good_expected}; "
        f"{len(configured) - surprises}/{len(configured)} feeds as expected"
    )
    return 0 if surprises == 0 and good_kept == good_expected else 1


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is KiB on Linux)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


if __name__ == "__main__":
    sys.exit(main())
