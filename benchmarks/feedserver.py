"""A fast local feed server for the scale benchmarks: N feeds on 127.0.0.1 with ETag, Last-Modified and 304s.

    python benchmarks/feedserver.py --feeds 1000 [--items 20] [--seed 7]

Prints `port <n>` on its first stdout line, then serves until killed. Feed `/f/<n>` is RSS 2.0
when n is even and Atom when n is odd; each holds `--items` items of about 100 words made by
`analysis_speed.make_item` (30% name the baseline's places). Every response is built once at
start, so a request costs one dict lookup and one write: asyncio streams, HTTP/1.1 keep-alive,
one process of its own so it never shares a GIL with the client it serves.

`/u/<n>` is the same feed from a server that ignores validators: no ETag or Last-Modified, and
always the whole body (many real servers do this; `cycle.py --no-validators`).

`GET /_stats` answers JSON: requests per path, responses per status, and the server process's
CPU seconds (so a benchmark can show that the server was not the bottleneck); `GET /_reset`
zeroes the counters.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAST_MODIFIED = format_datetime(datetime(2026, 1, 5, 12, 0, tzinfo=UTC), usegmt=True)


def feed_body(number: int, items: int, rng: random.Random) -> bytes:
    """Feed `number`'s document: RSS 2.0 when even, Atom when odd; links unique across feeds."""
    # Imported here, in the server's process: cycle.py imports this module, and every newswatch
    # pool process runs cycle.py's module again (as it runs the light `newswatch` script), so
    # the analysis core that analysis_speed imports must not come in with it.
    from analysis_speed import make_item

    published = datetime(2026, 1, 5, 11, 0, tzinfo=UTC)
    parts: list[str] = []
    atom = number % 2 == 1
    for i in range(items):
        item = make_item(rng, on_topic=rng.random() < 0.3)
        link = f"https://site{number % 97}.example/{number}/story-{i}"
        when = published - timedelta(minutes=7 * i)
        title, body = escape(item.title), escape(item.body or "")
        if atom:
            parts.append(
                f"<entry><id>tag:site.example,2026:{number}-{i}</id><title>{title}</title>"
                f'<link href="{link}"/><updated>{when.isoformat()}</updated>'
                f"<summary>{body}</summary></entry>"
            )
        else:
            parts.append(
                f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
                f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>"
                f"<description>{body}</description></item>"
            )
    if atom:
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Feed {number}</title><id>tag:site.example,2026:{number}</id>"
            f"<updated>{published.isoformat()}</updated>{''.join(parts)}</feed>"
        ).encode()
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {number}</title><link>https://site{number % 97}.example/</link>"
        f"<description>benchmark feed</description>{''.join(parts)}</channel></rss>"
    ).encode()


class FeedServer:
    """The prebuilt responses and the counters."""

    def __init__(self, feeds: int, items: int, seed: int) -> None:
        rng = random.Random(seed)
        self.full: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}
        for number in range(feeds):
            body = feed_body(number, items, rng)
            etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
            kind = "application/atom+xml" if number % 2 else "application/rss+xml"
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: {kind}; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                f"ETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n\r\n"
            )
            self.full[f"/f/{number}"] = head.encode() + body
            self.etags[f"/f/{number}"] = etag
            bare = f"HTTP/1.1 200 OK\r\nContent-Type: {kind}; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
            self.full[f"/u/{number}"] = bare.encode() + body
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def answer(self, path: str, headers: dict[str, str]) -> bytes:
        """The response bytes for one request."""
        if path == "/_stats":
            times = os.times()
            stats = {
                "requests": dict(self.requests),
                "statuses": {str(k): v for k, v in self.statuses.items()},
                "cpu": times.user + times.system,
            }
            return _plain(200, json.dumps(stats).encode(), "application/json")
        if path == "/_reset":
            self.requests.clear()
            self.statuses.clear()
            return _plain(200, b"ok", "text/plain")
        self.requests[path] += 1
        full = self.full.get(path)
        if full is None:
            self.statuses[404] += 1
            return _plain(404, b"no such feed", "text/plain")
        etag = self.etags.get(path)  # None: a server that ignores validators
        conditional = headers.get("if-none-match") == etag or (
            "if-none-match" not in headers and headers.get("if-modified-since") == LAST_MODIFIED
        )
        if etag is not None and conditional:
            self.statuses[304] += 1
            return (
                f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n\r\n"
            ).encode()
        self.statuses[200] += 1
        return full

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one keep-alive connection until the client closes it."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _method, target, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                writer.write(self.answer(target.split("?", 1)[0], headers))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()


def _plain(status: int, body: bytes, kind: str) -> bytes:
    reason = {200: "OK", 404: "Not Found"}[status]
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


async def _serve(server: FeedServer) -> None:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=1024)
    print(f"port {listener.sockets[0].getsockname()[1]}", flush=True)
    async with listener:
        await listener.serve_forever()


class RunningServer:
    """A feed server in a child process; `stats()` and `reset()` talk to it over HTTP."""

    def __init__(self, feeds: int, items: int = 20, seed: int = 7) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "feedserver.py"),
                "--feeds",
                str(feeds),
                "--items",
                str(items),
                "--seed",
                str(seed),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("port "):
            self.process.kill()
            raise RuntimeError(f"the feed server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"
        self.feeds = feeds

    def urls(self, prefix: str = "f") -> list[str]:
        """Every feed's URL, feed 0 first (`prefix` "u": the server that ignores validators)."""
        return [f"{self.base}/{prefix}/{n}" for n in range(self.feeds)]

    def stats(self) -> dict[str, object]:
        """The server's counters and CPU seconds."""
        import httpx  # here, so that the server process itself never imports it

        return dict(httpx.get(f"{self.base}/_stats", timeout=30).json())

    def reset(self) -> None:
        """Zero the request counters."""
        import httpx

        httpx.get(f"{self.base}/_reset", timeout=30)

    def close(self) -> None:
        """Stop the server process."""
        self.process.kill()
        self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(_serve(FeedServer(args.feeds, args.items, args.seed)))


if __name__ == "__main__":
    main()
