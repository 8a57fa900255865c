"""The warehouse's tables: one per market, dataset and (for klines) interval, typed exactly.

``um_klines_1m``, ``spot_klines_1s``, ``um_mark_price_klines_1h``, ``um_agg_trades``,
``um_funding_rate``, ``option_eoh_summary``: the market, the dataset in snake case, the
interval. Columns are the lake's, in the lake's order, with the exact ClickHouse type of each
(``Decimal(P, S)`` as in the lake, ``DateTime64(6, 'UTC')`` for every timestamp), after a
``symbol`` column (kept from the file when the dataset has one) and before two provenance
columns: ``archive_file`` (the archive zip the row came from) and ``archive_version`` (that
file's sha256). The engine is a plain ``MergeTree`` partitioned by month of the dataset's time
column and ordered by ``(symbol, time[, id])``; reloads are made idempotent by the sync
(rows of a replaced archive file are deleted by ``archive_file`` and ``archive_version``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marketlake.catalog import Column, Kind, Market, get_dataset
from marketlake.catalog.arrow import TIME_UNIT, TIME_ZONE
from marketlake.catalog.names import relation_name

SYMBOL = "symbol"
ARCHIVE_FILE = "archive_file"
ARCHIVE_VERSION = "archive_version"
ENGINE = "MergeTree"

NULLABLE_DATASETS = frozenset({"metrics", "EOHSummary"})
"""Datasets whose archive files have empty cells (NULL in the lake). Elsewhere a NULL makes
the load fail (strict insert settings) rather than become 0."""

_DATETIME = f"DateTime64({6 if TIME_UNIT == 'us' else 3}, '{TIME_ZONE}')"
_TYPES = {
    Kind.EPOCH: _DATETIME,
    Kind.DATETIME_TEXT: _DATETIME,
    Kind.DATE_TEXT: "Date32",
    Kind.INT: "Int64",
    Kind.BOOL: "Bool",
    Kind.TEXT: "String",
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


table_name = relation_name
"""The warehouse table of a dataset: the catalog's one SQL spelling (``um_klines_1m``)."""


@dataclass(frozen=True)
class WarehouseColumn:
    """One column of a warehouse table: its name, ClickHouse type and where it comes from."""

    name: str
    type: str
    from_lake: bool


@dataclass(frozen=True)
class TableSpec:
    """One warehouse table: the lake data it holds, its columns and keys."""

    name: str
    market: Market
    dataset: str
    interval: str | None
    columns: tuple[WarehouseColumn, ...]
    time_column: str
    order_by: tuple[str, ...]

    @property
    def lake_columns(self) -> tuple[str, ...]:
        """The columns read from the lake's Parquet files, in file order."""
        return tuple(c.name for c in self.columns if c.from_lake)

    @property
    def symbol_from_file(self) -> bool:
        """True when the dataset's files carry a ``symbol`` column of their own."""
        return SYMBOL in self.lake_columns

    @property
    def partition_by(self) -> str:
        """The partition expression: the month of the time column."""
        return f"toYYYYMM({quote(self.time_column)})"

    def create_sql(self, database: str) -> str:
        """The ``CREATE TABLE IF NOT EXISTS`` statement of this table in ``database``."""
        columns = ",\n    ".join(f"{quote(c.name)} {c.type}" for c in self.columns)
        order = ", ".join(quote(name) for name in self.order_by)
        return (
            f"CREATE TABLE IF NOT EXISTS {qualified(database, self.name)} (\n    {columns}\n)"
            f" ENGINE = {ENGINE} PARTITION BY {self.partition_by} ORDER BY ({order})"
        )


def table_spec(market: Market, dataset: str, interval: str | None = None) -> TableSpec:
    """The table that holds ``dataset`` of ``market`` (one interval of a kline dataset)."""
    spec = get_dataset(dataset)
    lake = spec.columns_for(market)
    nullable = dataset in NULLABLE_DATASETS
    keys = (SYMBOL, spec.time_column) + (
        (spec.sort_column,) if spec.sort_column not in (None, spec.time_column) else ()
    )
    columns = [_column(c, nullable=nullable and c.name not in keys) for c in lake]
    if SYMBOL not in (c.name for c in lake):
        columns.insert(0, WarehouseColumn(SYMBOL, "LowCardinality(String)", from_lake=False))
    columns += [
        WarehouseColumn(ARCHIVE_FILE, "LowCardinality(String)", from_lake=False),
        WarehouseColumn(ARCHIVE_VERSION, "LowCardinality(String)", from_lake=False),
    ]
    return TableSpec(
        name=table_name(market, dataset, interval),
        market=market,
        dataset=dataset,
        interval=interval,
        columns=tuple(columns),
        time_column=spec.time_column,
        order_by=tuple(k for k in keys if k is not None),
    )


def quote(name: str) -> str:
    """A validated identifier in backquotes (names come from the catalog, never from users)."""
    if _NAME.match(name) is None:
        raise ValueError(f"{name!r} is not a plain identifier")
    return f"`{name}`"


def qualified(database: str, table: str) -> str:
    """``database``.``table``, both quoted."""
    return f"{quote(database)}.{quote(table)}"


def _column(column: Column, *, nullable: bool) -> WarehouseColumn:
    if column.kind is Kind.DECIMAL:
        kind = f"Decimal({column.precision}, {column.scale})"
    elif column.name == SYMBOL:
        kind = "LowCardinality(String)"
    else:
        kind = _TYPES[column.kind]
    return WarehouseColumn(column.name, f"Nullable({kind})" if nullable else kind, True)
