"""Download archive files: one keep-alive HTTP client, bounded concurrency, retries.

HTTP outcomes map onto :mod:`marketlake.errors` (users never see transport or socket exceptions)::

    5xx, 408, reset, timeout, protocol error, short body  -> retried with backoff + jitter
    429                 -> wait Retry-After (every request of this client pauses), retried
    418                 -> BannedError at once; this client refuses all later requests
    404, 410            -> NotFoundError (no retry)
    other non-200       -> HttpStatusError (no retry)
    retries exhausted   -> TransientSourceError naming the attempts and the last cause

The transport is a small HTTP/1.1 client (:mod:`marketlake.source._transport`): keep-alive
connections (at most ``concurrency`` in use, as requests are), bodies read raw
(``Accept-Encoding: identity``, no auto-decompression). It resends a request once, uncounted,
when a pooled keep-alive connection turns out to have been closed by the server before any
answer arrived; every other failure is ours to retry.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Generic, Self, TypeVar
from urllib.parse import quote

from marketlake._closing import AsyncClosing
from marketlake.catalog import ArchiveKey
from marketlake.errors import (
    BannedError,
    ChecksumMismatchError,
    ConfigError,
    HttpStatusError,
    NotFoundError,
    RateLimitedError,
    SourceError,
    TransientSourceError,
)
from marketlake.source._body import Body, body_chunks, read_body
from marketlake.source._models import BodySink, SourceStats, StreamedFile, VerifiedFile
from marketlake.source._proxy import ProxyConfigError, ProxyRoutes
from marketlake.source._retry import backoff_delay, parse_retry_after
from marketlake.source._transport import (
    HttpClient,
    InvalidURLError,
    PayloadError,
    ProtocolError,
    ProxyError,
    RedirectError,
    Response,
    TransportError,
)
from marketlake.source._verify import check_sha256, published_sha256
from marketlake.source.config import SourceConfig

logger = logging.getLogger(__name__)

_TRANSIENT_STATUSES = frozenset({408})
_SMALL_ERROR_BODY = 64 * 1024
_KEEPALIVE_SECONDS = 30.0


def _open_transport(config: SourceConfig) -> HttpClient:
    """A keep-alive HTTP client asking for raw bodies, through the environment's proxies."""
    headers = {"User-Agent": config.user_agent, "Accept-Encoding": "identity", "Accept": "*/*"}
    try:
        proxies = ProxyRoutes.from_environment()
    except ProxyConfigError as exc:
        raise ConfigError(f"{exc} (from the https_proxy/http_proxy/all_proxy variables)") from exc
    return HttpClient(
        timeout=config.timeout_seconds,
        headers=headers,
        keepalive_seconds=_KEEPALIVE_SECONDS,
        proxies=proxies,
    )


T = TypeVar("T")
S = TypeVar("S", bound=BodySink)

BodyReader = Callable[[Response, str], Awaitable[T]]
"""Reads one 200 response's body (given the response and its URL) into a ``T``."""


@dataclass(frozen=True)
class _Response(Generic[T]):
    body: T
    etag: str
    last_modified: str | None  # the raw header: parsed only for verified zips


@dataclass(frozen=True)
class _Streamed(Generic[S]):
    sink: S
    sha256: str
    size: int


def _whole(*, digest: bool) -> BodyReader[Body]:
    return functools.partial(read_body, digest=digest)


def _into_sink(open_sink: Callable[[str], S], expected: str) -> BodyReader[_Streamed[S]]:
    """A body reader that streams each attempt into a fresh sink, hashing as it goes."""

    async def read(response: Response, url: str) -> _Streamed[S]:
        sink = open_sink(expected)
        hasher, size = hashlib.sha256(), 0
        try:
            async for chunk in body_chunks(response, url):
                hasher.update(chunk)
                size += len(chunk)
                sink.write(chunk)
        except BaseException:
            sink.close(verified=False)
            raise
        return _Streamed(sink, hasher.hexdigest(), size)

    return read


