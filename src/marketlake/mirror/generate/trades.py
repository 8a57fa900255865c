"""Trades and aggregate trades: one seeded day of fills per symbol, grouped into aggTrades.

A day's trades come in groups (one taker order hitting several makers at one price and
time); each group is one aggTrade, so first/last trade ids are consistent by construction.
Ids continue from day to day: a day's first id is the sum of every earlier day's count,
taken from a cheap per-symbol series, so any day can be generated alone. Prices stay inside
the same minute's kline range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from marketlake.catalog import Market
from marketlake.mirror.generate import text
from marketlake.mirror.generate.bars import DAY_MS, MINUTE_MS, day_start_ms, quote_of, trade_minutes
from marketlake.mirror.generate.paths import LAST_DAY
from marketlake.mirror.generate.schedule import boolean_texts
from marketlake.mirror.generate.seeds import rng_for
from marketlake.mirror.generate.text import BoolArray, IntArray
from marketlake.mirror.generate.traps import (
    BIG_TRADES_DAY,
    BIG_TRADES_ROWS,
    DUPLICATED_AGG_TRADES,
    TRADE_ID_GAPS,
)
from marketlake.mirror.universe import Instrument

MEAN_TRADES_PER_DAY = 3_000
_TRADES_PER_GROUP = 2.0
_BIG_SYMBOL = (Market.UM, "BTCUSDT")


@dataclass(frozen=True)
class TradeDay:
    """One day of trades (``time_us`` in epoch microseconds) and its group boundaries."""

    trade_id: IntArray
    price: IntArray
    qty: IntArray
    quote_qty: IntArray
    time_us: IntArray
    buyer_maker: BoolArray
    group_start: IntArray
    first_agg_id: int

    def __len__(self) -> int:
        return int(self.trade_id.shape[0])


@dataclass(frozen=True)
class AggDay:
    """One day of aggregate trades."""

    agg_id: IntArray
    price: IntArray
    quantity: IntArray
    first_trade_id: IntArray
    last_trade_id: IntArray
    time_us: IntArray
    buyer_maker: BoolArray


@lru_cache(maxsize=256)
def _day_counts(
    seed: int, instrument: Instrument, big: bool
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Per day since listing: trades, groups, first trade id, first agg id."""
    days = LAST_DAY.toordinal() - instrument.listed.toordinal() + 1
    rng = rng_for(seed, "trade-counts", instrument.market.value, instrument.symbol)
    trades = np.rint(MEAN_TRADES_PER_DAY * np.exp(rng.standard_normal(days) * 0.3 - 0.045))
    trades = np.maximum(trades, 10).astype(np.int64)
    if big and (instrument.market, instrument.symbol) == _BIG_SYMBOL:
        trades[BIG_TRADES_DAY.toordinal() - instrument.listed.toordinal()] = BIG_TRADES_ROWS
    groups = np.maximum((trades / _TRADES_PER_GROUP).astype(np.int64), 1)
    used_ids = trades.copy()
    for (market, symbol, day), gap in TRADE_ID_GAPS.items():
        if (market, symbol) == (instrument.market, instrument.symbol):
            used_ids[day.toordinal() - instrument.listed.toordinal()] += gap
    first_ids = np.concatenate([[0], np.cumsum(used_ids)[:-1]])
    first_aggs = np.concatenate([[0], np.cumsum(groups)[:-1]])
    for array in (trades, groups, first_ids, first_aggs):
        array.setflags(write=False)
    return trades, groups, first_ids, first_aggs


