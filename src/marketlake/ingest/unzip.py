"""Stream the single CSV member out of an archive zip, in memory or still arriving.

Every archive zip holds exactly one deflate-compressed CSV. We read the zip ourselves
rather than through :mod:`zipfile` so that the member is inflated in bounded chunks
straight from the caller's buffer (no copy of the compressed bytes, no file on disk), with
ISA-L's inflate (about 2.7x stdlib zlib) when the ``isal`` package is installed. Where the
member is and what it must inflate to comes from the zip's records
(:mod:`marketlake.ingest.ziprecords`); after the last chunk the CRC-32 and the uncompressed
size are checked, and a truncated or corrupt stream, or a CRC or size mismatch, raises
:class:`~marketlake.errors.CorruptArchiveError`.

:func:`iter_streamed_member` inflates a zip while its bytes are still arriving (a download
streamed into a decode worker): it finds the member by its local header, inflates as the
bytes come, keeps them, and after the last byte checks the whole zip exactly as
:func:`iter_zip_member` does before trusting what came out.
"""

from __future__ import annotations

import importlib
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

from marketlake.errors import CorruptArchiveError
from marketlake.ingest.ziprecords import (
    DEFLATED,
    LOCAL_HEADER_MIN_SIZE,
    STORED,
    LocalHeader,
    ZipMember,
    local_header_size,
    read_local_header,
    read_zip_member,
    read_zip_member_from_ends,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "STORED",
    "ZipChunks",
    "ZipMember",
    "iter_streamed_member",
    "iter_zip_member",
    "read_zip_member",
]

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024
"""Largest inflated chunk yielded, in bytes."""

TAIL_BYTES = 1024 * 1024
"""Bytes a streamed zip keeps of its end: its central directory and end records fit."""

INPUT_STEP = 256 * 1024
"""Compressed bytes fed to the inflater per call (small steps avoid re-copying the tail)."""


def _load_zlib() -> ModuleType:
    try:
        return importlib.import_module("isal.isal_zlib")
    except ImportError:  # pragma: no cover - isal is a declared dependency
        logger.warning("isal is not installed: inflating with the slower stdlib zlib")
        return importlib.import_module("zlib")


_zlib = _load_zlib()