class ArchiveClient(AsyncClosing):
    """Async client for archive files (and listing pages): use as ``async with``."""

    def __init__(self, config: SourceConfig | None = None, *, seed: int | None = None) -> None:
        self.config = config or SourceConfig()
        self._rng = random.Random(seed)
        self._semaphore = asyncio.BoundedSemaphore(self.config.concurrency)
        self._http: HttpClient | None = None
        self._resume_at = 0.0
        self._banned: BannedError | None = None
        self._requests = self._retries = self._bytes = self._rate_limited = 0

    async def __aenter__(self) -> Self:
        self._http = _open_transport(self.config)
        return self

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def stats(self) -> SourceStats:
        """A snapshot of this client's counters."""
        return SourceStats(self._requests, self._retries, self._bytes, self._rate_limited)

    def url_of(self, key: str) -> str:
        """The download URL of an archive key (percent-encoded, ``/`` kept)."""
        return f"{self.config.download_url}/{quote(key, safe='/')}"

    async def fetch(self, key: str) -> bytes:
        """The bytes of the archive file at ``key``."""
        return (await self._download(self.url_of(key), _whole(digest=False))).body.data

    async def get(self, url: str) -> bytes:
        """The body of any URL (an encoded one), under this client's limits and retry policy."""
        return (await self._download(url, _whole(digest=False))).body.data

    async def fetch_verified(self, key: ArchiveKey) -> VerifiedFile:
        """The zip at ``key``, its sha256 checked against the published CHECKSUM file."""
        expected = await self._published_sha256(key)
        response = await self._download(self.url_of(key.zip_key), _whole(digest=True))
        body = response.body
        assert body.sha256 is not None
        check_sha256(key, expected=expected, actual=body.sha256)
        logger.debug("verified %s (%d bytes)", key.zip_key, len(body.data))
        return VerifiedFile(
            key=key,
            data=body.data,
            sha256=body.sha256,
            size=len(body.data),
            etag=response.etag,
            last_modified=_http_date(response.last_modified),
        )

    async def stream_verified(
        self, key: ArchiveKey, open_sink: Callable[[str], S]
    ) -> tuple[StreamedFile, S]:
        """Stream the zip at ``key`` into sinks as it arrives; the verified one and its sink.

        ``open_sink(expected_sha256)`` makes one sink per attempt, once the server answered
        200. Every sink is closed: ``verified=True`` only for the attempt whose complete body
        matched the CHECKSUM, after it did. A mismatch raises ChecksumMismatchError as
        :meth:`fetch_verified` does; nothing of a sink closed unverified may be kept.
        """
        expected = await self._published_sha256(key)
        url = self.url_of(key.zip_key)
        response = await self._download(url, _into_sink(open_sink, expected))
        streamed = response.body
        try:
            check_sha256(key, expected=expected, actual=streamed.sha256)
        except ChecksumMismatchError:
            streamed.sink.close(verified=False)
            raise
        streamed.sink.close(verified=True)
        logger.debug("verified %s (%d bytes, streamed)", key.zip_key, streamed.size)
        verified = StreamedFile(
            key=key,
            sha256=streamed.sha256,
            size=streamed.size,
            etag=response.etag,
            last_modified=_http_date(response.last_modified),
        )
        return verified, streamed.sink

    async def _published_sha256(self, key: ArchiveKey) -> str:
        try:
            content = await self.fetch(key.checksum_key)
        except NotFoundError:
            await self.fetch(key.zip_key)  # a missing zip too is a plain NotFoundError
            return published_sha256(key, None)
        return published_sha256(key, content)

    async def _download(self, url: str, read: BodyReader[T]) -> _Response[T]:
        attempts = self.config.max_attempts
        last: TransientSourceError | None = None
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                self._retries += 1
            try:
                return await self._attempt(url, attempt, read)
            except RateLimitedError as exc:
                last = exc
                self._pause_all(exc.retry_after)
            except TransientSourceError as exc:
                last = exc
                if attempt < attempts:
                    await asyncio.sleep(self._backoff(attempt))
            logger.info("attempt %d/%d of %s failed: %s", attempt, attempts, url, last.message)
        assert last is not None
        raise TransientSourceError(
            f"gave up on {url} after {attempts} attempts; last cause: {last.message}", url=url
        ) from last

    def _backoff(self, attempt: int) -> float:
        config = self.config
        return backoff_delay(
            attempt, base=config.backoff_base_seconds, cap=config.backoff_cap_seconds, rng=self._rng
        )

    def _pause_all(self, seconds: float) -> None:
        self._rate_limited += 1
        self._resume_at = max(self._resume_at, time.monotonic() + seconds)
        logger.warning("rate limited: pausing all requests for %.1f s", seconds)

    async def _wait_for_resume(self) -> None:
        while (delay := self._resume_at - time.monotonic()) > 0:
            await asyncio.sleep(delay)

    async def _attempt(self, url: str, attempt: int, read: BodyReader[T]) -> _Response[T]:
        async with self._semaphore:
            await self._wait_for_resume()
            if self._banned is not None:
                raise BannedError(self._banned.message, url=url)
            self._requests += 1
            try:
                return await self._request(url, attempt, read)
            except (TimeoutError, TransportError, OSError) as exc:
                raise _translate(exc, url) from exc

    async def _request(self, url: str, attempt: int, read: BodyReader[T]) -> _Response[T]:
        async with self._open_http().get(url) as response:
            try:
                if response.status != 200:
                    await _drain_small(response, url)
                    raise self._status_error(response, url, attempt)
                body = await read(response, url)
            finally:
                self._bytes += response.bytes_read
        headers = response.headers
        etag = (headers.get("ETag") or "").removeprefix("W/").strip('"')
        return _Response(body, etag, headers.get("Last-Modified"))

    def _open_http(self) -> HttpClient:
        if self._http is None:
            raise SourceError("ArchiveClient is not open: use `async with ArchiveClient(...)`")
        return self._http

    def _status_error(self, response: Response, url: str, attempt: int) -> SourceError:
        status = response.status
        if status in (404, 410):
            return NotFoundError(f"{url} is not published (HTTP {status})", url=url)
        if status == 418:
            self._banned = BannedError(
                f"HTTP 418 from {url}: this IP is banned by the server; stop and retry much later",
                url=url,
            )
            return self._banned
        if status == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is None:
                wait = self._backoff(attempt)
            return RateLimitedError(
                f"HTTP 429, retry after {wait:.1f} s", retry_after=wait, url=url
            )
        if status >= 500 or status in _TRANSIENT_STATUSES:
            return TransientSourceError(f"HTTP {status}", url=url)
        return HttpStatusError(f"unexpected HTTP {status} from {url}", status=status, url=url)


