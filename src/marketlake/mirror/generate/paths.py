"""Daily price anchors: where each asset opens every UTC day, as a seeded random walk.

An asset (BTC) walks in log space around a straight trend from its first price to its price
at the horizon, mean-reverting so it never wanders off; each instrument following the asset
(spot BTCUSDT, um BTCUSDT, cm BTCUSD_PERP) adds its own small daily offset. A day's intraday
path is then a bridge from its anchor to the next day's, so any one day can be generated on
its own without walking through the days before it.
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache

import numpy as np

from marketlake.mirror.generate.seeds import rng_for
from marketlake.mirror.generate.text import IntArray
from marketlake.mirror.universe import ASSET_HORIZON, ASSETS, Instrument

LAST_DAY = date(2040, 12, 31)
_REVERSION = 0.985
_INSTRUMENT_OFFSET = 0.0015
FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]


@lru_cache(maxsize=128)
def asset_log_anchors(seed: int, asset_name: str) -> FloatArray:
    """Natural log of the asset's price at 00:00 UTC of each day from its first day."""
    asset = ASSETS[asset_name]
    days = LAST_DAY.toordinal() - asset.first_day.toordinal() + 1
    horizon = ASSET_HORIZON.toordinal() - asset.first_day.toordinal()
    progress = np.minimum(np.arange(days, dtype=np.float64) / horizon, 1.0)
    trend = math.log(asset.first_price) + progress * math.log(asset.last_price / asset.first_price)
    shocks = rng_for(seed, "asset", asset_name).standard_normal(days) * asset.daily_volatility
    deviation = np.empty(days, dtype=np.float64)
    level = 0.0
    for index, shock in enumerate(shocks.tolist()):
        deviation[index] = level
        level = level * _REVERSION + shock
    anchors: FloatArray = trend + deviation
    anchors.setflags(write=False)
    return anchors


@lru_cache(maxsize=256)
def _instrument_offsets(seed: int, instrument: Instrument) -> FloatArray:
    asset = ASSETS[instrument.asset]
    days = LAST_DAY.toordinal() - asset.first_day.toordinal() + 1
    stream = rng_for(seed, "offset", instrument.market.value, instrument.symbol)
    offsets: FloatArray = stream.standard_normal(days) * _INSTRUMENT_OFFSET
    offsets.setflags(write=False)
    return offsets


def log_price_units(instrument: Instrument) -> float:
    """log of one price unit (the last price decimal) in the asset's currency."""
    return math.log(10.0**-instrument.price_scale / instrument.price_factor)


def day_anchor_logs(seed: int, instrument: Instrument, day: date) -> tuple[float, float]:
    """log(price in price units) at the start of ``day`` and of the next day."""
    asset = ASSETS[instrument.asset]
    index = day.toordinal() - asset.first_day.toordinal()
    if index < 0 or index + 1 >= len(asset_log_anchors(seed, asset.name)):
        raise ValueError(f"{day} is outside the simulated span of {asset.name}")
    anchors = asset_log_anchors(seed, asset.name)
    offsets = _instrument_offsets(seed, instrument)
    unit = log_price_units(instrument)
    start = float(anchors[index] + offsets[index]) - unit
    end = float(anchors[index + 1] + offsets[index + 1]) - unit
    return start, end


def to_ticks(log_units: FloatArray, tick: int) -> IntArray:
    """Prices (log of price units) rounded to a whole number of ticks, in price units."""
    ticks = np.maximum(np.rint(np.exp(log_units) / tick), 1.0)
    return ticks.astype(np.int64) * tick
