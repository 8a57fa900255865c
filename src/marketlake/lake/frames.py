"""Lazy-frame steps shared by every read: stitching row sources, and conforming the answer
to its schema (derived columns, projection, exact or float view)."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import TYPE_CHECKING

from marketlake.lake.request import ReadRequest
from marketlake.lake.schema import (
    AMOUNT_TYPE,
    AVERAGE_PRICE,
    SYMBOL,
    derives_average_price,
    output_schema,
    shape_key,
)

if TYPE_CHECKING:
    import polars as pl


def after(frame: pl.LazyFrame, firsts: dict[str, int], time: str) -> pl.LazyFrame:
    """``frame`` without the rows before ``firsts[symbol]`` (epoch us) of each symbol named."""
    import polars as pl

    if not firsts:
        return frame
    first = pl.col(SYMBOL).replace_strict(firsts, default=None, return_dtype=pl.Int64)
    return frame.filter(first.is_null() | (pl.col(time).dt.epoch("us") >= first))


def conform(lazy: pl.LazyFrame, request: ReadRequest) -> pl.LazyFrame:
    """``lazy`` with derived columns added, projected and typed as ``schema_of(request)``."""
    derived, projection = _conforming(shape_key(request))
    if derived is not None:
        lazy = lazy.with_columns(derived)
    return lazy.select(projection)


@functools.lru_cache(maxsize=256)
def _conforming(request: ReadRequest) -> tuple[pl.Expr | None, list[pl.Expr]]:
    """The derived-column expression and the typed projection of ``request``'s answer."""
    import polars as pl

    schema = output_schema(request)
    derived = None
    if AVERAGE_PRICE in schema.names and derives_average_price(request):
        derived = _average_price().alias(AVERAGE_PRICE)
    target = pl.from_arrow(schema.empty_table())
    assert isinstance(target, pl.DataFrame)
    return derived, [pl.col(name).cast(dtype) for name, dtype in target.schema.items()]


def empty_frame(request: ReadRequest) -> pl.LazyFrame:
    """An answer with no rows, typed as ``schema_of(request)``."""
    import polars as pl

    frame = pl.from_arrow(output_schema(request).empty_table())
    assert isinstance(frame, pl.DataFrame)
    return frame.lazy()


def _average_price() -> pl.Expr:
    """Quote volume / volume rounded half-even to 8 decimals; NULL when volume is 0.

    Computed on the exact decimals in both views (the float view casts the result).
    """
    import polars as pl

    volume = pl.col("volume")
    divisor = pl.when(volume != pl.lit(Decimal(0), volume_type())).then(volume)
    return (pl.col("quote_volume") / divisor).cast(pl.Decimal(*AMOUNT_TYPE))


def volume_type() -> pl.DataType:
    """The decimal type of volumes."""
    import polars as pl

    return pl.Decimal(*AMOUNT_TYPE)
