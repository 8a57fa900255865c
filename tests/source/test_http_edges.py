"""HTTP answers the stand-in does not give: other 4xx, dated Retry-After, chunked and gzip bodies.

Served by a small real HTTP server in the test (stdlib), over 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from marketlake.errors import HttpStatusError, NotFoundError, SourceError
from marketlake.source import ArchiveClient, SourceStats
from tests.source.conftest import fast_config

BODY = b"0123456789" * 1000


class EdgeHandler(BaseHTTPRequestHandler):
    """Answers by path; counts requests per path and remembers the User-Agent."""

    protocol_version = "HTTP/1.1"
    hits: ClassVar[Counter[str]] = Counter()
    user_agents: ClassVar[set[str]] = set()
    retry_at: ClassVar[float] = 0.0
    retried_at: ClassVar[float] = 0.0

    def do_GET(self) -> None:
        EdgeHandler.hits[self.path] += 1
        EdgeHandler.user_agents.add(self.headers.get("User-Agent", ""))
        first = EdgeHandler.hits[self.path] == 1
        if self.path == "/forbidden":
            self._send(403, b"no")
        elif self.path == "/gone":
            self._send(410, b"")
        elif self.path == "/dated-429" and first:
            EdgeHandler.retry_at = int(time.time()) + 1
            self._send(429, b"", {"Retry-After": formatdate(EdgeHandler.retry_at, usegmt=True)})
        elif self.path == "/dated-429":
            EdgeHandler.retried_at = time.time()
            self._send(200, BODY)
        elif self.path == "/bare-429" and first:
            self._send(429, b"")
        elif self.path == "/chunked":
            self._send_chunked()
        elif self.path == "/gzip":
            self._send(200, gzip.compress(BODY), {"Content-Encoding": "gzip"})
        else:
            self._send(200, BODY)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_chunked(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(BODY), 3000):
            part = BODY[start : start + 3000]
            self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def edge_url() -> Iterator[str]:
    EdgeHandler.hits.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), EdgeHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def get(base: str, path: str) -> tuple[bytes, SourceStats]:
    async def run() -> tuple[bytes, SourceStats]:
        async with ArchiveClient(fast_config(base)) as client:
            return await client.get(base + path), client.stats

    return asyncio.run(run())


def test_other_4xx_is_a_terminal_status_error_without_retry(edge_url: str) -> None:
    with pytest.raises(HttpStatusError) as info:
        get(edge_url, "/forbidden")
    assert info.value.status == 403
    assert not info.value.transient
    assert EdgeHandler.hits["/forbidden"] == 1


def test_410_is_not_found(edge_url: str) -> None:
    with pytest.raises(NotFoundError):
        get(edge_url, "/gone")
    assert EdgeHandler.hits["/gone"] == 1


def test_retry_after_given_as_an_http_date_is_honoured(edge_url: str) -> None:
    data, stats = get(edge_url, "/dated-429")
    assert EdgeHandler.retried_at >= EdgeHandler.retry_at > 0
    assert data == BODY
    assert (stats.rate_limited, stats.retries, stats.requests) == (1, 1, 2)


def test_429_without_retry_after_backs_off_and_retries(edge_url: str) -> None:
    data, stats = get(edge_url, "/bare-429")
    assert data == BODY
    assert (stats.rate_limited, stats.retries) == (1, 1)


def test_a_chunked_body_without_content_length_is_read_whole(edge_url: str) -> None:
    assert get(edge_url, "/chunked")[0] == BODY


def test_a_gzip_encoded_body_is_decoded_even_though_identity_was_asked(edge_url: str) -> None:
    assert get(edge_url, "/gzip")[0] == BODY


def test_requests_carry_the_configured_user_agent(edge_url: str) -> None:
    EdgeHandler.user_agents.clear()
    get(edge_url, "/plain")
    assert len(EdgeHandler.user_agents) == 1
    assert EdgeHandler.user_agents.pop().startswith("marketlake/")


def test_a_closed_client_says_how_to_open_it() -> None:
    async def run() -> None:
        await ArchiveClient(fast_config("http://127.0.0.1:9")).get("http://127.0.0.1:9/x")

    with pytest.raises(SourceError, match="async with"):
        asyncio.run(run())


def test_an_unreachable_host_is_transient_and_gives_up(edge_url: str) -> None:
    async def run() -> None:
        config = fast_config("http://127.0.0.1:9", max_retries=2, timeout_seconds=1.0)
        async with ArchiveClient(config) as client:
            await client.fetch("data/x.zip")

    with pytest.raises(SourceError) as info:
        asyncio.run(run())
    assert info.value.transient
    assert "after 3 attempts" in info.value.message