def _translate(exc: BaseException, url: str) -> SourceError:
    """The marketlake error for a transport (or socket) failure of one attempt."""
    cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, TimeoutError):
        return TransientSourceError(f"timed out ({cause})", url=url)
    if isinstance(exc, RedirectError | InvalidURLError):
        return SourceError(f"request cannot be made ({cause})", url=url)
    if isinstance(exc, ProxyError):  # 5xx: the proxy could not reach the target, for now
        kind = TransientSourceError if exc.status >= 500 else SourceError
        return kind(f"proxy refused the request ({cause})", url=url)
    if isinstance(exc, PayloadError):
        return TransientSourceError(f"truncated or malformed body ({cause})", url=url)
    if isinstance(exc, ProtocolError):  # an answer that is not valid HTTP
        return TransientSourceError(f"protocol error ({cause})", url=url)
    if isinstance(exc, OSError):
        return TransientSourceError(f"connection failed ({cause})", url=url)
    return SourceError(f"request cannot be made ({cause})", url=url)


async def _drain_small(response: Response, url: str) -> None:
    """Read a small error body so the connection can be kept alive; a large one is dropped."""
    length = response.content_length
    if length is not None and length <= _SMALL_ERROR_BODY:
        try:
            await response.read()
        except (TimeoutError, TransportError, OSError) as exc:
            logger.debug("error body of %s not read (%r); connection dropped", url, exc)


def _http_date(value: str | None) -> datetime | None:
    """A ``Last-Modified`` header as a datetime; None when absent or unreadable."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
