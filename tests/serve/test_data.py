"""Every ticket kind over a real server: the same rows and values as the SDK, and the CSV's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pyarrow as pa
import pytest

from marketlake.catalog import ArchiveKey, Market, Period
from marketlake.lake.sdk import Lake
from marketlake.serve.client import FlightClient
from marketlake.settings import Settings
from tests.support.truth import expected_rows

JAN_1, JAN_2, JAN_4 = "2024-01-01", "2024-01-02", "2024-01-04"


@pytest.fixture(scope="module")
def lake(lake_settings: Settings) -> Iterator[Lake]:
    """The SDK over the same lake the server reads."""
    with Lake.from_settings(lake_settings) as opened:
        yield opened


def _same(served: pl.DataFrame, expected: pl.DataFrame) -> None:
    assert served.schema == expected.schema
    assert served.height == expected.height > 0
    assert served.equals(expected)


def test_one_symbol_stored_interval_is_the_csv(client: FlightClient, stand_in_url: str) -> None:
    served = client.get_symbol("um", "BTCUSDT", 1, begin=JAN_1, end=JAN_2)
    key = ArchiveKey(Market.UM, Period.DAILY, "klines", "BTCUSDT", "1m", JAN_1)
    import httpx

    truth = expected_rows(httpx.get(f"{stand_in_url}/{key.zip_key}").content, key)
    columns = served.columns[1:13]  # symbol first, average_price last
    assert [tuple(row) for row in served.select(columns).iter_rows()] == truth
    assert served["symbol"].unique().to_list() == ["BTCUSDT"]
    assert served.schema["open"] == pl.Decimal(18, 8)
    assert served.schema["open_time"] == pl.Datetime("us", "UTC")


@pytest.mark.parametrize(
    "case",
    [(5, 0, "5m", None), ("4h", 0, "4h", None), (60, 0, "1h", None), (15, 7, "15m", "7m"),
     ("1d", "30m", "1d", "30m")],
)  # fmt: skip
def test_symbol_bars_equal_the_sdk(
    client: FlightClient, lake: Lake, case: tuple[int | str, int | str, str, str | None]
) -> None:
    interval, offset, sdk_interval, sdk_offset = case
    served = client.get_symbol("um", ["ETHUSDT", "BTCUSDT"], interval, offset, JAN_1, JAN_4)
    expected = lake.klines(
        ["BTCUSDT", "ETHUSDT"],
        market="um",
        interval=sdk_interval,
        offset=sdk_offset,
        start=JAN_1,
        end=JAN_4,
    )
    _same(served, expected)


def test_resampled_values_follow_from_the_minutes(client: FlightClient) -> None:
    minutes = client.get_symbol(
        "um", "BTCUSDT", 1, begin="2024-01-02T10:00", end="2024-01-02T10:15"
    )
    bars = client.get_symbol("um", "BTCUSDT", 15, begin="2024-01-02T10:00", end="2024-01-02T10:15")
    assert bars.height == 1
    bar = bars.row(0, named=True)
    assert bar["open_time"] == datetime(2024, 1, 2, 10, tzinfo=UTC)
    assert bar["open"] == minutes["open"][0]
    assert bar["close"] == minutes["close"][-1]
    assert bar["high"] == max(minutes["high"].to_list())
    assert bar["low"] == min(minutes["low"].to_list())
    assert bar["volume"] == sum(minutes["volume"].to_list(), Decimal(0))
    assert bar["count"] == minutes["count"].sum()


def test_complete_only_drops_bars_missing_source_bars(client: FlightClient, lake: Lake) -> None:
    # The lake starts on 2024-01-01: the day bar opening 2023-12-31 12:00 (12h offset) misses
    # its first twelve hours, so complete_only drops it.
    args = ("um", "BTCUSDT", "1d", "12h", "2023-12-31T12:00", "2024-01-03")
    every = client.get_symbol(*args)
    complete = client.get_symbol(*args, complete_only=True)
    assert every["open_time"].to_list() == [
        datetime(2023, 12, 31, 12, tzinfo=UTC) + timedelta(days=d) for d in range(3)
    ]
    assert complete["open_time"].to_list() == every["open_time"].to_list()[1:]
    expected = lake.klines(
        "BTCUSDT", interval="1d", offset="12h", start=args[4], end=args[5], complete_only=True
    )
    _same(complete, expected)


def test_market_kind_is_every_symbol(client: FlightClient, lake: Lake) -> None:
    served = client.get_market("um", "4h", begin=JAN_1, end=JAN_4)
    assert served["symbol"].unique(maintain_order=True).to_list() == ["BTCUSDT", "ETHUSDT"]
    _same(served, lake.klines(None, interval="4h", start=JAN_1, end=JAN_4))
    spot = client.get_market("spot", 30, begin=JAN_1, end=JAN_2)
    assert spot.height == 48
    _same(spot, lake.klines("BTCUSDT", market="spot", interval="30m", start=JAN_1, end=JAN_2))


def test_other_datasets_equal_the_sdk(client: FlightClient, lake: Lake) -> None:
    funding = client.get_dataset("um", "fundingRate", "BTCUSDT", "2024-01-10", "2024-01-20")
    assert funding.height == 30
    _same(funding, lake.funding_rate("BTCUSDT", start="2024-01-10", end="2024-01-20"))
    metrics = client.get_dataset("um", "metrics", begin=JAN_1, end=JAN_2)
    assert metrics.height == 288
    _same(metrics, lake.metrics(None, start=JAN_1, end=JAN_2))


def test_trade_bars_equal_the_sdk(client: FlightClient, lake: Lake) -> None:
    day = {"begin": JAN_1, "end": JAN_2}
    time_bars = client.get_bars("um", "BTCUSDT", interval=15, offset="5m", **day)
    assert time_bars.height == 96
    assert time_bars["open_time"][0] == datetime(2024, 1, 1, 0, 5, tzinfo=UTC)  # offset 5m
    _same(time_bars, lake.bars("BTCUSDT", interval="15m", offset="5m", start=JAN_1, end=JAN_2))
    volume = client.get_bars("um", "BTCUSDT", volume="250.5", **day)
    _same(volume, lake.bars("BTCUSDT", volume="250.5", start=JAN_1, end=JAN_2))
    ticks = client.get_bars("um", ["BTCUSDT"], ticks=500, **day)
    _same(ticks, lake.bars("BTCUSDT", ticks=500, start=JAN_1, end=JAN_2))
    rows = lake.agg_trades("BTCUSDT", start=JAN_1, end=JAN_2)
    assert ticks.height == -(-rows.height // 500) > 1
    assert ticks["volume"].sum() == volume["volume"].sum() == rows["quantity"].sum()
    from_first_bar = rows.filter(pl.col("transact_time") >= time_bars["open_time"][0])
    assert time_bars["volume"].sum() == from_first_bar["quantity"].sum()


def test_exginfo_is_the_symbols_table(client: FlightClient, lake: Lake) -> None:
    served = client.get_exginfo("um")
    expected = lake.symbols("um")
    assert served.schema == expected.schema
    assert {"BTCUSDT", "ETHUSDT"} <= set(served["symbol"].to_list())
    btc = served.filter(pl.col("symbol") == "BTCUSDT").row(0, named=True)
    assert (btc["lake_first"].isoformat(), btc["lake_last"].isoformat()) == (JAN_1, "2024-01-31")
    assert served.drop("status", "delisted").equals(expected.drop("status", "delisted"))


def test_arrow_on_request_and_the_empty_answer(client: FlightClient) -> None:
    table = client.get_symbol("um", "BTCUSDT", 5, begin=JAN_1, end=JAN_2, arrow=True)
    assert isinstance(table, pa.Table)
    assert table.num_rows == 288
    assert table.schema.field("volume").type == pa.decimal128(38, 8)
    nothing = client.get_symbol("um", "NOSUCHUSDT", 5, begin=JAN_1, end=JAN_2)
    assert nothing.height == 0
    assert nothing.columns == pl.from_arrow(table).columns  # type: ignore[union-attr]
    mark = client.get_symbol("um", "BTCUSDT", 5, begin=JAN_1, end=JAN_2, dataset="markPriceKlines")
    assert mark.height == 0
