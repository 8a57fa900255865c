"""Download archive files: one keep-alive HTTP client, bounded concurrency, retries.

HTTP outcomes map onto :mod:`marketlake.errors` (users never see httpx exceptions)::

    5xx, 408, reset, timeout, protocol error, short body  -> retried with backoff + jitter
    429                 -> wait Retry-After (every request of this client pauses), retried
    418                 -> BannedError at once; this client refuses all later requests
    404, 410            -> NotFoundError (no retry)
    other non-200       -> HttpStatusError (no retry)
    retries exhausted   -> TransientSourceError naming the attempts and the last cause
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self
from urllib.parse import quote

import httpx

from marketlake.catalog import ArchiveKey
from marketlake.errors import (
    BannedError,
    HttpStatusError,
    NotFoundError,
    RateLimitedError,
    SourceError,
    TransientSourceError,
)
from marketlake.source._models import SourceStats, VerifiedFile
from marketlake.source._retry import backoff_delay, parse_retry_after
from marketlake.source._verify import check_sha256, published_sha256
from marketlake.source.config import SourceConfig

logger = logging.getLogger(__name__)

_TRANSIENT_STATUSES = frozenset({408})
_SMALL_ERROR_BODY = 64 * 1024


@dataclass(frozen=True)
class _Download:
    data: bytes
    sha256: str | None
    etag: str
    last_modified: datetime | None


class ArchiveClient:
    """Async client for archive files (and listing pages): use as ``async with``."""

    def __init__(self, config: SourceConfig | None = None, *, seed: int | None = None) -> None:
        self.config = config or SourceConfig()
        self._rng = random.Random(seed)
        self._semaphore = asyncio.BoundedSemaphore(self.config.concurrency)
        self._http: httpx.AsyncClient | None = None
        self._resume_at = 0.0
        self._banned: BannedError | None = None
        self._requests = self._retries = self._bytes = self._rate_limited = 0

    async def __aenter__(self) -> Self:
        limits = httpx.Limits(
            max_connections=self.config.concurrency,
            max_keepalive_connections=self.config.concurrency,
        )
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(self.config.timeout_seconds),
            limits=limits,
            headers={"User-Agent": self.config.user_agent, "Accept-Encoding": "identity"},
            follow_redirects=True,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.aclose()
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
            last_modified=download.last_modified,
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
                return await self._stream(url, attempt, digest=digest)
            except httpx.TimeoutException as exc:
                raise TransientSourceError(f"timed out: {exc!r}", url=url) from exc
            except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
                raise TransientSourceError(f"connection failed: {exc!r}", url=url) from exc
            except httpx.DecodingError as exc:
                raise TransientSourceError(f"body cannot be decoded: {exc!r}", url=url) from exc
            except httpx.HTTPError as exc:
                raise SourceError(f"request cannot be made: {exc!r}", url=url) from exc

    async def _stream(self, url: str, attempt: int, *, digest: bool) -> _Download:
        async with self._open_http().stream("GET", url) as response:
            try:
                if response.status_code != httpx.codes.OK:
                    await _drain_small(response)
                    raise self._status_error(response, url, attempt)
                data, sha256 = await _read_body(response, url, digest=digest)
            finally:
                self._bytes += response.num_bytes_downloaded
        return _Download(data, sha256, _etag(response), _last_modified(response))

    def _open_http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise SourceError("ArchiveClient is not open: use `async with ArchiveClient(...)`")
        return self._http

    def _status_error(self, response: httpx.Response, url: str, attempt: int) -> SourceError:
        status = response.status_code
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


async def _read_body(
    response: httpx.Response, url: str, *, digest: bool
) -> tuple[bytes, str | None]:
    """The whole body, hashed while it streams; a body shorter than Content-Length is transient."""
    identity = response.headers.get("Content-Encoding", "identity").lower() in ("", "identity")
    chunks = response.aiter_raw() if identity else response.aiter_bytes()
    hasher = hashlib.sha256() if digest else None
    parts: list[bytes] = []
    async for chunk in chunks:
        parts.append(chunk)
        if hasher is not None:
            hasher.update(chunk)  # releases the GIL for large chunks
    expected, received = _content_length(response), response.num_bytes_downloaded
    if expected is not None and received != expected:
        raise TransientSourceError(f"truncated body: {received} of {expected} bytes", url=url)
    return b"".join(parts), hasher.hexdigest() if hasher is not None else None


async def _drain_small(response: httpx.Response) -> None:
    """Read a small error body so the connection can be kept alive; a large one is dropped."""
    length = _content_length(response)
    if length is not None and length <= _SMALL_ERROR_BODY:
        try:
            await response.aread()
        except httpx.HTTPError as exc:
            logger.debug("error body of %s not read (%r); connection dropped", response.url, exc)


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _etag(response: httpx.Response) -> str:
    value = str(response.headers.get("ETag", ""))
    return value.removeprefix("W/").strip('"')


def _last_modified(response: httpx.Response) -> datetime | None:
    value = response.headers.get("Last-Modified")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
