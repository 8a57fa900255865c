"""Kline bars: one seeded 1-minute path per symbol and day, and exact aggregation of it.

Every interval of a day (3m .. 1d) is the 1-minute bars aggregated, and every longer bar
(3d, 1w, 1mo) the daily bars aggregated, so a resampled 1m file equals the 1h file exactly.
All values are integers: prices in price units, volumes in quantity units, quote volumes in
price units x quantity units (for COIN-M: base asset in 1e-8), so sums never round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from marketlake.catalog import Market
from marketlake.errors import MirrorError
from marketlake.mirror.generate.paths import day_anchor_logs, to_ticks
from marketlake.mirror.generate.seeds import rng_for
from marketlake.mirror.generate.text import BoolArray, IntArray
from marketlake.mirror.universe import ASSETS, Instrument

MINUTE_MS = 60_000
DAY_MS = 86_400_000
MINUTES_PER_DAY = 1_440
BASE_UNITS = 10**8
REFERENCE_SCALE = 8
_INT64_MAX = 2**63 - 1
_MEAN_COUNT = 300.0


@dataclass(frozen=True)
class Bars:
    """Kline rows as integer columns; ``open_time`` in epoch milliseconds."""

    open_time: IntArray
    open: IntArray
    high: IntArray
    low: IntArray
    close: IntArray
    volume: IntArray
    quote_volume: IntArray
    count: IntArray
    taker_volume: IntArray
    taker_quote_volume: IntArray

    def __len__(self) -> int:
        return int(self.open_time.shape[0])

    def select(self, rows: BoolArray | slice) -> Bars:
        """The bars at ``rows`` (a mask or a slice)."""
        return Bars(*(getattr(self, f.name)[rows] for f in fields(self)))


def concat_bars(parts: list[Bars]) -> Bars:
    """Bars of several spans, one after the other."""
    return Bars(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Bars)))


def day_start_ms(day: date) -> int:
    """Epoch milliseconds of 00:00 UTC on ``day``."""
    return (day.toordinal() - date(1970, 1, 1).toordinal()) * DAY_MS


def _bridge(start: float, end: float, steps: np.ndarray) -> np.ndarray:
    """A random walk with ``steps`` pinned to ``start`` and ``end`` (log prices)."""
    walk = np.cumsum(steps)
    share = np.arange(1, steps.shape[0] + 1, dtype=np.float64) / steps.shape[0]
    result: np.ndarray = start + (end - start) * share + walk - share * walk[-1]
    return result


def _candles(
    first_open: int, closes: IntArray, wicks: np.ndarray, tick: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Opens, highs and lows around ``closes`` (each open is the previous close).

    ``wicks`` (2 x n) are the relative lengths of the upper and lower shadows.
    """
    opens = np.concatenate([np.array([first_open], dtype=np.int64), closes[:-1]])
    top, bottom = np.maximum(opens, closes), np.minimum(opens, closes)
    up = (top * wicks[0] / tick).astype(np.int64) * tick
    down = (bottom * wicks[1] / tick).astype(np.int64) * tick
    return opens, top + up, np.maximum(bottom - down, np.minimum(bottom, tick))


