"""Futures-only datasets: bookTicker, bookDepth, metrics, fundingRate, liquidationSnapshot.

Each follows the symbol's 1-minute trade path so prices agree with its klines. All of them
have a header row; their quirks (17+ digit notionals, empty metrics cells, funding intervals
that change inside a month, liquidation rows written twice) are planted here.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from marketlake.catalog import Market
from marketlake.mirror.generate import text
from marketlake.mirror.generate.bars import DAY_MS, MINUTE_MS, day_start_ms, trade_minutes
from marketlake.mirror.generate.seeds import rng_for
from marketlake.mirror.generate.text import IntArray
from marketlake.mirror.generate.traps import (
    BOOK_DEPTH_NARROW_BANDS_FROM,
    BOOK_DEPTH_TWO_DECIMALS_FROM,
    METRICS_EMPTY_DAYS,
)
from marketlake.mirror.universe import Instrument

_BOOK_TICKER_ROWS = 2_000
_SNAPSHOT_SECONDS = 60
_METRICS_ROWS = 288
_METRICS_EMPTY_ROWS = 24
_WIDE_BANDS = (-500, -400, -300, -200, -100, 100, 200, 300, 400, 500)
_NARROW_BANDS = (-500, -400, -300, -200, -100, -20, 20, 100, 200, 300, 400, 500)


def _rng(seed: int, name: str, instrument: Instrument, day: date) -> np.random.Generator:
    return rng_for(seed, name, instrument.market.value, instrument.symbol, day.isoformat())


def _minute_closes(seed: int, instrument: Instrument, day: date, times_ms: IntArray) -> IntArray:
    closes = trade_minutes(seed, instrument, day).close
    result: IntArray = closes[(times_ms - day_start_ms(day)) // MINUTE_MS]
    return result


def _price(instrument: Instrument, values: IntArray) -> text.Column:
    return text.decimals(values, instrument.price_scale, trim=True)


def _qty(instrument: Instrument, values: IntArray) -> text.Column:
    return text.decimals(values, instrument.qty_scale, trim=True)


def book_ticker_csv(seed: int, instrument: Instrument, day: date) -> bytes:
    """A day of best bid/ask updates."""
    rng = _rng(seed, "bookTicker", instrument, day)
    rows = _BOOK_TICKER_ROWS
    times = day_start_ms(day) + np.sort(rng.integers(0, DAY_MS, rows))
    mid = _minute_closes(seed, instrument, day, times)
    tick = instrument.tick
    bid = mid - rng.integers(0, 3, rows) * tick
    ask = bid + (1 + rng.geometric(0.6, rows)) * tick
    sizes = np.exp(rng.standard_normal((2, rows))) * 10.0**instrument.qty_scale
    first_update = (day.toordinal() - instrument.listed.toordinal()) * 50_000_000
    updates = first_update + np.cumsum(rng.integers(1, 2_000, rows))
    columns = [
        text.integers(updates),
        _price(instrument, bid),
        _qty(instrument, np.maximum(sizes[0].astype(np.int64), 1)),
        _price(instrument, ask),
        _qty(instrument, np.maximum(sizes[1].astype(np.int64), 1)),
        text.integers(times),
        text.integers(times + rng.integers(0, 6, rows)),
    ]
    return text.csv_rows(columns)


def book_depth_csv(seed: int, instrument: Instrument, day: date) -> bytes:
    """A day of cumulative depth snapshots, one per minute, per band."""
    rng = _rng(seed, "bookDepth", instrument, day)
    bands = np.array(_NARROW_BANDS if day >= BOOK_DEPTH_NARROW_BANDS_FROM else _WIDE_BANDS)
    snapshots = 86_400 // _SNAPSHOT_SECONDS
    seconds = np.arange(snapshots) * _SNAPSHOT_SECONDS + rng.integers(0, 20, snapshots)
    mid = _minute_closes(seed, instrument, day, day_start_ms(day) + seconds * 1000)
    increments = np.exp(rng.standard_normal((snapshots, bands.size)) * 0.4)
    increments *= 400.0 * np.abs(bands)[None, :] / 100.0 * 10.0**instrument.qty_scale
    steps = np.maximum(increments.astype(np.int64), 1)
    depth = _cumulate_outward(steps, bands)
    band_price = (mid[:, None] * (10_000 + bands[None, :]) // 10_000).astype(np.int64)
    notional = _cumulate_outward(steps * band_price, bands)
    notional_scale = instrument.qty_scale + instrument.price_scale
    columns = [
        text.datetimes(np.repeat(seconds + day_start_ms(day) // 1000, bands.size)),
        text.decimals(np.tile(bands, snapshots), 2, trim=day < BOOK_DEPTH_TWO_DECIMALS_FROM),
        text.decimals(rescale(depth.ravel(), instrument.qty_scale, 8), 8),
        text.decimals(rescale(notional.ravel(), notional_scale, 8), 8),
    ]
    return text.csv_rows(columns)


def rescale(values: IntArray, scale: int, new_scale: int) -> IntArray:
    """Scaled integers at another scale (rounding down when digits are dropped)."""
    if new_scale >= scale:
        grown: IntArray = values * 10 ** (new_scale - scale)
        return grown
    shrunk: IntArray = values // 10 ** (scale - new_scale)
    return shrunk


def _cumulate_outward(steps: IntArray, bands: IntArray) -> IntArray:
    """Sums from the mid price outwards: each band holds everything nearer to the mid."""
    result = np.empty_like(steps)
    bid, ask = bands < 0, bands > 0
    result[:, bid] = np.cumsum(steps[:, bid][:, ::-1], axis=1)[:, ::-1]
    result[:, ask] = np.cumsum(steps[:, ask], axis=1)
    return result


def metrics_csv(seed: int, instrument: Instrument, day: date) -> bytes:
    """A day of 5-minute open interest and long/short ratios (some cells empty)."""
    rng = _rng(seed, "metrics", instrument, day)
    rows = _METRICS_ROWS
    seconds = day_start_ms(day) // 1000 + np.arange(rows) * 300
    mid = _minute_closes(seed, instrument, day, seconds * 1000)
    open_interest = (2e4 * 10**8 * np.exp(np.cumsum(rng.standard_normal(rows) * 0.01))).astype(
        np.int64
    )
    value = rescale(open_interest // 10**4 * mid, 4 + instrument.price_scale, 8)
    ratios = (np.exp(rng.standard_normal((4, rows)) * 0.15) * 10**5).astype(np.int64)
    empty = np.zeros(rows, dtype=np.bool_)
    if (instrument.market, instrument.symbol, day) in METRICS_EMPTY_DAYS:
        empty[:_METRICS_EMPTY_ROWS] = True
    columns = [
        text.datetimes(seconds),
        text.constant(instrument.symbol, rows),
        text.decimals(open_interest, 8),
        text.decimals(value, 8),
        text.blank_where(text.decimals(ratios[0], 5, trim=True), empty),
        text.blank_where(text.decimals(ratios[1], 5, trim=True), empty),
        text.decimals(ratios[2], 5, trim=True),
        text.decimals(ratios[3], 5, trim=True),
    ]
    return text.csv_rows(columns)


def funding_csv(seed: int, instrument: Instrument, days: list[date]) -> bytes:
    """Funding events of ``days`` (a month), at the interval in force each day."""
    rng = rng_for(seed, "funding", instrument.market.value, instrument.symbol, days[0].isoformat())
    hours: list[int] = []
    times: list[int] = []
    for day in days:
        interval = instrument.funding_interval(day)
        for hour in range(0, 24, interval):
            times.append(day_start_ms(day) + hour * 3_600_000)
            hours.append(interval)
    count = len(times)
    jitter = rng.integers(0, 30, count)
    rates = np.rint(rng.normal(8_000, 9_000, count)).astype(np.int64)
    columns = [
        text.integers(np.array(times, dtype=np.int64) + jitter),
        text.integers(np.array(hours, dtype=np.int64)),
        text.decimals(rates, 8),
    ]
    return text.csv_rows(columns)


def liquidation_csv(seed: int, instrument: Instrument, day: date) -> bytes:
    """A day of forced orders; every row appears twice, as in the archive."""
    rng = _rng(seed, "liquidation", instrument, day)
    rows = int(rng.integers(5, 40))
    times = day_start_ms(day) + np.sort(rng.integers(0, DAY_MS, rows))
    mid = _minute_closes(seed, instrument, day, times)
    sell = rng.random(rows) < 0.5
    slip = (mid * rng.uniform(0.001, 0.01, rows) / instrument.tick).astype(
        np.int64
    ) * instrument.tick
    price = np.where(sell, mid - slip, mid + slip)
    average = np.where(sell, price + slip // 2, price - slip // 2)
    average = average // instrument.tick * instrument.tick
    if instrument.market is Market.CM:
        qty = rng.integers(1, 50, rows).astype(np.int64)
    else:
        qty = np.maximum((np.exp(rng.standard_normal(rows)) * 10**instrument.qty_scale), 1).astype(
            np.int64
        )
    twice = np.repeat(np.arange(rows), 2)
    columns = [
        text.integers(times[twice]),
        text.choose(sell.astype(np.int64)[twice], ("BUY", "SELL")),
        text.constant("LIMIT", 2 * rows),
        text.constant("IOC", 2 * rows),
        _qty(instrument, qty[twice]),
        _price(instrument, price[twice]),
        _price(instrument, average[twice]),
        text.constant("FILLED", 2 * rows),
        _qty(instrument, qty[twice]),
        _qty(instrument, qty[twice]),
    ]
    return text.csv_rows(columns)
