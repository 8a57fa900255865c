"""Resampling against an independent pandas computation, on generated bars with gaps.

The reference floors times with pandas (``Timedelta.floor`` from the epoch, or from Monday
1970-01-05 for whole weeks; ``Period`` for months and quarters) and aggregates Python
``Decimal`` objects with a pandas group-by; marketlake's bucket arithmetic is not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from marketlake.lake.interval import ReadInterval
from marketlake.lake.resample import Resampling, resample

SOURCES = ["1m", "5m", "1h", "1d"]
TARGETS = ["3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "1d", "3d", "1w", "2w", "1M", "3M", 90]
BASE = datetime(2023, 12, 20, tzinfo=UTC)
MONDAY = pd.Timestamp("1970-01-05", tz="UTC")
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
SUMMED = ("volume", "quote_volume", "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore")
KLINE_SCHEMA = {
    "symbol": pl.String,
    "open_time": pl.Datetime("us", "UTC"),
    "open": pl.Decimal(18, 8),
    "high": pl.Decimal(18, 8),
    "low": pl.Decimal(18, 8),
    "close": pl.Decimal(18, 8),
    "volume": pl.Decimal(38, 8),
    "close_time": pl.Datetime("us", "UTC"),
    "quote_volume": pl.Decimal(38, 8),
    "count": pl.Int64,
    "taker_buy_volume": pl.Decimal(38, 8),
    "taker_buy_quote_volume": pl.Decimal(38, 8),
    "ignore": pl.Int64,
}


@dataclass(frozen=True)
class Case:
    """Generated source bars and the resampling asked of them."""

    rows: list[dict[str, object]]
    plan: Resampling


def _units(draw: st.DrawFn, high: int) -> Decimal:
    return Decimal(draw(st.integers(0, high))) / 10**8


@st.composite
def cases(draw: st.DrawFn) -> Case:
    source = ReadInterval.parse(draw(st.sampled_from(SOURCES)))
    usable = [t for t in TARGETS if ReadInterval.parse(t).aggregates(source)]
    target = ReadInterval.parse(draw(st.sampled_from(usable)))
    limit = target.micros if not target.is_calendar else 28 * 86_400_000_000
    offset = draw(st.integers(0, limit // source.micros - 1)) * source.micros
    slots = draw(st.integers(1, 400))
    first = draw(st.integers(0, 3000))
    rows = []
    for symbol in draw(st.sampled_from([["AAA"], ["AAA", "B2B"]])):
        present = draw(st.lists(st.booleans(), min_size=slots, max_size=slots))
        for slot in (s for s, keep in enumerate(present) if keep):
            open_time = BASE + timedelta(microseconds=(first + slot) * source.micros)
            prices = sorted(_units(draw, 10**14) for _ in range(4))
            rows.append(
                {
                    "symbol": symbol,
                    "open_time": open_time,
                    "open": prices[1],
                    "high": prices[3],
                    "low": prices[0],
                    "close": prices[2],
                    "volume": _units(draw, 10**20),
                    "close_time": open_time + timedelta(microseconds=source.micros - 1000),
                    "quote_volume": _units(draw, 10**24),
                    "count": draw(st.integers(0, 10**6)),
                    "taker_buy_volume": _units(draw, 10**20),
                    "taker_buy_quote_volume": _units(draw, 10**24),
                    "ignore": 0,
                }
            )
    complete_only = draw(st.booleans())
    return Case(rows, Resampling(target, source, offset, complete_only))


def reference(case: Case) -> list[tuple[object, ...]]:
    """The expected bars, computed with pandas only."""
    plan = case.plan
    frame = pd.DataFrame(case.rows, columns=list(KLINE_SCHEMA))
    if frame.empty:
        return []
    times = pd.to_datetime(frame["open_time"], utc=True)
    offset = pd.Timedelta(microseconds=plan.offset)
    if plan.target.is_calendar:
        freq = "M" if plan.target.months == 1 else "Q"
        periods = (times - offset).dt.tz_localize(None).dt.to_period(freq)
        starts = periods.dt.start_time.dt.tz_localize("UTC") + offset
        ends = (periods + 1).dt.start_time.dt.tz_localize("UTC") + offset
    else:
        length = pd.Timedelta(microseconds=plan.target.micros)
        origin = (MONDAY if plan.target.micros % (7 * 86_400_000_000) == 0 else EPOCH) + offset
        starts = origin + (times - origin).dt.floor(length)
        ends = starts + length
    frame["bucket"], frame["slots"] = (
        starts,
        (ends - starts) // pd.Timedelta(microseconds=plan.source.micros),
    )
    grouped = frame.groupby(["symbol", "bucket"], sort=True)
    bars = grouped.agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        close_time=("close_time", "last"),
        rows=("open", "size"),
        slots=("slots", "first"),
        **{name: (name, "sum") for name in SUMMED},
    ).reset_index()
    if plan.complete_only:
        bars = bars[bars["rows"] == bars["slots"]]
    order = [
        "symbol",
        "bucket",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "close_time",
        *SUMMED[1:],
    ]
    return [tuple(_plain(v) for v in row) for row in bars[order].itertuples(index=False, name=None)]


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, int | Decimal):
        return value
    return int(value) if hasattr(value, "item") else value  # numpy integers


@settings(max_examples=80, deadline=None)
@given(cases())
def test_resampling_matches_an_independent_pandas_computation(case: Case) -> None:
    frame = pl.DataFrame(case.rows, schema=KLINE_SCHEMA).lazy()
    got = resample(frame, case.plan).collect()
    assert got.columns == list(KLINE_SCHEMA)
    assert [tuple(row) for row in got.iter_rows()] == reference(case)


@settings(max_examples=30, deadline=None)
@given(cases())
def test_float_view_of_resampled_bars_is_the_exact_value_rounded(case: Case) -> None:
    exact = resample(pl.DataFrame(case.rows, schema=KLINE_SCHEMA).lazy(), case.plan).collect()
    floats = exact.with_columns(pl.col(pl.Decimal).cast(pl.Float64))
    for name in ("open", "volume", "quote_volume"):
        assert floats[name].to_list() == [float(v) for v in exact[name]]
