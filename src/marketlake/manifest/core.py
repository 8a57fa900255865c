"""The manifest's logic, written once over :class:`~marketlake.manifest.abc.SqlBackend`.

SQLite and PostgreSQL differ only in their backend (connection, placeholder, transactions,
error translation); every query, the upsert and the migrations live here.

Attempts are counted in SQL: an upsert stores ``attempts + 1`` of the existing row (1 for a
new one), so concurrent writers never lose a count. Records of one ``save`` are written in
primary-key order, which keeps concurrent PostgreSQL writers free of deadlocks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from marketlake._closing import Closing
from marketlake.catalog import ArchiveKey, Market
from marketlake.errors import ManifestError, ManifestNotInitializedError
from marketlake.manifest import loads, rows
from marketlake.manifest.abc import SqlBackend
from marketlake.manifest.loads import LakeCounts, LoadCounts, WarehouseLoad
from marketlake.manifest.models import (
    DatasetCounts,
    ManifestSummary,
    PartitionFiles,
    PartitionRecord,
    PartitionStatus,
    utc_now,
)
from marketlake.manifest.schema import (
    CREATE_VERSION_TABLE,
    MIGRATIONS,
    PARTITIONS_TABLE,
    VERSION_TABLE,
    Migration,
    pending_migrations,
)

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

_SELECT_RECORDS = f"SELECT {', '.join(rows.RECORD_COLUMNS)} FROM {PARTITIONS_TABLE}"
_FILES_ORDER = "ORDER BY interval, symbol, min_time, period, date, source"
_SELECT_FILES = (
    f"SELECT {', '.join(rows.FILES_COLUMNS)} FROM {PARTITIONS_TABLE}"
    " WHERE status = 'done' AND superseded_by IS NULL AND min_time IS NOT NULL"
)


class SqlManifest(Closing):
    """A :class:`~marketlake.manifest.abc.ManifestStore` over one SQL backend (thread-safe)."""

    def __init__(self, backend: SqlBackend, *, migrations: tuple[Migration, ...] = MIGRATIONS):
        self._db = backend
        self._migrations = migrations
        self._latest = migrations[-1].version
        self._lock = threading.RLock()
        self._schema_ready = False

    @property
    def location(self) -> str:
        """Where the manifest lives, passwords masked."""
        return self._db.location

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.location}>"

    def schema_version(self) -> int:
        """The schema version in the database (0 when there is none)."""
        with self._lock:
            if not self._db.table_exists(VERSION_TABLE):
                return 0
            return self._stored_version()

    def init_schema(self) -> int:
        """Create or migrate the schema to the latest version (idempotent); return it."""
        with self._lock, self._db.transaction():
            self._db.lock_schema()
            self._db.execute(CREATE_VERSION_TABLE)
            current = self._stored_version()
            self._refuse_newer(current)
            for migration in pending_migrations(current, self._migrations):
                self._apply(migration)
        self._schema_ready = True
        return self._latest

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
        where = ["source = {p}", "market = {p}", "dataset = {p}"]
        params: list[object] = [source, market.value, dataset]
        if not _filter_symbols(where, params, symbols):
            return {}
        if interval is not None:
            where.append("interval = {p}")
            params.append(interval)
        found = self._records(_SELECT_RECORDS + " WHERE " + " AND ".join(where), params)
        return {record.key: record for record in found}

    def get(self, source: str, key: ArchiveKey) -> PartitionRecord | None:
        """The record of one partition, or None."""
        where = " AND ".join(f"{column} = {{p}}" for column in rows.KEY_COLUMNS)
        found = self._records(f"{_SELECT_RECORDS} WHERE {where}", rows.key_params(source, key))
        return found[0] if found else None

    def save(self, records: Sequence[PartitionRecord]) -> None:
        """Upsert ``records`` in one transaction; stored attempts = previous + 1 (or 1)."""
        latest = {(r.source, r.key): r for r in records}
        ordered = sorted(latest.values(), key=lambda r: rows.key_params(r.source, r.key))
        if not ordered:
            return
        with self._lock:
            self._require_schema()
            with self._db.transaction():
                self._db.execute_many(self._sql(_UPSERT), [rows.record_params(r) for r in ordered])
        logger.debug("saved %d partition records to %s", len(ordered), self.location)

    def summary(
        self, market: Market | None = None, dataset: str | None = None, *, failures: int = 10
    ) -> ManifestSummary:
        """Counts per market/dataset and status, and the ``failures`` latest failures."""
        where, params = _scope(market, dataset)
        counted = self._query(_COUNT_BY_STATUS.format(where=where), params)
        failed = self._records(
            f"{_SELECT_RECORDS} WHERE status = 'failed'{where}"
            " ORDER BY updated_at DESC, market, dataset, symbol, date LIMIT {p}",
            [*params, failures],
        )
        return ManifestSummary(
            datasets=_dataset_counts(counted),
            latest_failures=tuple(failed),
        )

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
        where = ["market = {p}", "dataset = {p}"]
        params: list[object] = [market.value, dataset]
        if not _filter_symbols(where, params, symbols):
            return []
        conditions = (
            ("interval = {p}", interval),
            ("max_time >= {p}", rows.to_micros(start)),
            ("min_time < {p}", rows.to_micros(end)),
            ("source = {p}", source),
        )
        for condition, value in conditions:
            if value is not None:
                where.append(condition)
                params.append(value)
        sql = f"{_SELECT_FILES} AND {' AND '.join(where)} {_FILES_ORDER}"
        return self._decoded(self._query(sql, params), rows.partition_files_from_row)

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
        query = loads.select_loads(
            warehouse, source, market, dataset, interval=interval, symbols=symbols
        )
        if query is None:
            return {}
        found = self._decoded(self._query(*query), loads.load_from_row)
        return {load.key: load for load in found}

    def save_warehouse_loads(self, records: Sequence[WarehouseLoad]) -> None:
        """Upsert load records in one transaction."""
        self._write_many(loads.UPSERT, [loads.load_params(r) for r in records])

    def forget_warehouse_loads(
        self, warehouse: str, source: str, keys: Iterable[ArchiveKey]
    ) -> None:
        """Delete the load records of ``keys`` in one transaction."""
        self._write_many(loads.DELETE, [loads.key_params(warehouse, source, k) for k in keys])

    def warehouse_counts(
        self,
        warehouse: str | None = None,
        market: Market | None = None,
        dataset: str | None = None,
    ) -> tuple[LoadCounts, ...]:
        """Per warehouse and dataset: partitions and rows loaded, current, stale, loading."""
        found = self._query(*loads.count_loads(warehouse, market, dataset))
        return tuple(self._decoded(found, loads.load_counts_from_row))

    def lake_counts(
        self, market: Market | None = None, dataset: str | None = None
    ) -> tuple[LakeCounts, ...]:
        """Per dataset and interval: the partitions and rows the lake serves."""
        found = self._query(*loads.count_lake(market, dataset))
        return tuple(self._decoded(found, loads.lake_counts_from_row))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def _query(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        with self._lock:
            self._require_schema()
            return self._db.fetch_all(self._sql(sql), params)

    def _write_many(self, sql: str, params: Sequence[Sequence[object]]) -> None:
        if not params:
            return
        with self._lock:
            self._require_schema()
            with self._db.transaction():
                self._db.execute_many(self._sql(sql), params)

    def _records(self, sql: str, params: Sequence[object]) -> list[PartitionRecord]:
        return self._decoded(self._query(sql, params), rows.record_from_row)

    def _decoded(self, found: list[tuple[Any, ...]], decode: Callable[[rows.Row], _T]) -> list[_T]:
        try:
            return [decode(row) for row in found]
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(
                f"manifest {self.location} holds a row marketlake cannot read ({exc!r}):"
                " was it edited by hand or by a newer marketlake?"
            ) from exc

    def _sql(self, template: str) -> str:
        return template.replace("{p}", self._db.placeholder)

    def _stored_version(self) -> int:
        (version,) = self._db.fetch_all(f"SELECT MAX(version) FROM {VERSION_TABLE}")[0]
        return 0 if version is None else rows.as_int(version)

    def _apply(self, migration: Migration) -> None:
        for statement in migration.statements:
            self._db.execute(statement)
        self._db.execute(
            self._sql(f"INSERT INTO {VERSION_TABLE} VALUES ({{p}}, {{p}}, {{p}})"),
            (migration.version, migration.description, rows.to_micros(utc_now())),
        )
        logger.info(
            "manifest %s migrated to version %d: %s",
            self.location,
            migration.version,
            migration.description,
        )

    def _require_schema(self) -> None:
        if self._schema_ready:
            return
        current = self.schema_version()
        self._refuse_newer(current)
        if current == 0:
            raise ManifestNotInitializedError(
                f"no manifest at {self.location}: run `marketlake db init`"
            )
        if current < self._latest:
            raise ManifestNotInitializedError(
                f"manifest at {self.location} has schema version {current}, this marketlake "
                f"needs {self._latest}: run `marketlake db init` to migrate it"
            )
        self._schema_ready = True

    def _refuse_newer(self, current: int) -> None:
        if current > self._latest:
            raise ManifestError(
                f"manifest at {self.location} has schema version {current}, newer than this "
                f"marketlake knows ({self._latest}): upgrade marketlake"
            )


_UPSERT = (
    f"INSERT INTO {PARTITIONS_TABLE} ({', '.join(rows.RECORD_COLUMNS)})"
    f" VALUES ({', '.join(['{p}'] * len(rows.RECORD_COLUMNS))})"
    f" ON CONFLICT ({', '.join(rows.KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(
        f"{column} = {PARTITIONS_TABLE}.attempts + 1"
        if column == "attempts"
        else f"{column} = excluded.{column}"
        for column in rows.VALUE_COLUMNS
    )
)

_COUNT_BY_STATUS = (
    "SELECT market, dataset, status, COUNT(*),"
    " SUM(CASE WHEN superseded_by IS NULL THEN 0 ELSE 1 END)"
    f" FROM {PARTITIONS_TABLE} WHERE 1 = 1{{where}}"
    " GROUP BY market, dataset, status ORDER BY market, dataset, status"
)


def _scope(market: Market | None, dataset: str | None) -> tuple[str, list[object]]:
    where = ""
    params: list[object] = []
    if market is not None:
        where += " AND market = {p}"
        params.append(market.value)
    if dataset is not None:
        where += " AND dataset = {p}"
        params.append(dataset)
    return where, params


def _filter_symbols(where: list[str], params: list[object], symbols: Iterable[str] | None) -> bool:
    """Add a symbol filter; False when the filter is an empty set (nothing can match)."""
    if symbols is None:
        return True
    wanted = sorted(set(symbols))
    if not wanted:
        return False
    where.append(f"symbol IN ({', '.join(['{p}'] * len(wanted))})")
    params.extend(wanted)
    return True


def _dataset_counts(counted: list[tuple[Any, ...]]) -> tuple[DatasetCounts, ...]:
    """Fold ``(market, dataset, status, count, superseded)`` rows into one entry per dataset."""
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for market, dataset, status, count, superseded in counted:
        numbers = totals.setdefault((str(market), str(dataset)), dict.fromkeys(_COUNTED, 0))
        numbers[PartitionStatus(str(status)).value] = rows.as_int(count)
        numbers["superseded"] += rows.as_int(superseded or 0)
    return tuple(
        DatasetCounts(
            market=Market(market),
            dataset=dataset,
            done=numbers["done"],
            failed=numbers["failed"],
            unavailable=numbers["unavailable"],
            superseded=numbers["superseded"],
        )
        for (market, dataset), numbers in totals.items()
    )


_COUNTED = (*(status.value for status in PartitionStatus), "superseded")
