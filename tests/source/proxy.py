"""A forward HTTP proxy for the tests, on 127.0.0.1: absolute-form GETs and CONNECT tunnels.

Target hosts are looked up in ``hosts`` (name -> (address, port)), never in DNS, so a
request for a made-up name reaches its server only if it went through this proxy. With
``tls`` (a certificate pair) it ends the TLS of a CONNECT tunnel itself and relays the
plain HTTP inside to the target, so an https client can talk to an http stand-in. With
``credentials`` it answers 407 to requests without the matching Proxy-Authorization.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.serve.certs import CertificatePair

_HEAD_END = b"\r\n\r\n"


@dataclass
class ProxyLog:
    """What the proxy was asked: each request line, and each request's headers."""

    lines: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@dataclass
class RunningProxy:
    """A running proxy: its URL and what it saw."""

    url: str
    log: ProxyLog


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while _HEAD_END not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b"", b""
        data += chunk
    head, _, rest = data.partition(_HEAD_END)
    return head, rest


def _relay(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            target.sendall(chunk)
    for sock in (source, target):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    back = threading.Thread(target=_relay, args=(upstream, client), daemon=True)
    back.start()
    _relay(client, upstream)
    back.join(timeout=10)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        head, rest = _read_head(self.request)
        if not head:
            return
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        self.server.log.lines.append(lines[0])
        self.server.log.headers.append(headers)
        method, target, _ = lines[0].split(" ", 2)
        if not self.server.authorized(headers):
            self.request.sendall(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return
        if method == "CONNECT":
            self._tunnel(target)
        else:
            self._forward(method, target, lines, rest)

    def _tunnel(self, authority: str) -> None:
        name, _, port = authority.rpartition(":")
        upstream = socket.create_connection(self.server.hosts[(name, int(port))])
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        client: socket.socket = self.request
        if self.server.tls is not None:
            client = self.server.tls.wrap_socket(client, server_side=True)
        with upstream:
            _pipe(client, upstream)

    def _forward(self, method: str, url: str, lines: list[str], rest: bytes) -> None:
        authority, _, path = url.removeprefix("http://").partition("/")
        name, _, port = authority.rpartition(":")
        upstream = socket.create_connection(self.server.hosts[(name, int(port or 80))])
        kept = [line for line in lines[1:] if not line.lower().startswith(("proxy-", "connection"))]
        head = "\r\n".join([f"{method} /{path} HTTP/1.1", *kept, "Connection: close"])
        with upstream:
            upstream.sendall(head.encode("latin-1") + _HEAD_END + rest)
            _relay(upstream, self.request)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        hosts: dict[tuple[str, int], tuple[str, int]],
        tls: ssl.SSLContext | None,
        credentials: str | None,
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hosts = hosts
        self.tls = tls
        self.log = ProxyLog()
        self._expected = (
            None
            if credentials is None
            else "Basic " + base64.b64encode(credentials.encode()).decode()
        )

    def authorized(self, headers: dict[str, Any]) -> bool:
        return self._expected is None or headers.get("Proxy-Authorization") == self._expected


@contextlib.contextmanager
def running_proxy(
    hosts: dict[tuple[str, int], tuple[str, int]],
    *,
    tls: CertificatePair | None = None,
    credentials: str | None = None,
) -> Iterator[RunningProxy]:
    """A proxy on 127.0.0.1 sending ``(name, port)`` targets to the address given for them."""
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key)
    server = _Server(hosts, context, credentials)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningProxy(f"http://127.0.0.1:{server.server_address[1]}", server.log)
    finally:
        server.shutdown()
        server.server_close()
