"""The manifest's seams: the store everyone uses, and the backend each database implements.

``ManifestStore`` is what the pipeline, the CLI and the lake reader call. ``SqlBackend`` is the
small surface a database must offer (run SQL, run it for many rows, a transaction, close) so
that one implementation of the store's logic (:mod:`marketlake.manifest.core`) serves SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from marketlake.catalog import ArchiveKey, Market
from marketlake.manifest.loads import LakeCounts, LoadCounts, WarehouseLoad
from marketlake.manifest.models import ManifestSummary, PartitionFiles, PartitionRecord


class ManifestStore(Protocol):
    """The state store: one record per archive partition; it decides what is done."""

    @property
    def location(self) -> str:
        """Where the manifest lives, safe to show (passwords masked)."""
        ...

    def init_schema(self) -> int:
        """Create or migrate the schema to the latest version; return that version."""
        ...

    def schema_version(self) -> int:
        """The schema version in the database (0 when there is none)."""
        ...

    def records(
        self,
        source: str,
        market: Market,
        dataset: str,
        *,
        interval: str | None = None,
        symbols: Iterable[str] | None = None,
    ) -> dict[ArchiveKey, PartitionRecord]:
        """Every record of ``source``/``market``/``dataset``, optionally one interval/symbols."""
        ...

    def get(self, source: str, key: ArchiveKey) -> PartitionRecord | None:
        """The record of one partition, or None."""
        ...

    def save(self, records: Sequence[PartitionRecord]) -> None:
        """Upsert ``records`` atomically in one transaction; attempts = previous + 1."""
        ...

    def summary(
        self, market: Market | None = None, dataset: str | None = None, *, failures: int = 10
    ) -> ManifestSummary:
        """Counts per market/dataset and status, and the ``failures`` latest failures."""
        ...

    def files(
        self,
        market: Market,
        dataset: str,
        *,
        interval: str | None = None,
        symbols: Iterable[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        source: str | None = None,
    ) -> list[PartitionFiles]:
        """Done, not superseded partitions whose rows overlap ``[start, end)``."""
        ...

    def warehouse_loads(
        self,
        warehouse: str,
        source: str,
        market: Market,
        dataset: str,
        *,
        interval: str | None = None,
        symbols: Iterable[str] | None = None,
    ) -> dict[ArchiveKey, WarehouseLoad]:
        """What ``warehouse`` holds of ``source``/``market``/``dataset`` (per partition)."""
        ...

    def save_warehouse_loads(self, records: Sequence[WarehouseLoad]) -> None:
        """Upsert load records in one transaction."""
        ...

    def forget_warehouse_loads(
        self, warehouse: str, source: str, keys: Iterable[ArchiveKey]
    ) -> None:
        """Delete the load records of ``keys`` in one transaction."""
        ...

    def warehouse_counts(
        self,
        warehouse: str | None = None,
        market: Market | None = None,
        dataset: str | None = None,
    ) -> tuple[LoadCounts, ...]:
        """Per warehouse and dataset: partitions and rows loaded, current, stale, loading."""
        ...

    def lake_counts(
        self, market: Market | None = None, dataset: str | None = None
    ) -> tuple[LakeCounts, ...]:
        """Per dataset and interval: the partitions and rows the lake serves."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class SqlBackend(Protocol):
    """One open database connection, its SQL placeholder, and errors already translated.

    Every method raises :class:`marketlake.errors.ManifestError` (never a driver exception).
    """

    placeholder: str
    location: str

    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction: committed on success, rolled back on any exception."""
        ...

    def lock_schema(self) -> None:
        """Inside a transaction: serialise schema migrations across processes."""
        ...

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run one statement."""
        ...

    def execute_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement once per row."""
        ...

    def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run a query and return every row."""
        ...

    def table_exists(self, name: str) -> bool:
        """True if table ``name`` exists."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...
