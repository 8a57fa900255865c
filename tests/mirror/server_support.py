"""Test data for the stand-in server tests: a small in-memory archive tree and helpers."""

from __future__ import annotations

import atexit
import functools
import hashlib
import io
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import httpx

from marketlake.catalog import format_checksum
from marketlake.mirror import ObjectInfo

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "binance" / "archive"
STAMP = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


class MemoryContent:
    """An ArchiveContent over a dict of key -> bytes, counting the calls made to it."""

    def __init__(self, files: Mapping[str, bytes], stamp: datetime = STAMP) -> None:
        self.files = dict(files)
        self.stamp = stamp
        self.calls: Counter[str] = Counter()
        self.stat_keys: list[str] = []
        self.children_folders: list[str] = []
        tree: dict[str, set[str]] = {}
        for key in self.files:
            parts = key.split("/")
            for depth in range(len(parts)):
                folder = "".join(f"{part}/" for part in parts[:depth])
                child = folder + parts[depth] + ("/" if depth < len(parts) - 1 else "")
                tree.setdefault(folder, set()).add(child)
        self._tree = {folder: sorted(children) for folder, children in tree.items()}

    def children(self, folder: str) -> list[str]:
        self.children_folders.append(folder)
        return self._tree.get(folder, [])

    def stat(self, key: str) -> ObjectInfo | None:
        self.stat_keys.append(key)
        data = self.files.get(key)
        if data is None:
            return None
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        return ObjectInfo(key=key, size=len(data), etag=etag, last_modified=self.stamp)

    def read(self, key: str) -> bytes | None:
        return self.files.get(key)


def zip_of(csv_name: str, text: str) -> bytes:
    """A deflated single-member zip like the archive's."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(csv_name, text)
    return buffer.getvalue()


def archive_pair(zip_key: str, text: str) -> dict[str, bytes]:
    """A zip and its CHECKSUM sibling, keyed by archive key."""
    name = zip_key.rsplit("/", 1)[-1]
    data = zip_of(name.removesuffix(".zip") + ".csv", text)
    checksum = format_checksum(hashlib.sha256(data).hexdigest(), name).encode()
    return {zip_key: data, zip_key + ".CHECKSUM": checksum}


def daily_klines(symbol: str, days: Iterable[str], interval: str = "1d") -> dict[str, bytes]:
    """Zip + CHECKSUM pairs of spot daily klines for ``days``."""
    files: dict[str, bytes] = {}
    folder = f"data/spot/daily/klines/{symbol}/{interval}/"
    for day in days:
        row = f"{day},1.0,2.0,0.5,1.5,10.0,{day},15.0,3,5.0,7.5,0\n" * 50
        files.update(archive_pair(f"{folder}{symbol}-{interval}-{day}.zip", row))
    return files


def day_names(count: int, start: str = "2020-01-01") -> list[str]:
    """``count`` consecutive ISO days from ``start``."""
    first = datetime.fromisoformat(start).date().toordinal()
    return [datetime.fromordinal(first + offset).date().isoformat() for offset in range(count)]


@functools.cache
def http() -> httpx.Client:
    """One keep-alive client shared by the tests (a new client costs ~50 ms of TLS set-up)."""
    client = httpx.Client(timeout=10.0)
    atexit.register(client.close)
    return client
