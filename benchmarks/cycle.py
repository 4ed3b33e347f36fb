"""newswatch's real cycle against the fetch-and-parse floor and the `reader` library, side by side.

    python benchmarks/cycle.py [--feeds 1000] [--concurrency 20] [--only newswatch,floor,reader] [--no-validators]
                               [--rounds 3]

`feedserver.py` serves N feeds (RSS 2.0 and Atom, 20 items of ~100 words each) from its own
process on 127.0.0.1 with ETag/Last-Modified and 304s. Each contender then runs in a fresh
subprocess of its own (so peak RSS is its own) and does a cold pass then a second pass that
must be all 304s:

- newswatch: `pipeline.cycle.run_cycle`, the code path of `run --once`, on a fresh SQLite file
  (fetch, parse, dedupe, store and analysis);
- floor: `httpx.AsyncClient` at the same concurrency and `feedparser.parse` on each body in the
  loop, storing nothing;
- reader: `Reader.update_feeds(workers=concurrency)` on a fresh database (skipped with a note
  when the `reader` package is not installed: `pip install reader`).

With `--no-validators` the server ignores validators (no ETag or Last-Modified, always the whole body, as many
real servers do) and the second pass is of unchanged 200s instead of 304s.

Prints wall time, items/s, peak RSS, requests the server saw and the server's CPU share (well
under 100% means the server was not the bottleneck) per pass, then the ratios against the
targets of issue 7, and a last summary line.

The contenders run `--rounds` times in turn (each round starting with the next one). Every
ratio is taken within a round and the figure is the median of the rounds' ratios, each printed:
on a shared machine a neighbour can slow one contender's pass and spare the next one's (the
same 250-feed cold pass varied by 30% from one minute to the next).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from feedserver import RunningServer

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "config/baselines/bakhmut-2023-01-26.toml"
CONTENDERS = ("newswatch", "floor", "reader")


class CpuMeter:
    """CPU seconds (user + system) of this process and of every process it starts, over a `with` block.

    The processes a pass starts (newswatch's pool, and the fork server it forks them from) are
    read from /proc every `interval` seconds, each kept at its last reading: a pool process that
    ends between two readings loses at most `interval` of its time. Where /proc lists no
    children (not Linux), only this process is counted.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self._interval = interval
        self._start: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self.seconds = 0.0

    def __enter__(self) -> CpuMeter:
        self._own = _own_cpu()
        self._start = _descendants_cpu()
        self._last = dict(self._start)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._last.update(_descendants_cpu())
        others = sum(cpu - self._start.get(pid, 0.0) for pid, cpu in self._last.items())
        self.seconds = _own_cpu() - self._own + others

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            self._last.update(_descendants_cpu())


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _descendants_cpu() -> dict[int, float]:
    """pid -> CPU seconds so far, for every living process below this one."""
    found: dict[int, float] = {}
    todo = _children(os.getpid())
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended
        found[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
        todo += _children(pid)
    return found


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    pids: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                pids += [int(child) for child in children.read().split()]
        except OSError:
            continue
    return pids


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_newswatch(urls: list[str], concurrency: int) -> dict[str, Any]:
    """Two `run_cycle` calls on a fresh SQLite database, the second all 304s."""
    from pipeline.analysis import compile_baseline
    from pipeline.baseline import load_baseline
    from pipeline.config import Config
    from pipeline.cycle import run_cycle
    from pipeline.db.engine import create_db_engine, migrate
    from pipeline.db.store import Store

    out: dict[str, Any] = {"rss_start": peak_rss_mb()}
    with tempfile.TemporaryDirectory() as tmp:
        config = Config.model_validate(
            {
                "database": {"url": f"sqlite:///{tmp}/cycle.db"},
                "baseline": {"file": str(BASELINE)},
                # Every feed here is on one host; real ones are spread over many.
                "fetch": {"concurrency": concurrency, "per_host": min(concurrency, 20)},
                "feeds": [{"name": f"feed-{n}", "url": url} for n, url in enumerate(urls)],
            }
        )
        engine = create_db_engine(config.database.url)
        migrate(engine)
        matcher = compile_baseline(load_baseline(config.baseline.file), config.analysis)
        now = datetime.now(UTC)
        with Store(engine) as store:
            for name, when in (("cold", now), ("304", now + timedelta(minutes=1))):
                started = time.perf_counter()
                with CpuMeter() as cpu:
                    summary = run_cycle(config, store, matcher, now=when)
                out[name] = {
                    "wall": time.perf_counter() - started,
                    "cpu": cpu.seconds,
                    "items": summary.new_items,
                    "ok": summary.feeds_ok,
                    "not_modified": summary.feeds_not_modified,
                    "failed": summary.feeds_failed,
                    "findings": summary.new_findings,
                }
        engine.dispose()
    return out


def run_floor(urls: list[str], concurrency: int) -> dict[str, Any]:
    """Fetch every feed with httpx at the same concurrency and parse it with feedparser; store nothing."""
    import feedparser
    import httpx

    validators: dict[str, tuple[str | None, str | None]] = {}

    async def one_pass(client: httpx.AsyncClient) -> tuple[int, int, int]:
        gate = asyncio.Semaphore(concurrency)
        counts = [0, 0, 0]  # items, 200s, 304s

        async def one(url: str) -> None:
            etag, modified = validators.get(url, (None, None))
            headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", modified)) if v}
            async with gate:
                response = await client.get(url, headers=headers)
            if response.status_code == 304:
                counts[2] += 1
                return
            counts[1] += 1
            validators[url] = (response.headers.get("etag"), response.headers.get("last-modified"))
            counts[0] += len(feedparser.parse(response.content).entries)

        await asyncio.gather(*(one(url) for url in urls))
        return counts[0], counts[1], counts[2]

    async def both() -> dict[str, Any]:
        out: dict[str, Any] = {}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            for name in ("cold", "304"):
                started = time.perf_counter()
                with CpuMeter() as cpu:
                    items, ok, not_modified = await one_pass(client)
                out[name] = {
                    "wall": time.perf_counter() - started,
                    "cpu": cpu.seconds,
                    "items": items,
                    "ok": ok,
                    "not_modified": not_modified,
                }
        return out

    rss_start = peak_rss_mb()
    return {"rss_start": rss_start, **asyncio.run(both())}


def run_reader(urls: list[str], concurrency: int) -> dict[str, Any]:
    """`reader`'s update_feeds with `concurrency` workers on a fresh database, twice."""
    from reader import make_reader

    out: dict[str, Any] = {"rss_start": peak_rss_mb()}
    with tempfile.TemporaryDirectory() as tmp:
        reader = make_reader(f"{tmp}/reader.sqlite", search_enabled=False)
        for url in urls:
            reader.add_feed(url)
        for name in ("cold", "304"):
            before = reader.get_entry_counts().total or 0
            started = time.perf_counter()
            with CpuMeter() as cpu:
                # scheduled=False: the second pass must fetch every feed again, as newswatch's does.
                reader.update_feeds(workers=concurrency, scheduled=False)
            wall = time.perf_counter() - started
            out[name] = {
                "wall": wall,
                "cpu": cpu.seconds,
                "items": (reader.get_entry_counts().total or 0) - before,
            }
        reader.close()
    return out


def contender(name: str, urls: list[str], concurrency: int) -> dict[str, Any]:
    """Run one contender in this process and return its figures (with its peak RSS)."""
    runner = {"newswatch": run_newswatch, "floor": run_floor, "reader": run_reader}[name]
    result = runner(urls, concurrency)
    result["rss_peak"] = peak_rss_mb()
    return result


def measure(
    name: str, server: RunningServer, concurrency: int, no_validators: bool = False
) -> dict[str, Any]:
    """One contender in a fresh subprocess, with the server's request counts and CPU for its run."""
    server.reset()
    cpu_before = float(server.stats()["cpu"])  # type: ignore[arg-type]
    done = subprocess.run(
        [*this_script(), "--contender", name, "--base", server.base, "--feeds", str(server.feeds),
         "--concurrency", str(concurrency), *(["--no-validators"] if no_validators else [])],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    stats = server.stats()
    result["requests"] = sum(stats["requests"].values())  # type: ignore[attr-defined]
    result["statuses"] = stats["statuses"]
    result["server_cpu"] = float(stats["cpu"]) - cpu_before  # type: ignore[arg-type]
    return result


def this_script() -> list[str]:
    """The command that runs this script's `main` with a main module as light as the `newswatch` script's.

    Each of newswatch's pool processes runs its parent's main module again (`pipeline/processes.py`);
    run by its path, this script's own imports (the feed server's, asyncio...) would be charged to
    every pool process newswatch starts, ~75 ms each, which a user's `newswatch` never pays.
    """
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import cycle; cycle.main()"
    return [sys.executable, "-c", code]


def report(
    rounds: list[dict[str, dict[str, Any]]], feeds: int, skipped: list[str], again: str = "304"
) -> None:
    """Print each round's table, the ratios (each round's, and their median) and the summary line.

    `again` is what the second pass is called. Each ratio is taken within a round, whose
    contenders ran one after the other, and the median of the rounds' ratios is the figure: on a
    shared machine one contender's pass can be slowed by a neighbour that another's was spared.
    """
    for number, results in enumerate(rounds, 1):
        if len(rounds) > 1:
            print(f"round {number} of {len(rounds)} (contenders in the order they ran)")
        _table(results, feeds, skipped if number == 1 else [], again)
    lines: list[str] = []
    medians: list[str] = []
    for label, target, of in _figures(again):
        values = [value for value in (of(results) for results in rounds) if value is not None]
        if values:
            median = statistics.median(values)
            each = (
                f" (median of {len(values)} rounds: {', '.join(f'{v:.2f}' for v in values)})"
                if len(values) > 1
                else ""
            )
            verdict = "met" if median <= target else "NOT met"
            lines.append(f"{label}: {median:.2f}{each} (target <= {target}) {verdict}")
            medians.append(f"{label}: {median:.2f}")
    newswatch = [results["newswatch"] for results in rounds if "newswatch" in results]
    if newswatch:
        cost = statistics.median(1000 * nw["cold"]["wall"] / feeds for nw in newswatch)
        rss = max(nw["rss_peak"] for nw in newswatch)
        lines.append(f"cost per feed, newswatch cold: {cost:.2f} ms; "
                     f"peak RSS {rss:.0f} MB (target <= 250 MB at 1,000 feeds)")  # fmt: skip
    pairs = [
        (r["newswatch"]["cold"]["cpu"], r["reader"]["cold"]["cpu"])
        for r in rounds
        if {"newswatch", "reader"} <= r.keys()
    ]
    if pairs:
        # On this machine's cores a contender's wall time is at least its CPU time over the cores it
        # keeps busy: the ratio of CPU time says what the wall-time ratio can reach.
        cpu = statistics.median(nw / peer for nw, peer in pairs)
        lines.append("cold CPU s, newswatch (all processes) / reader: "
                     + ", ".join(f"{nw:.2f} / {peer:.2f}" for nw, peer in pairs) + f" = {cpu:.2f}")  # fmt: skip
    for line in lines:
        print(line)
    print(f"summary: {feeds} feeds; " + "; ".join(medians))


def _figures(again: str) -> list[tuple[str, float, Callable[[dict[str, dict[str, Any]]], float | None]]]:
    """Each target ratio: its label, its target and how one round's results give it (None: not run)."""

    def ratio(a: str, b: str, run_a: str, run_b: str) -> Callable[[dict[str, dict[str, Any]]], float | None]:
        def of(results: dict[str, dict[str, Any]]) -> float | None:
            if a not in results or b not in results:
                return None
            return float(results[a][run_a]["wall"] / results[b][run_b]["wall"])

        return of

    return [
        ("cold newswatch / reader", 0.5, ratio("newswatch", "reader", "cold", "cold")),
        ("cold newswatch / floor", 1.3, ratio("newswatch", "floor", "cold", "cold")),
        (f"{again} / cold (newswatch)", 0.25, ratio("newswatch", "newswatch", "304", "cold")),
        (f"{again} newswatch / floor {again}", 1.2, ratio("newswatch", "floor", "304", "304")),
    ]


def _table(results: dict[str, dict[str, Any]], feeds: int, skipped: list[str], again: str) -> None:
    print(
        f"{feeds:,} feeds; wall s | items | items/s | peak RSS MB | CPU s of all its processes | server CPU s"
    )
    print(f"{'contender':<10} {'pass':<5} {'wall':>8} {'items':>7} {'items/s':>9} {'RSS':>7} {'CPU':>7}")
    for name, result in results.items():
        for run in ("cold", "304"):
            figures = result[run]
            rate = figures["items"] / figures["wall"] if figures["wall"] else 0.0
            label = run if run == "cold" else again
            print(
                f"{name:<10} {label:<5} {figures['wall']:8.2f} {figures['items']:7d} {rate:9,.0f} "
                f"{result['rss_peak']:7.0f} {figures['cpu']:7.2f}"
            )
        print(f"{'':<10} requests sent (both passes): {result['requests']:,}; responses {result['statuses']}; "
              f"server CPU {result['server_cpu']:.1f} s")  # fmt: skip
    for name in skipped:
        print(f"{name:<10} skipped: the reader package is not installed (pip install reader)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--only", default=",".join(CONTENDERS), help="comma-separated contenders")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--no-validators", action="store_true", help="a server that ignores validators")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of every contender, in turn; each ratio is their median"
    )
    args = parser.parse_args()
    prefix = "u" if args.no_validators else "f"
    if args.contender:
        urls = [f"{args.base}/{prefix}/{n}" for n in range(args.feeds)]
        print(json.dumps(contender(args.contender, urls, args.concurrency)))
        return
    wanted = [name for name in args.only.split(",") if name]
    skipped: list[str] = []
    if "reader" in wanted:
        try:
            import reader  # noqa: F401 -- only to know whether the peer can run
        except ImportError:
            wanted.remove("reader")
            skipped.append("reader")
    server = RunningServer(args.feeds)
    try:
        rounds = []
        for number in range(max(args.rounds, 1)):
            # each round starts with the next contender, so that none always runs first or last
            order = wanted[number % len(wanted) :] + wanted[: number % len(wanted)] if wanted else []
            rounds.append(
                {name: measure(name, server, args.concurrency, args.no_validators) for name in order}
            )
    finally:
        server.close()
    report(rounds, args.feeds, skipped, "same" if args.no_validators else "304")


if __name__ == "__main__":
    main()
