"""The stand-in's own request parsing, over raw sockets: header names in any case, Connection,
HTTP/1.0, and requests it must refuse (bad request lines, header lines, too many headers)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from marketlake.mirror import MirrorServer, run_mirror
from tests.mirror.server_support import MemoryContent, archive_pair

ZIP_KEY = "data/spot/daily/klines/BTCUSDT/1d/BTCUSDT-1d-2024-01-01.zip"


@pytest.fixture(scope="module")
def content() -> MemoryContent:
    return MemoryContent(archive_pair(ZIP_KEY, "1,2,3,4\n" * 100))


@pytest.fixture(scope="module")
def mirror(content: MemoryContent) -> Iterator[MirrorServer]:
    with run_mirror(content) as server:
        yield server


def exchange(mirror: MirrorServer, request: bytes) -> tuple[bytes, bool]:
    """Send ``request`` raw; the whole answer, and whether the server then closed."""
    with socket.create_connection((mirror.host, mirror.port), timeout=5) as sock:
        sock.sendall(request)
        answer = _read_answer(sock, with_body=not request.startswith(b"HEAD "))
        sock.settimeout(0.5)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
    return answer, closed


def _read_answer(sock: socket.socket, *, with_body: bool) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += _receive(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    ]
    while with_body and len(body) < lengths[0]:
        body += _receive(sock)
    return head + b"\r\n\r\n" + body


def _receive(sock: socket.socket) -> bytes:
    chunk = sock.recv(65536)
    if not chunk:
        raise AssertionError("the server closed the connection before the answer's end")
    return chunk


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_header_names_in_any_case(mirror: MirrorServer, content: MemoryContent) -> None:
    answer, closed = exchange(
        mirror, f"GET /{ZIP_KEY} HTTP/1.1\r\nhOsT: x\r\nrAnGe:  bytes=0-9 \r\n\r\n".encode()
    )
    assert status_of(answer) == 206
    assert answer.endswith(content.files[ZIP_KEY][:10])
    assert b"Content-Range: bytes 0-9/" in answer
    assert not closed  # HTTP/1.1 keeps the connection


def test_connection_close_is_honoured(mirror: MirrorServer, content: MemoryContent) -> None:
    answer, closed = exchange(
        mirror, f"GET /{ZIP_KEY} HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n".encode()
    )
    assert status_of(answer) == 200
    assert answer.endswith(content.files[ZIP_KEY])
    assert closed


def test_http_1_0_closes_unless_kept_alive(mirror: MirrorServer) -> None:
    answer, closed = exchange(mirror, f"HEAD /{ZIP_KEY} HTTP/1.0\r\n\r\n".encode())
    assert status_of(answer) == 200
    assert closed
    kept = f"HEAD /{ZIP_KEY} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
    answer, closed = exchange(mirror, kept.encode())
    assert status_of(answer) == 200
    assert not closed


@pytest.mark.parametrize(
    "request_line",
    [b"GET /x", b"GET /x HTTP/2.0", b"GET /x HTTP/1.1 extra", b"BREW /x HTCPCP/1.0"],
)
def test_bad_request_lines_are_400(mirror: MirrorServer, request_line: bytes) -> None:
    answer, closed = exchange(mirror, request_line + b"\r\nHost: x\r\n\r\n")
    assert status_of(answer) == 400
    assert closed


@pytest.mark.parametrize("line", [b"no colon here", b": empty name", b" folded: value"])
def test_bad_header_lines_are_400(mirror: MirrorServer, line: bytes) -> None:
    answer, closed = exchange(mirror, f"GET /{ZIP_KEY} HTTP/1.1\r\n".encode() + line + b"\r\n\r\n")
    assert status_of(answer) == 400
    assert closed


def test_too_many_or_too_long_headers_are_431(mirror: MirrorServer) -> None:
    many = b"".join(b"X-%d: 1\r\n" % n for n in range(101))
    answer, _ = exchange(mirror, f"GET /{ZIP_KEY} HTTP/1.1\r\n".encode() + many + b"\r\n")
    assert status_of(answer) == 431
    long = b"X-Long: " + b"a" * 70000 + b"\r\n"
    answer, _ = exchange(mirror, f"GET /{ZIP_KEY} HTTP/1.1\r\n".encode() + long + b"\r\n")
    assert status_of(answer) == 431


def test_double_slash_paths_are_reduced(mirror: MirrorServer, content: MemoryContent) -> None:
    answer, _ = exchange(mirror, f"GET //{ZIP_KEY} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert status_of(answer) == 200
    assert answer.endswith(content.files[ZIP_KEY])
