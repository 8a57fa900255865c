"""What each warehouse holds: one load record per warehouse and archive partition (pure, no I/O).

A warehouse (a ClickHouse database, embedded chDB or a server) is named by its masked DSN. For
every lake partition it holds, the manifest keeps the archive file version (sha256, etag) the
rows came from, so a sync knows what is new, what ingest re-published and what a monthly file
superseded. ``loading`` is written before rows are inserted and ``loaded`` after, so a sync
killed in between is detected and repaired by the next one.

This module holds the value objects, the SQL (shared by SQLite and PostgreSQL, ``{p}`` is the
placeholder) and the row conversions; :class:`~marketlake.manifest.core.SqlManifest` runs them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from marketlake.catalog import ArchiveKey, Market
from marketlake.manifest import rows
from marketlake.manifest.models import utc_now
from marketlake.manifest.schema import PARTITIONS_TABLE, WAREHOUSE_LOADS_TABLE


class LoadState(StrEnum):
    """The closed set of load states."""

    LOADING = "loading"
    LOADED = "loaded"


@dataclass(frozen=True)
class WarehouseLoad:
    """One lake partition as one warehouse holds it: which table, rows and file version."""

    warehouse: str
    source: str
    key: ArchiveKey
    state: LoadState
    table: str
    rows: int
    min_time: datetime | None = None
    max_time: datetime | None = None
    sha256: str | None = None
    etag: str | None = None
    files: tuple[str, ...] = ()
    updated_at: datetime = field(default_factory=utc_now)

    @property
    def version(self) -> str:
        """The archive file version the rows came from (sha256, else the etag)."""
        return file_version(self.sha256, self.etag)


def file_version(sha256: str | None, etag: str | None) -> str:
    """The version tag of an archive file: its sha256, else ``etag:<etag>``, else ``unknown``."""
    if sha256:
        return sha256
    return f"etag:{etag}" if etag else "unknown"


@dataclass(frozen=True)
class LakeCounts:
    """The partitions (and rows) the lake serves for one market, dataset and interval."""

    market: Market
    dataset: str
    interval: str | None
    partitions: int
    rows: int


@dataclass(frozen=True)
class LoadCounts:
    """What one warehouse holds of one market, dataset and interval, against the lake.

    ``loaded`` partitions hold ``rows``; ``current`` of them match the lake's file version;
    ``stale`` do not (re-published, superseded or gone from the lake); ``loading`` were left
    half-done by an interrupted sync.
    """

    warehouse: str
    market: Market
    dataset: str
    interval: str | None
    table: str
    loaded: int
    rows: int
    current: int
    current_rows: int
    stale: int
    loading: int
    last_load: datetime | None


KEY_COLUMNS = ("warehouse", *rows.KEY_COLUMNS)
VALUE_COLUMNS = (
    "state",
    "table_name",
    "row_count",
    "min_time",
    "max_time",
    "sha256",
    "etag",
    "files",
    "updated_at",
)
COLUMNS = KEY_COLUMNS + VALUE_COLUMNS

UPSERT = (
    f"INSERT INTO {WAREHOUSE_LOADS_TABLE} ({', '.join(COLUMNS)})"
    f" VALUES ({', '.join(['{p}'] * len(COLUMNS))})"
    f" ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in VALUE_COLUMNS)
)
DELETE = f"DELETE FROM {WAREHOUSE_LOADS_TABLE} WHERE " + " AND ".join(
    f"{column} = {{p}}" for column in KEY_COLUMNS
)

_SAME_VERSION = (
    "COALESCE(p.sha256, p.etag, '') = COALESCE(l.sha256, l.etag, '')"
    " AND p.status = 'done' AND p.superseded_by IS NULL AND p.files <> '[]'"
)
_CURRENT = f"l.state = 'loaded' AND {_SAME_VERSION}"
_JOIN = " AND ".join(f"p.{column} = l.{column}" for column in rows.KEY_COLUMNS)
_COUNT_LOADS = (
    "SELECT l.warehouse, l.market, l.dataset, l.interval, MIN(l.table_name),"
    " SUM(CASE WHEN l.state = 'loaded' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN l.state = 'loaded' THEN l.row_count ELSE 0 END),"
    f" SUM(CASE WHEN {_CURRENT} THEN 1 ELSE 0 END),"
    f" SUM(CASE WHEN {_CURRENT} THEN l.row_count ELSE 0 END),"
    f" SUM(CASE WHEN l.state = 'loaded' AND NOT ({_SAME_VERSION}) THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN l.state = 'loading' THEN 1 ELSE 0 END),"
    " MAX(l.updated_at)"
    f" FROM {WAREHOUSE_LOADS_TABLE} l LEFT JOIN {PARTITIONS_TABLE} p ON {_JOIN}"
    " WHERE 1 = 1{where}"
    " GROUP BY l.warehouse, l.market, l.dataset, l.interval"
    " ORDER BY l.warehouse, l.market, l.dataset, l.interval"
)
_COUNT_LAKE = (
    "SELECT market, dataset, interval, COUNT(*), SUM(COALESCE(row_count, 0))"
    f" FROM {PARTITIONS_TABLE}"
    " WHERE status = 'done' AND superseded_by IS NULL AND files <> '[]'{where}"
    " GROUP BY market, dataset, interval ORDER BY market, dataset, interval"
)


def select_loads(
    warehouse: str,
    source: str,
    market: Market,
    dataset: str,
    *,
    interval: str | None,
    symbols: Iterable[str] | None,
) -> tuple[str, list[object]] | None:
    """The query for one warehouse's loads of a dataset (None when ``symbols`` is empty)."""
    where = ["warehouse = {p}", "source = {p}", "market = {p}", "dataset = {p}"]
    params: list[object] = [warehouse, source, market.value, dataset]
    if interval is not None:
        where.append("interval = {p}")
        params.append(interval)
    if symbols is not None:
        wanted = sorted(set(symbols))
        if not wanted:
            return None
        where.append(f"symbol IN ({', '.join(['{p}'] * len(wanted))})")
        params.extend(wanted)
    sql = f"SELECT {', '.join(COLUMNS)} FROM {WAREHOUSE_LOADS_TABLE} WHERE {' AND '.join(where)}"
    return sql, params


