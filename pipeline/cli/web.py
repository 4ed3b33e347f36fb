"""`web`: the review web page on 127.0.0.1."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from pipeline.cli._shared import app, config_of, stderr, user_errors


@app.command()
def web(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; the page has no login, keep it on loopback.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8080,
) -> None:
    """Serve the report with accept/dismiss buttons and a page per claim (Ctrl-C stops)."""
    # Imported here so that every other command starts without loading Starlette and uvicorn.
    import uvicorn

    from pipeline.web.app import LOOPBACK_HOSTS, create_app

    with user_errors():
        config = config_of(ctx)
        loopback = _is_loopback(host)
        if not loopback:
            stderr.print(
                f"[bold red]WARNING:[/bold red] listening on {host}, not on loopback: the review page has "
                "no login, so anyone who can reach this port can read the findings and accept or dismiss "
                "them. Use --host 127.0.0.1 (an SSH tunnel for remote use) unless this network is yours.",
                highlight=False,
                soft_wrap=True,
            )
        # On loopback the Host header must name this machine (DNS rebinding); elsewhere any name may.
        application = create_app(config, allowed_hosts=LOOPBACK_HOSTS if loopback else ("*",))
        shown = f"[{host}]" if ":" in host else host
        stderr.print(f"review page on http://{shown}:{port}/ (Ctrl-C stops)", highlight=False)
        uvicorn.run(application, host=host, port=port, log_level="warning", server_header=False)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything
