"""A bounded, thread-safe LRU cache of decoded lake files, for a long-running server.

Decoding Parquet into exact decimals is most of a read's CPU. A server that answers the same
hot files again and again (``marketlake serve --cache-mb N``) keeps them decoded here:

    cache = DecodedFileCache(2 * 2**30)
    frame = cache.get(path, lambda: pl.read_parquet(path))   # decoded once, then shared

An entry is keyed by the file's path and checked against its identity on disk (inode, size,
mtime in ns) on every lookup, so a file re-written by ingest (a re-published archive file,
renamed into place) is decoded again, never served stale. Entries are evicted least recently
used first once their Arrow sizes (``DataFrame.estimated_size``) pass ``max_bytes``; a file
larger than the whole cache is decoded for the request and not kept. Frames are shared
read-only between threads. Off by default (:class:`~marketlake.lake.read.LakeReader`'s
``cache_bytes=0``), so the SDK keeps no decoded data.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from marketlake.errors import LakeError

if TYPE_CHECKING:
    import polars as pl

logger = logging.getLogger(__name__)

Identity = tuple[int, int, int]
"""A file's (inode, size, mtime_ns): a re-written file has a new one."""


@dataclass(frozen=True)
class CacheStats:
    """What a cache holds and how it was used since it was made."""

    entries: int
    nbytes: int
    max_bytes: int
    hits: int
    misses: int
    evictions: int


@dataclass(frozen=True)
class _Entry:
    identity: Identity
    frame: pl.DataFrame
    nbytes: int


class DecodedFileCache:
    """Decoded lake files, at most ``max_bytes`` of Arrow data, least recently used out first."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 1:
            raise LakeError(f"a decoded-file cache needs a positive size, got {max_bytes} bytes")
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Path, _Entry] = OrderedDict()
        self._nbytes = 0
        self._hits = self._misses = self._evictions = 0
        self._lock = threading.Lock()

    def get(self, path: Path, decode: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """``path`` decoded: from the cache while the file on disk is the one decoded, else
        ``decode()`` (outside the lock, so other files are served meanwhile), kept if it fits.

        Raises :class:`~marketlake.errors.LakeError` when the file no longer exists.
        """
        identity = file_identity(path)
        with self._lock:
            entry = self._entries.get(path)
            if entry is not None and entry.identity == identity:
                self._entries.move_to_end(path)
                self._hits += 1
                return entry.frame
            self._misses += 1
        frame = decode()
        self._keep(path, _Entry(identity, frame, int(frame.estimated_size())))
        return frame

    def stats(self) -> CacheStats:
        """Entries, bytes held and the hit, miss and eviction counts so far."""
        with self._lock:
            return CacheStats(
                len(self._entries),
                self._nbytes,
                self.max_bytes,
                self._hits,
                self._misses,
                self._evictions,
            )

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self._nbytes = 0

    def _keep(self, path: Path, entry: _Entry) -> None:
        with self._lock:
            old = self._entries.pop(path, None)
            if old is not None:
                self._nbytes -= old.nbytes
            if entry.nbytes > self.max_bytes:
                logger.debug("%s: %d bytes decoded, larger than the cache", path, entry.nbytes)
                return
            self._entries[path] = entry
            self._nbytes += entry.nbytes
            while self._nbytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._nbytes -= evicted.nbytes
                self._evictions += 1


def file_identity(path: Path) -> Identity:
    """``path``'s (inode, size, mtime_ns); LakeError when it is gone."""
    try:
        found = path.stat()
    except FileNotFoundError as exc:
        raise LakeError(
            f"lake file {path} is gone (re-written or removed during the read)"
        ) from exc
    return found.st_ino, found.st_size, found.st_mtime_ns


__all__ = ["CacheStats", "DecodedFileCache", "file_identity"]
