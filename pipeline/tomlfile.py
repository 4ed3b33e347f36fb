"""Reading validated TOML files (config, baseline) with errors that name the file and key (stdlib + pydantic).

Both user-edited files share one voice: one line per problem, `file: key.path: message (got value)`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipeline.errors import NewswatchError


def read_toml(path: Path, error: type[NewswatchError], what: str, hint: str) -> dict[str, Any]:
    """Parse a TOML file or raise `error` saying what is wrong with it; `hint` tells how to point elsewhere."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found ({hint})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {what}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def validation_lines(source: str, exc: ValidationError) -> list[str]:
    """One line per pydantic error: `source: key.path: message (got value)`."""
    lines = []
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")
        kind = err["type"]
        if kind == "extra_forbidden":
            message = "unknown key (check its spelling)"
        elif kind == "missing":
            message = "required key is missing"
        elif kind.startswith("date"):
            message = "not a date (write it as 2023-01-26)"
        elif kind == "literal_error":
            message = f"not one of the allowed values: {message.removeprefix('Input should be ')}"
        got = err.get("input")
        shown = "" if kind in {"missing", "extra_forbidden"} or isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"{source}: {key_path(err['loc']) or '(top level)'}: {message}{shown}")
    return lines


def key_path(loc: tuple[int | str, ...]) -> str:
    """`('feeds', 2, 'url')` → `feeds[2].url`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
