"""The zip reader: real archive zips, the zip variants it must read, and every way to fail."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from marketlake.errors import CorruptArchiveError
from marketlake.ingest import unzip
from marketlake.ingest.unzip import iter_zip_member, read_zip_member
from tests.ingest.decode_support import (
    make_zip,
    sample_keys,
    zip64_by_hand,
    zip_with_data_descriptor,
)

CSV = b"".join(b"%d,1.5,2.25,true\n" % i for i in range(5000))


def _inflate(data: bytes, chunk_size: int = unzip.DEFAULT_CHUNK_SIZE) -> bytes:
    return b"".join(iter_zip_member(data, chunk_size=chunk_size))


@pytest.mark.parametrize("path", [p for _, p in sample_keys()], ids=lambda p: p.name)
def test_real_archive_zips_inflate_to_the_stdlib_bytes(path: Path) -> None:
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        (info,) = archive.infolist()
        expected = archive.read(info)
    chunks = list(iter_zip_member(data, chunk_size=4096))
    assert b"".join(chunks) == expected
    assert all(0 < len(chunk) <= 4096 for chunk in chunks)
    assert read_zip_member(data).name == info.filename


def test_chunks_stay_bounded_and_memoryview_input_works() -> None:
    data = make_zip({"a.csv": CSV})
    chunks = list(iter_zip_member(memoryview(data), chunk_size=1000))
    assert b"".join(chunks) == CSV
    assert max(len(c) for c in chunks) <= 1000


def test_stored_member() -> None:
    data = make_zip({"a.csv": CSV}, method=zipfile.ZIP_STORED)
    assert read_zip_member(data).method == unzip.STORED
    assert _inflate(data, 777) == CSV


def test_data_descriptor_after_the_data() -> None:
    data = zip_with_data_descriptor("a.csv", CSV)
    flags = struct.unpack_from("<H", data, 6)[0]
    assert flags & 0x8, "the stdlib wrote no data descriptor: the test proves nothing"
    assert _inflate(data) == CSV


def test_zip64_records_and_extra_fields() -> None:
    data = zip64_by_hand("a.csv", CSV)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # the stdlib agrees it is valid
        assert archive.read("a.csv") == CSV
    member = read_zip_member(data)
    assert (member.uncompressed_size, member.name) == (len(CSV), "a.csv")
    assert _inflate(data) == CSV


def test_zip64_local_extra_from_the_stdlib() -> None:
    assert _inflate(make_zip({"a.csv": CSV}, force_zip64=True)) == CSV


def test_archive_comment_is_skipped() -> None:
    data = make_zip({"a.csv": CSV}, comment=b"PK\x05\x06 looks like a record")
    assert _inflate(data) == CSV


def test_utf8_member_name() -> None:
    data = make_zip({"币安人生USDT-trades-2025-10-01.csv": CSV})
    assert read_zip_member(data).name == "币安人生USDT-trades-2025-10-01.csv"


def test_stdlib_zlib_fallback_inflates_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(unzip, "_zlib", zlib)
    assert _inflate(make_zip({"a.csv": CSV}), 2048) == CSV


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a zip"),
        (b"id,price\n1,2\n", "not a zip"),
        (make_zip({}), "0 members"),
        (make_zip({"a.csv": CSV, "b.csv": CSV}), "2 members"),
        (make_zip({"a.txt": CSV}), "not a CSV"),
        (make_zip({"a.csv": CSV}, method=zipfile.ZIP_BZIP2), "method 12"),
    ],
    ids=["empty", "csv-text", "no-member", "two-members", "not-csv", "bzip2"],
)
def test_unreadable_archives_are_corrupt(data: bytes, message: str) -> None:
    with pytest.raises(CorruptArchiveError, match=message):
        _inflate(data)


def test_every_truncation_is_corrupt() -> None:
    data = make_zip({"a.csv": CSV[:3000]})
    for size in range(len(data)):
        with pytest.raises(CorruptArchiveError):
            _inflate(data[:size])


def test_bad_crc_is_corrupt() -> None:
    data = bytearray(make_zip({"a.csv": CSV}))
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<L", data, central + 16, zlib.crc32(CSV) ^ 1)
    with pytest.raises(CorruptArchiveError, match="CRC-32"):
        _inflate(bytes(data))


def test_damaged_deflate_stream_is_corrupt() -> None:
    data = bytearray(make_zip({"a.csv": CSV}))
    start = read_zip_member(bytes(data)).data_offset
    for at in range(start + 10, start + 60):
        data[at] ^= 0xFF
    with pytest.raises(CorruptArchiveError):
        _inflate(bytes(data))


def test_wrong_declared_size_is_corrupt() -> None:
    data = bytearray(make_zip({"a.csv": CSV}))
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<L", data, central + 24, len(CSV) - 1)
    with pytest.raises(CorruptArchiveError, match="declared"):
        _inflate(bytes(data))


def test_encrypted_member_is_corrupt() -> None:
    data = bytearray(make_zip({"a.csv": CSV}))
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 8, 0x1)
    with pytest.raises(CorruptArchiveError, match="encrypted"):
        _inflate(bytes(data))
