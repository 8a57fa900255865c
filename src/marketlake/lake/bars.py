"""Bars from trades or aggTrades: time bars, volume bars and tick bars, exactly.

* time bars: trades bucketed like klines (``floor((t - offset) / interval)``); ``open_time``
  is the bucket start and ``close_time`` its end minus one microsecond.
* volume bars: a trade belongs to bar ``floor(V / threshold)``, V being the base volume
  traded by the symbol before it since the start of the read; a bar therefore closes with
  the trade that reaches its threshold, and the excess counts towards the next bar.
* tick bars: every ``count`` trades of the symbol from the start of the read.

Volume and tick bars run from their first trade's time to their last's. Per bar: open first
price, high max, low min, close last, volume and quote volume summed (aggTrades: price x
quantity, exact at 16 decimals), ``count`` the trades (aggTrades: ``last - first + 1``),
``taker_buy_volume`` the volume of trades whose buyer was the taker.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from marketlake.catalog import Market
from marketlake.errors import ReadRequestError
from marketlake.lake.request import BarKind, Bars
from marketlake.lake.resample import bucket_end_expr, bucket_expr
from marketlake.lake.schema import QUOTE_FROM_PRODUCT_TYPE, SYMBOL, second_volume

if TYPE_CHECKING:
    import polars as pl

_KEY = "__bar"
UNITS = 10**8
"""Quantities have 8 decimals: volume bars count in integer units of 1e-8."""


@dataclass(frozen=True)
class TradeColumns:
    """Where a trades dataset keeps what bars need."""

    time: str
    quantity: str
    second: str | None

    @classmethod
    def of(cls, market: Market, dataset: str) -> TradeColumns:
        """The columns of ``dataset`` (trades or aggTrades) in ``market``."""
        if dataset == "aggTrades":
            return cls("transact_time", "quantity", None)
        return cls("time", "qty", "base_qty" if market is Market.CM else "quote_qty")


def trade_bars(
    frame: pl.LazyFrame, market: Market, dataset: str, bars: Bars, offset: int
) -> pl.LazyFrame:
    """``bars`` of ``frame`` (symbol + trade columns, in trade order per symbol)."""
    import polars as pl

    columns = TradeColumns.of(market, dataset)
    keyed = frame.with_columns(_key(columns, bars, offset).alias(_KEY))
    aggregated = keyed.group_by(SYMBOL, _KEY).agg(_aggregations(market, dataset, columns))
    if bars.kind is BarKind.TIME:
        assert bars.interval is not None
        end = bucket_end_expr(pl.col(_KEY), bars.interval) - pl.duration(microseconds=1)
        aggregated = aggregated.with_columns(
            pl.col(_KEY).alias("open_time"), end.alias("close_time")
        )
    return aggregated.sort(SYMBOL, _KEY).drop(_KEY)


def _key(columns: TradeColumns, bars: Bars, offset: int) -> pl.Expr:
    import polars as pl

    if bars.kind is BarKind.TIME:
        assert bars.interval is not None
        return bucket_expr(pl.col(columns.time), bars.interval, offset)
    if bars.kind is BarKind.TICK:
        assert bars.count is not None
        return pl.int_range(pl.len()).over(SYMBOL) // bars.count
    assert bars.threshold is not None
    units = _units(pl.col(columns.quantity))
    before = units.cum_sum().over(SYMBOL) - units
    return before // _threshold_units(bars.threshold)


def _aggregations(market: Market, dataset: str, columns: TradeColumns) -> list[pl.Expr]:
    import polars as pl

    price, quantity = pl.col("price"), pl.col(columns.quantity)
    aggregations = [
        pl.col(columns.time).first().alias("open_time"),
        pl.col(columns.time).last().alias("close_time"),
        price.first().alias("open"),
        price.max().alias("high"),
        price.min().alias("low"),
        price.last().alias("close"),
        quantity.sum().alias("volume"),
    ]
    second = second_volume(market, dataset)
    if second is not None:
        if columns.second is not None:
            total = pl.col(columns.second).sum()
        else:
            total = (price.cast(pl.Decimal(*QUOTE_FROM_PRODUCT_TYPE)) * quantity).sum()
        aggregations.append(total.alias(second[0]))
    if dataset == "aggTrades":
        count = (pl.col("last_trade_id") - pl.col("first_trade_id") + 1).sum()
    else:
        count = pl.len().cast(pl.Int64)
    aggregations.append(count.alias("count"))
    aggregations.append(quantity.filter(~pl.col("is_buyer_maker")).sum().alias("taker_buy_volume"))
    return aggregations


def _units(quantity: pl.Expr) -> pl.Expr:
    """A decimal(38, 8) quantity as an exact integer count of 1e-8 units (Int128)."""
    import polars as pl

    return (quantity * pl.lit(Decimal(UNITS), pl.Decimal(38, 0))).cast(pl.Int128)


def _threshold_units(threshold: Decimal) -> int:
    units = threshold * UNITS
    if units != units.to_integral_value():
        raise ReadRequestError(f"volume bar threshold {threshold} has more than 8 decimals")
    return int(units)
