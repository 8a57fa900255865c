"""``lake.sql``: DuckDB over views of the manifest's files, parameters bound, exact types."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest

from marketlake import Lake
from marketlake.catalog import Market
from marketlake.catalog.names import snake_case
from marketlake.errors import QueryError
from marketlake.lake.sql import all_views, view_name
from tests.lake.read_support import read_test_lake


@pytest.fixture(scope="module")
def lake() -> Iterator[Lake]:
    with Lake(read_test_lake()) as opened:
        yield opened


def test_view_names_are_market_dataset_and_interval_in_snake_case() -> None:
    assert view_name(Market.UM, "klines", "1m") == "um_klines_1m"
    assert view_name(Market.UM, "markPriceKlines", "1mo") == "um_mark_price_klines_1mo"
    assert view_name(Market.SPOT, "aggTrades") == "spot_agg_trades"
    assert view_name(Market.OPTION, "BVOLIndex") == "option_bvol_index"
    assert view_name(Market.OPTION, "EOHSummary") == "option_eoh_summary"
    assert snake_case("liquidationSnapshot") == "liquidation_snapshot"
    assert {"um_book_ticker", "cm_funding_rate", "spot_klines_1s", "um_book_depth"} <= set(
        all_views()
    )


def test_a_view_holds_the_same_exact_values_as_the_sdk(lake: Lake) -> None:
    start, end = datetime(2024, 1, 31, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
    frame = lake.sql(
        "SELECT * FROM um_klines_1m WHERE symbol = ? AND open_time >= ? AND open_time < ?"
        " ORDER BY open_time",
        ["ETHUSDT", start, end],
    )
    sdk = lake.klines("ETHUSDT", start=start, end=end).drop("average_price")
    assert frame.columns == sdk.columns
    assert frame.schema["volume"] == pl.Decimal(38, 8)
    assert frame.schema["open"] == pl.Decimal(18, 8)
    assert frame.with_columns(pl.col("open_time", "close_time").dt.convert_time_zone("UTC")).equals(
        sdk
    )


def test_named_parameters_and_aggregates_stay_exact(lake: Lake) -> None:
    frame = lake.sql(
        "SELECT symbol, sum(volume) AS volume, count(*) AS bars FROM um_klines_1m"
        " WHERE symbol IN ($a, $b) GROUP BY symbol ORDER BY symbol",
        {"a": "BTCUSDT", "b": "ETHUSDT"},
    )
    sdk = (
        lake.klines(["BTCUSDT", "ETHUSDT"])
        .group_by("symbol")
        .agg(pl.col("volume").sum(), pl.len().alias("bars"))
    )
    expected = {r["symbol"]: (r["volume"], r["bars"]) for r in sdk.iter_rows(named=True)}
    assert {r["symbol"]: (r["volume"], r["bars"]) for r in frame.iter_rows(named=True)} == expected
    assert isinstance(frame["volume"][0], Decimal)


def test_a_parameter_is_data_never_sql(lake: Lake) -> None:
    hostile = "BTCUSDT' OR '1'='1"
    frame = lake.sql("SELECT count(*) AS n FROM um_klines_1m WHERE symbol = ?", [hostile])
    assert frame["n"].to_list() == [0]
    dropping = "x'); DROP VIEW um_klines_1m; --"
    assert lake.sql("SELECT ? AS v", [dropping])["v"].to_list() == [dropping]
    assert lake.sql("SELECT count(*) AS n FROM um_klines_1m")["n"][0] > 0


def test_datasets_with_their_own_symbol_column_and_option_views(lake: Lake) -> None:
    metrics = lake.sql("SELECT DISTINCT symbol FROM um_metrics")
    assert metrics["symbol"].to_list() == ["BTCUSDT"]
    bvol = lake.sql("SELECT symbol, count(*) AS n FROM option_bvol_index GROUP BY 1")
    assert bvol["symbol"].to_list() == ["BTCBVOLUSDT"]
    assert bvol["n"][0] == lake.bvol_index().height
    eoh = lake.sql("SELECT symbol, option_symbol FROM option_eoh_summary LIMIT 1")
    assert eoh["symbol"][0] == "BTCUSDT"


def test_errors_are_query_errors_with_the_engine_message(lake: Lake) -> None:
    with pytest.raises(QueryError, match="um_klines_5m"):
        lake.sql("SELECT * FROM um_klines_5m")
    with pytest.raises(QueryError, match="Parser Error"):
        lake.sql("SELEC 1")
    with pytest.raises(QueryError):
        lake.sql("SELECT 1", "BTCUSDT")  # type: ignore[arg-type]
    with pytest.raises(QueryError):
        lake.sql("   ")
