"""The records of an archive zip that locate its single member, and what they say.

What is read: the end of central directory record (and its ZIP64 form), the one central
directory entry (with its ZIP64 extra field), the member's local header; a trailing data
descriptor is allowed and ignored, because the central directory carries the same CRC and
sizes. Anything else (not a zip, a spanned or encrypted zip, no member or several, a method
other than deflate or stored, records that point outside the file) raises
:class:`~marketlake.errors.CorruptArchiveError`. Inflating is :mod:`marketlake.ingest.unzip`'s.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from marketlake.errors import CorruptArchiveError

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
_FLAG_DATA_DESCRIPTOR = 0x8
_FLAG_UTF8 = 0x800
_U16_MAX, _U32_MAX = 0xFFFF, 0xFFFFFFFF


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
    return _member(_ZipBytes.whole(data))


def read_zip_member_from_ends(head: bytes, tail: bytes, size: int) -> ZipMember:
    """Like :func:`read_zip_member`, for a zip of ``size`` bytes of which only the first
    (``head``, its local header) and the last (``tail``, its central directory) were kept."""
    return _member(_ZipBytes(size, ((0, memoryview(head)), (size - len(tail), memoryview(tail)))))


def _member(data: _ZipBytes) -> ZipMember:
    entries, cd_offset, cd_size = _central_directory(data)
    if entries != 1:
        raise CorruptArchiveError(f"zip holds {entries} members: expected exactly one CSV")
    member = _central_entry(data, cd_offset, cd_size)
    if not member.name.lower().endswith(".csv"):
        raise CorruptArchiveError(f"zip member {member.name!r} is not a CSV file")
    return member


class _ZipBytes:
    """The bytes of a zip its records are read from: all of them, or some parts of them."""

    def __init__(self, size: int, parts: tuple[tuple[int, memoryview], ...]) -> None:
        self.size = size
        self._parts = parts

    @classmethod
    def whole(cls, data: bytes | memoryview) -> _ZipBytes:
        view = memoryview(data).cast("B")
        return cls(len(view), ((0, view),))

    def take(self, start: int, end: int) -> memoryview:
        """Bytes ``start`` to ``end`` (absolute offsets), from the part that holds them."""
        if start < 0 or end > self.size:
            raise CorruptArchiveError(
                f"zip records point past the end of the file ({self.size} bytes): truncated"
            )
        for offset, part in self._parts:
            if offset <= start <= end <= offset + len(part):
                return part[start - offset : end - offset]
        raise CorruptArchiveError(
            f"zip records point into the middle of the file (bytes {start}..{end} of "
            f"{self.size}), where the member's data is: not an archive zip"
        )

    def unpack(self, record: struct.Struct, at: int) -> tuple[Any, ...]:
        """The record of this format at offset ``at``."""
        return record.unpack_from(self.take(at, at + record.size))


@dataclass(frozen=True)
class LocalHeader:
    """What a member's local header says: where its data starts, and its sizes if it knows."""

    method: int
    data_offset: int
    compressed_size: int
    uncompressed_size: int
    sizes_follow: bool
    """The sizes come in a data descriptor after the data (the header's are zero)."""


LOCAL_HEADER_MIN_SIZE = _LOCAL.size
"""The fixed part of a local header: enough for :func:`local_header_size`."""


def local_header_size(prefix: bytes | bytearray) -> int | None:
    """The length of the local header ``prefix`` starts with (at least 30 bytes of it), or
    None when it does not start with one, or it is encrypted."""
    sig, _, flags, _, _, _, _, _, _, name_len, extra_len = _LOCAL.unpack_from(prefix)
    if sig != _LOCAL_SIG or flags & _FLAG_ENCRYPTED:
        return None
    return int(_LOCAL.size + name_len + extra_len)


def read_local_header(data: bytes | bytearray) -> LocalHeader:
    """The local header at the start of ``data`` (which holds all of it)."""
    _, _, flags, method, _, _, _, csize, usize, name_len, extra_len = _LOCAL.unpack_from(data)
    extra = bytes(data[_LOCAL.size + name_len : _LOCAL.size + name_len + extra_len])
    usize, csize, _ = _apply_zip64_extra(extra, usize, csize, 0)
    data_offset = _LOCAL.size + name_len + extra_len
    follow = bool(flags & _FLAG_DATA_DESCRIPTOR)
    return LocalHeader(method, data_offset, csize, usize, follow)


