"""Hourly and daily rollups equal a Polars aggregation of the lake, before and after a
re-published file replaced rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from marketlake.catalog import Market
from marketlake.manifest import open_manifest
from marketlake.warehouse import Warehouse, build_sync_request
from tests.warehouse.lakes import ingest_from, kline_days, lake_table, publish, republished

DAYS = kline_days("BTCUSDT", date(2024, 1, 30), 3) + kline_days("ETHUSDT", date(2024, 1, 31), 1)
SUMS = ("volume", "quote_volume", "count", "taker_buy_volume", "taker_buy_quote_volume")


def expected_rollup(lake: Path, every: str) -> pl.DataFrame:
    """OHLCV buckets computed by Polars from the lake's 1m bars (exact decimals)."""
    bars = pl.from_arrow(lake_table(lake, Market.UM, "klines", "1m"))
    assert isinstance(bars, pl.DataFrame)
    return (
        bars.sort("symbol", "open_time")
        .with_columns(pl.col("open_time").dt.truncate(every).alias("bucket"))
        .group_by("symbol", "bucket", maintain_order=True)
        .agg(
            pl.col("open").first(),
            pl.col("high").max(),
            pl.col("low").min(),
            pl.col("close").last(),
            *(pl.col(name).sum() for name in SUMS),
            pl.col("close_time").max(),
            pl.len().cast(pl.UInt64).alias("bars"),
        )
        .rename({"bucket": "open_time"})
        .sort("symbol", "open_time")
    )


def found_rollup(warehouse: Warehouse, view: str) -> pl.DataFrame:
    columns = ", ".join(
        ["symbol", "open_time", "open", "high", "low", "close", *SUMS, "close_time", "bars"]
    )
    return warehouse.query(f"SELECT {columns} FROM {view} ORDER BY symbol, open_time")


def assert_same(found: pl.DataFrame, expected: pl.DataFrame) -> None:
    assert found.columns == expected.columns
    assert found.height == expected.height > 0
    for name in expected.columns:
        assert found[name].to_list() == expected[name].to_list(), name


def sync(warehouse: Warehouse, lake: Path, *, rollups: bool) -> None:
    with open_manifest(None, lake_root=lake) as store:
        warehouse.sync(store, build_sync_request(rollups=rollups), lake_root=lake)


def test_rollups_equal_polars_and_follow_a_republished_file(
    tmp_path: Path, chdb_warehouse: Warehouse
) -> None:
    archive, lake = tmp_path / "archive", tmp_path / "lake"
    for key in DAYS:
        publish(archive, key)
    ingest_from(archive, lake, DAYS)
    sync(chdb_warehouse, lake, rollups=True)
    assert {"um_klines_1m_hourly", "um_klines_1m_daily"} <= set(chdb_warehouse.tables())
    for view, every in (("um_klines_1m_hourly", "1h"), ("um_klines_1m_daily", "1d")):
        assert_same(found_rollup(chdb_warehouse, view), expected_rollup(lake, every))

    changed = DAYS[1]
    newer = republished((archive / changed.zip_key).read_bytes(), changed, drop_last=True)
    publish(archive, changed, newer)
    ingest_from(archive, lake, [changed])
    sync(chdb_warehouse, lake, rollups=False)  # existing rollups are kept up to date

    for view, every in (("um_klines_1m_hourly", "1h"), ("um_klines_1m_daily", "1d")):
        assert_same(found_rollup(chdb_warehouse, view), expected_rollup(lake, every))
    last_hour = chdb_warehouse.query(
        "SELECT bars FROM um_klines_1m_hourly WHERE symbol = 'BTCUSDT'"
        " AND open_time = toDateTime64('2024-01-31 23:00:00', 6, 'UTC')"
    )
    assert last_hour.item() == 59  # the dropped bar is gone from the rollup too


def test_rollups_added_later_hold_what_was_loaded_before(
    tmp_path: Path, chdb_warehouse: Warehouse
) -> None:
    archive, lake = tmp_path / "archive", tmp_path / "lake"
    for key in DAYS[:2]:
        publish(archive, key)
    ingest_from(archive, lake, DAYS[:2])
    sync(chdb_warehouse, lake, rollups=False)
    assert "um_klines_1m_daily" not in chdb_warehouse.tables()
    sync(chdb_warehouse, lake, rollups=True)
    sync(chdb_warehouse, lake, rollups=True)  # creating twice must not count twice
    assert_same(found_rollup(chdb_warehouse, "um_klines_1m_daily"), expected_rollup(lake, "1d"))
