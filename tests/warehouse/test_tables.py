"""Warehouse tables: one per market, dataset and interval, with the lake's exact types."""

from __future__ import annotations

import pytest

from marketlake.catalog import DATASETS, Kind, Market
from marketlake.warehouse import table_name, table_spec
from marketlake.warehouse.tables import NULLABLE_DATASETS

ALL = [(market, name) for name, spec in DATASETS.items() for market in spec.markets]


@pytest.mark.parametrize(
    ("market", "dataset", "interval", "name"),
    [
        (Market.UM, "klines", "1m", "um_klines_1m"),
        (Market.SPOT, "klines", "1s", "spot_klines_1s"),
        (Market.CM, "markPriceKlines", "1mo", "cm_mark_price_klines_1mo"),
        (Market.UM, "aggTrades", None, "um_agg_trades"),
        (Market.UM, "bookTicker", None, "um_book_ticker"),
        (Market.UM, "fundingRate", None, "um_funding_rate"),
        (Market.OPTION, "BVOLIndex", None, "option_bvol_index"),
        (Market.OPTION, "EOHSummary", None, "option_eoh_summary"),
    ],
)
def test_table_names(market: Market, dataset: str, interval: str | None, name: str) -> None:
    assert table_name(market, dataset, interval) == name


@pytest.mark.parametrize(("market", "dataset"), ALL, ids=[f"{m.value}-{d}" for m, d in ALL])
def test_every_lake_column_has_its_exact_type(market: Market, dataset: str) -> None:
    spec = DATASETS[dataset]
    table = table_spec(market, dataset, "1h" if spec.has_interval else None)
    types = {c.name: c.type for c in table.columns}
    for column in spec.columns_for(market):
        found = types[column.name]
        if found.startswith("Nullable("):
            found = found.removeprefix("Nullable(").removesuffix(")")
        if column.kind is Kind.DECIMAL:
            assert found == f"Decimal({column.precision}, {column.scale})"
        elif column.is_time:
            assert found == "DateTime64(6, 'UTC')"
        else:
            assert (
                found
                == {
                    Kind.INT: "Int64",
                    Kind.BOOL: "Bool",
                    Kind.DATE_TEXT: "Date32",
                    Kind.TEXT: "LowCardinality(String)" if column.name == "symbol" else "String",
                }[column.kind]
            )
    assert table.lake_columns == tuple(c.name for c in spec.columns_for(market))
    assert [c.name for c in table.columns][-2:] == ["archive_file", "archive_version"]
    assert table.order_by[:2] == ("symbol", spec.time_column)
    keys = set(table.order_by)
    nullable = {c.name for c in table.columns if c.type.startswith("Nullable(")}
    if dataset in NULLABLE_DATASETS:
        assert nullable == set(table.lake_columns) - keys
    else:
        assert nullable == set()


def test_the_create_statement() -> None:
    sql = table_spec(Market.UM, "trades").create_sql("marketlake")
    assert sql.startswith("CREATE TABLE IF NOT EXISTS `marketlake`.`um_trades` (")
    assert "`price` Decimal(18, 8)" in sql
    assert "`time` DateTime64(6, 'UTC')" in sql
    assert sql.endswith(
        "ENGINE = MergeTree PARTITION BY toYYYYMM(`time`) ORDER BY (`symbol`, `time`, `id`)"
    )
