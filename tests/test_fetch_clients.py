"""`fetch.Clients`: one client of one connection per fetch slot, shared by a cycle's fetches."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx
import pytest

from pipeline.config import FetchSettings
from pipeline.fetch import Clients, shared_tls_context


async def _serve_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A keep-alive HTTP/1.1 server that answers every request with a two-byte 200."""
    try:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def test_each_fetch_slot_has_a_client_of_one_connection() -> None:
    settings = FetchSettings(concurrency=12)

    async def go() -> list[httpx.AsyncClient]:
        async with Clients(settings) as clients:
            sizes = [client._transport._pool._max_connections for client in clients._clients]  # type: ignore[attr-defined]
            assert sizes == [1] * 12
            async with AsyncExitStack() as stack:  # every slot taken at once: each by its own client
                held = [await stack.enter_async_context(clients.lease("a.example")) for _ in range(12)]
                assert len({id(client) for client in held}) == 12
                with pytest.raises(RuntimeError, match="more fetches at once than the 12 fetch slots"):
                    await stack.enter_async_context(clients.lease("a.example"))
            assert not any(client.is_closed for client in held)
        return held

    assert all(client.is_closed for client in asyncio.run(go()))


def test_a_fetch_takes_a_free_client_that_last_fetched_from_its_host() -> None:
    async def go() -> tuple[bool, bool, bool]:
        async with Clients(FetchSettings(concurrency=3)) as clients:
            async with clients.lease("a.example") as a, clients.lease("b.example") as b:
                pass
            async with clients.lease("b.example") as again_b, clients.lease("a.example") as again_a:
                pass
            async with clients.lease("c.example") as c:  # a host none knows: the least recently used
                pass
            return again_b is b, again_a is a, c not in (a, b)

    assert asyncio.run(go()) == (True, True, True)


def test_no_fetch_is_passed_over_by_more_fetches_than_the_other_slots() -> None:
    # Several connections in one client: httpcore gave the first idle connection to each request
    # that arrived before the first of them started on it, and one request waited while 1,994 of
    # 2,000 went by (and a cycle stores in claim order: it waited with it).
    slots, fetches = 5, 2000

    async def go() -> int:
        server = await asyncio.start_server(_serve_ok, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        finished, worst = 0, 0
        free = asyncio.Semaphore(slots)  # the cycle's fetch slots

        async def one() -> None:
            nonlocal finished, worst
            async with free, clients.lease("127.0.0.1") as client:
                before = finished
                response = await client.get(url)
                assert response.content == b"ok"
                finished += 1
                worst = max(worst, finished - before - 1)

        async with server, Clients(FetchSettings(concurrency=slots)) as clients:
            await asyncio.gather(*(one() for _ in range(fetches)))
        return worst

    assert asyncio.run(go()) <= slots - 1


def test_the_clients_of_a_cycle_share_one_tls_context() -> None:
    # each context loads the CA bundle (~25 ms): four clients made a 304 pass of 30 feeds twice as long
    clients = Clients(FetchSettings(concurrency=20))
    contexts = {id(client._transport._pool._ssl_context) for client in clients._clients}  # type: ignore[attr-defined]
    assert len(clients._clients) == 20
    assert len(contexts) == 1


def test_every_cycle_of_a_process_reuses_that_tls_context() -> None:
    # a service's cycles (and both passes of the cycle benchmark) each loaded the CA bundle again
    first, second = Clients(FetchSettings(concurrency=20)), Clients(FetchSettings(concurrency=5))
    contexts = {
        id(client._transport._pool._ssl_context)  # type: ignore[attr-defined]
        for clients in (first, second)
        for client in clients._clients
    }
    assert contexts == {id(shared_tls_context())}