def _central_directory(data: _ZipBytes) -> tuple[int, int, int]:
    """``(entries, offset, size)`` of the central directory."""
    eocd_at = _find_eocd(data)
    _, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, _ = data.unpack(_EOCD, eocd_at)
    zip64 = _zip64_directory(data, eocd_at)
    if zip64 is not None:
        disk, cd_disk, disk_entries, entries, cd_size, cd_offset = zip64
    if disk != 0 or cd_disk != 0 or disk_entries != entries:
        raise CorruptArchiveError("zip spans several disks: not an archive file")
    if cd_offset + cd_size > eocd_at:
        raise CorruptArchiveError("zip central directory lies outside the file: truncated")
    return entries, cd_offset, cd_size


def _find_eocd(data: _ZipBytes) -> int:
    """Offset of the end of central directory record (the last one whose comment fits)."""
    size = data.size
    if size >= _EOCD.size:  # the usual zip: no comment, the record ends the file
        last = bytes(data.take(size - _EOCD.size, size))
        if last.startswith(_EOCD_SIG) and last.endswith(b"\0\0"):
            return size - _EOCD.size
    tail_start = max(0, size - _EOCD.size - _MAX_COMMENT)
    tail = bytes(data.take(tail_start, size))
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


def _zip64_directory(data: _ZipBytes, eocd_at: int) -> tuple[int, int, int, int, int, int] | None:
    """ZIP64 ``(disk, cd_disk, disk_entries, entries, cd_size, cd_offset)``, if present."""
    locator_at = eocd_at - _ZIP64_LOCATOR.size
    if locator_at < 0 or bytes(data.take(locator_at, locator_at + 4)) != _ZIP64_LOCATOR_SIG:
        return None
    _, _, record_at, _ = data.unpack(_ZIP64_LOCATOR, locator_at)
    if record_at + _ZIP64_EOCD.size > locator_at:
        raise CorruptArchiveError("zip64 end of central directory lies outside the file")
    fields = data.unpack(_ZIP64_EOCD, record_at)
    if fields[0] != _ZIP64_EOCD_SIG:
        raise CorruptArchiveError("zip64 end of central directory record is missing")
    _, _, _, _, disk, cd_disk, disk_entries, entries, cd_size, cd_offset = fields
    return disk, cd_disk, disk_entries, entries, cd_size, cd_offset


def _central_entry(data: _ZipBytes, cd_offset: int, cd_size: int) -> ZipMember:
    """The member described by the central directory entry at ``cd_offset``."""
    if cd_size < _CENTRAL.size:
        raise CorruptArchiveError("zip central directory is too short")
    fields = data.unpack(_CENTRAL, cd_offset)
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
    name = _decode_name(bytes(data.take(names_at, names_at + name_len)), flags)
    extra = bytes(data.take(names_at + name_len, names_at + name_len + extra_len))
    if disk not in (0, _U16_MAX):
        raise CorruptArchiveError(f"zip member {name!r} starts on disk {disk}: spanned zip")
    usize, csize, local_at = _apply_zip64_extra(extra, usize, csize, local_at)
    _check_method(name, flags, method)
    data_offset = _local_data_offset(data, local_at, method)
    if data_offset + csize > data.size:
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


def _local_data_offset(data: _ZipBytes, local_at: int, method: int) -> int:
    """Where the member's bytes start, after its local header."""
    if local_at + _LOCAL.size > data.size:
        raise CorruptArchiveError("zip local header lies outside the file: truncated")
    sig, _, _, local_method, *_, name_len, extra_len = data.unpack(_LOCAL, local_at)
    if sig != _LOCAL_SIG:
        raise CorruptArchiveError("zip local header signature is wrong")
    if local_method != method:
        raise CorruptArchiveError("zip local header and central directory disagree on method")
    return int(local_at + _LOCAL.size + name_len + extra_len)
