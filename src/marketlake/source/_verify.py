"""Trust rules for a downloaded zip: its CHECKSUM must exist, name it, and match its sha256."""

from __future__ import annotations

from marketlake.catalog import ArchiveKey, parse_checksum
from marketlake.errors import (
    ArchiveKeyError,
    ChecksumMismatchError,
    IntegrityError,
    MissingChecksumError,
)


def published_sha256(key: ArchiveKey, content: bytes | None) -> str:
    """The sha256 the CHECKSUM file publishes for ``key``'s zip (``content`` None: no CHECKSUM)."""
    if content is None:
        raise MissingChecksumError(
            f"{key.zip_key} is published without {key.checksum_key}: it cannot be verified; "
            "retry in a later run (the archive may still be uploading it)",
            key=key.zip_key,
        )
    try:
        digest, name = parse_checksum(content.decode("utf-8"))
    except (UnicodeDecodeError, ArchiveKeyError) as exc:
        raise IntegrityError(
            f"{key.checksum_key} is not a CHECKSUM file: {content[:120]!r}", key=key.zip_key
        ) from exc
    if name != key.file_name:
        raise IntegrityError(
            f"{key.checksum_key} names {name!r}, not {key.file_name!r}", key=key.zip_key
        )
    return digest


def check_sha256(key: ArchiveKey, *, expected: str, actual: str) -> None:
    """Raise :class:`ChecksumMismatchError` unless the zip's sha256 equals the published one."""
    if actual.lower() != expected.lower():
        raise ChecksumMismatchError(
            f"sha256 of {key.zip_key} is {actual}, but its CHECKSUM says {expected}: "
            "the download or the published file is corrupt",
            key=key.zip_key,
        )
