"""SQL over the lake through DuckDB (the ``sql`` extra), one view per stored dataset.

View names are ``<market>_<dataset in snake case>`` and, for kline datasets,
``_<interval>``: ``um_klines_1m``, ``spot_klines_1h``, ``um_mark_price_klines_1mo``,
``spot_trades``, ``um_agg_trades``, ``um_book_ticker``, ``um_book_depth``, ``um_metrics``,
``um_funding_rate``, ``um_liquidation_snapshot``, ``option_bvol_index``,
``option_eoh_summary``. Each has ``symbol`` and the lake's columns with their exact types
(DECIMAL, TIMESTAMP WITH TIME ZONE in UTC).

A view reads the files the manifest names at the time of the query (never a directory
listing): the views a query mentions are (re)defined just before it runs, so a query sees
what ingest has committed. Parameters are bound by DuckDB (``?`` or ``$name``), never
formatted into the SQL text.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from marketlake.catalog import DATASETS, Market, get_dataset
from marketlake.catalog.names import relation_name
from marketlake.errors import QueryError
from marketlake.lake.files import FileIndex
from marketlake.lake.schema import SYMBOL

if TYPE_CHECKING:
    import duckdb
    import polars as pl

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


view_name = relation_name
"""The view name of a stored dataset (and interval): the catalog's one SQL spelling."""


@dataclass(frozen=True)
class View:
    """One SQL view: its name and the stored data it shows."""

    name: str
    market: Market
    dataset: str
    interval: str | None


def all_views() -> dict[str, View]:
    """Every view name the catalog allows, whether or not the lake holds data for it."""
    views: dict[str, View] = {}
    for spec in DATASETS.values():
        for market in spec.markets:
            intervals: set[str | None] = {None}
            if spec.has_interval:
                intervals = {
                    i for p in spec.periods_for(market) for i in spec.intervals_for(market, p)
                }
            for interval in intervals:
                name = view_name(market, spec.name, interval)
                views[name] = View(name, market, spec.name, interval)
    return views


class LakeSql:
    """A DuckDB connection over the lake's files (created on first use; thread-safe)."""

    def __init__(self, index: FileIndex) -> None:
        self._index = index
        self._views = all_views()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()

    def query(
        self, sql: str, params: Sequence[object] | Mapping[str, object] | None = None
    ) -> pl.DataFrame:
        """Run ``sql`` with ``params`` bound; the answer as a Polars DataFrame."""
        import duckdb

        if not isinstance(sql, str) or not sql.strip():
            raise QueryError("give a SQL query, e.g. SELECT count(*) FROM um_klines_1m")
        with self._lock:
            connection = self._connect()
            try:
                self._define_views(connection, sql)
                relation = connection.sql(sql, params=_params(params))
                if relation is None:
                    raise QueryError("the statement returned no rows: lake.sql runs queries")
                frame: pl.DataFrame = relation.pl()
            except duckdb.Error as exc:
                raise QueryError(f"{type(exc).__name__}: {exc}") from exc
        return _utc(frame)

    def close(self) -> None:
        """Close the DuckDB connection."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        if self._connection is None:
            self._connection = duckdb.connect(":memory:")
            self._connection.execute("SET TimeZone = 'UTC'")
        return self._connection

    def _define_views(self, connection: duckdb.DuckDBPyConnection, sql: str) -> None:
        """(Re)define every view ``sql`` mentions from the manifest's current files."""
        for word in sorted({w.lower() for w in _WORD.findall(sql)}):
            view = self._views.get(word)
            if view is not None:
                self._define(connection, view)

    def _define(self, connection: duckdb.DuckDBPyConnection, view: View) -> None:
        files = self._index.files(view.market, view.dataset, interval=view.interval)
        spec = get_dataset(view.dataset)
        names = [c.name for c in spec.columns_for(view.market)]
        if not files:
            connection.execute(f"DROP VIEW IF EXISTS {view.name}")
            logger.debug("view %s: no files in the lake", view.name)
            return
        own_symbol = SYMBOL in names
        relation = connection.read_parquet(
            [str(f.path) for f in files], hive_partitioning=not own_symbol
        )
        columns = [] if own_symbol else [f"CAST({SYMBOL} AS VARCHAR) AS {SYMBOL}"]
        columns += [f'"{name}"' for name in names]
        relation.project(", ".join(columns)).create_view(view.name, replace=True)


def _utc(frame: pl.DataFrame) -> pl.DataFrame:
    """Time-zone-aware columns in ``UTC`` (DuckDB names it ``Etc/UTC``)."""
    import polars as pl

    aware = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC")
    ]
    return frame.with_columns(pl.col(aware).dt.convert_time_zone("UTC")) if aware else frame


def _params(params: Sequence[object] | Mapping[str, object] | None) -> Any:
    if params is None:
        return None
    if isinstance(params, Mapping):
        return dict(params)
    if isinstance(params, str | bytes):
        raise QueryError("params must be a sequence or a mapping of values, not a string")
    return list(params)
