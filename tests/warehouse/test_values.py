"""Every value in the warehouse equals the lake's: each column, exact decimals, µs times."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from marketlake.catalog import Market
from marketlake.manifest import open_manifest
from marketlake.warehouse import Warehouse, table_spec
from marketlake.warehouse.load import FileLoader, Loader, UploadLoader
from tests.warehouse.conftest import MIXED_KEYS
from tests.warehouse.lakes import lake_table, sort_all

SCOPES = sorted({(k.market, k.dataset, k.interval) for k in MIXED_KEYS}, key=str)


def warehouse_table(
    warehouse: Warehouse, market: Market, dataset: str, interval: str | None
) -> pa.Table:
    """The table's lake columns (symbol first), sorted by every column."""
    spec = table_spec(market, dataset, interval)
    names = ["symbol", *(n for n in spec.lake_columns if n != "symbol")]
    columns = ", ".join(f"`{n}`" for n in names)
    return sort_all(warehouse.query_arrow(f"SELECT {columns} FROM {spec.name}"))


@pytest.mark.parametrize("loader", [FileLoader(), UploadLoader()], ids=["file", "upload"])
def test_every_value_of_every_dataset_equals_the_lake(
    mixed_lake: Path, chdb_warehouse: Warehouse, loader: Loader
) -> None:
    with open_manifest(None, lake_root=mixed_lake) as store:
        report = chdb_warehouse.sync(store, lake_root=mixed_lake, loader=loader)
    assert report.loaded == len(MIXED_KEYS)
    for market, dataset, interval in SCOPES:
        expected = lake_table(mixed_lake, market, dataset, interval)
        found = warehouse_table(chdb_warehouse, market, dataset, interval)
        names = [n for n in expected.column_names if n != "symbol"]
        found = found.select(["symbol", *names])
        expected = expected.select(["symbol", *names])
        assert found.num_rows == expected.num_rows > 0, (dataset, interval)
        for name in expected.column_names:
            want, got = expected.column(name), found.column(name)
            assert str(got.type) == str(want.type), (dataset, name)
            assert got.to_pylist() == want.to_pylist(), (dataset, name)


def test_microsecond_timestamps_and_nulls_survive(
    mixed_lake: Path, chdb_warehouse: Warehouse
) -> None:
    with open_manifest(None, lake_root=mixed_lake) as store:
        chdb_warehouse.sync(store, lake_root=mixed_lake)
    spot = chdb_warehouse.query(
        "SELECT count() AS n, countIf(toUnixTimestamp64Micro(time) % 1000 != 0) AS sub_ms"
        " FROM spot_trades"
    )
    assert spot.row(0)[0] > 0
    assert spot.row(0)[1] > 0  # 2025 spot files are in microseconds: kept, not truncated
    nulls = chdb_warehouse.query(
        "SELECT countIf(isNull(best_buy_iv)) AS missing FROM option_eoh_summary"
    )
    expected = lake_table(mixed_lake, Market.OPTION, "EOHSummary").column("best_buy_iv")
    assert nulls.row(0)[0] == expected.null_count > 0
