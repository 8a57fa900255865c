"""Every input of a read is validated before any file or query is touched."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from marketlake.catalog import Market
from marketlake.errors import LakeError, ReadRequestError
from marketlake.lake.interval import MICROS, ReadInterval, parse_offset
from marketlake.lake.request import BarKind, Bars, ReadRequest, parse_symbols, parse_time

INJECTIONS = [
    "BTCUSDT'; DROP TABLE partitions; --",
    "BTCUSDT' OR '1'='1",
    'BTCUSDT"',
    "BTC USDT",
    "BTCUSDT;",
    "../../etc/passwd",
    "BTCUSDT/**/",
    "_BTCUSDT",
    "",
    "BTCUSDT\x00",
    "a" * 49,
]


@pytest.mark.parametrize("symbol", INJECTIONS)
def test_symbols_that_are_not_archive_names_are_refused(symbol: str) -> None:
    with pytest.raises(ReadRequestError, match="symbol"):
        ReadRequest.build(market="um", dataset="klines", symbols=[symbol])


@pytest.mark.parametrize(
    "interval",
    ["1h; DROP TABLE x", "1h'", "1 h", "h", "0m", "-1m", "1y", "1mon", "1h--", 0, -5, 1.5, True],
)
def test_intervals_that_are_not_intervals_are_refused(interval: object) -> None:
    with pytest.raises(ReadRequestError, match="interval"):
        ReadRequest.build(market="um", dataset="klines", interval=interval)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "when",
    [
        "2024-01-01' OR 1=1 --",
        "2024-01-01; DROP TABLE partitions",
        "yesterday",
        "2024-13-01",
        "2024-01-01T25:00",
        "2024-01-01T00:00:00+02:00",
        1704067200000,
    ],
)
def test_dates_that_are_not_dates_are_refused(when: object) -> None:
    with pytest.raises(ReadRequestError, match="start"):
        ReadRequest.build(market="um", dataset="klines", start=when)  # type: ignore[arg-type]


def test_symbols_of_any_script_and_the_archive_shapes_are_accepted() -> None:
    names = ["BTCUSDT", "1000BONKUSDT", "BTCUSD_PERP", "BTCUSDT_240329", "币安人生USDT", "0GUSDT"]
    assert parse_symbols(names) == tuple(sorted(names))
    assert parse_symbols("ETHUSDT, BTCUSDT,ETHUSDT") == ("BTCUSDT", "ETHUSDT")
    assert parse_symbols(None) is None
    assert parse_symbols("*") is None
    assert parse_symbols(["all"]) is None


def test_intervals_have_one_canonical_name() -> None:
    assert ReadInterval.parse("60m") == ReadInterval.parse("1h") == ReadInterval.parse(60)
    assert ReadInterval.parse("1h").name == "1h"
    assert ReadInterval.parse(timedelta(hours=4)).name == "4h"
    assert ReadInterval.parse("7d").name == "1w"
    assert ReadInterval.parse("1M") == ReadInterval.parse("1mo")
    assert ReadInterval.parse("1M").name == "1M"
    assert ReadInterval.parse("1M").archive_name == "1mo"
    assert ReadInterval.parse("90s").name == "90s"
    assert ReadInterval.parse("1m").micros == MICROS["m"]


def test_weeks_start_on_monday_and_other_intervals_at_the_epoch() -> None:
    week = ReadInterval.parse("1w")
    thursday = datetime(2024, 1, 4, 15, 30, tzinfo=UTC)
    start = week.bucket_start(_micros(thursday))
    assert _moment(start) == datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
    three_days = ReadInterval.parse("3d")
    assert (three_days.bucket_start(_micros(thursday)) - 0) % three_days.micros == 0


def test_month_buckets_are_calendar_months_and_offsets_shift_them() -> None:
    month = ReadInterval.parse("1M")
    moment = _micros(datetime(2024, 2, 29, 23, 0, tzinfo=UTC))
    assert _moment(month.bucket_start(moment)) == datetime(2024, 2, 1, tzinfo=UTC)
    assert _moment(month.bucket_end(month.bucket_start(moment))) == datetime(2024, 3, 1, tzinfo=UTC)
    quarter = ReadInterval.parse("3M")
    assert _moment(quarter.bucket_start(moment)) == datetime(2024, 1, 1, tzinfo=UTC)
    shifted = month.bucket_start(
        _micros(datetime(2024, 3, 1, 1, tzinfo=UTC)), offset=2 * MICROS["h"]
    )
    assert _moment(shifted) == datetime(2024, 2, 1, 2, tzinfo=UTC)


def test_offsets_must_be_shorter_than_the_interval() -> None:
    hour = ReadInterval.parse("1h")
    assert parse_offset("15m", hour) == 15 * MICROS["m"]
    assert parse_offset(15, hour) == 15 * MICROS["m"]
    assert parse_offset(None, hour) == 0
    for bad in ("1h", "2h", "1M"):
        with pytest.raises(ReadRequestError, match="offset"):
            parse_offset(bad, hour)
    with pytest.raises(ReadRequestError, match="offset"):
        ReadRequest.build(market="um", dataset="trades", offset="5m")


def test_times_are_utc_instants() -> None:
    assert parse_time("2024-01-02") == datetime(2024, 1, 2, tzinfo=UTC)
    assert parse_time("2024-01-02T03:04:05Z") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("2024-01-02 03:04:05.000001") == datetime(2024, 1, 2, 3, 4, 5, 1, tzinfo=UTC)
    assert parse_time(date(2024, 1, 2)) == datetime(2024, 1, 2, tzinfo=UTC)
    assert parse_time(datetime(2024, 1, 2, 3)) == datetime(2024, 1, 2, 3, tzinfo=UTC)
    eastern = datetime(2024, 1, 2, 3, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    assert parse_time(eastern) == datetime(2024, 1, 2, 3, tzinfo=UTC)


def test_requests_refuse_what_their_dataset_does_not_have() -> None:
    cases = [
        {"market": "um", "dataset": "trades", "interval": "1h"},
        {"market": "um", "dataset": "metrics", "bars": Bars.parse("tick", 10)},
        {"market": "spot", "dataset": "metrics"},
        {"market": "nyse", "dataset": "klines"},
        {"market": "um", "dataset": "candles"},
        {"market": "um", "dataset": "klines", "start": "2024-02-01", "end": "2024-01-01"},
        {"market": "um", "dataset": "klines", "columns": ["open; DROP"]},
        {"market": "um", "dataset": "klines", "exact": "yes"},
        {
            "market": "um",
            "dataset": "aggTrades",
            "bars": Bars.parse("time", "1h"),
            "complete_only": True,
        },
    ]
    for case in cases:
        with pytest.raises(ReadRequestError):
            ReadRequest.build(**case)  # type: ignore[arg-type]


def test_bars_take_exactly_their_own_size() -> None:
    assert Bars.parse("volume", "12.5").threshold == Decimal("12.5")
    assert Bars.parse("tick", 100).count == 100
    assert Bars.parse(BarKind.TIME, "5m").interval == ReadInterval.parse("5m")
    for kind, size in (
        ("volume", "-1"),
        ("volume", "abc"),
        ("tick", 0),
        ("tick", "10"),
        ("range", 1),
    ):
        with pytest.raises(ReadRequestError):
            Bars.parse(kind, size)


def test_request_errors_are_lake_errors_with_a_message() -> None:
    with pytest.raises(LakeError) as caught:
        ReadRequest.build(market="um", dataset="klines", symbols="BTC USDT")
    assert "BTC USDT" in caught.value.message


def test_a_request_is_a_frozen_value() -> None:
    request = ReadRequest.build(market="um", dataset="klines", symbols="BTCUSDT", interval="4h")
    assert request == ReadRequest.build(
        market=Market.UM, dataset="klines", symbols=["BTCUSDT"], interval=240
    )
    with pytest.raises(AttributeError):
        request.dataset = "trades"  # type: ignore[misc]


def _micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _moment(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
