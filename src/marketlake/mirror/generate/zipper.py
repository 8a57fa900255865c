"""Deterministic single-member zip files, written the way the archive writes them.

One deflated CSV member, Unix origin, version 2.0, no extra fields, a fixed DOS timestamp
(the file's publication time): the same CSV always gives the same bytes. Deflate runs through
ISA-L at level 1 rather than zlib at level 6 (what the real archive uses): any inflater reads
it, it is about ten times faster, and the stand-in compresses every file it lists. The output
is deterministic for a given ISA-L version.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from datetime import datetime

from isal import isal_zlib

from marketlake.errors import MirrorError

COMPRESS_LEVEL = 1
_DEFLATED = 8
_VERSION = 20
_MADE_BY_UNIX = 3 << 8
_UTF8_NAME = 1 << 11
_REGULAR_FILE = 0o100644 << 16
_ZIP32_LIMIT = 0xFFFFFFFF


def _dos_time(moment: datetime) -> tuple[int, int]:
    date = (moment.year - 1980) << 9 | moment.month << 5 | moment.day
    time = moment.hour << 11 | moment.minute << 5 | moment.second // 2
    return date, time


def zip_single(name: str, chunks: Iterable[bytes], modified: datetime) -> bytes:
    """A zip holding one deflated member ``name`` made of ``chunks``, stamped ``modified``."""
    compressor = isal_zlib.compressobj(COMPRESS_LEVEL, isal_zlib.DEFLATED, -15)
    parts: list[bytes] = []
    crc = size = 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        parts.append(compressor.compress(chunk))
    parts.append(compressor.flush())
    body = b"".join(parts)
    if size > _ZIP32_LIMIT or len(body) > _ZIP32_LIMIT:
        raise MirrorError(f"{name} is too large for a zip32 member ({size} bytes)")
    encoded = name.encode("utf-8")
    flags = 0 if encoded.isascii() else _UTF8_NAME
    date, time = _dos_time(modified)
    common = struct.pack("<HHHHHIII", _VERSION, flags, _DEFLATED, time, date, crc, len(body), size)
    local = b"PK\x03\x04" + common + struct.pack("<HH", len(encoded), 0) + encoded
    central = (
        b"PK\x01\x02"
        + struct.pack("<H", _MADE_BY_UNIX | _VERSION)
        + common
        + struct.pack("<HHHHHI", len(encoded), 0, 0, 0, 0, _REGULAR_FILE)
        + struct.pack("<I", 0)
        + encoded
    )
    end = b"PK\x05\x06" + struct.pack(
        "<HHHHIIH", 0, 0, 1, 1, len(central), len(local) + len(body), 0
    )
    return local + body + central + end
