"""Value objects of the manifest: one record per archive partition, summaries, file index rows.

A partition is one archive file (``ArchiveKey``) as fetched from one ``source`` (the download
base URL, e.g. ``https://data.binance.vision``). Its record says whether it is done, failed or
unavailable, and what was built from it. All datetimes are timezone-aware UTC with
microseconds; the stores keep them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from marketlake.catalog import ArchiveKey, Market
from marketlake.catalog.arrow import SCHEMA_VERSION


class PartitionStatus(StrEnum):
    """The closed set of partition states."""

    DONE = "done"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class PartitionRecord:
    """What the manifest knows about one archive partition from one source.

    ``attempts`` is owned by the store: :meth:`ManifestStore.save` stores the previous
    attempts + 1 (1 for a new partition) whatever value the record carries.
    ``rows`` counts rows kept after de-duplication, ``rows_in_file`` rows read from the CSV.
    ``files`` are lake paths relative to the lake root. ``schema_version`` is the lake schema
    the files were written with. ``superseded_by`` is the monthly zip key whose files replaced
    this daily partition's files. ``sha256``, ``etag`` and ``size`` are None when unknown
    (a partition that failed before download, or one the archive does not have).
    """

    source: str
    key: ArchiveKey
    status: PartitionStatus
    rows: int | None = None
    rows_in_file: int | None = None
    min_time: datetime | None = None
    max_time: datetime | None = None
    files: tuple[str, ...] = ()
    sha256: str | None = None
    etag: str | None = None
    size: int | None = None
    source_last_modified: datetime | None = None
    schema_version: int = SCHEMA_VERSION
    attempts: int = 0
    error: str | None = None
    superseded_by: str | None = None
    updated_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True)
class DatasetCounts:
    """Partition counts per status for one market and dataset."""

    market: Market
    dataset: str
    done: int = 0
    failed: int = 0
    unavailable: int = 0
    superseded: int = 0

    @property
    def total(self) -> int:
        """All partitions recorded for this market and dataset."""
        return self.done + self.failed + self.unavailable


@dataclass(frozen=True)
class ManifestSummary:
    """Counts per market/dataset and status, and the most recent failures."""

    datasets: tuple[DatasetCounts, ...]
    latest_failures: tuple[PartitionRecord, ...]

    def count(self, status: PartitionStatus) -> int:
        """Partitions in ``status`` across every market and dataset."""
        return sum(getattr(counts, status.value) for counts in self.datasets)


@dataclass(frozen=True)
class PartitionFiles:
    """One done partition's lake files and the time range its rows cover (read index)."""

    source: str
    key: ArchiveKey
    files: tuple[str, ...]
    min_time: datetime
    max_time: datetime
    rows: int | None
