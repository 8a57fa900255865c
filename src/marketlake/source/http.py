"""Download archive files: one keep-alive HTTP client, bounded concurrency, retries.

HTTP outcomes map onto :mod:`marketlake.errors` (users never see aiohttp exceptions)::

    5xx, 408, reset, timeout, protocol error, short body  -> retried with backoff + jitter
    429                 -> wait Retry-After (every request of this client pauses), retried
    418                 -> BannedError at once; this client refuses all later requests
    404, 410            -> NotFoundError (no retry)
    other non-200       -> HttpStatusError (no retry)
    retries exhausted   -> TransientSourceError naming the attempts and the last cause

The transport is one aiohttp session: a keep-alive pool of ``concurrency`` connections, DNS
answers cached, bodies read raw (``Accept-Encoding: identity``, no auto-decompression). aiohttp
itself resends a request once, uncounted, when a pooled keep-alive connection turns out to have
been closed by the server before any answer arrived; every other failure is ours to retry.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self
from urllib.parse import quote

import aiohttp
from yarl import URL

from marketlake.catalog import ArchiveKey
from marketlake.errors import (
    BannedError,
    HttpStatusError,
    NotFoundError,
    RateLimitedError,
    SourceError,
    TransientSourceError,
)
from marketlake.source._body import CHUNK_SIZE, read_body
from marketlake.source._models import SourceStats, VerifiedFile
from marketlake.source._retry import backoff_delay, parse_retry_after
from marketlake.source._verify import check_sha256, published_sha256
from marketlake.source.config import SourceConfig

logger = logging.getLogger(__name__)

_TRANSIENT_STATUSES = frozenset({408})
_SMALL_ERROR_BODY = 64 * 1024
_DNS_CACHE_SECONDS = 300
_KEEPALIVE_SECONDS = 30.0


def _open_session(config: SourceConfig) -> aiohttp.ClientSession:
    """A keep-alive session: one pooled connection per concurrent request, raw bodies."""
    connector = aiohttp.TCPConnector(
        limit=config.concurrency,
        limit_per_host=config.concurrency,
        ttl_dns_cache=_DNS_CACHE_SECONDS,
        keepalive_timeout=_KEEPALIVE_SECONDS,
    )
    seconds = config.timeout_seconds
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(connect=seconds, sock_connect=seconds, sock_read=seconds),
        headers={"User-Agent": config.user_agent, "Accept-Encoding": "identity"},
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        read_bufsize=CHUNK_SIZE,
    )


@dataclass(frozen=True)
class _Download:
    data: bytes
    sha256: str | None
    etag: str
    last_modified: str | None  # the raw header: parsed only for verified zips


class ArchiveClient:
    """Async client for archive files (and listing pages): use as ``async with``."""

    def __init__(self, config: SourceConfig | None = None, *, seed: int | None = None) -> None:
        self.config = config or SourceConfig()
        self._rng = random.Random(seed)
        self._semaphore = asyncio.BoundedSemaphore(self.config.concurrency)
        self._http: aiohttp.ClientSession | None = None
        self._resume_at = 0.0
        self._banned: BannedError | None = None
        self._requests = self._retries = self._bytes = self._rate_limited = 0

    async def __aenter__(self) -> Self:
        self._http = _open_session(self.config)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
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
        return (await self._download(self.url_of(key), digest=False)).data

    async def get(self, url: str) -> bytes:
        """The body of any URL (an encoded one), under this client's limits and retry policy."""
        return (await self._download(url, digest=False)).data

    async def fetch_verified(self, key: ArchiveKey) -> VerifiedFile:
        """The zip at ``key``, its sha256 checked against the published CHECKSUM file."""
        expected = await self._published_sha256(key)
        download = await self._download(self.url_of(key.zip_key), digest=True)
        assert download.sha256 is not None
        check_sha256(key, expected=expected, actual=download.sha256)
        logger.debug("verified %s (%d bytes)", key.zip_key, len(download.data))
        return VerifiedFile(
            key=key,
            data=download.data,
            sha256=download.sha256,
            size=len(download.data),
            etag=download.etag,
            last_modified=_http_date(download.last_modified),
        )

    async def _published_sha256(self, key: ArchiveKey) -> str:
        try:
            content = await self.fetch(key.checksum_key)
        except NotFoundError:
            await self.fetch(key.zip_key)  # a missing zip too is a plain NotFoundError
            return published_sha256(key, None)
        return published_sha256(key, content)

    async def _download(self, url: str, *, digest: bool) -> _Download:
        attempts = self.config.max_attempts
        last: TransientSourceError | None = None
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                self._retries += 1
            try:
                return await self._attempt(url, attempt, digest=digest)
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

    async def _attempt(self, url: str, attempt: int, *, digest: bool) -> _Download:
        async with self._semaphore:
            await self._wait_for_resume()
            if self._banned is not None:
                raise BannedError(self._banned.message, url=url)
            self._requests += 1
            try:
                return await self._request(url, attempt, digest=digest)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise _translate(exc, url) from exc

    async def _request(self, url: str, attempt: int, *, digest: bool) -> _Download:
        async with self._open_http().get(URL(url, encoded=True)) as response:
            try:
                if response.status != 200:
                    await _drain_small(response, url)
                    raise self._status_error(response, url, attempt)
                body = await read_body(response, url, digest=digest)
            finally:
                self._bytes += response.content.total_bytes
        headers = response.headers
        etag = headers.get("ETag", "").removeprefix("W/").strip('"')
        return _Download(body.data, body.sha256, etag, headers.get("Last-Modified"))

    def _open_http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise SourceError("ArchiveClient is not open: use `async with ArchiveClient(...)`")
        return self._http

    def _status_error(
        self, response: aiohttp.ClientResponse, url: str, attempt: int
    ) -> SourceError:
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
    """The marketlake error for an aiohttp (or socket) failure of one attempt."""
    cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, TimeoutError):
        return TransientSourceError(f"timed out ({cause})", url=url)
    if isinstance(exc, aiohttp.TooManyRedirects | aiohttp.InvalidURL):
        return SourceError(f"request cannot be made ({cause})", url=url)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return TransientSourceError(f"truncated or malformed body ({cause})", url=url)
    if isinstance(exc, aiohttp.ClientResponseError):  # an answer that is not valid HTTP
        return TransientSourceError(f"protocol error ({cause})", url=url)
    if isinstance(exc, aiohttp.ClientConnectionError | OSError):
        return TransientSourceError(f"connection failed ({cause})", url=url)
    return SourceError(f"request cannot be made ({cause})", url=url)


async def _drain_small(response: aiohttp.ClientResponse, url: str) -> None:
    """Read a small error body so the connection can be kept alive; a large one is dropped."""
    length = response.content_length
    if length is not None and length <= _SMALL_ERROR_BODY:
        try:
            await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            logger.debug("error body of %s not read (%r); connection dropped", url, exc)


def _http_date(value: str | None) -> datetime | None:
    """A ``Last-Modified`` header as a datetime; None when absent or unreadable."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
