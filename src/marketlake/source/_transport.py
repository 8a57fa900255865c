"""A small HTTP/1.1 client for GET requests, on asyncio streams: keep-alive, timeouts, TLS.

It speaks what the archive and its mirrors need and nothing more: GET with a few fixed
headers; connections kept alive and reused once a body was read to its end; bodies framed
by Content-Length, by chunked transfer coding, or by the connection's end; redirects
followed (at most ten); TLS with the system's CA certificates for https; the proxies the
standard environment variables name (:mod:`marketlake.source._proxy`). A general client
(aiohttp) cost about 2.5 times the CPU per request and 0.12 s of imports at every start,
which the many small files of an ingest and every no-op rerun pay.

A pooled connection the server closed while it was idle is noticed when the request gets
no answer at all, and the request is sent once more on a new connection (not a retry:
nothing was answered). Every other failure is raised, as one of::

    TransportError
    ├── InvalidURLError     a URL that is not http(s)://host/...             (terminal)
    ├── RedirectError       too many redirects, or one without a Location   (terminal)
    ├── ProxyError          the proxy refused the tunnel (its status says if terminal)
    ├── ProtocolError       an answer that is not HTTP/1.x                  (transient)
    └── PayloadError        a body that ends early or is badly chunked      (transient)

besides ``TimeoutError`` (connect or read took longer than the timeout) and ``OSError``
(the connection failed). The source layer translates them into marketlake errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload
from urllib.parse import urljoin, urlsplit

from marketlake.source._proxy import Proxy, ProxyRoutes

if TYPE_CHECKING:
    import ssl

STREAM_LIMIT = 1 << 20
"""Bytes a connection buffers before it stops reading from the socket."""

_MAX_HEAD = 64 * 1024
_MAX_REDIRECTS = 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NO_BODY = frozenset({204, 304})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")
_AUTHORITY_END = re.compile(r"[/?#]")


class TransportError(Exception):
    """A request that failed at the HTTP level (see the module docstring for the kinds)."""


class InvalidURLError(TransportError):
    """The URL cannot be requested."""


class RedirectError(TransportError):
    """Redirects that do not end, or lead nowhere."""


class ProxyError(TransportError):
    """The proxy did not open a tunnel to the target (``status``: its answer's)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class ProtocolError(TransportError):
    """The server's answer is not HTTP/1.x."""


class PayloadError(TransportError):
    """The body ended before its declared end, or its chunked coding is broken."""


@dataclass(frozen=True)
class _Origin:
    scheme: str
    host: str
    port: int
    host_header: str


def _split(url: str) -> tuple[_Origin, str]:
    """The origin of ``url`` and the request target (path and query, sent as given).

    The origin (``scheme://authority``) is parsed once per distinct origin: an ingest asks
    for thousands of URLs of one host, and ``urlsplit`` of each cost more than sending it.
    """
    scheme_end = url.find("://")
    if scheme_end < 0:
        raise InvalidURLError(f"not an http(s) URL: {url!r}")
    end_mark = _AUTHORITY_END.search(url, scheme_end + 3)
    authority_end = len(url) if end_mark is None else end_mark.start()
    origin = _origin_of(url[:authority_end])
    rest = url[authority_end:].partition("#")[0]
    if _UNSENDABLE.search(rest):
        raise InvalidURLError(f"a space or control character in {url!r}")
    path, question, query = rest.partition("?")
    return origin, (path or "/") + (f"?{query}" if question and query else "")


@functools.lru_cache(maxsize=64)
def _origin_of(origin: str) -> _Origin:
    parts = urlsplit(origin)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise InvalidURLError(f"not an http(s) URL: {origin!r}")
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise InvalidURLError(f"bad port in {origin!r}") from exc
    host_header = parts.netloc.rpartition("@")[2]
    return _Origin(parts.scheme, parts.hostname, port, host_header)


class _Connection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        target_prefix: str = "",
        extra_headers: str = "",
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()
        self.target_prefix = target_prefix  # "http://host" when an http proxy is asked
        self.extra_headers = extra_headers  # that proxy's Proxy-Authorization, if any

    def usable(self, keepalive: float) -> bool:
        fresh = time.monotonic() - self.idle_since < keepalive
        return fresh and not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()


_Release = Callable[[_Connection, bool], None]
"""Takes a response's connection back: pooled when the flag says it can be reused."""


class Headers:
    """Response headers, looked up case-insensitively (repeated names joined by ``, ``)."""

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = dict(items)

    @overload
    def get(self, name: str) -> str | None: ...

    @overload
    def get(self, name: str, default: str) -> str: ...

    def get(self, name: str, default: str | None = None) -> str | None:
        """The header ``name``, or ``default``."""
        return self._items.get(name.lower(), default)


class Response:
    """A response whose body is read with :meth:`read` or :meth:`iter_chunked`."""

    def __init__(
        self, connection: _Connection, head: bytes, *, timeout: float, on_release: _Release
    ) -> None:
        status, headers, keep = _parse_head(head)
        self.status = status
        self.headers = headers
        self.bytes_read = 0
        self._connection = connection
        self._timeout = timeout
        self._on_release = on_release
        self._chunked = "chunked" in (headers.get("transfer-encoding") or "").lower()
        self.content_length = None if self._chunked else _content_length(headers)
        self._remaining = 0 if status in _NO_BODY else self.content_length
        self._done = self._remaining == 0
        self._keep = keep and (self._chunked or self._remaining is not None)

    async def read(self) -> bytes:
        """The whole (rest of the) body."""
        return b"".join([chunk async for chunk in self.iter_chunked(STREAM_LIMIT)])

    async def iter_chunked(self, size: int) -> AsyncIterator[bytes]:
        """The body in pieces of at most ``size`` bytes, as they arrive."""
        while not self._done:
            async with asyncio.timeout(self._timeout):
                chunk = await (self._next_chunked(size) if self._chunked else self._next(size))
            if chunk:
                self.bytes_read += len(chunk)
                yield chunk

    async def _next(self, size: int) -> bytes:
        want = size if self._remaining is None else min(size, self._remaining)
        chunk = await self._connection.reader.read(want)
        if self._remaining is None:  # the body ends with the connection
            self._done = not chunk
            return chunk
        if not chunk:
            raise PayloadError(f"body ended with {self._remaining} of its bytes still to come")
        self._remaining -= len(chunk)
        self._done = self._remaining == 0
        return chunk

    async def _next_chunked(self, size: int) -> bytes:
        reader = self._connection.reader
        try:
            if not self._remaining:
                self._remaining = _chunk_size(await reader.readuntil(b"\r\n"))
                if self._remaining == 0:
                    await _skip_trailers(reader)
                    self._done = True
                    return b""
            chunk = await reader.readexactly(min(size, self._remaining))
            self._remaining -= len(chunk)
            if self._remaining == 0 and await reader.readexactly(2) != b"\r\n":
                raise PayloadError("a chunk of the body does not end with CRLF")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            raise PayloadError(f"chunked body broken off ({exc})") from exc
        return chunk

    def release(self) -> None:
        """Pool the connection when its body was read to the end and it may stay open."""
        self._on_release(self._connection, self._done and self._keep)


class HttpClient:
    """GETs over pooled keep-alive connections; use :meth:`get` as ``async with``."""

    def __init__(
        self,
        *,
        timeout: float,
        headers: Mapping[str, str],
        keepalive_seconds: float = 30.0,
        proxies: ProxyRoutes | None = None,
    ) -> None:
        self._timeout = timeout
        self._headers = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._keepalive = keepalive_seconds
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None
        self._proxies = proxies if proxies is not None else ProxyRoutes({})

    async def close(self) -> None:
        """Close every pooled connection."""
        idle = [connection for connections in self._idle.values() for connection in connections]
        self._idle.clear()
        for connection in idle:
            connection.close()
        for connection in idle:
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(self._timeout):
                    await connection.writer.wait_closed()

    @asynccontextmanager
    async def get(self, url: str) -> AsyncIterator[Response]:
        """The response to ``GET url`` (after redirects); its connection is pooled after."""
        for _ in range(_MAX_REDIRECTS + 1):
            response = await self._send(*_split(url))
            location = response.headers.get("location")
            if response.status not in _REDIRECTS or location is None:
                try:
                    yield response
                finally:
                    response.release()
                return
            response.release()  # its (small) body unread: the connection closes
            url = urljoin(url, location)
        raise RedirectError(f"more than {_MAX_REDIRECTS} redirects, last to {url}")

    async def _send(self, origin: _Origin, target: str) -> Response:
        connection = self._pooled(origin)
        if connection is not None:
            try:
                return await self._exchange(connection, origin, target)
            except _NoAnswerError:  # the server closed it while idle: nothing was answered
                pass
        connection = await self._open(origin)
        try:
            return await self._exchange(connection, origin, target)
        except _NoAnswerError as exc:
            raise ConnectionResetError(f"no answer from {origin.host_header}: {exc}") from exc

    def _pooled(self, origin: _Origin) -> _Connection | None:
        idle = self._idle.get(origin, [])
        while idle:
            connection = idle.pop()
            if connection.usable(self._keepalive):
                return connection
            connection.close()
        return None

    async def _open(self, origin: _Origin) -> _Connection:
        proxy = self._proxies.for_target(origin.scheme, origin.host, origin.port)
        if proxy is not None:
            return await self._open_through(proxy, origin)
        tls = self._tls_context() if origin.scheme == "https" else None
        async with asyncio.timeout(self._timeout):
            reader, writer = await asyncio.open_connection(
                origin.host,
                origin.port,
                ssl=tls,
                server_hostname=origin.host if tls else None,
                limit=STREAM_LIMIT,
            )
        return _Connection(reader, writer)

    async def _open_through(self, proxy: Proxy, origin: _Origin) -> _Connection:
        """A connection to ``origin`` through ``proxy``: a CONNECT tunnel for https (TLS to
        the origin inside it), else a connection to the proxy asking for absolute URLs."""
        authorization = (
            f"Proxy-Authorization: {proxy.authorization}\r\n" if proxy.authorization else ""
        )
        async with asyncio.timeout(self._timeout):
            reader, writer = await asyncio.open_connection(
                proxy.host, proxy.port, limit=STREAM_LIMIT
            )
        if origin.scheme != "https":
            prefix = f"http://{origin.host_header}"
            return _Connection(reader, writer, target_prefix=prefix, extra_headers=authorization)
        connection = _Connection(reader, writer)
        try:
            async with asyncio.timeout(self._timeout):
                await _tunnel(connection, proxy, origin, authorization)
                await writer.start_tls(self._tls_context(), server_hostname=origin.host)
        except BaseException:
            connection.close()
            raise
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            import ssl  # only for https: importing it and loading certificates take time

            self._tls = ssl.create_default_context()
        return self._tls

    async def _exchange(self, connection: _Connection, origin: _Origin, target: str) -> Response:
        request = (
            f"GET {connection.target_prefix}{target} HTTP/1.1\r\nHost: {origin.host_header}\r\n"
            f"{connection.extra_headers}{self._headers}\r\n"
        )
        try:
            connection.writer.write(request.encode("latin-1"))
            async with asyncio.timeout(self._timeout):
                await connection.writer.drain()
                head = await _read_head(connection.reader)
            release = functools.partial(self._release, origin)
            return Response(connection, head, timeout=self._timeout, on_release=release)
        except ConnectionError as exc:
            connection.close()
            raise _NoAnswerError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            connection.close()
            raise

    def _release(self, origin: _Origin, connection: _Connection, reusable: bool) -> None:
        if not reusable:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        self._idle.setdefault(origin, []).append(connection)


class _NoAnswerError(Exception):
    """A connection that failed or closed before any byte of an answer arrived."""


async def _tunnel(connection: _Connection, proxy: Proxy, origin: _Origin, headers: str) -> None:
    """Ask ``proxy`` for a tunnel to ``origin``; raise ProxyError unless it answers 2xx."""
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    authority = f"{host}:{origin.port}"
    connection.writer.write(
        f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n{headers}\r\n".encode("latin-1")
    )
    await connection.writer.drain()
    try:
        head = await _read_head(connection.reader)
    except _NoAnswerError as exc:
        raise ConnectionResetError(f"the proxy {proxy} closed the connection: {exc}") from exc
    status, _, _ = _parse_head(head)
    if not 200 <= status < 300:
        raise ProxyError(
            f"the proxy {proxy} refused a tunnel to {authority}: HTTP {status}", status=status
        )


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    """The status line and headers of the next final (non-1xx) response."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise _NoAnswerError("the connection closed before an answer") from exc
            raise ProtocolError(f"the answer ends inside its head: {exc.partial[:80]!r}") from exc
        except asyncio.LimitOverrunError as exc:
            raise ProtocolError("the answer's head is too long") from exc
        if len(head) > _MAX_HEAD:
            raise ProtocolError("the answer's head is too long")
        if not head.startswith(b"HTTP/1.1 1") and not head.startswith(b"HTTP/1.0 1"):
            return head


def _parse_head(head: bytes) -> tuple[int, Headers, bool]:
    """``(status, headers, keep-alive)`` of an answer's head."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if version not in ("HTTP/1.1", "HTTP/1.0") or not code.isdigit():
        raise ProtocolError(f"not an HTTP/1.x answer: {lines[0][:80]!r}")
    items: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ProtocolError(f"a header line without a colon: {line[:80]!r}")
        key = name.strip().lower()
        items[key] = f"{items[key]}, {value.strip()}" if key in items else value.strip()
    headers = Headers(items)
    connection = (headers.get("connection") or "").lower()
    keep = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    return int(code), headers, keep


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        length = int(value.split(",")[0])
    except ValueError as exc:
        raise ProtocolError(f"a Content-Length that is not a number: {value!r}") from exc
    if length < 0:
        raise ProtocolError(f"a negative Content-Length: {value!r}")
    return length


def _chunk_size(line: bytes) -> int:
    text = line.split(b";", 1)[0].strip()
    try:
        size = int(text, 16)
    except ValueError:
        size = -1
    if size < 0 or text.startswith((b"-", b"+", b"0x", b"0X")):
        raise PayloadError(f"a chunk size that is not a hexadecimal number: {line[:40]!r}")
    return size


async def _skip_trailers(reader: asyncio.StreamReader) -> None:
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass
