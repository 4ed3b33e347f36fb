"""The daily report job of `serve`: build the day's report, write its files, then send it.

Window: the 24 hours up to today's `report_at` in the schedule's time zone (before `report_at`,
up to yesterday's). A late run, a rerun after a restart or a manual run covers the same window as
the on-time one, and consecutive reports neither overlap nor leave a gap; around a DST change the
window is 23 or 25 hours, from one `report_at` to the next. Files are named after the local date
the window ends on: `reports/YYYY-MM-DD.{html,md,json}`.

The files are written first (temp file + os.replace, so a reader never sees half a report) and only
then is the report sent, so a failed notification never loses it. A notification that fails is
logged and leaves `YYYY-MM-DD.notify-pending` beside the report (the message and which services
still need it, never a URL); the next daily run and the next service start resend it, and give up
after a week. With several workers on one database each writes its files, and only the first
to take the day (a `report_run` row) sends it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.baseline import Baseline
from pipeline.config import Config, ScheduleConfig, url_scheme
from pipeline.db.store import Store, StoredFinding
from pipeline.notify import Message, NotifyOutcome, send_report
from pipeline.records import Relation
from pipeline.report import Report, Window, build_report
from pipeline.report.render import render, render_markdown

logger = logging.getLogger(__name__)

PENDING_SUFFIX = ".notify-pending"
GIVE_UP_AFTER = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class DailyOutcome:
    """What one daily run did: the files written and how sending went."""

    day: date
    window: Window
    files: tuple[Path, ...]
    findings: int  # not dismissed
    notified: NotifyOutcome | None  # None: no [notify] urls
    resent: tuple[tuple[date, NotifyOutcome], ...] = ()  # earlier days' pending notifications
    sent_elsewhere: bool = False  # another worker (or an earlier run) took this day's sending


def daily_window(schedule: ScheduleConfig, now: datetime) -> tuple[date, Window]:
    """The report's day and window: from the previous `report_at` to the latest one not after `now`."""
    zone = ZoneInfo(schedule.timezone)
    local = now.astimezone(zone)
    end = datetime.combine(local.date(), schedule.report_time, tzinfo=zone)
    if end > local:
        end = datetime.combine(local.date() - timedelta(days=1), schedule.report_time, tzinfo=zone)
    start = datetime.combine(end.date() - timedelta(days=1), schedule.report_time, tzinfo=zone)
    return end.date(), Window(start.astimezone(UTC), end.astimezone(UTC))


def run_daily_report(
    config: Config,
    store: Store,
    baseline: Baseline,
    *,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
) -> DailyOutcome:
    """Write `reports/<day>.<ext>` for each configured format, then resend pending and send this one."""
    day, window = daily_window(config.schedule, now)
    findings = store.findings(window.since, until=window.until)
    items = store.count_items(window.since, window.until)
    report = build_report(
        baseline, findings, window=window, items=items, generated=now, late=found_late(store, window)
    )
    directory = config.report.directory
    files = tuple(
        write_atomic(directory / f"{day.isoformat()}.{fmt}", render(report, fmt))
        for fmt in config.report.formats
    )
    logger.info(
        "daily report written",
        extra={"day": day.isoformat(), "findings": len(report.findings), "directory": str(directory)},
    )
    outcome = DailyOutcome(day, window, files, len(report.findings), notified=None)
    if not config.notify.urls:
        return outcome
    resent = resend_pending(config, now=now, sleep=sleep, before=day)
    attach = config.notify.attach
    message = Message(
        title=report_title(report, day),
        body=render_markdown(report),
        attachment=None if attach == "none" else directory / f"{day.isoformat()}.{attach}",
    )
    if not store.claim_report_run(baseline.id, day, worker=_worker_name(), now=now):
        # Several `serve` workers on one database each write the files; one of them sends.
        logger.info("daily report already sent by another run", extra={"day": day.isoformat()})
        return DailyOutcome(day, window, files, len(report.findings), None, resent, sent_elsewhere=True)
    notified = send_report(message, config.notify, sleep=sleep)
    _settle(pending_path(directory, day), message, notified, attempts=1)
    return DailyOutcome(day, window, files, len(report.findings), notified, resent)


