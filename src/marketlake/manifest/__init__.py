"""The state store: one record per archive partition; it, not the filesystem, decides what is done.

SQLite inside the lake by default, PostgreSQL for shared use and many workers; both behind
:class:`ManifestStore` with the same versioned schema.
"""

from marketlake.manifest.abc import ManifestStore
from marketlake.manifest.connect import open_manifest
from marketlake.manifest.dsn import ManifestDsn, ManifestKind, parse_dsn
from marketlake.manifest.loads import LakeCounts, LoadCounts, LoadState, WarehouseLoad
from marketlake.manifest.models import (
    DatasetCounts,
    ManifestSummary,
    PartitionFiles,
    PartitionRecord,
    PartitionStatus,
)
from marketlake.manifest.postgres import create_database
from marketlake.manifest.schema import LATEST_VERSION
from marketlake.secrets import mask_dsn

__all__ = [  # noqa: RUF022 (grouped: opening a store, then value objects)
    # opening a store
    "LATEST_VERSION",
    "ManifestDsn",
    "ManifestKind",
    "ManifestStore",
    "create_database",
    "mask_dsn",
    "open_manifest",
    "parse_dsn",
    # value objects
    "DatasetCounts",
    "ManifestSummary",
    "PartitionFiles",
    "PartitionRecord",
    "PartitionStatus",
    # what each warehouse holds
    "LakeCounts",
    "LoadCounts",
    "LoadState",
    "WarehouseLoad",
]
