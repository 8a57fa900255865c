"""The columns of every answer, known before any file is read.

* A dataset read as stored: ``symbol`` (unless the dataset has its own ``symbol`` column),
  then the lake's columns in CSV order (:mod:`marketlake.catalog.arrow`).
* Klines (stored or resampled, any interval): ``symbol`` and the twelve kline columns, then
  ``average_price`` = quote volume / volume where the dataset has a quote volume (spot and
  USD-M; COIN-M klines have none), rounded half-even to 8 decimals, NULL when volume is 0.
* Bars from trades: ``symbol, open_time, close_time, open, high, low, close, volume``,
  the second volume (``quote_volume``; COIN-M trades: ``base_volume``), ``count`` (trades),
  ``taker_buy_volume``, and ``average_price`` where there is a quote volume.

``exact=True`` keeps decimals as stored (``decimal128``); ``exact=False`` gives float64
for every decimal column (the nearest double; identical where the decimal is exact in
binary). Times are ``timestamp[us, UTC]`` in both.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import TYPE_CHECKING

from marketlake.catalog import Kind, Market, get_dataset
from marketlake.catalog.arrow import TIME_UNIT, TIME_ZONE, arrow_type
from marketlake.errors import ReadRequestError
from marketlake.lake.request import ReadRequest

if TYPE_CHECKING:
    import pyarrow as pa

SYMBOL = "symbol"
AVERAGE_PRICE = "average_price"
PRICE_TYPE = (18, 8)
AMOUNT_TYPE = (38, 8)
QUOTE_FROM_PRODUCT_TYPE = (38, 16)
"""aggTrades bars sum price x quantity exactly: 16 decimals."""


def output_schema(request: ReadRequest) -> pa.Schema:
    """The schema of ``request``'s answer (after ``columns`` projection and float view)."""
    return _output_schema(shape_key(request))


def shape_key(request: ReadRequest) -> ReadRequest:
    """``request`` without what does not change its answer's columns (a cache key)."""
    if request.symbols is None and request.start is None and request.end is None:
        return request
    return replace(request, symbols=None, start=None, end=None, complete_only=False)


@functools.lru_cache(maxsize=256)
def _output_schema(request: ReadRequest) -> pa.Schema:
    import pyarrow as pa

    fields = _fields(request)
    if request.columns is not None:
        by_name = {f.name: f for f in fields}
        unknown = [c for c in request.columns if c not in by_name]
        if unknown:
            raise ReadRequestError(
                f"unknown column(s) {', '.join(unknown)} for {request.dataset};"
                f" columns are: {', '.join(by_name)}"
            )
        fields = [by_name[c] for c in request.columns]
    if not request.exact:
        fields = [f.with_type(pa.float64()) if pa.types.is_decimal(f.type) else f for f in fields]
    return pa.schema(fields)


def _fields(request: ReadRequest) -> list[pa.Field]:
    if request.bars is not None:
        return trade_bar_fields(request.market, request.dataset)
    fields = stored_fields(request.market, request.dataset)
    if derives_average_price(request):
        fields.append(_decimal_field(AVERAGE_PRICE, AMOUNT_TYPE))
    return fields


def derives_average_price(request: ReadRequest) -> bool:
    """True when the answer gets the derived ``average_price`` column (klines and bars
    outside COIN-M; liquidationSnapshot's own ``average_price`` is a stored column)."""
    bars_or_klines = request.bars is not None or get_dataset(request.dataset).has_interval
    return bars_or_klines and has_quote_volume(request.market)


def stored_fields(market: Market, dataset: str) -> list[pa.Field]:
    """``symbol`` and the lake columns of ``dataset`` (no metadata)."""
    import pyarrow as pa

    columns = get_dataset(dataset).columns_for(market)
    fields = [pa.field(c.name, arrow_type(c)) for c in columns]
    if all(c.name != SYMBOL for c in columns):
        fields.insert(0, pa.field(SYMBOL, pa.string()))
    return fields


def has_quote_volume(market: Market) -> bool:
    """Kline and trade bars carry a quote volume (and so an average price) outside COIN-M."""
    return market is not Market.CM


def trade_bar_fields(market: Market, dataset: str) -> list[pa.Field]:
    """The columns of bars built from ``dataset`` (trades or aggTrades) in ``market``."""
    import pyarrow as pa

    time = pa.timestamp(TIME_UNIT, tz=TIME_ZONE)
    fields = [pa.field(SYMBOL, pa.string()), pa.field("open_time", time)]
    fields.append(pa.field("close_time", time))
    fields += [_decimal_field(name, PRICE_TYPE) for name in ("open", "high", "low", "close")]
    fields.append(_decimal_field("volume", AMOUNT_TYPE))
    second = second_volume(market, dataset)
    if second is not None:
        fields.append(_decimal_field(second[0], second[1]))
    fields.append(pa.field("count", pa.int64()))
    fields.append(_decimal_field("taker_buy_volume", AMOUNT_TYPE))
    if has_quote_volume(market):
        fields.append(_decimal_field(AVERAGE_PRICE, AMOUNT_TYPE))
    return fields


def second_volume(market: Market, dataset: str) -> tuple[str, tuple[int, int]] | None:
    """The second volume column of trade bars, and its decimal shape."""
    if market is Market.CM:
        return ("base_volume", AMOUNT_TYPE) if dataset == "trades" else None
    return ("quote_volume", AMOUNT_TYPE if dataset == "trades" else QUOTE_FROM_PRODUCT_TYPE)


def decimal_columns(market: Market, dataset: str) -> list[str]:
    """The lake's decimal columns of ``dataset``."""
    return [c.name for c in get_dataset(dataset).columns_for(market) if c.kind is Kind.DECIMAL]


def _decimal_field(name: str, shape: tuple[int, int]) -> pa.Field:
    import pyarrow as pa

    return pa.field(name, pa.decimal128(*shape))
