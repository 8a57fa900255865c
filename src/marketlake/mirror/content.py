"""What the stand-in serves: a read-only tree of archive objects.

The HTTP server knows nothing about how bytes come to be; it asks an ``ArchiveContent``.
The generated universe, an overlay directory of real files and the layering of the two all
implement this one protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ObjectInfo:
    """One object as a listing shows it: key, exact size, opaque quoted-free ETag, mtime."""

    key: str
    size: int
    etag: str
    last_modified: datetime


class ArchiveContent(Protocol):
    """A read-only archive tree, addressed by S3 keys (``data/spot/...``)."""

    def children(self, folder: str) -> Sequence[str]:
        """The direct children of ``folder`` (``""`` for the root, else ending in ``/``).

        Each child is a full key: a folder ends in ``/``, a file does not. Sorted as plain
        strings, so a depth-first walk yields keys in S3's lexicographic order. Unknown
        folders have no children.
        """
        ...

    def stat(self, key: str) -> ObjectInfo | None:
        """The object at ``key`` or None when there is none."""
        ...

    def read(self, key: str) -> bytes | None:
        """The bytes at ``key`` or None when there is none."""
        ...
