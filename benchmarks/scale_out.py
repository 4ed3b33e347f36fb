"""One worker, then two, on the real PostgreSQL: throughput of each, and no feed fetched or item stored twice.

    python benchmarks/scale_out.py [--feeds 2000] [--workers 1,2] [--concurrency 20] [--processes N]
                                   [--cores-per-worker N] [--no-pin-cores]
                                   [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

`feedserver.py` serves the feeds (20 items of ~100 words each) from its own process. For each
worker count, a fresh PostgreSQL schema gets the feeds (`sync_feeds`), then that many worker
processes start, import, compile the baseline, and wait; all are released at once and each
runs one due cycle (`run_cycle(only_due=True)`, what `serve` runs), claiming feeds with
`FOR UPDATE SKIP LOCKED` as it goes. Wall time is from the release to the last worker's end.
Checks, per run: the server saw each feed requested exactly once; every item is stored once
(items = distinct canonical URLs = feeds x items, one item_source row each, findings unique per
item and claim); no feed is left claimed. The database URL defaults to
NEWSWATCH_TEST_POSTGRES_URL.

Each worker is given cores of its own, as workers on separate machines have: by default the
machine's cores shared out among the most workers of the run (on 2 cores, one each), pinned with
`sched_setaffinity`, so one worker runs on one core and two on two. A worker sizes its parse and
analysis pool from the cores it may use (`workpool.usable_cores`): on one core it parses in a
thread. The feed server and PostgreSQL are not pinned. `--cores-per-worker 0` pins nothing: every
worker then runs on every core, so on a small machine one worker with its pool already keeps
every core busy and a second has little left to add (that measures the machine, not the
claiming). `--processes` sets each worker's `fetch.processes` (its pool) instead of the default, and
`--no-pin-cores` its `fetch.pin_cores` to false (`pipeline/affinity.py`: with a pool, a worker keeps its event
loop and its pool's processes on cores of their own, which workers sharing all cores contend for).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedserver import RunningServer
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "config/baselines/bakhmut-2023-01-26.toml"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def config_for(
    database_url: str,
    base: str,
    feeds: int,
    concurrency: int,
    processes: int | None = None,
    pin_cores: bool = True,
) -> Any:
    """The Config every worker of a run shares."""
    from pipeline.config import Config

    # Every feed here is on one host; real ones are spread over many.
    fetch: dict[str, Any] = {
        "concurrency": concurrency,
        "per_host": min(concurrency, 20),
        "pin_cores": pin_cores,
    }
    if processes is not None:
        fetch["processes"] = processes
    return Config.model_validate(
        {
            "database": {"url": database_url},
            "baseline": {"file": str(BASELINE)},
            "fetch": fetch,
            "feeds": [{"name": f"feed-{n}", "url": f"{base}/f/{n}"} for n in range(feeds)],
        }
    )


def worker(
    database_url: str,
    base: str,
    feeds: int,
    concurrency: int,
    now: datetime,
    processes: int | None,
    cpus: list[int],
    pin_cores: bool = True,
) -> None:
    """One worker process: get ready, wait for the go line on stdin, run one due cycle, print JSON."""
    if cpus:  # before the pool starts: its processes inherit the affinity, and size from it
        os.sched_setaffinity(0, cpus)
    from pipeline.analysis import compile_baseline
    from pipeline.baseline import load_baseline
    from pipeline.cycle import run_cycle
    from pipeline.db.engine import create_db_engine
    from pipeline.db.store import Store

    config = config_for(database_url, base, feeds, concurrency, processes, pin_cores)
    matcher = compile_baseline(load_baseline(config.baseline.file), config.analysis)
    engine = create_db_engine(database_url)
    with Store(engine) as store:
        print("ready", flush=True)
        sys.stdin.readline()
        started = time.perf_counter()
        summary = run_cycle(config, store, matcher, now=now, only_due=True)
        wall = time.perf_counter() - started
    fetched = summary.feeds_ok + summary.feeds_not_modified + summary.feeds_failed
    print(
        json.dumps(
            {"wall": wall, "feeds": fetched, "items": summary.new_items, "findings": summary.new_findings}
        )
    )


def one_run(workers: int, args: argparse.Namespace, server: RunningServer) -> dict[str, Any]:
    """A fresh schema, `workers` worker processes released together; figures and checks."""
    from pipeline.db.engine import create_db_engine, migrate
    from pipeline.db.store import Store

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(args.database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in args.database_url else "?"
    url = f"{args.database_url}{separator}options=-csearch_path%3D{schema}"
    try:
        engine = create_db_engine(url)
        migrate(engine)
        with Store(engine) as store:
            store.sync_feeds(config_for(url, server.base, args.feeds, args.concurrency).feeds)
        server.reset()
        now = datetime.now(UTC).isoformat()
        # `-c`, not this file's path: see cycle.this_script
        code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import scale_out; scale_out.main()"
        command = [sys.executable, "-c", code, "--worker", "--database-url", url, "--base", server.base,
                   "--feeds", str(args.feeds), "--concurrency", str(args.concurrency), "--now", now]  # fmt: skip
        if args.processes is not None:
            command += ["--processes", str(args.processes)]
        if args.no_pin_cores:
            command.append("--no-pin-cores")
        with tempfile.TemporaryFile("w+") as errors:
            procs = [
                subprocess.Popen(
                    [*command, "--cpus", ",".join(map(str, cpus))],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    text=True,
                )
                for cpus in worker_cpus(workers, args.cores_per_worker)
            ]
            for proc in procs:
                assert proc.stdout is not None
                if proc.stdout.readline().strip() != "ready":
                    errors.seek(0)
                    raise RuntimeError(f"a worker did not start:\n{errors.read()[-3000:]}")
            started = time.perf_counter()
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            outputs = [proc.communicate()[0] for proc in procs]
            wall = time.perf_counter() - started
            if any(proc.returncode for proc in procs):
                errors.seek(0)
                raise RuntimeError(f"a worker failed:\n{errors.read()[-3000:]}")
        results = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
        checks = _checks(engine, server, args)
        engine.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    items = sum(r["items"] for r in results)
    return {"workers": workers, "wall": wall, "items": items, "per_worker": results, **checks}


def worker_cpus(workers: int, per_worker: int) -> list[list[int]]:
    """The cores each of `workers` workers is pinned to: `per_worker` of this process's own, in turn; none when 0."""
    if per_worker == 0:
        return [[] for _ in range(workers)]
    cores = sorted(os.sched_getaffinity(0))
    return [[cores[(n * per_worker + k) % len(cores)] for k in range(per_worker)] for n in range(workers)]


