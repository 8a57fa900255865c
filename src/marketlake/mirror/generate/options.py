"""Option datasets: BVOLIndex (volatility indexes) and EOHSummary (hourly option summaries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from marketlake.mirror.generate import text
from marketlake.mirror.generate.bars import MINUTES_PER_DAY, day_start_ms, trade_minutes
from marketlake.mirror.generate.paths import day_anchor_logs
from marketlake.mirror.generate.seeds import rng_for
from marketlake.mirror.generate.text import BoolArray, IntArray
from marketlake.mirror.universe import Instrument

_HOURS = 24
_CONTRACT_SHAPES = ((-1, "P"), (0, "C"), (0, "P"), (1, "C"))
"""(strike steps from the money, type) of the contracts listed per underlying."""


def bvol_csv(seed: int, instrument: Instrument, day: date) -> bytes:
    """A day of volatility index values, one per minute (2 decimals)."""
    rng = rng_for(seed, "bvol", instrument.symbol, day.isoformat())
    closes = trade_minutes(seed, instrument, day).close
    times = day_start_ms(day) + np.arange(MINUTES_PER_DAY, dtype=np.int64) * 60_000
    rows = MINUTES_PER_DAY
    base = instrument.symbol.removesuffix("USDT")
    columns = [
        text.integers(times + rng.integers(0, 1_000, rows)),
        text.constant(instrument.symbol, rows),
        text.constant(base, rows),
        text.constant("USDT", rows),
        text.decimals(closes, instrument.price_scale, trim=True),
    ]
    return text.csv_rows(columns)


@dataclass(frozen=True)
class _Contracts:
    """The option contracts of one underlying, repeated for each hour of the day."""

    names: list[str]
    kinds: list[str]
    strike: IntArray
    spot: float

    @property
    def rows(self) -> int:
        return len(self.names)


def _contracts(seed: int, instrument: Instrument, day: date) -> _Contracts:
    start, _ = day_anchor_logs(seed, instrument, day)
    spot = float(np.exp(start)) * 10.0**-instrument.price_scale
    grid = 10.0 ** max(np.floor(np.log10(spot)) - 1, -4)
    expiry = date.fromordinal(day.toordinal() + (4 - day.weekday()) % 7 + 7)
    steps = np.array([s for s, _ in _CONTRACT_SHAPES] * _HOURS)
    kinds = [k for _, k in _CONTRACT_SHAPES] * _HOURS
    strike = np.rint((round(spot / grid) + steps * 5) * grid * 10**4).astype(np.int64)
    underlying = instrument.symbol.removesuffix("USDT")
    names = [
        f"{underlying}-{expiry:%y%m%d}-{_strike_text(s)}-{k}"
        for s, k in zip(strike.tolist(), kinds, strict=True)
    ]
    return _Contracts(names, kinds, strike, spot)


def eoh_csv(seed: int, instrument: Instrument, day: date) -> bytes:
    """A day of hourly option summaries; contracts without trades leave cells empty."""
    rng = rng_for(seed, "eoh", instrument.symbol, day.isoformat())
    contracts = _contracts(seed, instrument, day)
    rows = contracts.rows
    noise = np.exp(rng.standard_normal(rows) * 0.3)
    premium = np.maximum(contracts.spot * 0.02 * noise * 10**4, 1).astype(np.int64)
    volume = np.where(rng.random(rows) < 0.4, 0, rng.integers(1, 300, rows)).astype(np.int64)
    idle, no_book = volume == 0, rng.random(rows) < 0.1
    iv = (np.exp(rng.standard_normal((3, rows)) * 0.1) * 0.6 * 10**4).astype(np.int64)
    greeks = np.rint(rng.normal(0, 0.3, (4, rows)) * 10**6).astype(np.int64)
    columns = [
        text.dates(np.full(rows, day_start_ms(day) // 86_400_000, dtype=np.int64)),
        text.integers(np.repeat(np.arange(_HOURS, dtype=np.int64), len(_CONTRACT_SHAPES))),
        _texts(contracts.names),
        text.constant(instrument.symbol, rows),
        _texts(contracts.kinds),
        text.decimals(contracts.strike, 4, trim=True),
        *(_premium(premium * share // 100, idle) for share in (98, 105, 95, 100)),
        text.decimals(volume * 100, 2, trim=True),
        text.decimals(volume * premium // 100, 2, trim=True),
        *(_premium(premium * share // 100, no_book) for share in (99, 101)),
        *(text.blank_where(text.integers(rng.integers(1, 50, rows)), no_book) for _ in "ab"),
        *(text.blank_where(text.decimals(iv[i], 4, trim=True), no_book) for i in (0, 1)),
        text.decimals(premium, 4, trim=True),
        text.decimals(iv[2], 4, trim=True),
        *(text.decimals(g, 6, trim=True) for g in greeks),
        text.decimals(rng.integers(0, 5_000, rows) * 100, 2, trim=True),
        text.decimals(rng.integers(0, 10**9, rows), 2, trim=True),
    ]
    return text.csv_rows(columns)


def _premium(values: IntArray, empty: BoolArray) -> text.Column:
    return text.blank_where(text.decimals(values, 4, trim=True), empty)


def _strike_text(strike: int) -> str:
    whole, fraction = divmod(strike, 10**4)
    return f"{whole}" if fraction == 0 else f"{whole}.{fraction:04d}".rstrip("0")


def _texts(values: list[str]) -> text.Column:
    vocabulary = sorted(set(values))
    index = {v: i for i, v in enumerate(vocabulary)}
    return text.choose(np.array([index[v] for v in values], dtype=np.int64), vocabulary)
