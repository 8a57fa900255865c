"""Read one response body whole: hashed as it arrives, decoded if compressed, length checked.

The session asks for ``Accept-Encoding: identity`` and does not decompress, so the bytes read
are the bytes on the wire. A server that compresses anyway (gzip or deflate) is decoded here.
A small body is read in one call and hashed once; a large one is read in chunks of up to
1 MiB and hashed chunk by chunk, so hashing overlaps with the download. :func:`body_chunks`
hands out those chunks as they arrive, for a caller that streams them on.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from marketlake.errors import SourceError, TransientSourceError
from marketlake.source._transport import Response

CHUNK_SIZE = 1 << 20
_WHOLE_READ_LIMIT = CHUNK_SIZE
_IDENTITY = frozenset({"", "identity"})
_ZLIB_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})
_ZLIB_AUTO_HEADER = zlib.MAX_WBITS | 32  # accepts both the gzip and the zlib wrapper


@dataclass(frozen=True)
class Body:
    """A response body as decoded bytes, with its sha256 when one was asked for."""

    data: bytes
    sha256: str | None


async def read_body(response: Response, url: str, *, digest: bool) -> Body:
    """The whole body; a body shorter than its Content-Length is a transient error."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    expected = response.content_length
    if encoding in _IDENTITY and expected is not None and expected <= _WHOLE_READ_LIMIT:
        data = await response.read()
        _check_length(len(data), expected, url)
        return Body(data, hashlib.sha256(data).hexdigest() if digest else None)
    return await _read_chunks(response, url, encoding, digest=digest)


async def _read_chunks(response: Response, url: str, encoding: str, *, digest: bool) -> Body:
    hasher = hashlib.sha256() if digest else None
    parts: list[bytes] = []
    async for chunk in _decoded_chunks(response, url, encoding):
        parts.append(chunk)
        if hasher is not None:
            hasher.update(chunk)  # releases the GIL for large chunks
    return Body(b"".join(parts), hasher.hexdigest() if hasher is not None else None)


def body_chunks(response: Response, url: str) -> AsyncIterator[bytes]:
    """The decoded body in chunks as they arrive; the length is checked after the last one."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    return _decoded_chunks(response, url, encoding)


async def _decoded_chunks(response: Response, url: str, encoding: str) -> AsyncIterator[bytes]:
    decode = _decoder(encoding, url)
    received = 0
    async for raw in response.iter_chunked(CHUNK_SIZE):
        received += len(raw)
        chunk = decode.feed(raw) if decode is not None else raw
        if chunk:
            yield chunk
    if response.content_length is not None:
        _check_length(received, response.content_length, url)
    if decode is not None:
        tail = decode.finish()
        if tail:
            yield tail


def _check_length(received: int, expected: int, url: str) -> None:
    if received != expected:
        raise TransientSourceError(f"truncated body: {received} of {expected} bytes", url=url)


class _ZlibDecoder:
    """Decode a gzip or zlib stream chunk by chunk; an invalid stream is transient."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._inflate = zlib.decompressobj(_ZLIB_AUTO_HEADER)

    def feed(self, chunk: bytes) -> bytes:
        """The decoded bytes of the next raw chunk."""
        try:
            return self._inflate.decompress(chunk)
        except zlib.error as exc:
            raise self._error(repr(exc)) from exc

    def finish(self) -> bytes:
        """The last decoded bytes; an unfinished stream is a truncated body."""
        if not self._inflate.eof:
            raise self._error("the compressed stream ends early")
        return self._inflate.flush()

    def _error(self, cause: str) -> TransientSourceError:
        return TransientSourceError(f"body cannot be decoded: {cause}", url=self._url)


def _decoder(encoding: str, url: str) -> _ZlibDecoder | None:
    if encoding in _IDENTITY:
        return None
    if encoding in _ZLIB_ENCODINGS:
        return _ZlibDecoder(url)
    raise SourceError(f"unsupported Content-Encoding {encoding!r} (identity was asked)", url=url)
