"""`review list|accept|dismiss`: an analyst's decisions on findings."""

from __future__ import annotations
