"""`report`: the change report for a window, as JSON, Markdown or HTML."""

from __future__ import annotations
