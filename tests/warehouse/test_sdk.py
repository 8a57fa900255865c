"""``lake.warehouse``: the warehouse beside the Parquet read path, answering alike."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from marketlake import Lake
from marketlake.warehouse import build_sync_request, open_warehouse
from tests.warehouse.lakes import ingest_from, kline_days, publish

DAYS = kline_days("BTCUSDT", date(2024, 1, 1), 2) + kline_days("ETHUSDT", date(2024, 1, 1), 2)
OHLCV = ["symbol", "open_time", "open", "high", "low", "close", "volume", "quote_volume", "count"]


def test_the_warehouse_answers_like_the_lake(tmp_path: Path) -> None:
    archive, root = tmp_path / "archive", tmp_path / "lake"
    for key in DAYS:
        publish(archive, key)
    ingest_from(archive, root, DAYS)
    with open_warehouse(lake_root=root, create=True) as warehouse, Lake(root) as lake:
        warehouse.sync(lake.manifest, build_sync_request(rollups=True), lake_root=root)
    with Lake(root) as lake:
        hourly = lake.warehouse.query(
            f"SELECT {', '.join(OHLCV)} FROM um_klines_1m_hourly"
            " WHERE symbol IN {symbols:Array(String)} ORDER BY symbol, open_time",
            {"symbols": ["BTCUSDT", "ETHUSDT"]},
        )
        resampled = lake.klines(["BTCUSDT", "ETHUSDT"], interval="1h").select(OHLCV)
        assert hourly.height == resampled.height == 2 * 48
        for name in OHLCV:
            assert hourly[name].to_list() == resampled[name].to_list(), name
        minutes = lake.warehouse.query("SELECT * FROM um_klines_1m WHERE symbol = 'ETHUSDT'")
        assert minutes.schema["close"] == pl.Decimal(18, 8)
        assert minutes.schema["open_time"] == pl.Datetime("us", "UTC")
