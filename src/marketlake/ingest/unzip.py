"""Stream the single CSV member out of an archive zip held in memory.

Every archive zip holds exactly one deflate-compressed CSV. We read the zip ourselves
rather than through :mod:`zipfile` so that the member is inflated in bounded chunks
straight from the caller's buffer (no copy of the compressed bytes, no file on disk), with
ISA-L's inflate (about 2.7x stdlib zlib) when the ``isal`` package is installed.

What is read: the end of central directory record (and its ZIP64 form), the one central
directory entry (with its ZIP64 extra field), the member's local header; a trailing data
descriptor is allowed and ignored, because the central directory carries the same CRC and
sizes. After the last chunk the CRC-32 and the uncompressed size are checked. Anything else
(not a zip, a spanned or encrypted zip, no member or several, a method other than deflate or
stored, a truncated or corrupt stream, a CRC or size mismatch) raises
:class:`~marketlake.errors.CorruptArchiveError`.
"""

from __future__ import annotations

import importlib
import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from marketlake.errors import CorruptArchiveError

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024
"""Largest inflated chunk yielded, in bytes."""

INPUT_STEP = 256 * 1024
"""Compressed bytes fed to the inflater per call (small steps avoid re-copying the tail)."""

STORED, DEFLATED = 0, 8

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
_EXTRA_HEADER = struct.Struct("<2H")
_EOCD_SIG = b"PK\x05\x06"
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
_ZIP64_EOCD_SIG = b"PK\x06\x06"
_CENTRAL_SIG = b"PK\x01\x02"
_LOCAL_SIG = b"PK\x03\x04"
_ZIP64_EXTRA_ID = 0x0001
_MAX_COMMENT = 0xFFFF
_FLAG_ENCRYPTED = 0x1
_FLAG_UTF8 = 0x800
_U16_MAX, _U32_MAX = 0xFFFF, 0xFFFFFFFF


def _load_zlib() -> ModuleType:
    try:
        return importlib.import_module("isal.isal_zlib")
    except ImportError:  # pragma: no cover - isal is a declared dependency
        logger.warning("isal is not installed: inflating with the slower stdlib zlib")
        return importlib.import_module("zlib")


_zlib = _load_zlib()


@dataclass(frozen=True)
class ZipMember:
    """Where the one member of a zip lives in the buffer, and what it must inflate to."""

    name: str
    method: int
    crc32: int
    compressed_size: int
    uncompressed_size: int
    data_offset: int


def read_zip_member(data: bytes | memoryview) -> ZipMember:
    """The single member of the zip in ``data``, located and checked but not inflated."""
    view = memoryview(data).cast("B")
    entries, cd_offset, cd_size = _central_directory(view)
    if entries != 1:
        raise CorruptArchiveError(f"zip holds {entries} members: expected exactly one CSV")
    member = _central_entry(view, cd_offset, cd_size)
    if not member.name.lower().endswith(".csv"):
        raise CorruptArchiveError(f"zip member {member.name!r} is not a CSV file")
    return member


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


def _central_directory(view: memoryview) -> tuple[int, int, int]:
    """``(entries, offset, size)`` of the central directory."""
    eocd_at = _find_eocd(view)
    _, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, _ = _EOCD.unpack_from(
        view, eocd_at
    )
    zip64 = _zip64_directory(view, eocd_at)
    if zip64 is not None:
        disk, cd_disk, disk_entries, entries, cd_size, cd_offset = zip64
    if disk != 0 or cd_disk != 0 or disk_entries != entries:
        raise CorruptArchiveError("zip spans several disks: not an archive file")
    if cd_offset + cd_size > eocd_at:
        raise CorruptArchiveError("zip central directory lies outside the file: truncated")
    return entries, cd_offset, cd_size


def _find_eocd(view: memoryview) -> int:
    """Offset of the end of central directory record (the last one whose comment fits)."""
    size = len(view)
    tail_start = max(0, size - _EOCD.size - _MAX_COMMENT)
    tail = bytes(view[tail_start:])
    at = tail.rfind(_EOCD_SIG)
    while at >= 0:
        if at + _EOCD.size <= len(tail):
            comment_len = struct.unpack_from("<H", tail, at + _EOCD.size - 2)[0]
            if at + _EOCD.size + comment_len == len(tail):
                return tail_start + at
        at = tail.rfind(_EOCD_SIG, 0, at)
    raise CorruptArchiveError(
        f"not a zip file, or a truncated one ({size} bytes, no end of central directory)"
    )


