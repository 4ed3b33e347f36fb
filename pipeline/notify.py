"""Sending a report through apprise (email, Slack, Matrix, ntfy…): the notification edge.

Each URL in `[notify] urls` is one service, tried `retries` more times with a doubling delay when it
fails. A failure is an outcome, never an exception: the caller keeps the report and tries again
later. Secrets never leave this module: logs and outcomes name a service by its position in
`notify.urls` and its URL scheme, and apprise's own failure messages are scrubbed of every part of
the URL before they are kept as a reason.

The body is Markdown (apprise converts it for HTML or plain-text services), cut at a line
boundary to what the service accepts, with the report file attached where the service can take one.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import apprise

from pipeline.config import NotifyConfig, url_scheme

logger = logging.getLogger(__name__)

_MIN_SECRET_PART = 4  # URL parts shorter than this ("80", "a") are not worth masking
_QUIET_LOGGERS = (apprise.LOGGER_NAME, "urllib3", "requests")


@dataclass(frozen=True, slots=True)
class Message:
    """What is sent: a title, a Markdown body and, optionally, a file to attach."""

    title: str
    body: str
    attachment: Path | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """How sending to one service went; `index` is its position in `notify.urls`."""

    index: int
    scheme: str
    ok: bool
    attempts: int
    reason: str | None = None  # why it failed, free of secrets


@dataclass(frozen=True, slots=True)
class NotifyOutcome:
    """How sending to every service went."""

    deliveries: tuple[Delivery, ...]

    @property
    def ok(self) -> bool:
        """True when every service took the message."""
        return all(d.ok for d in self.deliveries)

    @property
    def failed(self) -> tuple[int, ...]:
        """Positions in `notify.urls` of the services that did not take it."""
        return tuple(d.index for d in self.deliveries if not d.ok)


def send_report(
    message: Message,
    settings: NotifyConfig,
    *,
    only: Collection[int] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> NotifyOutcome:
    """Send `message` to every configured service (or those at positions `only`); never raises for delivery."""
    deliveries = []
    for index, secret in enumerate(settings.urls):
        if only is None or index in only:
            deliveries.append(_deliver(index, secret.get_secret_value(), message, settings, sleep))
    return NotifyOutcome(tuple(deliveries))


def url_problems(settings: NotifyConfig) -> list[str]:
    """One line per URL apprise cannot use (unknown scheme, bad form, missing plugin package); no secrets."""
    problems = []
    for index, secret in enumerate(settings.urls):
        if _instantiate(secret.get_secret_value()) is None:
            scheme = url_scheme(secret.get_secret_value())
            problems.append(
                f"notify.urls[{index}]: apprise cannot use this {scheme}:// URL "
                "(unknown service, malformed, or its plugin needs a package; see https://github.com/caronc/apprise/wiki)"
            )
    return problems


def _deliver(
    index: int, url: str, message: Message, settings: NotifyConfig, sleep: Callable[[float], None]
) -> Delivery:
    scheme = url_scheme(url)
    context = {"service": index, "scheme": scheme}
    service = _instantiate(url)
    if service is None:
        logger.error("notification URL not understood by apprise", extra=context)
        return Delivery(index, scheme, ok=False, attempts=0, reason=f"not a valid {scheme}:// apprise URL")
    attach = message.attachment if message.attachment and service.attachment_support else None
    body = fit_body(message.body, _body_limit(service, message.title), attached=attach is not None)
    reason = "not sent"
    for attempt in range(1, settings.retries + 2):
        if attempt > 1:
            sleep(settings.retry_delay_seconds * 2 ** (attempt - 2))
        sent, reason = _attempt(service, url, message.title, body, attach)
        if sent:
            logger.info("notification sent", extra={**context, "attempts": attempt})
            return Delivery(index, scheme, ok=True, attempts=attempt)
        logger.warning("notification failed", extra={**context, "attempt": attempt, "reason": reason})
    return Delivery(index, scheme, ok=False, attempts=settings.retries + 1, reason=reason)


def _instantiate(url: str) -> apprise.NotifyBase | None:
    """apprise's service for `url`, or None; apprise's complaint (which quotes the URL) is swallowed."""
    with _apprise_quiet(), warnings.catch_warnings():
        # apprise loads its plugins on first use; its email plugin imports the stdlib's deprecated
        # imghdr (for pgpy). Harmless, and not ours to fix: keep it out of our warnings.
        warnings.filterwarnings("ignore", "'imghdr' is deprecated", DeprecationWarning)
        return apprise.Apprise.instantiate(url)


def _attempt(
    service: apprise.NotifyBase, url: str, title: str, body: str, attach: Path | None
) -> tuple[bool, str]:
    """One try: (sent, the reason it was not, scrubbed of the URL's parts)."""
    with _apprise_quiet() as warnings:
        try:
            sent = service.notify(
                body=body,
                title=title,
                body_format=apprise.NotifyFormat.MARKDOWN,
                attach=apprise.AppriseAttachment(str(attach)) if attach else None,
            )
        except Exception as exc:  # a plugin's bug must not stop the report job
            sent = False
            warnings.append(type(exc).__name__)
    if sent:
        return True, ""
    return False, scrub(warnings[-1] if warnings else "the service did not accept the message", url)


@contextmanager
def _apprise_quiet() -> Iterator[list[str]]:
    """Keep the log records of apprise and its HTTP library to ourselves while apprise runs.

    They can carry a whole URL, token included ("Could not load Slack URL: slack://…", a webhook
    path at DEBUG). Yields apprise's warnings, which say why a service refused: the caller scrubs
    them before keeping or logging one.
    """
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(logging.WARNING)
    sources = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    propagate = [source.propagate for source in sources]
    sources[0].addHandler(handler)
    for source in sources:
        source.propagate = False
    try:
        yield messages
    finally:
        sources[0].removeHandler(handler)
        for source, before in zip(sources, propagate, strict=True):
            source.propagate = before


def scrub(text: str, url: str) -> str:
    """`text` with every part of `url` (user, password, host, path, query values) masked."""
    body = url.split("://", 1)[-1]
    parts = sorted(
        {p for p in re.split(r"[/:@?&=#,]+", body) if len(p) >= _MIN_SECRET_PART}, key=len, reverse=True
    )
    for part in parts:
        # Whole tokens only, so a path segment like "notify" leaves "notification" alone.
        text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "***", text)
    return text


def _body_limit(service: apprise.NotifyBase, title: str) -> int:
    """Characters the service takes in a body; services without a title field prepend it to the body."""
    limit = int(service.body_maxlen)
    if int(service.title_maxlen) <= 0:
        limit -= len(title) + 2
    return max(limit, 0)


def fit_body(body: str, limit: int, *, attached: bool) -> str:
    """`body` cut at a line boundary to at most `limit` characters, ending with a note that says so."""
    if len(body) <= limit:
        return body
    where = "the full report is attached" if attached else "the full report is in the reports directory"
    note = f"… (cut short: {where})"
    room = limit - len(note) - 2
    if room <= 0:
        return note[: max(limit, 0)]
    cut = body.rfind("\n", 0, room + 1)
    if cut < room // 2:  # no line break near the end: cut mid-line rather than lose half the room
        cut = room
    return f"{body[:cut].rstrip()}\n\n{note}"
