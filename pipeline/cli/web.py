"""`web`: the review web page on 127.0.0.1."""

from __future__ import annotations