def _noise(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Normal (n) and uniform (6 x n) draws for one day of minutes, in two calls."""
    return rng.standard_normal(MINUTES_PER_DAY), rng.random((6, MINUTES_PER_DAY))


def trade_minutes(seed: int, instrument: Instrument, day: date) -> Bars:
    """The day's 1-minute trade klines of ``instrument`` (every minute of the day)."""
    rng = rng_for(seed, "minutes", instrument.market.value, instrument.symbol, day.isoformat())
    sigma = ASSETS[instrument.asset].daily_volatility / math.sqrt(MINUTES_PER_DAY)
    normal, uniform = _noise(rng)
    start, end = day_anchor_logs(seed, instrument, day)
    closes = to_ticks(_bridge(start, end, normal * sigma), instrument.tick)
    first_open = int(to_ticks(np.array([start]), instrument.tick)[0])
    wicks = -np.log1p(-uniform[:2]) * (0.6 * sigma)
    opens, highs, lows = _candles(first_open, closes, wicks, instrument.tick)
    span = (highs - lows) // instrument.tick + 1
    vwap = lows + (uniform[2] * span).astype(np.int64) * instrument.tick
    volume = _volumes(instrument, closes, -np.log1p(-uniform[4]))
    count = np.rint(_MEAN_COUNT * (0.3 + 1.4 * uniform[5])).astype(np.int64)
    count = np.maximum(np.minimum(count, volume), 1)
    taker = (volume * (0.25 + 0.5 * uniform[3])).astype(np.int64)
    quote, taker_quote = quote_of(instrument, volume, vwap), quote_of(instrument, taker, vwap)
    times = day_start_ms(day) + np.arange(MINUTES_PER_DAY, dtype=np.int64) * MINUTE_MS
    return Bars(times, opens, highs, lows, closes, volume, quote, count, taker, taker_quote)


def _volumes(instrument: Instrument, closes: IntArray, noise: np.ndarray) -> IntArray:
    if instrument.market is Market.CM:
        mean = np.full(closes.shape, instrument.turnover)
    else:
        price = closes * 10.0**-instrument.price_scale
        mean = instrument.turnover / price * 10.0**instrument.qty_scale
    volumes: IntArray = np.maximum(np.rint(mean * noise), 1).astype(np.int64)
    return volumes


def quote_of(instrument: Instrument, volume: IntArray, price: IntArray) -> IntArray:
    """Quote volume of ``volume`` at ``price`` (COIN-M: base asset volume in 1e-8 units)."""
    if instrument.market is not Market.CM:
        result: IntArray = volume * price
        return result
    per_contract = instrument.contract_size * BASE_UNITS * 10.0**instrument.price_scale
    return np.rint(volume * per_contract / price).astype(np.int64)


def reference_minutes(seed: int, instrument: Instrument, day: date, kind: str) -> Bars:
    """1-minute mark, index or premium-index klines: prices in 1e-8, no volume, count 60."""
    trades = trade_minutes(seed, instrument, day)
    rng = rng_for(seed, kind, instrument.market.value, instrument.symbol, day.isoformat())
    if kind == "premium":
        opens, highs, lows, closes = _premium_candles(rng)
    else:
        opens, highs, lows, closes = _tracking_candles(rng, instrument, trades)
    zeros = np.zeros(MINUTES_PER_DAY, dtype=np.int64)
    count = np.full(MINUTES_PER_DAY, 60, dtype=np.int64)
    return Bars(trades.open_time, opens, highs, lows, closes, zeros, zeros, count, zeros, zeros)


def _premium_candles(rng: np.random.Generator) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """A premium index around +0.0001 (in 1e-8), often negative."""
    level = 10_000 + np.cumsum(rng.integers(-400, 401, MINUTES_PER_DAY + 1))
    opens, closes = level[:-1].astype(np.int64), level[1:].astype(np.int64)
    shadows = rng.integers(0, 300, (2, MINUTES_PER_DAY))
    highs = np.maximum(opens, closes) + shadows[0]
    lows = np.minimum(opens, closes) - shadows[1]
    return opens, highs, lows, closes


def _tracking_candles(
    rng: np.random.Generator, instrument: Instrument, trades: Bars
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Candles (in 1e-8) a hair away from the trade closes, as mark and index prices are."""
    scale = 10.0 ** (REFERENCE_SCALE - instrument.price_scale)
    noise = 1 + rng.normal(0.0, 2e-4, MINUTES_PER_DAY + 1)
    closes = np.rint(trades.close * scale * noise[1:]).astype(np.int64)
    first_open = round(int(trades.open[0]) * scale * float(noise[0]))
    sigma = ASSETS[instrument.asset].daily_volatility / math.sqrt(MINUTES_PER_DAY) / 2
    wicks = rng.exponential(sigma, (2, MINUTES_PER_DAY))
    opens, highs, lows = _candles(first_open, closes, wicks, 1)
    return opens, highs, lows, closes


def aggregate(bars: Bars, bucket_starts: IntArray) -> Bars:
    """Bars merged by bucket (``bucket_starts[i]`` is row i's bar open time, sorted)."""
    if len(bars) == 0:
        return bars
    first = np.flatnonzero(np.concatenate([[True], bucket_starts[1:] != bucket_starts[:-1]]))
    last = np.concatenate([first[1:], [len(bars)]]) - 1
    total = np.add.reduceat

    def summed(column: IntArray) -> IntArray:
        if column.size and int(column.max()) > _INT64_MAX // column.size:
            raise MirrorError("generated volumes are too large to sum exactly")
        result: IntArray = total(column, first)
        return result

    return Bars(
        open_time=bucket_starts[first],
        open=bars.open[first],
        high=np.maximum.reduceat(bars.high, first),
        low=np.minimum.reduceat(bars.low, first),
        close=bars.close[last],
        volume=summed(bars.volume),
        quote_volume=summed(bars.quote_volume),
        count=summed(bars.count),
        taker_volume=summed(bars.taker_volume),
        taker_quote_volume=summed(bars.taker_quote_volume),
    )


def without_minutes(bars: Bars, first_minute: int, last_minute: int) -> Bars:
    """Bars with minutes ``first_minute..last_minute`` of their day removed (an outage)."""
    minute = bars.open_time % DAY_MS // MINUTE_MS
    return bars.select((minute < first_minute) | (minute > last_minute))