def _checks(engine: Any, server: RunningServer, args: argparse.Namespace) -> dict[str, Any]:
    """Requests per feed path, and rows stored once."""
    requests: dict[str, int] = server.stats()["requests"]  # type: ignore[assignment]
    with engine.connect() as connection:

        def one(sql: str) -> int:
            return int(connection.execute(text(sql)).scalar_one())

        rows = {
            "items": one("SELECT count(*) FROM item"),
            "distinct_urls": one("SELECT count(DISTINCT canonical_url) FROM item"),
            "sources": one("SELECT count(*) FROM item_source"),
            "findings": one("SELECT count(*) FROM finding"),
            "distinct_findings": one(
                "SELECT count(*) FROM (SELECT DISTINCT item_id, claim_id FROM finding) f"
            ),
            "unanalysed": one("SELECT count(*) FROM item WHERE analysed_at IS NULL"),
            "claimed": one("SELECT count(*) FROM feed WHERE claimed_by IS NOT NULL"),
        }
    expected_items = args.feeds * args.items
    twice = sum(1 for count in requests.values() if count > 1)
    missing = args.feeds - len(requests)
    ok = (
        twice == 0
        and missing == 0
        and rows["items"] == rows["distinct_urls"] == rows["sources"] == expected_items
        and rows["findings"] == rows["distinct_findings"]
        and rows["unanalysed"] == 0
        and rows["claimed"] == 0
    )
    return {"fetched_twice": twice, "never_fetched": missing, "rows": rows, "checks_ok": ok}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=20, help="items per feed")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--processes", type=int, default=None, help="each worker's fetch.processes (default: one per core)"
    )
    parser.add_argument(
        "--cores-per-worker",
        type=int,
        default=None,
        help="cores each worker is pinned to (default: the cores shared out among the most workers; 0: not pinned)",
    )
    parser.add_argument(
        "--no-pin-cores", action="store_true", help="each worker's fetch.pin_cores = false (default: true)"
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("NEWSWATCH_TEST_POSTGRES_URL") or DEFAULT_URL
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    parser.add_argument("--cpus", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cores_per_worker is None:
        most = max(int(n) for n in args.workers.split(","))
        args.cores_per_worker = max(1, len(os.sched_getaffinity(0)) // most)
    args.database_url = args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    if args.worker:
        worker(
            args.database_url,
            args.base,
            args.feeds,
            args.concurrency,
            datetime.fromisoformat(args.now),
            args.processes,
            [int(cpu) for cpu in args.cpus.split(",") if cpu],
            pin_cores=not args.no_pin_cores,
        )
        return
    server = RunningServer(args.feeds, items=args.items)
    try:
        runs = [one_run(int(n), args, server) for n in args.workers.split(",")]
    finally:
        server.close()
    pool = "one per usable core but one" if args.processes is None else str(args.processes)
    cores = len(os.sched_getaffinity(0))
    pinned = (
        f"each worker pinned to {args.cores_per_worker} of {cores} cores"
        if args.cores_per_worker
        else f"workers not pinned (each on all {cores} cores)"
    )
    print(
        f"{args.feeds:,} feeds x {args.items} items on PostgreSQL; concurrency {args.concurrency} per worker; "
        f"{pinned}; pool processes per worker: {pool}{'' if args.no_pin_cores else ', kept to cores of their own'}"
    )
    print(f"{'workers':>7} {'wall s':>8} {'items':>7} {'items/s':>9} {'feeds per worker':>24}  checks")
    for run in runs:
        split = "/".join(str(r["feeds"]) for r in run["per_worker"])
        verdict = "ok" if run["checks_ok"] else f"FAILED {run['rows']} twice={run['fetched_twice']}"
        print(
            f"{run['workers']:>7} {run['wall']:8.2f} {run['items']:7d} {run['items'] / run['wall']:9,.0f} {split:>24}  {verdict}"
        )
    base = runs[0]
    for run in runs[1:]:
        ratio = (run["items"] / run["wall"]) / (base["items"] / base["wall"])
        target = "met" if ratio >= 1.6 else "NOT met"
        print(
            f"throughput {run['workers']} workers / {base['workers']}: {ratio:.2f} (target >= 1.6 for 2) {target}"
        )
    dupes = sum(run["fetched_twice"] for run in runs)
    rows_ok = all(run["checks_ok"] for run in runs)
    last = runs[-1]
    ratio = (last["items"] / last["wall"]) / (base["items"] / base["wall"])
    print(
        f"summary: {args.feeds} feeds; {last['workers']} workers / {base['workers']}: {ratio:.2f}; "
        f"feeds fetched twice: {dupes}; rows stored once: {'yes' if rows_ok else 'NO'}; "
        f"cores per worker: {args.cores_per_worker or 'all, not pinned'}"
    )


if __name__ == "__main__":
    main()
