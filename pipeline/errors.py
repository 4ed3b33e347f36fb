"""The exception tree for errors meant for a user (stdlib only).

    NewswatchError              str(e) is the message shown to the user
    ├── ConfigError             invalid config file or option            (exit 2)
    ├── BaselineError           invalid baseline file                    (exit 2)
    ├── DatabaseError           database unreachable or not migrated     (exit 1)
    └── FetchError              one feed failed; carries a stable `code`

Anything else that escapes is a bug: the CLI logs its traceback and exits 1.
"""

from __future__ import annotations


class NewswatchError(Exception):
    """Base for errors meant for the user; str(e) is the message."""

    exit_code = 1


class ConfigError(NewswatchError):
    """The configuration file or an option is invalid."""

    exit_code = 2


class BaselineError(NewswatchError):
    """The baseline file is missing or invalid."""

    exit_code = 2


class DatabaseError(NewswatchError):
    """The database cannot be reached, created or migrated."""

    exit_code = 1


class FetchError(NewswatchError):
    """One feed could not be fetched; `code` is stable and shown by `feeds status`."""

    def __init__(self, url: str, code: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.code = code
        self.detail = message
