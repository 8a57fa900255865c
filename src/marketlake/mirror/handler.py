"""The stand-in's HTTP protocol: routes, object and listing responses, ranges, faults.

Routes (GET and HEAD; keys and query values percent-encoded, UTF-8)::

    /?prefix=...                          ListObjects (v1, or v2 with list-type=2), root form
    /data.binance.vision?prefix=...       the same, bucket-named path form
    /data/...zip[.CHECKSUM]               an object
    /data.binance.vision/data/...         the same object, bucket-named path form
    /_stats                               JSON counters: requests and injected faults
    /api/v3/exchangeInfo, /fapi/v1/..., /dapi/v1/..., /eapi/v1/exchangeInfo
                                          exchange info (see :mod:`.exchange_info`)

Objects answer with ``Content-Length``, quoted ``ETag``, RFC 7231 ``Last-Modified``,
``Content-Type`` and ``Accept-Ranges: bytes``; ``Range: bytes=a-b | a- | -n`` gives 206 with
``Content-Range`` or 416. Absent keys get S3's ``NoSuchKey`` XML. Connections are HTTP/1.1
keep-alive; bodies go out from a memoryview in 1 MiB chunks.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import json
import logging
import socket
import socketserver
import struct
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from marketlake.errors import MirrorError
from marketlake.mirror.content import ArchiveContent, ObjectInfo
from marketlake.mirror.exchange_info import REST_PATHS, StandInExchangeInfo
from marketlake.mirror.faults import Fault, FaultInjector, FaultKind, bad_checksum, corrupt_zip
from marketlake.mirror.listing import BUCKET, ListRequest, list_page, render_listing
from marketlake.mirror.responses import UNSATISFIABLE, error_body, object_headers, parse_range

logger = logging.getLogger(__name__)

STATS_PATH = "/_stats"
_LISTING_PATHS = frozenset({"/", f"/{BUCKET}", f"/{BUCKET}/"})
_BUCKET_PREFIX = f"/{BUCKET}/"
_CHUNK = 1 << 20
_MAX_HEADER_LINE = 65536
_MAX_HEADERS = 100
_HTTP_1 = frozenset(("HTTP/1.1", "HTTP/1.0"))
_IDLE_TIMEOUT_SECONDS = 60.0
_DRAIN_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class ServeContext:
    """What every request handler of one server shares."""

    content: ArchiveContent
    faults: FaultInjector
    exchange_info: StandInExchangeInfo | None = None


class MirrorHttpServer(ThreadingHTTPServer):
    """A threading HTTP/1.1 server that tracks its open connections to close them on stop."""

    daemon_threads = True
    request_queue_size = 128  # many clients connect at once; the stdlib default of 5 drops them

    def __init__(self, address: tuple[str, int], context: ServeContext) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.context = context
        self._requests = 0
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, MirrorRequestHandler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup ``HTTPServer`` does."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    @property
    def request_count(self) -> int:
        """How many requests were answered or are being answered."""
        with self._open_lock:
            return self._requests

    def count_request(self) -> None:
        """Add one to the request counter."""
        with self._open_lock:
            self._requests += 1

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection, then serve it in a daemon thread."""
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection and close it."""
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a failed connection instead of printing a traceback to stderr."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            logger.debug("connection from %s ended: %s", client_address, error)
        else:
            logger.warning("error serving %s", client_address, exc_info=True)

    def close_connections(self) -> None:
        """Shut down every open connection (idle keep-alive ones included)."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class MirrorRequestHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests as the archive's S3 bucket would."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = _IDLE_TIMEOUT_SECONDS
    server: MirrorHttpServer
    raw_requestline: bytes  # set by the stdlib's handle_one_request (typeshed leaves it out)
    _headers_buffer: list[bytes]  # the stdlib's buffered head

    def do_GET(self) -> None:
        """Serve a listing, an object or the stats."""
        self._dispatch(with_body=True)

    def do_HEAD(self) -> None:
        """Serve the headers of a listing or an object."""
        self._dispatch(with_body=False)

    def version_string(self) -> str:
        """The ``Server`` header."""
        return "AmazonS3"

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header (formatted once per second, not once per request)."""
        return _http_date(int(time.time() if timestamp is None else timestamp))

    def parse_request(self) -> bool:
        """Read the request line and headers (a lean stand-in for the stdlib's).

        The stdlib runs the headers through the email package's feed parser, which cost the
        stand-in more CPU per request than everything else it does for a small object, on the
        two cores the client under test shares. This reads ``name: value`` lines into an
        :class:`~http.client.HTTPMessage` directly; the request line is checked as before.
        """
        self.command = ""
        self.request_version = self.default_request_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if len(words) != 3 or words[2] not in _HTTP_1:
            self.request_version = "HTTP/1.0"  # answer with a status line, then close
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request syntax ({self.requestline!r})")
            return False
        self.command, path, self.request_version = words
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path
        self.close_connection = self.request_version == "HTTP/1.0"
        headers = self._read_headers()
        if headers is None:
            return False
        self.headers = headers
        connection = headers.get("Connection", "").lower()
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive":
            self.close_connection = False
        return True

    def _read_headers(self) -> HTTPMessage | None:
        headers = HTTPMessage()
        for _ in range(_MAX_HEADERS + 1):
            line = self.rfile.readline(_MAX_HEADER_LINE + 1)
            if len(line) > _MAX_HEADER_LINE:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return None
            if line in (b"\r\n", b"\n", b""):
                return headers
            name, colon, value = str(line, "iso-8859-1").partition(":")
            if not colon or not name.strip() or name[0] in " \t":
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad header line ({line[:80]!r})")
                return None
            headers[name.strip()] = value.strip()
        self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
        return None

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One DEBUG line per request."""
        path = getattr(self, "path", None)  # unset when the request line was refused
        logger.debug("%s %s -> %s", self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        """Route the stdlib's own messages (timeouts, bad request lines) to DEBUG."""
        logger.debug(format, *args)

    def _dispatch(self, *, with_body: bool) -> None:
        self.server.count_request()
        url = urlsplit(self.path)
        path = unquote(url.path)
        try:
            if path in _LISTING_PATHS:
                self._listing(url.query, with_body=with_body)
            elif path == STATS_PATH:
                self._stats(with_body=with_body)
            elif path in REST_PATHS:
                self._rest(path, url.query, with_body=with_body)
            else:
                key = path[len(_BUCKET_PREFIX) :] if path.startswith(_BUCKET_PREFIX) else path[1:]
                self._object(key, with_body=with_body)
        except (BrokenPipeError, ConnectionResetError) as exc:
            logger.debug("client went away during %s %s: %s", self.command, self.path, exc)
            self.close_connection = True
        except MirrorError as exc:
            logger.warning("cannot serve %s: %s", self.path, exc.message)
            self._send_error(500, path, with_body=with_body)

    def _listing(self, query: str, *, with_body: bool) -> None:
        try:
            request = ListRequest.from_query(query)
        except MirrorError as exc:
            self._send_error(400, f"/{BUCKET}", with_body=with_body, message=exc.message)
            return
        fault = self.server.context.faults.draw(request.prefix, listing=True) if with_body else None
        if self._answered_by_status_fault(fault, f"/{BUCKET}"):
            return
        body = render_listing(request, list_page(self.server.context.content, request))
        headers = {"Content-Type": "application/xml"}
        self._send(200, headers, memoryview(body), with_body=with_body, fault=fault)

    def _rest(self, path: str, query: str, *, with_body: bool) -> None:
        """Exchange info (faults as for listings: HTTP-level ones, when ``listing=1``)."""
        source = self.server.context.exchange_info
        if source is None:
            body = json.dumps({"code": -1, "msg": "no exchange info: not a generated stand-in"})
            self._send(404, {"Content-Type": "application/json"}, memoryview(body.encode()),
                       with_body=with_body)  # fmt: skip
            return
        fault = self.server.context.faults.draw(path, listing=True) if with_body else None
        if self._answered_by_status_fault(fault, path):
            return
        answer = source.answer(path, query)
        headers = {"Content-Type": "application/json;charset=UTF-8", **answer.headers}
        self._send(answer.status, headers, memoryview(answer.body), with_body=with_body)

    def _stats(self, *, with_body: bool) -> None:
        stats = self.server.context.faults.stats()
        document = {
            "requests": self.server.request_count,
            "eligible_requests": stats.eligible_requests,
            "faults": dict(stats.injected),
        }
        body = json.dumps(document, sort_keys=True).encode()
        self._send(200, {"Content-Type": "application/json"}, memoryview(body), with_body=with_body)

    def _object(self, key: str, *, with_body: bool) -> None:
        content = self.server.context.content
        info = content.stat(key) if key and not key.endswith("/") else None
        if info is None:
            self._send_error(404, key, with_body=with_body)
            return
        fault = self.server.context.faults.draw(key) if with_body else None
        if self._answered_by_status_fault(fault, key):
            return
        data = content.read(key) if with_body else None
        if with_body and data is None:
            self._send_error(404, key, with_body=with_body)
            return
        body = memoryview(_with_body_fault(key, data, fault)) if data is not None else None
        self._send_object(info, body, with_body=with_body, fault=fault)

    def _send_object(
        self, info: ObjectInfo, body: memoryview | None, *, with_body: bool, fault: Fault | None
    ) -> None:
        size = len(body) if body is not None else info.size
        headers = object_headers(info)
        byte_range = parse_range(self.headers.get("Range"), size)
        if byte_range is UNSATISFIABLE:
            headers = {"Content-Range": f"bytes */{size}", "Content-Type": "application/xml"}
            error = memoryview(error_body(416, info.key))
            self._send(416, headers, error, with_body=with_body)
            return
        status = 200
        if byte_range is not None:
            status = 206
            headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
            if body is not None:
                body = body[byte_range.start : byte_range.end + 1]
            size = byte_range.length
        self._send(status, headers, body, length=size, with_body=with_body, fault=fault)

    def _answered_by_status_fault(self, fault: Fault | None, resource: str) -> bool:
        """Sleep for a slow fault; answer a 5xx/429/418 fault. True when answered."""
        if fault is None:
            return False
        if fault.kind is FaultKind.SLOW:
            time.sleep(fault.delay_seconds)
            return False
        if fault.status == 0:
            return False
        extra = {}
        if fault.kind is FaultKind.RATE_LIMITED:
            extra["Retry-After"] = f"{fault.retry_after_seconds:g}"
        self._send_error(fault.status, resource, with_body=True, extra=extra)
        return True

    def _send_error(
        self,
        status: int,
        resource: str,
        *,
        with_body: bool,
        message: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        headers = {"Content-Type": "application/xml", **(extra or {})}
        body = memoryview(error_body(status, resource, message))
        self._send(status, headers, body, with_body=with_body)

    def _send(
        self,
        status: int,
        headers: dict[str, str],
        body: memoryview | None,
        *,
        with_body: bool,
        length: int | None = None,
        fault: Fault | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length if length is not None else len(body or b"")))
        self._headers_buffer.append(b"\r\n")
        if not with_body or body is None:
            self.flush_headers()
            return
        if fault is not None and fault.kind in (FaultKind.RESET, FaultKind.TRUNCATE):
            self.flush_headers()
            self._write(body[: int(len(body) * fault.keep_fraction)])
            self._break_connection(reset=fault.kind is FaultKind.RESET)
            return
        self._write(body)

    def _write(self, body: memoryview) -> None:
        """Send the buffered head with the body's first chunk (a small answer in one write:
        one segment and one wake-up of the client, not two), then the rest of the body."""
        head = b"".join(self._headers_buffer)
        self._headers_buffer = []
        self.wfile.write(head + body[:_CHUNK])
        for offset in range(_CHUNK, len(body), _CHUNK):
            self.wfile.write(body[offset : offset + _CHUNK])

    def _break_connection(self, *, reset: bool) -> None:
        """End the connection mid-body: a TCP reset, or a clean close (truncation)."""
        self.close_connection = True
        if not reset:
            return
        _wait_until_sent(self.connection)
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()


def _with_body_fault(key: str, data: bytes, fault: Fault | None) -> bytes:
    if fault is None:
        return data
    if fault.kind is FaultKind.BAD_CHECKSUM:
        return bad_checksum(key, data)
    if fault.kind is FaultKind.CORRUPT_ZIP:
        return corrupt_zip(data, fault.sequence)
    return data


def _wait_until_sent(sock: socket.socket) -> None:
    """Wait (briefly) until the kernel has sent what we wrote, so a reset cuts after it."""
    try:
        import fcntl
        import termios
    except ImportError:  # not POSIX: reset at once
        return
    deadline = time.monotonic() + _DRAIN_TIMEOUT_SECONDS
    buffer = bytearray(4)
    while time.monotonic() < deadline:
        try:
            fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buffer)
        except OSError:
            return
        if int.from_bytes(buffer, "little") == 0:
            return
        time.sleep(0.001)


@functools.lru_cache(maxsize=4)
def _http_date(seconds: int) -> str:
    return email.utils.formatdate(seconds, usegmt=True)
