"""Value objects the source layer hands to the layers above it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from marketlake.catalog import ArchiveKey


@dataclass(frozen=True)
class RemoteFile:
    """One object as the bucket listing shows it; ``etag`` without quotes, ``last_modified`` UTC."""

    key: str
    size: int
    etag: str
    last_modified: datetime

    @property
    def name(self) -> str:
        """The file name: the key's last path segment."""
        return self.key.rpartition("/")[2]


@dataclass(frozen=True)
class FolderListing:
    """The direct children of one folder: its files and its sub-folders (full keys ending ``/``)."""

    prefix: str
    files: tuple[RemoteFile, ...]
    folders: tuple[str, ...]


@dataclass(frozen=True)
class RemotePartition:
    """A published archive zip, its parsed key, and its CHECKSUM sibling if one is listed."""

    key: ArchiveKey
    zip: RemoteFile
    checksum: RemoteFile | None

    @property
    def has_checksum(self) -> bool:
        """True when the listing shows the zip's ``.CHECKSUM`` file."""
        return self.checksum is not None


@dataclass(frozen=True)
class VerifiedFile:
    """A downloaded zip whose sha256 equals its published CHECKSUM."""

    key: ArchiveKey
    data: bytes
    sha256: str
    size: int
    etag: str
    last_modified: datetime | None


@dataclass(frozen=True)
class StreamedFile:
    """A zip that streamed into a :class:`BodySink` and whose sha256 equals its CHECKSUM."""

    key: ArchiveKey
    sha256: str
    size: int
    etag: str
    last_modified: datetime | None


class BodySink(Protocol):
    """Takes one download attempt's body as it arrives (see ``ArchiveClient.stream_verified``).

    ``close(verified=True)`` comes only after the whole body arrived and its sha256 matched
    the CHECKSUM; an attempt that failed, will be retried, or did not match is closed with
    ``verified=False``, and its bytes must not be used.
    """

    def write(self, chunk: bytes) -> None:
        """The next bytes of the body."""

    def close(self, *, verified: bool) -> None:
        """The body ended: verified and complete, or not to be used."""


@dataclass(frozen=True)
class SourceStats:
    """Counters of one client's life, for the run report."""

    requests: int = 0
    retries: int = 0
    bytes_received: int = 0
    rate_limited: int = 0