def trade_day(seed: int, instrument: Instrument, day: date, big: bool) -> TradeDay:
    """Every trade of ``instrument`` on ``day``."""
    index = day.toordinal() - instrument.listed.toordinal()
    trades, groups, first_ids, first_aggs = _day_counts(seed, instrument, big)
    count, group_count = int(trades[index]), int(groups[index])
    rng = rng_for(seed, "trades", instrument.market.value, instrument.symbol, day.isoformat())
    cuts = np.sort(rng.choice(count - 1, group_count - 1, replace=False)) + 1
    group_start = np.concatenate([[0], cuts]).astype(np.int64)
    sizes = np.diff(np.concatenate([group_start, [count]]))
    group_time = day_start_ms(day) * 1000 + np.sort(rng.integers(0, DAY_MS * 1000, group_count))
    group_price = _group_prices(seed, instrument, day, group_time, rng)
    price = np.repeat(group_price, sizes)
    qty = _quantities(instrument, price, rng)
    ids = int(first_ids[index]) + np.arange(count, dtype=np.int64)
    gap = TRADE_ID_GAPS.get((instrument.market, instrument.symbol, day), 0)
    if gap:
        ids[group_start[group_count // 2] :] += gap
    return TradeDay(
        trade_id=ids,
        price=price,
        qty=qty,
        quote_qty=quote_of(instrument, qty, price),
        time_us=np.repeat(group_time, sizes),
        buyer_maker=np.repeat(rng.random(group_count) < 0.5, sizes),
        group_start=group_start,
        first_agg_id=int(first_aggs[index]),
    )


def _group_prices(
    seed: int, instrument: Instrument, day: date, time_us: IntArray, rng: np.random.Generator
) -> IntArray:
    minutes = trade_minutes(seed, instrument, day)
    minute = (time_us // 1000 - day_start_ms(day)) // MINUTE_MS
    low, high = minutes.low[minute], minutes.high[minute]
    steps = (high - low) // instrument.tick + 1
    offset = (rng.random(minute.shape[0]) * steps).astype(np.int64)
    result: IntArray = low + offset * instrument.tick
    return result


def _quantities(instrument: Instrument, price: IntArray, rng: np.random.Generator) -> IntArray:
    per_trade = instrument.turnover / 300.0
    if instrument.market is Market.CM:
        mean = np.full(price.shape, per_trade)
    else:
        mean = per_trade / (price * 10.0**-instrument.price_scale) * 10.0**instrument.qty_scale
    noise = np.exp(rng.standard_normal(price.shape[0], dtype=np.float64) * 1.2 - 0.72)
    quantities: IntArray = np.maximum(np.rint(mean * noise), 1).astype(np.int64)
    return quantities


def agg_day(trades: TradeDay, instrument: Instrument, day: date) -> AggDay:
    """The aggregate trades of a trade day (with the duplicated-rows trap where planted)."""
    starts = trades.group_start
    ends = np.concatenate([starts[1:], [len(trades)]]) - 1
    agg = AggDay(
        agg_id=trades.first_agg_id + np.arange(starts.shape[0], dtype=np.int64),
        price=trades.price[starts],
        quantity=np.add.reduceat(trades.qty, starts),
        first_trade_id=trades.trade_id[starts],
        last_trade_id=trades.trade_id[ends],
        time_us=trades.time_us[starts],
        buyer_maker=trades.buyer_maker[starts],
    )
    if (instrument.market, instrument.symbol, day) in DUPLICATED_AGG_TRADES:
        rows = np.arange(starts.shape[0])
        agg = AggDay(
            *(np.repeat(getattr(agg, f), np.where(rows % 97 == 5, 2, 1)) for f in _AGG_FIELDS)
        )
    return agg


_AGG_FIELDS = (
    "agg_id", "price", "quantity", "first_trade_id", "last_trade_id", "time_us", "buyer_maker",
)  # fmt: skip


@dataclass(frozen=True)
class _Format:
    """How one amount column is written: its integers' scale, decimals shown, trimming."""

    scale: int
    shown: int
    trim: bool

    def cells(self, values: IntArray) -> text.Column:
        return text.decimals(values, self.scale, trim=self.trim, shown=self.shown)


def _formats(instrument: Instrument) -> tuple[_Format, _Format, _Format]:
    """How price, quantity and quote (COIN-M: base) quantity are written."""
    ps, qs = instrument.price_scale, instrument.qty_scale
    if instrument.market is Market.SPOT:
        return _Format(ps, 8, False), _Format(qs, 8, False), _Format(ps + qs, 8, False)
    if instrument.market is Market.CM:
        return _Format(ps, ps, True), _Format(0, 0, True), _Format(8, 8, True)
    return _Format(ps, ps, True), _Format(qs, qs, True), _Format(ps + qs, ps + qs, True)


def _times(time_us: IntArray, micros: bool) -> text.Column:
    return text.integers(time_us if micros else time_us // 1000)


def trades_csv(trades: TradeDay, rows: slice, instrument: Instrument, micros: bool) -> bytes:
    """CSV rows ``rows`` of a trade day."""
    price, qty, quote = _formats(instrument)
    yes, no = boolean_texts(instrument.market)
    columns = [
        text.integers(trades.trade_id[rows]),
        price.cells(trades.price[rows]),
        qty.cells(trades.qty[rows]),
        quote.cells(trades.quote_qty[rows]),
        _times(trades.time_us[rows], micros),
        text.booleans(trades.buyer_maker[rows], yes, no),
    ]
    if instrument.market is Market.SPOT:
        columns.append(text.constant(yes, columns[0].rows))
    return text.csv_rows(columns)


def agg_csv(agg: AggDay, rows: slice, instrument: Instrument, micros: bool) -> bytes:
    """CSV rows ``rows`` of a day of aggregate trades."""
    price, qty, _ = _formats(instrument)
    yes, no = boolean_texts(instrument.market)
    columns = [
        text.integers(agg.agg_id[rows]),
        price.cells(agg.price[rows]),
        qty.cells(agg.quantity[rows]),
        text.integers(agg.first_trade_id[rows]),
        text.integers(agg.last_trade_id[rows]),
        _times(agg.time_us[rows], micros),
        text.booleans(agg.buyer_maker[rows], yes, no),
    ]
    if instrument.market is Market.SPOT:
        columns.append(text.constant(yes, columns[0].rows))
    return text.csv_rows(columns)
