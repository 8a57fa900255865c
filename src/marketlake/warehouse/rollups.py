"""Optional hourly and daily OHLCV rollups of kline tables, as materialized views.

For a kline table ``um_klines_1m`` the hourly rollup is three objects:

* ``um_klines_1m_hourly_state``: an ``AggregatingMergeTree`` (partitioned by month, ordered by
  ``(symbol, open_time)``) holding partial aggregates;
* ``um_klines_1m_hourly_mv``: the materialized view that aggregates every insert into it;
* ``um_klines_1m_hourly``: the view to query, with final values: ``open`` (first), ``high``,
  ``low``, ``close`` (last), the sums of every volume and count column, ``close_time`` (last)
  and ``bars``, the number of source bars in the bucket (60 for a full hour of 1m bars).

Sums stay exact decimals. A materialized view sees inserts only, so after a sync deleted rows
(a re-published or superseded archive file), every month it touched is dropped from the state
table and aggregated again from the base table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from marketlake.catalog import Column, Interval, Kind, get_dataset
from marketlake.warehouse.ddl import drop_table, table_names
from marketlake.warehouse.engine import Engine
from marketlake.warehouse.tables import TableSpec, qualified, quote

logger = logging.getLogger(__name__)

_BUCKETS = (("hourly", "toStartOfHour", 3600), ("daily", "toStartOfDay", 86400))
_DATETIME = "DateTime64(6, 'UTC')"


@dataclass(frozen=True)
class Rollup:
    """One rollup of a kline table: its name and bucket function."""

    base: TableSpec
    name: str
    bucket: str

    @property
    def state(self) -> str:
        """The AggregatingMergeTree holding partial aggregates."""
        return f"{self.name}_state"

    @property
    def view(self) -> str:
        """The materialized view feeding the state table."""
        return f"{self.name}_mv"


def rollups_for(spec: TableSpec) -> tuple[Rollup, ...]:
    """The rollups a kline table can have: buckets longer than its bars (none otherwise)."""
    if not get_dataset(spec.dataset).has_interval or spec.interval is None:
        return ()
    interval = Interval.parse(spec.interval)
    if interval.is_calendar:
        return ()
    return tuple(
        Rollup(spec, f"{spec.name}_{suffix}", function)
        for suffix, function, seconds in _BUCKETS
        if interval.seconds < seconds
    )


def existing_rollups(engine: Engine, database: str, spec: TableSpec) -> tuple[Rollup, ...]:
    """The rollups of ``spec`` that exist in the warehouse."""
    names = set(table_names(engine, database))
    return tuple(r for r in rollups_for(spec) if {r.state, r.view, r.name} <= names)


def create_rollup(engine: Engine, database: str, rollup: Rollup) -> None:
    """Create the state table, materialized view and final view; fill them from the base table.

    Leftovers of an interrupted creation are dropped first, so the state is filled once.
    """
    for name in (rollup.view, rollup.name, rollup.state):
        drop_table(engine, database, name)
    engine.command(_create_state(database, rollup))
    source = _aggregate(database, rollup)
    engine.command(
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {qualified(database, rollup.view)}"
        f" TO {qualified(database, rollup.state)} AS {source}"
    )
    engine.command(f"INSERT INTO {qualified(database, rollup.state)} {source}")
    engine.command(_create_final_view(database, rollup))
    logger.info("created rollup %s.%s", database, rollup.name)


def refresh_months(engine: Engine, database: str, rollup: Rollup, months: Iterable[int]) -> None:
    """Aggregate ``months`` (``YYYYMM``) of the rollup again from the base table."""
    time = quote(rollup.base.time_column)
    for month in sorted(set(months)):
        engine.command(
            f"ALTER TABLE {qualified(database, rollup.state)} DROP PARTITION {int(month)}"
        )
        source = _aggregate(database, rollup, f"toYYYYMM(src.{time}) = {{month:UInt32}}")
        engine.command(
            f"INSERT INTO {qualified(database, rollup.state)} {source}", {"month": month}
        )
    logger.info("refreshed rollup %s.%s for months %s", database, rollup.name, sorted(months))


@dataclass(frozen=True)
class _Measure:
    """One rollup column: its state type, aggregate over the base, merge over the state."""

    name: str
    state: str
    aggregate: str
    merge: str


_FIRST_LAST = {"open": "argMin", "close": "argMax"}
_EXTREMES = {"high": "max", "low": "min", "close_time": "max"}
_BARS = _Measure("`bars`", "SimpleAggregateFunction(sum, UInt64)", "count()", "sum(`bars`)")


def _measures(rollup: Rollup) -> list[_Measure]:
    """The rollup's measures, in the base table's column order, then ``bars``."""
    time = quote(rollup.base.time_column)
    columns = get_dataset(rollup.base.dataset).columns_for(rollup.base.market)
    found = [_measure(column, time) for column in columns]
    return [m for m in found if m is not None] + [_BARS]


def _measure(column: Column, time: str) -> _Measure | None:
    """first/last (open, close), max/min (high, low, close_time), sum (other numbers)."""
    name = quote(column.name)
    if column.kind is Kind.DECIMAL:
        kind = f"Decimal({column.precision}, {column.scale})"
    else:
        kind = _DATETIME if column.is_time else "Int64"
    if column.name in _FIRST_LAST:
        first_last = _FIRST_LAST[column.name]
        return _Measure(
            name,
            f"AggregateFunction({first_last}, {kind}, {_DATETIME})",
            f"{first_last}State(src.{name}, src.{time})",
            f"{first_last}Merge({name})",
        )
    function = _EXTREMES.get(column.name)
    if function is None and column.kind in (Kind.DECIMAL, Kind.INT) and column.name != "ignore":
        function = "sum"
    if function is None:
        return None
    state = f"SimpleAggregateFunction({function}, {kind})"
    return _Measure(name, state, f"{function}(src.{name})", f"{function}({name})")


def _create_state(database: str, rollup: Rollup) -> str:
    time = quote(rollup.base.time_column)
    columns = ["`symbol` LowCardinality(String)", f"{time} {_DATETIME}"]
    columns += [f"{m.name} {m.state}" for m in _measures(rollup)]
    return (
        f"CREATE TABLE IF NOT EXISTS {qualified(database, rollup.state)} ({', '.join(columns)})"
        f" ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM({time}) ORDER BY (`symbol`, {time})"
    )


def _aggregate(database: str, rollup: Rollup, where: str | None = None) -> str:
    time = quote(rollup.base.time_column)
    bucket = f"toDateTime64({rollup.bucket}(src.{time}), 6, 'UTC') AS {time}"
    measures = [f"{m.aggregate} AS {m.name}" for m in _measures(rollup)]
    condition = f" WHERE {where}" if where else ""
    return (
        f"SELECT src.`symbol` AS `symbol`, {bucket}, {', '.join(measures)}"
        f" FROM {qualified(database, rollup.base.name)} AS src{condition}"
        f" GROUP BY `symbol`, {time}"
    )


def _create_final_view(database: str, rollup: Rollup) -> str:
    time = quote(rollup.base.time_column)
    measures = [f"{m.merge} AS {m.name}" for m in _measures(rollup)]
    return (
        f"CREATE VIEW IF NOT EXISTS {qualified(database, rollup.name)} AS"
        f" SELECT `symbol`, {time}, {', '.join(measures)}"
        f" FROM {qualified(database, rollup.state)} GROUP BY `symbol`, {time}"
    )