def iter_zip_member(
    data: bytes | memoryview, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[bytes]:
    """The inflated bytes of the zip's single CSV member, in chunks of at most ``chunk_size``."""
    view = memoryview(data).cast("B")
    member = read_zip_member(view)
    body = view[member.data_offset : member.data_offset + member.compressed_size]
    if member.method == STORED:
        chunks = _stored_chunks(body, chunk_size)
    else:
        chunks = _inflated_chunks(body, chunk_size)
    return _checked(chunks, member)


class ZipChunks:
    """The inflated member of a zip as an iterable that can be iterated more than once."""

    def __init__(self, data: bytes | memoryview, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self._data = data
        self._chunk_size = chunk_size

    def __iter__(self) -> Iterator[bytes]:
        return iter_zip_member(self._data, chunk_size=self._chunk_size)


def iter_streamed_member(
    raw: Iterable[bytes], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[bytes]:
    """The inflated bytes of the zip's single CSV member, while the zip arrives in ``raw``.

    A deflated member whose local header gives its sizes is inflated as its bytes come, and
    only the zip's first and last bytes are kept (memory stays small however large the zip);
    any other zip is read whole first. Either way, once ``raw`` is exhausted the zip's records
    are checked like :func:`iter_zip_member` checks them (one CSV member, where it was
    inflated from, its CRC-32 and size), and a mismatch raises CorruptArchiveError.
    """
    received = bytearray()
    source = iter(raw)
    start = _streamable_start(source, received)
    if start is None:
        received.extend(b"".join(source))
        yield from iter_zip_member(memoryview(received), chunk_size=chunk_size)
        return
    head, tail = bytes(received[: start.data_offset]), _Tail(received)
    inflater = _zlib.decompressobj(-15)
    crc, size, limit = 0, 0, start.uncompressed_size
    try:
        for piece in _pieces(received, start.data_offset, source, tail):
            for out in _drain(inflater, piece, chunk_size):
                crc, size = _zlib.crc32(out, crc), size + len(out)
                if size > limit:
                    raise CorruptArchiveError(
                        f"zip member inflates past its declared {limit} bytes"
                    )
                yield out
            if inflater.eof:
                break
    except _zlib.error as exc:
        raise CorruptArchiveError(f"zip member does not inflate: {exc}") from exc
    for chunk in source:
        tail.add(chunk)
    member = read_zip_member_from_ends(head, tail.joined(), tail.total)
    _check_streamed(member, start, crc, size, inflater)


def _streamable_start(source: Iterator[bytes], received: bytearray) -> LocalHeader | None:
    """The local header of a zip starting in ``source`` (read into ``received``), if streamable.

    Streamable: a local header at offset 0, deflate, not encrypted, and sizes in the header
    (no trailing data descriptor), so inflating can stop at the declared size.
    """
    if not _read_at_least(source, received, LOCAL_HEADER_MIN_SIZE):
        return None
    size = local_header_size(received)
    if size is None or not _read_at_least(source, received, size):
        return None
    header = read_local_header(received)
    return header if header.method == DEFLATED and not header.sizes_follow else None


def _read_at_least(source: Iterator[bytes], received: bytearray, size: int) -> bool:
    """Read from ``source`` into ``received`` until it holds ``size`` bytes; False if it ends."""
    while len(received) < size:
        chunk = next(source, None)
        if chunk is None:
            return False
        received.extend(chunk)
    return True


class _Tail:
    """The last bytes of a stream (at least ``TAIL_BYTES`` of them) and its length so far."""

    def __init__(self, first: bytes | bytearray) -> None:
        self.total = 0
        self._kept = 0
        self._parts: deque[bytes] = deque()
        self.add(bytes(first))

    def add(self, chunk: bytes) -> None:
        self._parts.append(chunk)
        self.total += len(chunk)
        self._kept += len(chunk)
        while self._kept - len(self._parts[0]) >= TAIL_BYTES:
            self._kept -= len(self._parts.popleft())

    def joined(self) -> bytes:
        return b"".join(self._parts)


def _pieces(
    received: bytearray, start: int, source: Iterator[bytes], tail: _Tail
) -> Iterator[bytes]:
    """The bytes from offset ``start`` on: those already received, then each new chunk."""
    if len(received) > start:
        yield bytes(received[start:])
    received.clear()
    for chunk in source:
        tail.add(chunk)
        yield chunk


def _check_streamed(
    member: ZipMember, start: LocalHeader, crc: int, size: int, inflater: Any
) -> None:
    """Check what the zip's records say against the local header and what was inflated."""
    if member.method != DEFLATED or member.data_offset != start.data_offset:
        raise CorruptArchiveError(
            f"zip member {member.name!r}: local header and central directory disagree"
        )
    if not inflater.eof:
        raise CorruptArchiveError("zip member's deflate stream ends early: truncated")
    _check_totals(member, crc, size)


def _stored_chunks(body: memoryview, chunk_size: int) -> Iterator[bytes]:
    for start in range(0, len(body), chunk_size):
        yield bytes(body[start : start + chunk_size])


def _inflated_chunks(body: memoryview, chunk_size: int) -> Iterator[bytes]:
    """Raw-deflate inflate of ``body``; output chunks never exceed ``chunk_size``."""
    inflater = _zlib.decompressobj(-15)
    try:
        for start in range(0, len(body), INPUT_STEP):
            yield from _drain(inflater, body[start : start + INPUT_STEP], chunk_size)
        tail = inflater.flush()
    except _zlib.error as exc:
        raise CorruptArchiveError(f"zip member does not inflate: {exc}") from exc
    for at in range(0, len(tail), chunk_size):
        yield tail[at : at + chunk_size]
    if not inflater.eof:
        raise CorruptArchiveError("zip member's deflate stream ends early: truncated")


def _drain(inflater: Any, data: bytes | memoryview, chunk_size: int) -> Iterator[bytes]:
    """Feed ``data`` and take every output chunk the inflater holds, none over ``chunk_size``.

    zlib leaves unread input in ``unconsumed_tail``; ISA-L may also keep output buffered,
    so ask again while a call returns a full chunk.
    """
    pending = data
    while True:
        out = inflater.decompress(pending, chunk_size)
        pending = inflater.unconsumed_tail
        if out:
            yield out
        if not pending and len(out) < chunk_size:
            return


def _checked(chunks: Iterator[bytes], member: ZipMember) -> Iterator[bytes]:
    """Pass ``chunks`` through, then check their CRC-32 and total size against the zip."""
    crc, size = 0, 0
    for chunk in chunks:
        crc = _zlib.crc32(chunk, crc)
        size += len(chunk)
        if size > member.uncompressed_size:
            raise CorruptArchiveError(
                f"zip member {member.name!r} inflates past its declared "
                f"{member.uncompressed_size} bytes"
            )
        yield chunk
    _check_totals(member, crc, size)


def _check_totals(member: ZipMember, crc: int, size: int) -> None:
    if size > member.uncompressed_size:
        raise CorruptArchiveError(
            f"zip member {member.name!r} inflates past its declared "
            f"{member.uncompressed_size} bytes"
        )
    if size != member.uncompressed_size:
        raise CorruptArchiveError(
            f"zip member {member.name!r} inflated to {size} bytes, "
            f"expected {member.uncompressed_size}: truncated"
        )
    if crc != member.crc32:
        raise CorruptArchiveError(
            f"zip member {member.name!r} fails its CRC-32 check "
            f"({crc:08x}, expected {member.crc32:08x})"
        )
