"""Kline bars of any interval from finer stored bars, exactly.

Bucket start = ``floor((t - offset) / interval) * interval + offset`` (UTC; weeks counted
from Monday 1970-01-05, months as calendar months; see :mod:`marketlake.lake.interval`).
Per symbol and bucket: open = first open, high = max, low = min, close = last close,
close_time = last close_time, volumes, trade counts and ``ignore`` summed. Decimals stay
decimals (sums of ``decimal128(38, 8)`` are exact). ``complete_only`` keeps a bucket only
when every source bar of it is present (bucket length / source interval of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from marketlake.lake.interval import EPOCH_MONTH, ReadInterval

if TYPE_CHECKING:
    import polars as pl

SYMBOL = "symbol"
TIME = "open_time"
_BUCKET = "__bucket"
_ROWS = "__rows"
_RUN = "__run"
_FIRST = ("open",)
_LAST = ("close", "close_time")
_MAX = ("high",)
_MIN = ("low",)
_SUM = (
    "volume",
    "quote_volume",
    "base_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "taker_buy_base_volume",
    "ignore",
)


@dataclass(frozen=True)
class Resampling:
    """Bars of ``target`` (shifted by ``offset`` us) from stored bars of ``source``."""

    target: ReadInterval
    source: ReadInterval
    offset: int = 0
    complete_only: bool = False


def bucket_expr(time: pl.Expr, interval: ReadInterval, offset: int = 0) -> pl.Expr:
    """The start of the bucket each instant of ``time`` (timestamp[us, UTC]) falls in."""
    import polars as pl

    if interval.is_calendar:
        shifted = time.dt.offset_by(f"{-offset}us") if offset else time
        index = shifted.dt.year().cast(pl.Int64) * 12 + shifted.dt.month().cast(pl.Int64) - 1
        floor = (index - EPOCH_MONTH) // interval.months * interval.months + EPOCH_MONTH
        start = pl.datetime(floor // 12, floor % 12 + 1, 1, time_unit="us", time_zone="UTC")
        return start.dt.offset_by(f"{offset}us") if offset else start
    origin = interval.origin + offset
    micros = time.dt.epoch("us")
    floor = (micros - origin) // interval.micros * interval.micros + origin
    return floor.cast(pl.Datetime("us", "UTC"))


def bucket_end_expr(start: pl.Expr, interval: ReadInterval) -> pl.Expr:
    """The exclusive end of the bucket starting at ``start``."""
    import polars as pl

    if interval.is_calendar:
        return start.dt.offset_by(f"{interval.months}mo")
    return start + pl.duration(microseconds=interval.micros)


def resample(frame: pl.LazyFrame, plan: Resampling) -> pl.LazyFrame:
    """Bars of ``plan.target`` from ``frame`` (symbol + kline columns, by symbol and time).

    The rows arrive ordered by symbol and time (the :class:`RowSource` contract), so each
    bucket is one run of rows: groups are numbered by run (``rle_id``), a sorted key that
    Polars aggregates without hashing (about twice as fast as grouping by symbol and bucket).
    """
    import polars as pl

    names = frame.collect_schema().names()
    aggregations = [pl.len().alias(_ROWS), pl.col(SYMBOL).first(), pl.col(_BUCKET).first()]
    for name in names:
        if name in (SYMBOL, TIME):
            continue
        aggregations.append(_aggregation(name))
    bucket = bucket_expr(pl.col(TIME), plan.target, plan.offset).alias(_BUCKET)
    bars = (
        frame.with_columns(bucket)
        .with_columns(pl.struct(SYMBOL, _BUCKET).rle_id().alias(_RUN))
        .group_by(pl.col(_RUN).set_sorted())
        .agg(aggregations)
    )
    if plan.complete_only:
        bars = bars.filter(pl.col(_ROWS) == _expected_rows(plan))
    bars = bars.sort(_RUN).rename({_BUCKET: TIME})  # group order is not promised: restore it
    return bars.select(*(n for n in names if n in (SYMBOL, TIME) or n in _KNOWN))


def _aggregation(name: str) -> pl.Expr:
    import polars as pl

    column = pl.col(name)
    if name in _FIRST:
        return column.first()
    if name in _LAST:
        return column.last()
    if name in _MAX:
        return column.max()
    if name in _MIN:
        return column.min()
    if name in _SUM:
        return column.sum()
    raise ValueError(f"no rule to resample column {name!r}")


def _expected_rows(plan: Resampling) -> pl.Expr:
    """Source bars a complete bucket holds (a month's count depends on the month)."""
    import polars as pl

    if not plan.target.is_calendar:
        return pl.lit(plan.target.micros // plan.source.micros)
    start = pl.col(_BUCKET)
    length = bucket_end_expr(start, plan.target).dt.epoch("us") - start.dt.epoch("us")
    if plan.source.is_calendar:
        return pl.lit(plan.target.months // plan.source.months)
    return length // plan.source.micros


_KNOWN = frozenset((*_FIRST, *_LAST, *_MAX, *_MIN, *_SUM))
