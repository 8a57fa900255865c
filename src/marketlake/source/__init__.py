"""The outside world for ingest: list the archive bucket and download its files.

    async with ArchiveClient(SourceConfig.for_mirror(url)) as client:
        listing = ArchiveListing(client)
        for partition in await listing.list_partitions(market, period, "klines", "BTCUSDT", "1m"):
            verified = await client.fetch_verified(partition.key)

Failures arrive as :mod:`marketlake.errors` (``SourceError`` / ``IntegrityError`` subclasses),
never as aiohttp exceptions.
"""

from marketlake.source._models import (
    FolderListing,
    RemoteFile,
    RemotePartition,
    SourceStats,
    VerifiedFile,
)
from marketlake.source.config import SourceConfig
from marketlake.source.http import ArchiveClient
from marketlake.source.listing import ArchiveListing
from marketlake.source.sync import fetch_verified_sync

__all__ = [
    "ArchiveClient",
    "ArchiveListing",
    "FolderListing",
    "RemoteFile",
    "RemotePartition",
    "SourceConfig",
    "SourceStats",
    "VerifiedFile",
    "fetch_verified_sync",
]
