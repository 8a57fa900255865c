"""List the archive bucket folder by folder (S3 ListObjects v1 with delimiter ``/``).

The listing, not the exchange's symbol list, is the universe: delisted symbols stay in the
bucket. A listing without a delimiter is recursive and huge, so only folders are listed.
Each folder is listed once per :class:`ArchiveListing` (one run), then served from memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from urllib.parse import quote

from marketlake.catalog import ArchiveKey, Market, Period, folder_of, get_dataset
from marketlake.catalog.keys import CHECKSUM_SUFFIX
from marketlake.errors import ArchiveKeyError, CatalogError, SourceError
from marketlake.source._models import FolderListing, RemoteFile, RemotePartition
from marketlake.source._s3xml import ListingPage, parse_listing_page
from marketlake.source.http import ArchiveClient

logger = logging.getLogger(__name__)


class ArchiveListing:
    """Folder listings of the archive through an open :class:`ArchiveClient`, cached per run."""

    def __init__(self, client: ArchiveClient) -> None:
        self._client = client
        self._cache: dict[str, FolderListing] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def list_folder(self, prefix: str) -> FolderListing:
        """The files and sub-folders directly under ``prefix`` (a ``/`` is appended if missing)."""
        return await self.list_prefix(_as_folder(prefix))

    async def list_prefix(self, prefix: str) -> FolderListing:
        """The files and sub-folders whose keys start with ``prefix``, one level deep.

        ``prefix`` may end inside a file name (``.../BTCUSDT-1m-2024-01``) to list only part of
        a folder, as S3 allows; a folder's listing then costs one small page instead of many.
        """
        async with self._locks.setdefault(prefix, asyncio.Lock()):
            cached = self._cache.get(prefix)
            if cached is None:
                cached = await self._list_all_pages(prefix)
                self._cache[prefix] = cached
            return cached

    async def list_symbols(self, market: Market, period: Period, dataset: str) -> tuple[str, ...]:
        """Every symbol folder of a dataset, delisted ones included, in key order."""
        get_dataset(dataset)
        folder = folder_of(market, period, dataset)
        listing = await self.list_folder(folder)
        return tuple(sub[len(folder) :].rstrip("/") for sub in listing.folders)

    async def list_partitions(
        self,
        market: Market,
        period: Period,
        dataset: str,
        symbol: str,
        interval: str | None = None,
        *,
        dates: Iterable[str] | None = None,
    ) -> tuple[RemotePartition, ...]:
        """The published zips of one symbol (and interval), each with its CHECKSUM if listed.

        ``dates`` narrows the listing to file names whose date starts with one of them
        (``2024-01`` for a month of daily files, ``2024`` for a year of monthly files).
        """
        if get_dataset(dataset).has_interval != (interval is not None):
            need = "needs an interval" if interval is None else "takes no interval"
            raise CatalogError(f"{dataset} {need} (listing {market.value} {symbol})")
        folder = folder_of(market, period, dataset, symbol, interval)
        if dates is None:
            return _partitions((await self.list_folder(folder)).files)
        stem = f"{folder}{symbol}-{interval if interval is not None else dataset}-"
        listings = await asyncio.gather(*(self.list_prefix(stem + d) for d in sorted(set(dates))))
        return _partitions(tuple(f for listing in listings for f in listing.files))

    async def _list_all_pages(self, prefix: str) -> FolderListing:
        files: list[RemoteFile] = []
        folders: list[str] = []
        marker: str | None = None
        while True:
            page = await self._list_page(prefix, marker)
            files.extend(page.files)
            folders.extend(page.folders)
            if not page.is_truncated:
                break
            marker = _next_marker(page, marker, prefix)
        logger.debug("listed %s: %d files, %d folders", prefix, len(files), len(folders))
        return FolderListing(prefix, tuple(files), tuple(folders))

    async def _list_page(self, prefix: str, marker: str | None) -> ListingPage:
        url = f"{self._client.config.listing_url}?delimiter=/&prefix={quote(prefix, safe='/')}"
        if marker is not None:
            url += f"&marker={quote(marker, safe='/')}"
        return parse_listing_page(await self._client.get(url), url=url)


def _next_marker(page: ListingPage, previous: str | None, prefix: str) -> str:
    marker = page.marker_after()
    if marker is None or (previous is not None and marker <= previous):
        raise SourceError(
            f"listing of {prefix!r} is truncated but does not advance (marker {marker!r})"
        )
    return marker


def _partitions(files: tuple[RemoteFile, ...]) -> tuple[RemotePartition, ...]:
    by_key = {file.key: file for file in files}
    partitions: list[RemotePartition] = []
    for file in files:
        if not file.key.endswith(".zip"):
            continue
        try:
            key = ArchiveKey.parse(file.key)
        except ArchiveKeyError as exc:
            logger.warning("skipping listed file %s: %s", file.key, exc.message)
            continue
        partitions.append(RemotePartition(key, file, by_key.get(file.key + CHECKSUM_SUFFIX)))
    return tuple(partitions)


def _as_folder(prefix: str) -> str:
    if prefix and not prefix.endswith("/"):
        return prefix + "/"
    return prefix
