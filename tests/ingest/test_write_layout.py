"""The lake's hive layout: one path per archive file, readable without marketlake."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import duckdb
import polars as pl
import pytest

from marketlake.catalog import ArchiveKey, Market
from marketlake.errors import CatalogError
from marketlake.ingest.write import decode_to_lake
from marketlake.lake.layout import dataset_root, partition_path
from tests.ingest.decode_support import csv_zip, sample_keys

KLINES = "exchange=binance/market=spot/dataset=klines/interval=1m/symbol=BTCUSDT"


@pytest.mark.parametrize(
    ("key", "path"),
    [
        (
            "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-05.zip",
            f"{KLINES}/year=2024/month=01/BTCUSDT-1m-2024-01-05.parquet",
        ),
        (
            "data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip",
            f"{KLINES}/year=2024/month=01/BTCUSDT-1m-2024-01.parquet",
        ),
        (
            "data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-10-22.zip",
            "exchange=binance/market=um/dataset=aggTrades/symbol=BTCUSDT/year=2025/month=10/"
            "BTCUSDT-aggTrades-2025-10-22.parquet",
        ),
        (
            "data/futures/cm/monthly/klines/BTCUSD_PERP/1mo/BTCUSD_PERP-1mo-2024-12.zip",
            "exchange=binance/market=cm/dataset=klines/interval=1mo/symbol=BTCUSD_PERP/"
            "year=2024/month=12/BTCUSD_PERP-1mo-2024-12.parquet",
        ),
        (
            "data/futures/um/daily/trades/币安人生USDT/币安人生USDT-trades-2025-10-08.zip",
            "exchange=binance/market=um/dataset=trades/symbol=币安人生USDT/year=2025/month=10/"
            "币安人生USDT-trades-2025-10-08.parquet",
        ),
    ],
    ids=["daily", "monthly", "no-interval", "1mo", "non-ascii"],
)
def test_partition_path(key: str, path: str) -> None:
    assert partition_path(ArchiveKey.parse(key)) == PurePosixPath(path)


def test_dataset_root() -> None:
    assert dataset_root(Market.UM, "markPriceKlines", "5m") == PurePosixPath(
        "exchange=binance/market=um/dataset=markPriceKlines/interval=5m"
    )
    assert dataset_root(Market.OPTION, "BVOLIndex") == PurePosixPath(
        "exchange=binance/market=option/dataset=BVOLIndex"
    )
    with pytest.raises(CatalogError):
        dataset_root(Market.UM, "trades", "1m")
    with pytest.raises(CatalogError):
        dataset_root(Market.SPOT, "fundingRate")


def test_lake_reads_with_duckdb_and_polars_hive_partitioning(tmp_path: Path) -> None:
    for key, path in sample_keys():
        decode_to_lake(path.read_bytes(), key, tmp_path)
    root = tmp_path / dataset_root(Market.SPOT, "klines", "1m")
    glob = f"{root}/symbol=*/year=*/month=*/*.parquet"
    duck = duckdb.sql(
        f"SELECT symbol, count(*) AS n, sum(open) AS s FROM read_parquet('{glob}', "
        "hive_partitioning = true) GROUP BY symbol ORDER BY symbol"
    ).to_arrow_table()
    assert duck.column("symbol").to_pylist() == ["ADABTC", "BTCUSDT"]
    assert duck.column("n").to_pylist() == [10, 3 * 1440]
    polars = (
        pl.scan_parquet(root, hive_partitioning=True)
        .group_by("symbol", "year", "month")
        .agg(pl.len().alias("n"), pl.col("open").sum().alias("s"))
        .sort("symbol")
        .collect()
    )
    assert polars["n"].to_list() == [10, 3 * 1440]
    assert polars["s"].to_list() == duck.column("s").to_pylist()
    assert polars["year"].to_list() == [2021, 2020]


def test_non_ascii_symbol_is_readable_with_hive_partitioning(tmp_path: Path) -> None:
    key = ArchiveKey.parse(
        "data/futures/um/daily/aggTrades/龙虾USDT/龙虾USDT-aggTrades-2025-10-08.zip"
    )
    text = "1,0.5,10,1,1,1759881600000,true\n"
    decode_to_lake(csv_zip(key, text), key, tmp_path)
    frame = pl.scan_parquet(
        tmp_path / dataset_root(key.market, key.dataset), hive_partitioning=True
    ).collect()
    assert frame["symbol"].to_list() == ["龙虾USDT"]
