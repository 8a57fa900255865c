"""``GeneratedArchive``: the whole archive generated on request from a seed.

Listing a folder never generates data; ``stat`` and ``read`` generate the zip (once: bytes go
to an LRU bounded by total size, digests to a larger one), so a listing and the downloads
after it pay for each file once. The same seed always gives byte-identical zips.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from marketlake.catalog import ArchiveKey, format_checksum
from marketlake.catalog.keys import CHECKSUM_SUFFIX
from marketlake.errors import MirrorError
from marketlake.mirror.content import ObjectInfo
from marketlake.mirror.generate.cache import BoundedCache
from marketlake.mirror.generate.plans import FilePlan, Planner, parse_key
from marketlake.mirror.generate.render import Renderer
from marketlake.mirror.generate.traps import Traps, known_traps
from marketlake.mirror.generate.tree import DATA, Tree
from marketlake.mirror.generate.updates import UPDATES, updates_csv, updates_keys, updates_modified
from marketlake.mirror.generate.zipper import zip_single
from marketlake.mirror.universe import DEFAULT_UNIVERSE, Universe

logger = logging.getLogger(__name__)
_TRAPS = known_traps()

DEFAULT_CACHE_BYTES = 512 * 1024 * 1024
_DIGEST_ENTRIES = 300_000


@dataclass(frozen=True)
class _Digest:
    size: int
    md5: str
    sha256: str


class GeneratedArchive:
    """A seeded, lazily generated stand-in for every key of the archive, as seen at ``now``."""

    def __init__(
        self,
        seed: int = 0,
        now: dt.date | None = None,
        big: bool = True,
        *,
        universe: Universe = DEFAULT_UNIVERSE,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.seed = seed
        self.now = now if now is not None else dt.datetime.now(dt.UTC).date()
        self.big = big
        self.universe = universe
        self._planner = Planner(universe, seed, self.now)
        self._tree = Tree(self._planner)
        self._renderer = Renderer(seed, big)
        self._bytes: BoundedCache[tuple[str, str], bytes] = BoundedCache(cache_bytes)
        self._digests: BoundedCache[tuple[str, str], _Digest] = BoundedCache(_DIGEST_ENTRIES)
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @property
    def traps(self) -> Traps:
        """Where each trap of the real archive is planted (keys), and the busy-day key."""
        return _TRAPS

    def children(self, folder: str) -> Sequence[str]:
        """The sorted direct children of ``folder`` (``""`` for the root)."""
        if folder == "":
            return [DATA, UPDATES] if updates_keys(self.now) else [DATA]
        if folder == UPDATES:
            return updates_keys(self.now)
        if folder.startswith(DATA) and folder.endswith("/"):
            return self._tree.children(folder)
        return []

    def stat(self, key: str) -> ObjectInfo | None:
        """Size, ETag (md5 hex) and publication time of ``key``, or None."""
        if key.startswith(UPDATES):
            data = self.read(key)
            modified = updates_modified(key)
            if data is None or modified is None:
                return None
            return ObjectInfo(key, len(data), hashlib.md5(data).hexdigest(), modified)
        plan = self._plan(key)
        if plan is None:
            return None
        if key.endswith(CHECKSUM_SUFFIX):
            data = self._checksum_text(plan)
            return ObjectInfo(key, len(data), hashlib.md5(data).hexdigest(), plan.modified)
        digest = self._digest(plan)
        return ObjectInfo(key, digest.size, digest.md5, plan.modified)

    def read(self, key: str) -> bytes | None:
        """The bytes at ``key``, or None."""
        if key.startswith(UPDATES):
            if key not in updates_keys(self.now):
                return None
            return updates_csv(key, self._update_checksums)
        plan = self._plan(key)
        if plan is None:
            return None
        if key.endswith(CHECKSUM_SUFFIX):
            return self._checksum_text(plan)
        return self._zip(plan)

    def _plan(self, key: str) -> FilePlan | None:
        archive_key = parse_key(key)
        if archive_key is None or key not in (archive_key.zip_key, archive_key.checksum_key):
            return None
        return self._planner.plan(archive_key)

    def _checksum_text(self, plan: FilePlan) -> bytes:
        digest = self._digest(plan)
        return format_checksum(digest.sha256, plan.key.file_name).encode("utf-8")

    def _digest(self, plan: FilePlan) -> _Digest:
        cached = self._digests.get((plan.key.zip_key, plan.version))
        if cached is not None:
            return cached
        data = self._zip(plan)
        digest = self._digests.get((plan.key.zip_key, plan.version))
        return digest if digest is not None else _digest_of(data)

    def _zip(self, plan: FilePlan) -> bytes:
        cache_key = (plan.key.zip_key, plan.version)
        cached = self._bytes.get(cache_key)
        if cached is not None:
            return cached
        with self._lock_for(cache_key):
            cached = self._bytes.get(cache_key)
            if cached is None:
                cached = self._generate(plan)
                self._bytes.put(cache_key, cached, len(cached))
                self._digests.put(cache_key, _digest_of(cached), 1)
        with self._locks_guard:
            self._locks.pop(cache_key, None)
        return cached

    def _generate(self, plan: FilePlan) -> bytes:
        logger.debug("generating %s (%s)", plan.key.zip_key, plan.version)
        try:
            chunks = self._renderer.csv_chunks(plan)
            return zip_single(plan.key.csv_name, chunks, plan.modified.replace(tzinfo=None))
        except (ValueError, OverflowError, MemoryError) as exc:
            raise MirrorError(
                f"cannot generate {plan.key.zip_key}: {exc}", key=plan.key.zip_key
            ) from exc

    def _lock_for(self, cache_key: tuple[str, str]) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(cache_key, threading.Lock())

    def _update_checksums(self, zip_key: str) -> tuple[str, str]:
        key = ArchiveKey.parse(zip_key)
        current, original = self._planner.plan(key), self._planner.original_plan(key)
        if current is None or original is None:
            raise MirrorError(f"regenerated file {zip_key} is not published", key=zip_key)
        return _digest_of(self._zip(original)).sha256, self._digest(current).sha256


def _digest_of(data: bytes) -> _Digest:
    return _Digest(len(data), hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest())