def found_late(store: Store, window: Window) -> list[StoredFinding]:
    """Findings first found in the window on items published before it (a story a feed carried late)."""
    changed = store.findings(until=window.since, found_since=window.since)
    return [f for f in changed if window.since <= f.created < window.until]


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def report_title(report: Report, day: date) -> str:
    """'newswatch: <baseline title> — <day>: 5 findings (2 updates, 1 contradicts, 2 confirms)'."""
    counts = dict(report.by_relation)
    total = len(report.findings)
    head = f"newswatch: {report.title} — {day.isoformat()}"
    if not total:
        return f"{head}: no findings"
    order = (Relation.UPDATES, Relation.CONTRADICTS, Relation.CONFIRMS)
    parts = ", ".join(f"{counts[r]} {r.value}" for r in order if counts.get(r))
    return f"{head}: {total} finding{'s' if total != 1 else ''} ({parts})"


def resend_pending(
    config: Config,
    *,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
    before: date | None = None,
) -> tuple[tuple[date, NotifyOutcome], ...]:
    """Resend the notifications left pending (oldest first; only days before `before` when given)."""
    done = []
    for path in sorted(config.report.directory.glob(f"*{PENDING_SUFFIX}")):
        pending = _read_pending(path)
        if pending is None or (before is not None and pending.day >= before):
            continue
        day = pending.day.isoformat()
        if now.date() - pending.day > GIVE_UP_AFTER:
            logger.error("pending notification given up", extra={"day": day, "attempts": pending.attempts})
            path.unlink(missing_ok=True)
            continue
        urls = [url.get_secret_value() for url in config.notify.urls]
        # Only a service still configured at the same place with the same scheme is retried.
        only = [i for i, scheme in pending.services if i < len(urls) and url_scheme(urls[i]) == scheme]
        if not only:
            logger.warning(
                "pending notification dropped: its services are gone from the config", extra={"day": day}
            )
            path.unlink(missing_ok=True)
            continue
        outcome = send_report(pending.message, config.notify, only=only, sleep=sleep)
        _settle(path, pending.message, outcome, attempts=pending.attempts + 1)
        done.append((pending.day, outcome))
    return tuple(done)


@dataclass(frozen=True, slots=True)
class _Pending:
    day: date
    message: Message
    services: tuple[tuple[int, str], ...]  # (position in notify.urls, scheme)
    attempts: int


def _read_pending(path: Path) -> _Pending | None:
    """A pending marker, or None (and the marker dropped) when it cannot be read."""
    try:
        day = date.fromisoformat(path.name.removesuffix(PENDING_SUFFIX))
        data = json.loads(path.read_text(encoding="utf-8"))
        attachment = _attachment(path.parent, data["attachment"])
        return _Pending(
            day=day,
            message=Message(str(data["title"]), str(data["body"]), attachment),
            services=tuple((int(s["index"]), str(s["scheme"])) for s in data["services"]),
            attempts=int(data["attempts"]),
        )
    except (ValueError, KeyError, TypeError, OSError) as exc:
        logger.error("pending notification unreadable; dropped", extra={"file": path.name, "error": str(exc)})
        path.unlink(missing_ok=True)
        return None


def pending_path(directory: Path, day: date) -> Path:
    """The marker of a notification still to send for `day`."""
    return directory / f"{day.isoformat()}{PENDING_SUFFIX}"


def _settle(path: Path, message: Message, outcome: NotifyOutcome, *, attempts: int) -> None:
    """Clear the marker when every service took the message; else (re)write it for the failed ones."""
    if outcome.ok:
        path.unlink(missing_ok=True)
        return
    failed = [d for d in outcome.deliveries if not d.ok]
    logger.error(
        "notification not delivered; will retry on the next run",
        extra={
            "day": path.name.removesuffix(PENDING_SUFFIX),
            "services": ", ".join(d.scheme for d in failed),
        },
    )
    pending: dict[str, Any] = {
        "title": message.title,
        "body": message.body,
        "attachment": message.attachment.name if message.attachment else None,
        "services": [{"index": d.index, "scheme": d.scheme, "reason": d.reason} for d in failed],
        "attempts": attempts,
    }
    write_atomic(path, json.dumps(pending, indent=2, ensure_ascii=False) + "\n")


def _attachment(directory: Path, name: object) -> Path | None:
    if not isinstance(name, str) or not name:
        return None
    path = directory / Path(name).name  # a name only: a marker never points outside the directory
    return path if path.exists() else None


def write_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` via a temporary file and os.replace: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path
