"""Trust rules on CHECKSUM content, independent of HTTP."""

from __future__ import annotations

import hashlib

import pytest

from marketlake.catalog import ArchiveKey, format_checksum
from marketlake.errors import ChecksumMismatchError, IntegrityError, MissingChecksumError
from marketlake.source._verify import check_sha256, published_sha256

KEY = ArchiveKey.parse("data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2020-01-01.zip")
DIGEST = hashlib.sha256(b"zip bytes").hexdigest()


def test_the_published_digest_is_read_from_a_well_formed_checksum() -> None:
    content = format_checksum(DIGEST.upper(), KEY.file_name).encode()
    assert published_sha256(KEY, content) == DIGEST


def test_a_checksum_naming_another_file_is_refused() -> None:
    content = format_checksum(DIGEST, "BTCUSDT-1m-2020-01-02.zip").encode()
    with pytest.raises(IntegrityError, match=r"BTCUSDT-1m-2020-01-02\.zip"):
        published_sha256(KEY, content)


@pytest.mark.parametrize("content", [b"", b"garbage", b"\xff\xfe", DIGEST.encode()])
def test_unreadable_checksum_content_is_an_integrity_error(content: bytes) -> None:
    with pytest.raises(IntegrityError) as info:
        published_sha256(KEY, content)
    assert info.value.key == KEY.zip_key


def test_no_checksum_is_a_terminal_missing_checksum_error() -> None:
    with pytest.raises(MissingChecksumError) as info:
        published_sha256(KEY, None)
    assert not info.value.transient
    assert KEY.checksum_key in info.value.message


def test_mismatch_message_names_both_hashes_and_the_key() -> None:
    other = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(ChecksumMismatchError) as info:
        check_sha256(KEY, expected=DIGEST, actual=other)
    assert DIGEST in info.value.message
    assert other in info.value.message
    assert KEY.zip_key in info.value.message
    check_sha256(KEY, expected=DIGEST.upper(), actual=DIGEST)