def count_loads(
    warehouse: str | None, market: Market | None, dataset: str | None
) -> tuple[str, list[object]]:
    """The query counting what each warehouse holds against the lake."""
    where, params = _scope("l.", market, dataset)
    if warehouse is not None:
        where += " AND l.warehouse = {p}"
        params.append(warehouse)
    return _COUNT_LOADS.format(where=where), params


def count_lake(market: Market | None, dataset: str | None) -> tuple[str, list[object]]:
    """The query counting the partitions and rows the lake serves."""
    where, params = _scope("", market, dataset)
    return _COUNT_LAKE.format(where=where), params


def load_params(load: WarehouseLoad) -> tuple[object, ...]:
    """A load as a row in ``COLUMNS`` order."""
    return (
        load.warehouse,
        *rows.key_params(load.source, load.key),
        load.state.value,
        load.table,
        load.rows,
        rows.to_micros(load.min_time),
        rows.to_micros(load.max_time),
        load.sha256,
        load.etag,
        _encode_files(load.files),
        rows.to_micros(load.updated_at),
    )


def key_params(warehouse: str, source: str, key: ArchiveKey) -> tuple[object, ...]:
    """The primary-key values of one load, in ``KEY_COLUMNS`` order."""
    return (warehouse, *rows.key_params(source, key))


def load_from_row(row: rows.Row) -> WarehouseLoad:
    """A load from a row in ``COLUMNS`` order."""
    return WarehouseLoad(
        warehouse=row[0],
        source=row[1],
        key=rows.key_from_row(row[1:]),
        state=LoadState(row[8]),
        table=row[9],
        rows=rows.as_int(row[10]),
        min_time=rows.from_micros(row[11]),
        max_time=rows.from_micros(row[12]),
        sha256=row[13],
        etag=row[14],
        files=_decode_files(row[15]),
        updated_at=_required_time(row[16]),
    )


def load_counts_from_row(row: rows.Row) -> LoadCounts:
    """One warehouse's counts for one dataset from a ``count_loads`` row."""
    return LoadCounts(
        warehouse=row[0],
        market=Market(row[1]),
        dataset=row[2],
        interval=row[3] or None,
        table=row[4],
        loaded=_int(row[5]),
        rows=_int(row[6]),
        current=_int(row[7]),
        current_rows=_int(row[8]),
        stale=_int(row[9]),
        loading=_int(row[10]),
        last_load=rows.from_micros(None if row[11] is None else _int(row[11])),
    )


def lake_counts_from_row(row: rows.Row) -> LakeCounts:
    """The lake's counts for one dataset from a ``count_lake`` row."""
    return LakeCounts(
        market=Market(row[0]),
        dataset=row[1],
        interval=row[2] or None,
        partitions=_int(row[3]),
        rows=_int(row[4]),
    )


def _scope(prefix: str, market: Market | None, dataset: str | None) -> tuple[str, list[object]]:
    where = ""
    params: list[object] = []
    if market is not None:
        where += f" AND {prefix}market = {{p}}"
        params.append(market.value)
    if dataset is not None:
        where += f" AND {prefix}dataset = {{p}}"
        params.append(dataset)
    return where, params


def _encode_files(files: tuple[str, ...]) -> str:
    return json.dumps(list(files), ensure_ascii=False)


def _decode_files(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _int(value: Any) -> int:
    """An aggregate's value as an int (PostgreSQL sums BIGINT into NUMERIC)."""
    return 0 if value is None else int(value)


def _required_time(micros: Any) -> datetime:
    moment = rows.from_micros(rows.as_int(micros))
    assert moment is not None
    return moment
