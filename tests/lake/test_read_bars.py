"""Bars from trades and aggTrades against a plain-Python computation over the CSV's rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import groupby

import pytest

from marketlake import Lake
from marketlake.errors import ReadRequestError
from tests.lake.read_support import daily_key, partition_truth, read_test_lake

DAY = {"start": "2024-01-31", "end": "2024-02-01"}
EIGHT = Decimal("1e-8")


@pytest.fixture(scope="module")
def lake() -> Iterator[Lake]:
    with Lake(read_test_lake()) as opened:
        yield opened


def _agg_trades() -> list[tuple[object, ...]]:
    """um BTCUSDT aggTrades of 2024-01-31: (id, price, qty, first, last, time, maker)."""
    return partition_truth(daily_key("um", "aggTrades", "BTCUSDT", date(2024, 1, 31)))


def _expected(
    rows: list[tuple[object, ...]], key: Callable[[int, tuple[object, ...]], object]
) -> list[dict[str, object]]:
    bars = []
    for _, members in groupby(enumerate(rows), key=lambda pair: key(*pair)):
        trades = [row for _, row in members]
        prices = [row[1] for row in trades]
        volume = sum((row[2] for row in trades), Decimal(0))
        quote = sum((row[1] * row[2] for row in trades), Decimal(0))  # type: ignore[operator]
        bars.append(
            {
                "open_time": trades[0][5],
                "close_time": trades[-1][5],
                "open": prices[0],
                "high": max(prices),  # type: ignore[type-var]
                "low": min(prices),  # type: ignore[type-var]
                "close": prices[-1],
                "volume": volume,
                "quote_volume": quote,
                "count": sum(row[4] - row[3] + 1 for row in trades),  # type: ignore[operator]
                "taker_buy_volume": sum((row[2] for row in trades if not row[6]), Decimal(0)),
                "average_price": (quote / volume).quantize(EIGHT, ROUND_HALF_EVEN)
                if volume
                else None,
            }
        )
    return bars


def _hour(moment: object) -> datetime:
    assert isinstance(moment, datetime)
    return moment.replace(minute=0, second=0, microsecond=0)


def test_time_bars_match_a_plain_computation(lake: Lake) -> None:
    got = lake.bars("BTCUSDT", interval="1h", **DAY)
    expected = _expected(_agg_trades(), lambda _, row: _hour(row[5]))
    for bar in expected:
        bar["open_time"] = _hour(bar["open_time"])
        bar["close_time"] = bar["open_time"] + timedelta(hours=1) - timedelta(microseconds=1)  # type: ignore[operator]
    assert got.drop("symbol").to_dicts() == expected
    assert got.height == 24


def test_volume_bars_close_on_the_trade_that_reaches_the_threshold(lake: Lake) -> None:
    threshold = Decimal("25.5")
    rows = _agg_trades()
    before = [Decimal(0)]
    for row in rows:
        before.append(before[-1] + row[2])  # type: ignore[operator]
    got = lake.bars("BTCUSDT", volume="25.5", **DAY)
    expected = _expected(rows, lambda index, _: before[index] // threshold)
    assert got.drop("symbol").to_dicts() == expected
    total = Decimal(0)
    for volume in got["volume"][:-1]:  # each bar but the last ends on crossing a multiple
        assert total // threshold < (total + volume) // threshold
        total += volume


def test_tick_bars_hold_that_many_trades(lake: Lake) -> None:
    got = lake.bars("BTCUSDT", ticks=100, **DAY)
    expected = _expected(_agg_trades(), lambda index, _: index // 100)
    assert got.drop("symbol").to_dicts() == expected


def test_bars_from_trades_use_the_quote_quantity_column(lake: Lake) -> None:
    rows = partition_truth(daily_key("um", "trades", "BTCUSDT", date(2024, 1, 31)))
    got = lake.bars("BTCUSDT", source="trades", interval="6h", **DAY)
    first = [r for r in rows if r[4] < datetime(2024, 1, 31, 6, tzinfo=UTC)]  # type: ignore[operator]
    bar = got.row(0, named=True)
    assert bar["count"] == len(first)
    assert bar["quote_volume"] == sum((r[3] for r in first), Decimal(0))
    assert bar["volume"] == sum((r[2] for r in first), Decimal(0))
    assert got.height == 4


def test_coin_m_trade_bars_carry_base_volume_and_no_average_price(lake: Lake) -> None:
    got = lake.bars("BTCUSD_PERP", market="cm", source="trades", interval="1d", **DAY)
    assert "base_volume" in got.columns
    assert "average_price" not in got.columns
    rows = partition_truth(daily_key("cm", "trades", "BTCUSD_PERP", date(2024, 1, 31)))
    assert got["base_volume"].to_list() == [sum((r[3] for r in rows), Decimal(0))]


def test_bars_refuse_two_sizes_or_none(lake: Lake) -> None:
    for sizes in ({}, {"interval": "1h", "ticks": 10}):
        with pytest.raises(ReadRequestError, match="exactly one"):
            lake.bars("BTCUSDT", **sizes)  # type: ignore[arg-type]
    with pytest.raises(ReadRequestError, match="8 decimals"):
        lake.bars("BTCUSDT", volume="0.000000001", **DAY)
    with pytest.raises(ReadRequestError):
        lake.bars("BTCUSDT", source="metrics", ticks=5)
