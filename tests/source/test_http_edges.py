"""HTTP answers the stand-in does not give: other 4xx, dated Retry-After, chunked, gzip, broken.

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

from marketlake.errors import HttpStatusError, NotFoundError, SourceError, TransientSourceError
from marketlake.source import ArchiveClient, SourceStats
from tests.source.conftest import fast_config

BODY = b"0123456789" * 1000
BIG_BODY = bytes(range(256)) * (3 * 4096 + 7)  # ~3 MiB: read in chunks, not in one call


class EdgeHandler(BaseHTTPRequestHandler):
    """Answers by path; counts requests per path and remembers the User-Agent."""

    protocol_version = "HTTP/1.1"
    hits: ClassVar[Counter[str]] = Counter()
    user_agents: ClassVar[set[str]] = set()
    accept_encodings: ClassVar[set[str]] = set()
    client_ports: ClassVar[set[int]] = set()
    retry_at: ClassVar[float] = 0.0
    retried_at: ClassVar[float] = 0.0

    def do_GET(self) -> None:
        EdgeHandler.hits[self.path] += 1
        EdgeHandler.user_agents.add(self.headers.get("User-Agent", ""))
        EdgeHandler.accept_encodings.add(self.headers.get("Accept-Encoding", ""))
        EdgeHandler.client_ports.add(self.client_address[1])
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
            self._send_odd()

    def _send_odd(self) -> None:
        if self.path == "/big":
            self._send(200, BIG_BODY)
        elif self.path in ("/short-big", "/short-small"):
            body = BIG_BODY if self.path == "/short-big" else BODY
            self._send_short(body, len(body) // 3)
        elif self.path == "/bad-gzip":
            self._send(200, b"this is not gzip", {"Content-Encoding": "gzip"})
        elif self.path == "/brotli":
            self._send(200, b"\x0b\x02\x80hello\x03", {"Content-Encoding": "br"})
        elif self.path == "/not-http":
            self.wfile.write(b"THIS IS NOT HTTP\r\n\r\n")
            self.close_connection = True
        else:
            self._send(200, BODY)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_short(self, body: bytes, sent: int) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:sent])
        self.close_connection = True

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


def get(base: str, path: str, **settings: object) -> tuple[bytes, SourceStats]:
    async def run() -> tuple[bytes, SourceStats]:
        async with ArchiveClient(fast_config(base, **settings)) as client:
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


def test_a_body_larger_than_one_chunk_is_read_whole_and_counted(edge_url: str) -> None:
    data, stats = get(edge_url, "/big")
    assert data == BIG_BODY
    assert stats.bytes_received == len(BIG_BODY)


@pytest.mark.parametrize("path", ["/short-small", "/short-big"])
def test_a_body_shorter_than_its_content_length_is_retried_then_given_up(
    edge_url: str, path: str
) -> None:
    with pytest.raises(TransientSourceError, match="after 3 attempts") as info:
        get(edge_url, path, max_retries=2)
    assert EdgeHandler.hits[path] == 3
    assert "truncated" in info.value.message
    assert isinstance(info.value.__cause__, TransientSourceError)


def test_a_gzip_body_that_does_not_decode_is_transient(edge_url: str) -> None:
    with pytest.raises(TransientSourceError, match="cannot be decoded"):
        get(edge_url, "/bad-gzip", max_retries=1)
    assert EdgeHandler.hits["/bad-gzip"] == 2


def test_an_encoding_we_cannot_decode_is_terminal_without_retry(edge_url: str) -> None:
    with pytest.raises(SourceError, match="unsupported Content-Encoding 'br'") as info:
        get(edge_url, "/brotli")
    assert not info.value.transient
    assert EdgeHandler.hits["/brotli"] == 1


def test_an_answer_that_is_not_http_is_a_transient_source_error(edge_url: str) -> None:
    with pytest.raises(TransientSourceError, match="after 2 attempts") as info:
        get(edge_url, "/not-http", max_retries=1)
    assert "protocol error" in info.value.message
    assert EdgeHandler.hits["/not-http"] == 2


def test_requests_ask_for_identity_and_reuse_at_most_concurrency_connections(
    edge_url: str,
) -> None:
    EdgeHandler.client_ports.clear()
    EdgeHandler.accept_encodings.clear()

    async def run() -> list[bytes]:
        async with ArchiveClient(fast_config(edge_url, concurrency=3)) as client:
            return list(await asyncio.gather(*(client.get(f"{edge_url}/p{n}") for n in range(40))))

    assert asyncio.run(run()) == [BODY] * 40
    assert 1 <= len(EdgeHandler.client_ports) <= 3
    assert EdgeHandler.accept_encodings == {"identity"}
