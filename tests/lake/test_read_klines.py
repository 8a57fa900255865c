"""Klines of any interval from the lake: stored or resampled, complete_only, offsets, views,
streaming, and the exact and float views agreeing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl
import pyarrow as pa
import pytest

from marketlake import Lake
from marketlake.lake.interval import ReadInterval
from marketlake.lake.read import schema_of
from marketlake.lake.request import ReadRequest
from marketlake.lake.resample import Resampling, resample
from tests.lake.read_support import read_test_lake

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
WINDOW = {"start": "2024-01-30", "end": "2024-02-03"}


@pytest.fixture(scope="module")
def lake() -> Iterator[Lake]:
    with Lake(read_test_lake()) as opened:
        yield opened


@pytest.mark.parametrize("interval", ["1h", "1d"])
def test_resampling_the_stored_minutes_gives_the_archives_own_bars(
    lake: Lake, interval: str
) -> None:
    minutes = lake.klines(SYMBOLS, interval="1m", **WINDOW).drop("average_price")
    stored = lake.klines(SYMBOLS, interval=interval, **WINDOW).drop("average_price")
    plan = Resampling(ReadInterval.parse(interval), ReadInterval.parse("1m"))
    assert stored.height == (96 if interval == "1h" else 4) * 2
    assert resample(minutes.lazy(), plan).collect().equals(stored)


def test_an_interval_the_lake_lacks_is_resampled_from_the_finest_stored(lake: Lake) -> None:
    four_hours = lake.klines("BTCUSDT", interval="4h", **WINDOW)
    minutes = lake.klines("BTCUSDT", interval="1m", **WINDOW)
    first = minutes.filter(pl.col("open_time") < datetime(2024, 1, 30, 4, tzinfo=UTC))
    bar = four_hours.row(0, named=True)
    assert bar["open_time"] == datetime(2024, 1, 30, tzinfo=UTC)
    assert bar["open"] == first["open"][0]
    assert bar["high"] == first["high"].max()
    assert bar["low"] == first["low"].min()
    assert bar["close"] == first["close"][-1]
    assert bar["close_time"] == first["close_time"][-1]
    assert bar["volume"] == sum(first["volume"].to_list(), Decimal(0))
    assert bar["count"] == first["count"].sum()
    expected = (bar["quote_volume"] / bar["volume"]).quantize(Decimal("1e-8"), ROUND_HALF_EVEN)
    assert bar["average_price"] == expected
    assert four_hours.height == 4 * 6


def test_an_offset_shifts_every_bucket(lake: Lake) -> None:
    shifted = lake.klines("BTCUSDT", interval="1h", offset="15m", **WINDOW)
    assert shifted["open_time"][0] == datetime(2024, 1, 30, 0, 15, tzinfo=UTC)
    assert {t.minute for t in shifted["open_time"]} == {15}
    minutes = lake.klines("BTCUSDT", interval="1m", **WINDOW)
    hour = minutes.filter(
        (pl.col("open_time") >= datetime(2024, 1, 30, 0, 15, tzinfo=UTC))
        & (pl.col("open_time") < datetime(2024, 1, 30, 1, 15, tzinfo=UTC))
    )
    assert shifted["volume"][0] == sum(hour["volume"].to_list(), Decimal(0))
    # the last bucket opens before `end` but the lake has only its first 45 minutes
    assert shifted["open_time"][-1] == datetime(2024, 2, 2, 23, 15, tzinfo=UTC)
    complete = lake.klines("BTCUSDT", interval="1h", offset="15m", complete_only=True, **WINDOW)
    assert complete["open_time"][-1] == datetime(2024, 2, 2, 22, 15, tzinfo=UTC)
    assert complete["open_time"][0] == datetime(2024, 1, 30, 0, 15, tzinfo=UTC)


def test_bars_are_whole_buckets_whose_open_time_is_in_range(lake: Lake) -> None:
    bars = lake.klines("BTCUSDT", interval="4h", start="2024-01-30T01:00", end="2024-01-31T10:00")
    assert bars["open_time"].to_list()[0] == datetime(2024, 1, 30, 4, tzinfo=UTC)
    assert bars["open_time"].to_list()[-1] == datetime(2024, 1, 31, 8, tzinfo=UTC)
    assert bars.equals(
        lake.klines("BTCUSDT", interval="4h", **WINDOW).filter(
            (pl.col("open_time") >= datetime(2024, 1, 30, 1, tzinfo=UTC))
            & (pl.col("open_time") < datetime(2024, 1, 31, 10, tzinfo=UTC))
        )
    )


def test_complete_only_drops_the_buckets_an_outage_left_incomplete(lake: Lake) -> None:
    day = {"start": "2023-03-24", "end": "2023-03-25", "market": "spot"}
    every = lake.klines("BTCUSDT", interval="30m", **day)
    complete = lake.klines("BTCUSDT", interval="30m", complete_only=True, **day)
    missing = set(range(738, 830))  # the stand-in's outage: minutes 738..829 (12:18..13:49)
    touched = {m // 30 for m in missing}
    empty = {b for b in touched if all(m in missing for m in range(b * 30, b * 30 + 30))}
    midnight = datetime(2023, 3, 24, tzinfo=UTC)
    at = {b: midnight + timedelta(minutes=30 * b) for b in range(48)}
    assert set(every["open_time"]) == {at[b] for b in range(48) if b not in empty}
    assert set(complete["open_time"]) == {at[b] for b in range(48) if b not in touched}
    assert (len(empty), len(touched)) == (2, 4)  # 12:30 and 13:00 empty; 12:00, 13:30 partial
    partial = every.filter(pl.col("open_time") == at[24]).row(0, named=True)
    minutes = lake.klines("BTCUSDT", interval="1m", **day)
    present = minutes.filter((pl.col("open_time") >= at[24]) & (pl.col("open_time") < at[25]))
    assert present.height == 18
    assert partial["volume"] == sum(present["volume"].to_list(), Decimal(0))


def test_weeks_start_on_monday_and_months_are_calendar_months(lake: Lake) -> None:
    weeks = lake.klines("BTCUSDT", interval="1w", start="2024-01-29", end="2024-02-05")
    assert weeks["open_time"].to_list() == [datetime(2024, 1, 29, tzinfo=UTC)]  # a Monday
    months = lake.klines("BTCUSDT", interval="1M", **WINDOW)
    assert months["open_time"].to_list() == [datetime(2024, 2, 1, tzinfo=UTC)]
    assert lake.klines("BTCUSDT", interval="1M", complete_only=True, **WINDOW).height == 0
    minutes = lake.klines("BTCUSDT", interval="1m", start="2024-02-01", end="2024-02-03")
    assert months["volume"][0] == sum(minutes["volume"].to_list(), Decimal(0))


def test_an_integer_interval_is_minutes(lake: Lake) -> None:
    assert lake.klines("BTCUSDT", interval=240, **WINDOW).equals(
        lake.klines("BTCUSDT", interval="4h", **WINDOW)
    )


def test_float_view_equals_the_exact_view_where_float_is_exact(lake: Lake) -> None:
    exact = lake.klines(SYMBOLS, interval="1h", **WINDOW)
    floats = lake.klines(SYMBOLS, interval="1h", exact=False, **WINDOW)
    assert floats.columns == exact.columns
    for name, dtype in exact.schema.items():
        if isinstance(dtype, pl.Decimal):
            assert floats.schema[name] == pl.Float64
            assert floats[name].to_list() == [None if v is None else float(v) for v in exact[name]]
        else:
            assert floats[name].equals(exact[name])
    binary_exact = 0
    for name in ("open", "high", "low", "close", "volume"):
        for value, number in zip(exact[name], floats[name], strict=True):
            if (value * 256) % 1 == 0 and abs(value) < 2**40:  # a dyadic decimal: float holds it
                assert Decimal(number) == value
                binary_exact += 1
    assert binary_exact > 10


def test_record_batches_stream_the_same_rows_in_pieces(lake: Lake) -> None:
    request = ReadRequest.build(
        market="um", dataset="klines", symbols=None, interval="2h", **WINDOW
    )
    whole = lake.reader.read(request)
    batches = list(lake.reader.record_batches(request, max_rows=2000))
    assert len(batches) > 2
    assert all(b.schema == schema_of(request) for b in batches)
    streamed = pl.from_arrow(pa.Table.from_batches(batches))
    assert isinstance(streamed, pl.DataFrame)
    assert streamed.equals(whole)
    minutes = ReadRequest.build(market="um", dataset="klines", symbols="BTCUSDT", **WINDOW)
    pieces = pl.from_arrow(
        pa.Table.from_batches(list(lake.reader.record_batches(minutes, max_rows=1000)))
    )
    assert isinstance(pieces, pl.DataFrame)
    assert pieces.equals(lake.reader.read(minutes))


def test_schema_of_matches_every_answer_without_reading(lake: Lake) -> None:
    for request in (
        ReadRequest.build(
            market="um", dataset="klines", symbols="BTCUSDT", interval="3h", **WINDOW
        ),
        ReadRequest.build(market="cm", dataset="klines", symbols="BTCUSD_PERP", exact=False),
        ReadRequest.build(market="um", dataset="metrics"),
        ReadRequest.build(market="um", dataset="klines", symbols="NOSUCHUSDT"),
        ReadRequest.build(market="um", dataset="klines", columns=["open_time", "close", "symbol"]),
    ):
        expected = pl.from_arrow(schema_of(request).empty_table())
        assert isinstance(expected, pl.DataFrame)
        assert lake.reader.read(request).schema == expected.schema, request
        for batch in lake.reader.record_batches(request):
            assert batch.schema == schema_of(request)


def test_columns_project_the_answer_in_order(lake: Lake) -> None:
    request = ReadRequest.build(
        market="um",
        dataset="klines",
        symbols=SYMBOLS,
        interval="1d",
        columns=["volume", "symbol"],
        **WINDOW,
    )
    frame = lake.read(request)
    assert frame.columns == ["volume", "symbol"]
    assert frame.height == 8
