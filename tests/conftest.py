"""Shared test fixtures: a clean environment and the PostgreSQL URL (when CI provides one)."""

from __future__ import annotations

import os

import pytest

# Read once at import, before the autouse fixture below clears NEWSWATCH_* for each test.
POSTGRES_URL = os.environ.get("NEWSWATCH_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NEWSWATCH_* setting of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("NEWSWATCH_") and not name.startswith("NEWSWATCH_TEST_"):
            monkeypatch.delenv(name)