def _zip64_directory(view: memoryview, eocd_at: int) -> tuple[int, int, int, int, int, int] | None:
    """ZIP64 ``(disk, cd_disk, disk_entries, entries, cd_size, cd_offset)``, if present."""
    locator_at = eocd_at - _ZIP64_LOCATOR.size
    if locator_at < 0 or bytes(view[locator_at : locator_at + 4]) != _ZIP64_LOCATOR_SIG:
        return None
    _, _, record_at, _ = _ZIP64_LOCATOR.unpack_from(view, locator_at)
    if record_at + _ZIP64_EOCD.size > locator_at:
        raise CorruptArchiveError("zip64 end of central directory lies outside the file")
    fields = _ZIP64_EOCD.unpack_from(view, record_at)
    if fields[0] != _ZIP64_EOCD_SIG:
        raise CorruptArchiveError("zip64 end of central directory record is missing")
    _, _, _, _, disk, cd_disk, disk_entries, entries, cd_size, cd_offset = fields
    return disk, cd_disk, disk_entries, entries, cd_size, cd_offset


def _central_entry(view: memoryview, cd_offset: int, cd_size: int) -> ZipMember:
    """The member described by the central directory entry at ``cd_offset``."""
    if cd_size < _CENTRAL.size:
        raise CorruptArchiveError("zip central directory is too short")
    fields = _CENTRAL.unpack_from(view, cd_offset)
    (
        sig,
        _,
        _,
        flags,
        method,
        _,
        _,
        crc,
        csize,
        usize,
        name_len,
        extra_len,
        _,
        disk,
        _,
        _,
        local_at,
    ) = fields
    if sig != _CENTRAL_SIG:
        raise CorruptArchiveError("zip central directory entry signature is wrong")
    names_at = cd_offset + _CENTRAL.size
    name = _decode_name(bytes(view[names_at : names_at + name_len]), flags)
    extra = bytes(view[names_at + name_len : names_at + name_len + extra_len])
    if disk not in (0, _U16_MAX):
        raise CorruptArchiveError(f"zip member {name!r} starts on disk {disk}: spanned zip")
    usize, csize, local_at = _apply_zip64_extra(extra, usize, csize, local_at)
    _check_method(name, flags, method)
    data_offset = _local_data_offset(view, local_at, method)
    if data_offset + csize > len(view):
        raise CorruptArchiveError(f"zip member {name!r} is truncated")
    return ZipMember(name, method, crc, csize, usize, data_offset)


def _decode_name(raw: bytes, flags: int) -> str:
    """A member name: UTF-8 when the zip says so, else code page 437 as zip specifies."""
    if flags & _FLAG_UTF8:
        return raw.decode("utf-8", errors="replace")
    return raw.decode("cp437")


def _apply_zip64_extra(extra: bytes, usize: int, csize: int, local_at: int) -> tuple[int, int, int]:
    """Sizes and local header offset, widened by a ZIP64 extra field where they overflowed."""
    at = 0
    while at + _EXTRA_HEADER.size <= len(extra):
        header_id, size = _EXTRA_HEADER.unpack_from(extra, at)
        body = extra[at + _EXTRA_HEADER.size : at + _EXTRA_HEADER.size + size]
        if header_id == _ZIP64_EXTRA_ID:
            return _read_zip64_values(body, usize, csize, local_at)
        at += _EXTRA_HEADER.size + size
    return usize, csize, local_at


def _read_zip64_values(body: bytes, usize: int, csize: int, local_at: int) -> tuple[int, int, int]:
    """The ZIP64 extra field holds, in order, each of these that overflowed 32 bits."""
    values = [usize, csize, local_at]
    at = 0
    for index, value in enumerate(values):
        if value == _U32_MAX:
            if at + 8 > len(body):
                raise CorruptArchiveError("zip64 extra field is too short")
            values[index] = struct.unpack_from("<Q", body, at)[0]
            at += 8
    return values[0], values[1], values[2]


def _check_method(name: str, flags: int, method: int) -> None:
    if flags & _FLAG_ENCRYPTED:
        raise CorruptArchiveError(f"zip member {name!r} is encrypted")
    if method not in (STORED, DEFLATED):
        raise CorruptArchiveError(
            f"zip member {name!r} uses compression method {method}: expected deflate (8) "
            "or stored (0)"
        )


def _local_data_offset(view: memoryview, local_at: int, method: int) -> int:
    """Where the member's bytes start, after its local header."""
    if local_at + _LOCAL.size > len(view):
        raise CorruptArchiveError("zip local header lies outside the file: truncated")
    sig, _, _, local_method, *_, name_len, extra_len = _LOCAL.unpack_from(view, local_at)
    if sig != _LOCAL_SIG:
        raise CorruptArchiveError("zip local header signature is wrong")
    if local_method != method:
        raise CorruptArchiveError("zip local header and central directory disagree on method")
    return int(local_at + _LOCAL.size + name_len + extra_len)


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
