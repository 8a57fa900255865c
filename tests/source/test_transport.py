"""The HTTP/1.1 client under the source layer, against a raw socket server that says exactly
what each test needs: redirects, framing, keep-alive, idle closes, broken answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from marketlake.source._transport import (
    HttpClient,
    InvalidURLError,
    PayloadError,
    ProtocolError,
    RedirectError,
    _split,
)

Answer = Callable[[str, asyncio.StreamWriter], Awaitable[bool]]
"""Writes the answer to a request path; returns False to close the connection after it."""


@asynccontextmanager
async def serving(answer: Answer) -> AsyncIterator[tuple[str, list[int]]]:
    """A server on 127.0.0.1; yields its base URL and the number of requests per connection."""
    per_connection: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        per_connection.append(0)
        index = len(per_connection) - 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                per_connection[index] += 1
                path = head.split(b" ", 2)[1].decode()
                if not await answer(path, writer):
                    break
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", per_connection
    finally:
        server.close()
        await server.wait_closed()


def ok(body: bytes, *extra: str) -> bytes:
    head = "".join(f"{line}\r\n" for line in extra)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


async def fetch(client: HttpClient, url: str) -> tuple[int, bytes]:
    async with client.get(url) as response:
        return response.status, await response.read()


def client() -> HttpClient:
    return HttpClient(timeout=2.0, headers={"User-Agent": "test"})


def test_redirects_are_followed_relative_and_absolute() -> None:
    async def answer(path: str, writer: asyncio.StreamWriter) -> bool:
        if path == "/a":
            writer.write(b"HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n")
        elif path == "/b":
            writer.write(b"HTTP/1.1 301 Moved\r\nLocation: " + base.encode() + b"/c\r\n\r\n")
            return False
        else:
            writer.write(ok(b"landed"))
        return True

    async def run() -> tuple[int, bytes]:
        nonlocal base
        async with serving(answer) as (base, _):
            http = client()
            try:
                return await fetch(http, f"{base}/a")
            finally:
                await http.close()

    base = ""
    assert asyncio.run(run()) == (200, b"landed")


def test_endless_redirects_are_an_error() -> None:
    async def answer(path: str, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")
        return True

    async def run() -> None:
        async with serving(answer) as (base, _):
            await fetch(client(), f"{base}/x")

    with pytest.raises(RedirectError):
        asyncio.run(run())


def test_framings_chunked_with_extensions_and_until_close() -> None:
    async def answer(path: str, writer: asyncio.StreamWriter) -> bool:
        if path == "/chunked":
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: 1\r\n\r\n"
            )
            return True
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
        return False

    async def run() -> list[tuple[int, bytes]]:
        async with serving(answer) as (base, per_connection):
            http = client()
            results = [await fetch(http, f"{base}/chunked") for _ in range(2)]
            results.append(await fetch(http, f"{base}/close"))
            await http.close()
            assert per_connection == [3]  # chunked answers keep the connection; the last closes
            return results

    assert asyncio.run(run()) == [(200, b"hello world")] * 2 + [(200, b"until the end")]


def test_a_pooled_connection_closed_while_idle_is_replaced_without_an_error() -> None:
    async def answer(path: str, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok(path.encode()))
        return False  # answers as keep-alive, then closes: the pooled connection goes stale

    async def run() -> list[tuple[int, bytes]]:
        async with serving(answer) as (base, per_connection):
            http = client()
            first = await fetch(http, f"{base}/one")
            await asyncio.sleep(0.05)  # the server's close reaches us
            second = await fetch(http, f"{base}/two")
            await http.close()
            assert per_connection == [1, 1]
            return [first, second]

    assert asyncio.run(run()) == [(200, b"/one"), (200, b"/two")]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", PayloadError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", PayloadError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX", PayloadError),
        (b"SPDY/9 200 OK\r\n\r\n", ProtocolError),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", ProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n", ProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Le", ProtocolError),
    ],
    ids=["short", "bad-chunk-size", "bad-chunk-end", "not-http", "bad-header", "bad-length", "cut"],
)
def test_broken_answers_raise_transport_errors(raw: bytes, error: type[Exception]) -> None:
    async def answer(path: str, writer: asyncio.StreamWriter) -> bool:
        writer.write(raw)
        return False

    async def run() -> None:
        async with serving(answer) as (base, _):
            await fetch(client(), f"{base}/x")

    with pytest.raises(error):
        asyncio.run(run())


def test_a_server_that_never_answers_times_out() -> None:
    async def answer(path: str, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(1.0)
        return False

    async def run() -> None:
        async with serving(answer) as (base, _):
            http = HttpClient(timeout=0.1, headers={})
            await fetch(http, f"{base}/x")

    with pytest.raises(TimeoutError):
        asyncio.run(run())


@pytest.mark.parametrize(
    ("url", "origin", "target"),
    [
        ("http://127.0.0.1:8080/data/x.zip",
         ("http", "127.0.0.1", 8080, "127.0.0.1:8080"), "/data/x.zip"),
        ("https://data.binance.vision/?prefix=data/&marker=a%2Fb",
         ("https", "data.binance.vision", 443, "data.binance.vision"),
         "/?prefix=data/&marker=a%2Fb"),
        ("http://h", ("http", "h", 80, "h"), "/"),
        ("http://h?x=1", ("http", "h", 80, "h"), "/?x=1"),
        ("http://h/p#f?x", ("http", "h", 80, "h"), "/p"),
        ("http://h/?", ("http", "h", 80, "h"), "/"),
        ("http://user:pw@H.example.com:81/a/b?c=d#e",
         ("http", "h.example.com", 81, "H.example.com:81"), "/a/b?c=d"),
        ("https://[::1]:443/x", ("https", "::1", 443, "[::1]:443"), "/x"),
        ("HTTP://h:80", ("http", "h", 80, "h:80"), "/"),
    ],
)  # fmt: skip
def test_urls_split_into_origin_and_target(
    url: str, origin: tuple[str, str, int, str], target: str
) -> None:
    split_origin, split_target = _split(url)
    parts = (split_origin.scheme, split_origin.host, split_origin.port, split_origin.host_header)
    assert (parts, split_target) == (origin, target)


@pytest.mark.parametrize(
    "url",
    ["ftp://h/x", "h/x", "http:///x", "http://h:99999/x", "http://h:abc/", "http://h/a b",
     "http://h/a\r\nX-Injected: 1", "http://h/?q=\x00"],
)  # fmt: skip
def test_urls_that_cannot_be_requested_are_refused(url: str) -> None:
    with pytest.raises(InvalidURLError):
        _split(url)
