"""1-second klines: each minute bar refined into 60 seconds that aggregate back to it.

Open, high, low, close, volume, trade count and taker volume of the 60 seconds aggregate
exactly to the minute's; a second has volume exactly when it has trades. Each second's
quote volume is its volume at a price inside its own range, so it is consistent row by
row, but the seconds' quote volumes sum to the minute's only approximately (the minute's
was drawn before the seconds existed).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from marketlake.mirror.generate.bars import Bars, quote_of
from marketlake.mirror.generate.seeds import rng_for
from marketlake.mirror.generate.text import IntArray
from marketlake.mirror.universe import Instrument

SECONDS = 60
SECOND_MS = 1_000
IntMatrix = np.ndarray[tuple[int, int], np.dtype[np.int64]]


def split_total(total: IntArray, weights: IntMatrix) -> IntMatrix:
    """``total[i]`` split over row i in proportion to integer ``weights`` (largest remainder).

    Exact: each row sums to its total, and a part never exceeds ``ceil(total * w / sum w)``.
    """
    weight_sum = np.maximum(weights.sum(axis=1, keepdims=True), 1)
    numerator = total[:, None] * weights
    parts = numerator // weight_sum
    remainder = numerator - parts * weight_sum
    missing = total - parts.sum(axis=1)
    order = np.argsort(-remainder, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(weights.shape[1])[None, :], axis=1)
    result: IntMatrix = parts + (ranks < missing[:, None])
    return result


def _price_path(rng: np.random.Generator, minutes: Bars, tick: int) -> IntMatrix:
    rows = len(minutes)
    walk = np.cumsum(rng.standard_normal((rows, SECONDS)), axis=1)
    share = np.arange(1, SECONDS + 1, dtype=np.float64) / SECONDS
    deviation = walk - share[None, :] * walk[:, -1:]
    amplitude = (minutes.high - minutes.low) / 4.0 / np.maximum(np.abs(deviation).max(axis=1), 1e-9)
    start, end = minutes.open[:, None], minutes.close[:, None]
    path = start + (end - start) * share[None, :] + deviation * amplitude[:, None]
    ticks = np.rint((path - minutes.low[:, None]) / tick).astype(np.int64) * tick
    closes: IntMatrix = np.clip(
        minutes.low[:, None] + ticks, minutes.low[:, None], minutes.high[:, None]
    )
    closes[:, -1] = minutes.close
    return closes


def _activity(rng: np.random.Generator, minutes: Bars) -> tuple[IntMatrix, IntMatrix]:
    """Volume and trade count per second: a second trades (count >= 1) iff it has volume."""
    rows = len(minutes)
    active_count = np.minimum(minutes.count, SECONDS)
    order = np.argsort(rng.random((rows, SECONDS)), axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(SECONDS)[None, :], axis=1)
    active = (ranks < active_count[:, None]).astype(np.int64)
    weights = active * rng.integers(1, 1_000, (rows, SECONDS))
    volume = active + split_total(minutes.volume - active_count, weights)
    count = active + split_total(minutes.count - active_count, volume)
    return volume, count


def second_bars(seed: int, instrument: Instrument, day: date, minutes: Bars) -> Bars:
    """The 1-second klines refining ``minutes`` (the day's 1-minute trade klines)."""
    rng = rng_for(seed, "seconds", instrument.market.value, instrument.symbol, day.isoformat())
    rows, tick = len(minutes), instrument.tick
    closes = _price_path(rng, minutes, tick)
    opens = np.concatenate([minutes.open[:, None], closes[:, :-1]], axis=1)
    highs, lows = np.maximum(opens, closes), np.minimum(opens, closes)
    line = np.arange(rows)
    highs[line, rng.integers(0, SECONDS, rows)] = minutes.high
    lows[line, rng.integers(0, SECONDS, rows)] = minutes.low
    volume, count = _activity(rng, minutes)
    taker = split_total(minutes.taker_volume, volume)
    span = (highs - lows) // tick + 1
    vwap = lows + np.floor(rng.random((rows, SECONDS)) * span).astype(np.int64) * tick
    offsets = np.arange(SECONDS, dtype=np.int64) * SECOND_MS
    times = (minutes.open_time[:, None] + offsets[None, :]).ravel()
    flat_volume, flat_taker, flat_vwap = volume.ravel(), taker.ravel(), vwap.ravel()
    return Bars(
        open_time=times,
        open=opens.ravel(),
        high=highs.ravel(),
        low=lows.ravel(),
        close=closes.ravel(),
        volume=flat_volume,
        quote_volume=quote_of(instrument, flat_volume, flat_vwap),
        count=count.ravel(),
        taker_volume=flat_taker,
        taker_quote_volume=quote_of(instrument, flat_taker, flat_vwap),
    )
