"""The review pages: the report with review buttons, a claim's history, the review actions.

Each page is a method of `Pages`, which holds what `create_app` built once (`Site`). Reads run
in Starlette's thread pool (the store is synchronous); a decision is written at once and the
browser is sent back (303) to the page it came from, at the finding it acted on.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jinja2
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from pipeline.baseline import Baseline
from pipeline.daily import found_late
from pipeline.db.store import Store
from pipeline.records import ReviewState
from pipeline.report import build_report, claim_statuses, finding_views, report_window
from pipeline.report.render import render_html

logger = logging.getLogger(__name__)

PAGE_SIZE = 50  # findings per claim page: a claim with 1,000 findings still loads fast
MAX_NOTE = 2000  # characters
_ACTIONS = {"accept": ReviewState.ACCEPTED, "dismiss": ReviewState.DISMISSED}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Site:
    """What every page needs, built once per app by `create_app`."""

    store: Store
    baseline: Baseline
    templates: jinja2.Environment
    csrf_token: str
    now: Callable[[], datetime]


class Pages:
    """The app's endpoints over one `Site`."""

    def __init__(self, site: Site) -> None:
        self._site = site
        self._claims = {claim.id: claim for claim in site.baseline.claims}
        self._web_css = site.templates.get_template("_web.css").render()

    def report(self, request: Request) -> Response:
        """The report with review buttons; the window defaults to everything since the baseline."""
        site, now = self._site, self._site.now()
        since = _date_param(request, "since") or site.baseline.as_of
        until = _date_param(request, "until")
        try:
            window = report_window(since, until, now)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        findings = site.store.findings(window.since, until=window.until)
        items = site.store.count_items(window.since, window.until)
        late = found_late(site.store, window)
        report = build_report(site.baseline, findings, window=window, items=items, generated=now, late=late)
        nav = site.templates.get_template("_nav.html.j2").render(self._common())
        html = render_html(
            report,
            review_base_url="",
            csrf_token=site.csrf_token,
            page_head=Markup(f"<style>\n{self._web_css}</style>"),  # our own file, not feed text
            page_nav=Markup(nav),  # rendered by our autoescaping templates
        )
        return HTMLResponse(html)

    def claim(self, request: Request) -> Response:
        """One claim's whole history, newest first, dismissed findings marked, 50 per page."""
        site = self._site
        claim = self._claims.get(request.path_params["claim_id"])
        if claim is None:
            raise HTTPException(404, f"no claim {request.path_params['claim_id']!r} in this baseline")
        page = _page_param(request)
        rows = site.store.findings(claim_id=claim.id, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        if page > 1 and not rows:
            raise HTTPException(404, f"page {page} is past the last page of this claim's findings")
        latest = site.store.findings(
            claim_id=claim.id, review=[ReviewState.PENDING, ReviewState.ACCEPTED], limit=1
        )
        [status] = [s for s in claim_statuses(site.baseline, latest) if s.claim_id == claim.id]
        return self._page(
            "claim.html.j2",
            claim=claim,
            claim_status=status.status,
            latest=finding_views(latest)[0] if latest else None,
            # One entry per finding (copies not folded): each has its own decision to make.
            findings=[view for finding in rows[:PAGE_SIZE] for view in finding_views([finding])],
            page=page,
            first=(page - 1) * PAGE_SIZE + 1,
            has_next=len(rows) > PAGE_SIZE,
        )

    async def review(self, request: Request) -> Response:
        """Accept or dismiss a finding (form: `csrf`, optional `note`), then go back to it."""
        state = _ACTIONS.get(request.path_params["action"])
        if state is None:
            raise HTTPException(404, "no such action: use /findings/ID/accept or /findings/ID/dismiss")
        if not _same_origin_request(request):
            raise HTTPException(403, "this form was sent from another site; open the page again and retry")
        form = await request.form(max_files=0, max_fields=8)
        token = form.get("csrf")
        # Compared as bytes: compare_digest refuses non-ASCII text, which a forged form may send.
        expected = self._site.csrf_token.encode()
        if not isinstance(token, str) or not secrets.compare_digest(token.encode(), expected):
            # The token changes when the server restarts: an old tab needs a reload.
            raise HTTPException(403, "the form's security token is missing or stale; reload the page")
        note = form.get("note")
        note = note.strip() if isinstance(note, str) and note.strip() else None
        if note is not None and len(note) > MAX_NOTE:
            raise HTTPException(400, f"the note is too long ({len(note)} characters; at most {MAX_NOTE})")
        finding_id: int = request.path_params["finding_id"]
        found = await run_in_threadpool(
            self._site.store.set_review, finding_id, state, now=self._site.now(), note=note
        )
        if not found:
            raise HTTPException(404, f"no finding {finding_id}")
        logger.info("finding reviewed", extra={"finding": finding_id, "review": state.value})
        return RedirectResponse(f"{_back(request)}#finding-{finding_id}", status_code=303)

    def healthz(self, _request: Request) -> Response:
        """200 when the database answers."""
        self._site.store.findings(limit=1)
        return JSONResponse({"status": "ok"})

    async def http_error(self, request: Request, exc: Exception) -> Response:
        """An error page that says what went wrong (404, 400, 403, 405)."""
        assert isinstance(exc, HTTPException)
        response = self._page("error.html.j2", http_status=exc.status_code, message=exc.detail)
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return response

    async def unavailable(self, request: Request, exc: Exception) -> Response:
        """The database (or another user-facing dependency) failed: 503 with its message."""
        logger.error("page failed", extra={"path": request.url.path, "error": str(exc)})
        return self._page("error.html.j2", http_status=503, message=str(exc))

    def _page(self, template: str, *, http_status: int = 200, **context: Any) -> HTMLResponse:
        html = self._site.templates.get_template(template).render(self._common(), code=http_status, **context)
        return HTMLResponse(html, status_code=http_status)

    def _common(self) -> dict[str, Any]:
        """What every page and the navigation bar use."""
        today = self._site.now().date()
        return {
            "baseline": self._site.baseline.metadata,
            "csrf_token": self._site.csrf_token,
            "today": today.isoformat(),
            "week_ago": (today - timedelta(days=6)).isoformat(),  # seven days, today included
        }


def _date_param(request: Request, name: str) -> date | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{name}: not a date YYYY-MM-DD ({value[:40]!r})") from None


def _page_param(request: Request) -> int:
    value = request.query_params.get("page", "1")
    if not value.isdigit() or not 1 <= int(value) <= 1_000_000:
        raise HTTPException(400, f"page: not a page number 1, 2, … ({value[:40]!r})")
    return int(value)


def _origin(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return (parts.scheme.lower(), parts.netloc.lower()) if parts.scheme and parts.netloc else None


def _same_origin_request(request: Request) -> bool:
    """False when the browser says the POST came from another origin (Origin, else Referer)."""
    own = (request.url.scheme, request.url.netloc.lower())
    origin = request.headers.get("origin")
    if origin is not None:
        return _origin(origin) == own  # "null" (a sandboxed or privacy-stripped sender) is refused too
    referer = request.headers.get("referer")
    # Neither header: not a browser form (curl, a script); the CSRF token still has to match.
    return referer is None or _origin(referer) == own


def _back(request: Request) -> str:
    """Where to send the browser after a decision: the same-origin page it came from, else `/`."""
    referer = request.headers.get("referer")
    if referer is None or _origin(referer) != (request.url.scheme, request.url.netloc.lower()):
        return "/"
    parts = urlsplit(referer)
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))
