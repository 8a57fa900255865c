"""The zip reader: real archive zips, the zip variants it must read, and every way to fail.

Each case runs twice where it can: on the whole zip in memory (``iter_zip_member``) and on
the zip arriving in pieces (``iter_streamed_member``), which must read and refuse alike.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from marketlake.errors import CorruptArchiveError
from marketlake.ingest import unzip
from marketlake.ingest.unzip import iter_streamed_member, iter_zip_member, read_zip_member
from tests.ingest.decode_support import (
    make_zip,
    sample_keys,
    zip64_by_hand,
    zip_with_data_descriptor,
)

CSV = b"".join(b"%d,1.5,2.25,true\n" % i for i in range(5000))


Inflate = Callable[..., bytes]
STREAM_PIECE = 1000
"""Bytes per piece of a streamed zip in these tests: headers and records straddle pieces."""


def _inflate(data: bytes, chunk_size: int = unzip.DEFAULT_CHUNK_SIZE) -> bytes:
    return b"".join(iter_zip_member(data, chunk_size=chunk_size))


def _inflate_streamed(data: bytes, chunk_size: int = unzip.DEFAULT_CHUNK_SIZE) -> bytes:
    pieces = (data[at : at + STREAM_PIECE] for at in range(0, len(data), STREAM_PIECE))
    return b"".join(iter_streamed_member(pieces, chunk_size=chunk_size))


@pytest.fixture(params=[_inflate, _inflate_streamed], ids=["whole", "streamed"])
def inflate(request: pytest.FixtureRequest) -> Inflate:
    """Inflate a zip held whole, or one arriving in pieces."""
    function: Inflate = request.param
    return function


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


@pytest.mark.parametrize("piece", [1, 4096, 1 << 20])
def test_real_archive_zips_inflate_the_same_streamed_in_pieces(piece: int) -> None:
    for _, path in sample_keys():
        data = path.read_bytes()
        pieces = (data[at : at + piece] for at in range(0, len(data), piece))
        assert b"".join(iter_streamed_member(pieces, chunk_size=4096)) == _inflate(data)


def test_a_streamed_zip_is_inflated_before_its_end_arrives() -> None:
    data = make_zip({"a.csv": CSV * 20})
    arrived: list[int] = []

    def pieces() -> Iterator[bytes]:
        for at in range(0, len(data), STREAM_PIECE):
            arrived.append(at)
            yield data[at : at + STREAM_PIECE]

    inflated = iter_streamed_member(pieces(), chunk_size=1000)
    first = next(inflated)
    assert first == (CSV * 20)[:1000]
    assert arrived[-1] < len(data) // 2
    assert first + b"".join(inflated) == CSV * 20


def test_a_streamed_zip_larger_than_its_kept_tail_is_read_from_its_ends() -> None:
    rows = b"".join(b"%d,%s\n" % (i, os.urandom(24).hex().encode()) for i in range(80_000))
    data = make_zip({"a.csv": rows})
    assert len(data) > 2 * unzip.TAIL_BYTES  # the central directory is read from the kept end
    pieces = (data[at : at + 65536] for at in range(0, len(data), 65536))
    assert b"".join(iter_streamed_member(pieces)) == rows
    damaged = bytearray(data)
    struct.pack_into("<L", damaged, damaged.rindex(b"PK\x01\x02") + 16, zlib.crc32(rows) ^ 1)
    pieces = (damaged[at : at + 65536] for at in range(0, len(damaged), 65536))
    with pytest.raises(CorruptArchiveError, match="CRC-32"):
        b"".join(iter_streamed_member(bytes(p) for p in pieces))


def test_chunks_stay_bounded_and_memoryview_input_works() -> None:
    data = make_zip({"a.csv": CSV})
    chunks = list(iter_zip_member(memoryview(data), chunk_size=1000))
    assert b"".join(chunks) == CSV
    assert max(len(c) for c in chunks) <= 1000


def test_stored_member(inflate: Inflate) -> None:
    data = make_zip({"a.csv": CSV}, method=zipfile.ZIP_STORED)
    assert read_zip_member(data).method == unzip.STORED
    assert inflate(data, 777) == CSV


def test_data_descriptor_after_the_data(inflate: Inflate) -> None:
    data = zip_with_data_descriptor("a.csv", CSV)
    flags = struct.unpack_from("<H", data, 6)[0]
    assert flags & 0x8, "the stdlib wrote no data descriptor: the test proves nothing"
    assert inflate(data) == CSV


def test_zip64_records_and_extra_fields(inflate: Inflate) -> None:
    data = zip64_by_hand("a.csv", CSV)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # the stdlib agrees it is valid
        assert archive.read("a.csv") == CSV
    member = read_zip_member(data)
    assert (member.uncompressed_size, member.name) == (len(CSV), "a.csv")
    assert inflate(data) == CSV


def test_zip64_local_extra_from_the_stdlib(inflate: Inflate) -> None:
    assert inflate(make_zip({"a.csv": CSV}, force_zip64=True)) == CSV


def test_archive_comment_is_skipped(inflate: Inflate) -> None:
    data = make_zip({"a.csv": CSV}, comment=b"PK\x05\x06 looks like a record")
    assert inflate(data) == CSV


def test_utf8_member_name() -> None:
    data = make_zip({"币安人生USDT-trades-2025-10-01.csv": CSV})
    assert read_zip_member(data).name == "币安人生USDT-trades-2025-10-01.csv"


def test_stdlib_zlib_fallback_inflates_the_same(
    monkeypatch: pytest.MonkeyPatch, inflate: Inflate
) -> None:
    monkeypatch.setattr(unzip, "_zlib", zlib)
    assert inflate(make_zip({"a.csv": CSV}), 2048) == CSV


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
def test_unreadable_archives_are_corrupt(data: bytes, message: str, inflate: Inflate) -> None:
    with pytest.raises(CorruptArchiveError, match=message):
        inflate(data)


def test_every_truncation_is_corrupt(inflate: Inflate) -> None:
    data = make_zip({"a.csv": CSV[:3000]})
    for size in range(len(data)):
        with pytest.raises(CorruptArchiveError):
            inflate(data[:size])


def test_bad_crc_is_corrupt(inflate: Inflate) -> None:
    data = bytearray(make_zip({"a.csv": CSV}))
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<L", data, central + 16, zlib.crc32(CSV) ^ 1)
    with pytest.raises(CorruptArchiveError, match="CRC-32"):
        inflate(bytes(data))


def test_damaged_deflate_stream_is_corrupt(inflate: Inflate) -> None:
    data = bytearray(make_zip({"a.csv": CSV}))
    start = read_zip_member(bytes(data)).data_offset
    for at in range(start + 10, start + 60):
        data[at] ^= 0xFF
    with pytest.raises(CorruptArchiveError):
        inflate(bytes(data))


def test_wrong_declared_size_is_corrupt(inflate: Inflate) -> None:
    data = bytearray(make_zip({"a.csv": CSV}))
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<L", data, central + 24, len(CSV) - 1)
    with pytest.raises(CorruptArchiveError, match="declared"):
        inflate(bytes(data))


def test_encrypted_member_is_corrupt(inflate: Inflate) -> None:
    data = bytearray(make_zip({"a.csv": CSV}))
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 8, 0x1)
    with pytest.raises(CorruptArchiveError, match="encrypted"):
        inflate(bytes(data))
