"""`python -m pipeline` and the `newswatch` script: the command line, imported when it runs.

Nothing is imported at load: every process of a cycle's pool runs its parent's main module
again (see `processes.pool_context`), and for the `newswatch` script that means this module.
Importing the CLI here cost each pool process 0.6-0.8 s before its first parse.
"""

from __future__ import annotations


def main() -> None:
    """Console-script entry point: run the command line."""
    from pipeline.cli import main as cli_main  # here, not at the top: see above

    cli_main()


if __name__ == "__main__":
    main()
