"""The command line (Typer): the only package that prints.

Commands are thin: parse options, load config, call one function, render. Data goes to
stdout; progress, warnings and messages to stderr. Exit codes: 0 done (a cycle where some
feeds failed still completed), 1 operational failure, 2 usage or configuration error.
One module per group of commands; importing them registers their commands on `app`.
"""

from __future__ import annotations

from pipeline.cli import analysis, baseline, doctor, feeds, report, review, run, web
from pipeline.cli._shared import app

__all__ = ["app", "main"]
_COMMAND_MODULES = (analysis, baseline, doctor, feeds, report, review, run, web)


def main() -> None:
    """Console-script entry point."""
    app()
