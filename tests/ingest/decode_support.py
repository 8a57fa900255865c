"""Test data for the decode tests: real sample zips, and zips built here (stdlib or by hand)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

from marketlake.catalog import ArchiveKey

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / ".." / "shared" / "samples" / "binance" / "archive"


def sample_keys() -> list[tuple[ArchiveKey, Path]]:
    """Every real archive zip of the shared samples with its key."""
    root = SAMPLES.resolve()
    return [
        (ArchiveKey.parse(p.relative_to(root).as_posix()), p) for p in sorted(root.rglob("*.zip"))
    ]


def sample(key_text: str) -> tuple[ArchiveKey, bytes]:
    """One real sample zip by archive key."""
    return ArchiveKey.parse(key_text), (SAMPLES / key_text).read_bytes()


def make_zip(
    members: dict[str, bytes],
    *,
    method: int = zipfile.ZIP_DEFLATED,
    comment: bytes = b"",
    force_zip64: bool = False,
) -> bytes:
    """A zip written by the stdlib."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        archive.comment = comment
        for name, data in members.items():
            with archive.open(name, "w", force_zip64=force_zip64) as member:
                member.write(data)
    return out.getvalue()


def csv_zip(key: ArchiveKey, text: str | bytes) -> bytes:
    """A one-member archive zip holding ``text`` under the key's CSV name."""
    data = text.encode() if isinstance(text, str) else text
    return make_zip({key.csv_name: data})


class _Unseekable(io.RawIOBase):
    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.buffer += data
        return len(data)


def zip_with_data_descriptor(name: str, data: bytes) -> bytes:
    """A zip written to an unseekable stream: sizes and CRC come after the data."""
    sink = _Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return bytes(sink.buffer)


def zip64_by_hand(name: str, data: bytes) -> bytes:
    """A deflated single-member zip whose sizes and offsets are all in ZIP64 records."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = compressor.compress(data) + compressor.flush()
    raw_name = name.encode()
    crc, full = zlib.crc32(data), 0xFFFFFFFF
    local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(body))
    local_fields = (45, 0, 8, 0, 0x21, crc, full, full, len(raw_name), len(local_extra))
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", *local_fields) + raw_name + local_extra
    central_extra = struct.pack("<HHQQQ", 1, 24, len(data), len(body), 0)
    central_fields = (45, 45, 0, 8, 0, 0x21, crc, full, full)
    central_sizes = (len(raw_name), len(central_extra), 0, 0, 0, 0, full)
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", *central_fields, *central_sizes)
    central += raw_name + central_extra
    cd_offset = len(local) + len(body)
    zip64_eocd_at = cd_offset + len(central)
    zip64_eocd = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 1, 1, len(central), cd_offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, zip64_eocd_at, 1)
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, full, full, 0)
    return local + body + central + zip64_eocd + locator + eocd
