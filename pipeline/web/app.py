"""The review web page: a Starlette app over the store, the baseline and the report renderer.

An entry point like `cli`: it is handed the loaded config, opens the store and reads the
baseline once in `create_app`, and closes the store when the server shuts down (lifespan).
Pages live in `views.py`: the report with review buttons (`/`), one claim's whole history
(`/claims/{id}`), the two review actions (POST) and `/healthz`.

There is no login, so the page is meant for 127.0.0.1 (the CLI's default) and defends itself
against other sites the browser visits: every POST needs this process's random CSRF token and
an Origin (or Referer) of the app's own origin, and the Host header must be an allowed name,
which stops DNS rebinding. Feed text is escaped by Jinja autoescape; links are http(s) only.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.baseline import load_baseline
from pipeline.config import Config
from pipeline.db.engine import create_db_engine, ensure_schema
from pipeline.db.store import Store
from pipeline.errors import NewswatchError
from pipeline.report.render import TEMPLATES_DIR as REPORT_TEMPLATES_DIR
from pipeline.web.views import Pages, Site

__all__ = ["LOOPBACK_HOSTS", "create_app"]

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
# Host names a browser uses for a server on this machine; anything else is refused unless allowed.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    config: Config,
    *,
    now: Callable[[], datetime] = _utc_now,
    allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
) -> Starlette:
    """The review app on `config`'s database and baseline; `allowed_hosts` ("*": any) guards Host."""
    baseline = load_baseline(config.baseline.file)
    engine = create_db_engine(config.database.url)
    try:
        ensure_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    store = Store(engine)
    site = Site(
        store=store,
        baseline=baseline,
        templates=_templates(),
        csrf_token=secrets.token_urlsafe(32),
        now=now,
    )
    pages = Pages(site)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            store.close()

    routes = [
        Route("/", pages.report, methods=["GET"]),
        Route("/claims/{claim_id}", pages.claim, methods=["GET"]),
        Route("/findings/{finding_id:int}/{action}", pages.review, methods=["POST"]),
        Route("/healthz", pages.healthz, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: pages.http_error, NewswatchError: pages.unavailable},
    )
    app.add_middleware(_Guard, allowed_hosts=tuple(allowed_hosts))
    return app


def _templates() -> jinja2.Environment:
    """Our pages and the report's templates (its finding macro, its CSS) in one autoescaping environment."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([TEMPLATES_DIR, REPORT_TEMPLATES_DIR]),
        # Every template here is HTML; `select_autoescape` would miss the `.html.j2` names.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# No script runs on these pages, even if escaping ever failed; no other site may frame them
# (clickjacking the review buttons) or be the target of their forms.
_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class _Guard:
    """Refuse a Host header that is not an allowed name (DNS rebinding); add the security headers."""

    def __init__(self, app: ASGIApp, allowed_hosts: tuple[str, ...]) -> None:
        self._app = app
        self._any = "*" in allowed_hosts
        self._allowed = {host.lower().strip("[]") for host in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        # urlsplit understands "[::1]:8080" as well as "localhost:8080".
        name = (urlsplit(f"//{host}").hostname or "") if host else ""
        if self._any or name in self._allowed:
            await self._app(scope, receive, send_with_headers)
            return
        logger.warning("request refused: host not allowed", extra={"host": host[:100]})
        response = PlainTextResponse(
            f"host {host!r} is not served here; open http://127.0.0.1 (see `newswatch web --help`)",
            status_code=400,
        )
        await response(scope, receive, send_with_headers)
