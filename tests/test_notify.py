"""Notifications through apprise to a JSON endpoint on 127.0.0.1: delivery, retries, secrets kept out."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from pipeline.config import NotifyConfig
from pipeline.notify import Message, fit_body, scrub, send_report, url_problems

PASSWORD = "hunter2-s3cret"


def settings(*urls: str, retries: int = 2, delay: float = 1.5) -> NotifyConfig:
    return NotifyConfig(urls=[SecretStr(u) for u in urls], retries=retries, retry_delay_seconds=delay)


def json_url(server: HTTPServer, path: str = "/hook") -> str:
    return f"json://newswatch:{PASSWORD}@127.0.0.1:{server.port}{path}"


def test_report_arrives_with_title_body_and_attachment(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    report = tmp_path / "2023-02-02.html"
    report.write_text("<html><body>report</body></html>", encoding="utf-8")
    message = Message(
        "newswatch: Bakhmut — 2023-02-02: 1 finding (1 updates)", "# Change report\n\nbody", report
    )
    sleeps: list[float] = []

    outcome = send_report(message, settings(json_url(httpserver)), sleep=sleeps.append)

    assert outcome.ok
    assert [(d.index, d.scheme, d.attempts) for d in outcome.deliveries] == [(0, "json", 1)]
    assert sleeps == []
    (request, _), *rest = httpserver.log
    assert rest == []
    payload = json.loads(request.data)
    assert payload["title"] == message.title
    assert payload["message"] == message.body
    (attached,) = payload["attachments"]
    assert attached["filename"] == "2023-02-02.html"
    assert base64.b64decode(attached["base64"]) == report.read_bytes()
    assert request.authorization is not None
    assert request.authorization.password == PASSWORD


def test_failing_service_is_retried_with_backoff_and_never_leaks_the_password(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request("/hook").respond_with_data("broken", status=500)
    sleeps: list[float] = []

    outcome = send_report(Message("t", "b"), settings(json_url(httpserver), retries=2), sleep=sleeps.append)

    assert not outcome.ok
    assert outcome.failed == (0,)
    (delivery,) = outcome.deliveries
    assert delivery.attempts == 3
    assert len(httpserver.log) == 3
    assert sleeps == [1.5, 3.0]
    assert delivery.reason is not None
    assert "500" in delivery.reason
    assert "notification failed" in caplog.text
    assert PASSWORD not in caplog.text + delivery.reason


def test_only_the_services_asked_for_are_sent_to(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("ok")
    httpserver.expect_request("/b").respond_with_data("ok")
    urls = settings(json_url(httpserver, "/a"), json_url(httpserver, "/b"))
    outcome = send_report(Message("t", "b"), urls, only=[1], sleep=lambda _: None)
    assert [d.index for d in outcome.deliveries] == [1]
    assert [request.path for request, _ in httpserver.log] == ["/b"]


def test_unusable_url_fails_without_a_try_and_without_quoting_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    config = settings(f"slack://{PASSWORD}", "ntfy://newswatch-topic", f"nosuch://u:{PASSWORD}@h")
    problems = url_problems(config)
    assert [p.split(":")[0] for p in problems] == ["notify.urls[0]", "notify.urls[2]"]
    assert "slack://" in problems[0]
    outcome = send_report(Message("t", "b"), config, only=[0], sleep=lambda _: None)
    (delivery,) = outcome.deliveries
    assert (delivery.ok, delivery.attempts, delivery.scheme) == (False, 0, "slack")
    assert PASSWORD not in caplog.text + "".join(problems) + str(delivery.reason)


def test_scrub_masks_every_part_of_the_url() -> None:
    url = "mailtos://analyst:hunter2@mail.example.org:587/?to=desk@example.org"
    text = "Failed to send to analyst:hunter2@mail.example.org for you; notification error"
    assert scrub(text, url) == "Failed to send to ***:***@*** for you; notification error"


def test_fit_body_cuts_at_a_line_and_says_so() -> None:
    body = "\n".join(f"line {n:03} of the report" for n in range(200))
    assert fit_body(body, len(body), attached=True) == body
    cut = fit_body(body, 500, attached=True)
    assert len(cut) <= 500
    assert cut.endswith("… (cut short: the full report is attached)")
    kept = cut.split("\n\n…")[0]
    assert body.startswith(kept)
    assert kept.endswith("of the report"), "cut at a line boundary"
    assert fit_body(body, 500, attached=False).endswith("the full report is in the reports directory)")
    one_line = "x" * 1000
    assert len(fit_body(one_line, 300, attached=True)) <= 300
    assert fit_body(one_line, 300, attached=True).startswith("x" * 200)
