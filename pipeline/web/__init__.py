"""The review web page (Starlette): the report with accept/dismiss buttons and a page per claim."""

from pipeline.web.app import create_app

__all__ = ["create_app"]
