"""The outside world for ingest: list the archive bucket and download its files.

    async with ArchiveClient(SourceConfig.for_mirror(url)) as client:
        listing = ArchiveListing(client)
        for partition in await listing.list_partitions(market, period, "klines", "BTCUSDT", "1m"):
            verified = await client.fetch_verified(partition.key)

A large file can instead be streamed, as it arrives, into a :class:`BodySink` per attempt
(``client.stream_verified(key, open_sink)``): the sink is told at the end whether the bytes
it got are complete and match the CHECKSUM.

Failures arrive as :mod:`marketlake.errors` (``SourceError`` / ``IntegrityError`` subclasses),
never as transport or socket exceptions.
"""

from marketlake.source._models import (
    BodySink,
    FolderListing,
    RemoteFile,
    RemotePartition,
    SourceStats,
    StreamedFile,
    VerifiedFile,
)
from marketlake.source.config import SourceConfig
from marketlake.source.http import ArchiveClient
from marketlake.source.listing import ArchiveListing
from marketlake.source.sync import fetch_verified_sync

__all__ = [
    "ArchiveClient",
    "ArchiveListing",
    "BodySink",
    "FolderListing",
    "RemoteFile",
    "RemotePartition",
    "SourceConfig",
    "SourceStats",
    "StreamedFile",
    "VerifiedFile",
    "fetch_verified_sync",
]
