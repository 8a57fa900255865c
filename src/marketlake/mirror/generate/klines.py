"""Kline files (klines, markPriceKlines, indexPriceKlines, premiumIndexKlines) of any interval.

Intervals up to a day aggregate the day's 1-minute bars; 3d, 1w and 1mo aggregate daily bars,
which are cached because a listing of a ``1d`` folder needs one per file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np

from marketlake.catalog import Interval, Market, month_last_day
from marketlake.mirror.generate import text
from marketlake.mirror.generate.bars import (
    DAY_MS,
    REFERENCE_SCALE,
    Bars,
    aggregate,
    concat_bars,
    day_start_ms,
    reference_minutes,
    trade_minutes,
    without_minutes,
)
from marketlake.mirror.generate.cache import BoundedCache
from marketlake.mirror.generate.seconds import second_bars
from marketlake.mirror.generate.traps import outage_for
from marketlake.mirror.universe import Instrument

_KINDS = {
    "klines": "trade",
    "markPriceKlines": "mark",
    "indexPriceKlines": "index",
    "premiumIndexKlines": "premium",
}
_DAY_BARS: BoundedCache[tuple[object, ...], tuple[int, ...]] = BoundedCache(400_000)
"""Daily bars of every archive in the process, by seed, instrument, dataset and day."""


class KlineSource:
    """Seeded bars of every kline dataset, with daily bars cached."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def minutes(self, instrument: Instrument, dataset: str, day: date) -> Bars:
        """The day's 1-minute bars of ``dataset``, outages removed."""
        kind = _KINDS[dataset]
        if kind == "trade":
            bars = trade_minutes(self.seed, instrument, day)
        else:
            bars = reference_minutes(self.seed, instrument, day, kind)
        outage = outage_for(instrument.market, instrument.symbol, day)
        if outage is not None:
            bars = without_minutes(bars, outage.first_minute, outage.last_minute)
        return bars

    def day_bar(self, instrument: Instrument, dataset: str, day: date) -> Bars:
        """The day's single ``1d`` bar."""
        cache_key = (self.seed, instrument, dataset, day)
        values = _DAY_BARS.get(cache_key)
        if values is None:
            minutes = self.minutes(instrument, dataset, day)
            bar = aggregate(minutes, np.full(len(minutes), day_start_ms(day), dtype=np.int64))
            values = tuple(int(getattr(bar, name)[0]) for name in _FIELDS)
            _DAY_BARS.put(cache_key, values, 1)
        return Bars(*(np.array([v], dtype=np.int64) for v in values))

    def bars(
        self, instrument: Instrument, dataset: str, interval: Interval, days: Iterable[date]
    ) -> Bars:
        """The bars of ``interval`` opening on ``days`` (a file's days)."""
        days = list(days)
        if interval.is_calendar or interval.seconds > DAY_MS // 1000:
            return self._long_bars(instrument, dataset, interval, days)
        parts = [self._day_bars(instrument, dataset, interval, day) for day in days]
        return concat_bars(parts) if parts else _empty()

    def _day_bars(
        self, instrument: Instrument, dataset: str, interval: Interval, day: date
    ) -> Bars:
        if interval.seconds == DAY_MS // 1000:
            return self.day_bar(instrument, dataset, day)
        minutes = self.minutes(instrument, dataset, day)
        if interval.seconds < 60:
            return second_bars(self.seed, instrument, day, minutes)
        width = interval.seconds * 1000
        return aggregate(minutes, minutes.open_time // width * width)

    def _long_bars(
        self, instrument: Instrument, dataset: str, interval: Interval, days: list[date]
    ) -> Bars:
        """Bars opening in the month of ``days``, each aggregating its days with data.

        A bar opens at its aligned time (a Monday, the 1st) even when the symbol listed
        later; a bar opening in the month may end in the next one (a week, 3 days).
        """
        if not days:
            return _empty()
        first, last = instrument.window(dataset)
        month_end = month_last_day(days[0])
        wanted = set(days)
        parts: list[Bars] = []
        for start in _bucket_starts(interval, days):
            span = [
                day
                for day in (start + timedelta(days=i) for i in range(_bucket_days(interval, start)))
                if first <= day
                and (last is None or day <= last)
                and (day in wanted or day > month_end)
            ]
            if span:
                daily = concat_bars([self.day_bar(instrument, dataset, d) for d in span])
                opened = np.full(len(daily), day_start_ms(start), dtype=np.int64)
                parts.append(aggregate(daily, opened))
        return concat_bars(parts) if parts else _empty()


_PRICES = ("open", "high", "low", "close")
_FIELDS = (
    "open_time", "open", "high", "low", "close", "volume",
    "quote_volume", "count", "taker_volume", "taker_quote_volume",
)  # fmt: skip


def _empty() -> Bars:
    return Bars(*(np.zeros(0, dtype=np.int64) for _ in _FIELDS))


def _bucket_starts(interval: Interval, days: list[date]) -> list[date]:
    """Open days of the bars holding ``days`` that open in the month of ``days``."""
    starts: list[date] = []
    for day in days:
        if interval.is_calendar:
            aligned = day.replace(day=1)
        else:
            width = interval.seconds // 86_400
            offset = 4 if width == 7 else 0  # weeks open on Mondays; 1970-01-01 was a Thursday
            ordinal = day.toordinal() - date(1970, 1, 1).toordinal() - offset
            aligned = day - timedelta(days=ordinal % width)
        if aligned.month == day.month and aligned not in starts:
            starts.append(aligned)
    return starts


def _bucket_days(interval: Interval, start: date) -> int:
    if interval.is_calendar:
        month_index = start.year * 12 + start.month - 1 + interval.months
        return (date(month_index // 12, month_index % 12 + 1, 1) - start).days
    return interval.seconds // 86_400


def kline_csv(
    bars: Bars, instrument: Instrument, dataset: str, interval: Interval, micros: bool
) -> bytes:
    """The CSV rows of ``bars`` as the archive writes them for ``instrument``."""
    factor = 1000 if micros else 1
    opened = bars.open_time * factor
    closed = _close_times(bars.open_time, interval) * factor - 1
    price, volume, quote = _scales(instrument, dataset)
    zeros = np.zeros(len(bars), dtype=np.int64)
    columns = [
        text.integers(opened),
        *(text.decimals(getattr(bars, n), price[0], shown=price[1]) for n in _PRICES),
        text.decimals(bars.volume, volume[0], shown=volume[1]),
        text.integers(closed),
        text.decimals(bars.quote_volume, quote[0], shown=quote[1]),
        text.integers(bars.count),
        text.decimals(bars.taker_volume, volume[0], shown=volume[1]),
        text.decimals(bars.taker_quote_volume, quote[0], shown=quote[1]),
        text.integers(zeros),
    ]
    return text.csv_rows(columns)


def _close_times(open_time: np.ndarray, interval: Interval) -> np.ndarray:
    if not interval.is_calendar:
        result: np.ndarray = open_time + interval.seconds * 1000
        return result
    days = [date(1970, 1, 1) + timedelta(days=int(t) // DAY_MS) for t in open_time.tolist()]
    ends = [day_start_ms(date.fromordinal(d.toordinal() + _bucket_days(interval, d))) for d in days]
    return np.array(ends, dtype=np.int64)


def _scales(instrument: Instrument, dataset: str) -> tuple[tuple[int, int], ...]:
    """(scale of the integers, decimals shown) for prices, volumes and quote volumes.

    Spot shows 8 decimals everywhere; futures show each value at its own precision; COIN-M's
    quote_volume column holds the base asset in 1e-8.
    """
    if dataset != "klines":
        return ((REFERENCE_SCALE, REFERENCE_SCALE), (0, 0), (0, 0))
    ps, qs = instrument.price_scale, instrument.qty_scale
    if instrument.market is Market.SPOT:
        return ((ps, 8), (qs, 8), (ps + qs, 8))
    if instrument.market is Market.CM:
        return ((ps, ps), (0, 0), (8, 8))
    return ((ps, ps), (qs, qs), (ps + qs, ps + qs))
