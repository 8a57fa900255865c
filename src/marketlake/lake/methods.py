"""One SDK method per stored dataset other than klines (mixed into :class:`~.sdk.Lake`).

Each returns the dataset's rows in ``[start, end)`` as stored (see :mod:`.schema`):
``symbol`` first, exact decimals (``exact=False``: float64), a LazyFrame with ``lazy=True``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, overload

from marketlake.catalog import Market
from marketlake.lake.request import ReadRequest

if TYPE_CHECKING:
    import polars as pl

Symbols = str | Iterable[str] | None
TimeLike = datetime | date | str | None
MarketLike = Market | str


class DatasetMethods:
    """``trades``, ``agg_trades``, ``book_ticker``, ``book_depth``, ``metrics``,
    ``funding_rate``, ``liquidation_snapshot``, ``bvol_index``, ``eoh_summary``."""

    def _answer(self, request: ReadRequest, lazy: bool) -> pl.DataFrame | pl.LazyFrame:
        raise NotImplementedError

    def _stored(  # noqa: PLR0917 (private: every public method passes the same six values)
        self,
        dataset: str,
        symbols: Symbols,
        market: MarketLike,
        start: TimeLike,
        end: TimeLike,
        exact: bool,
        lazy: bool,
    ) -> pl.DataFrame | pl.LazyFrame:
        request = ReadRequest.build(
            market=market, dataset=dataset, symbols=symbols, start=start, end=end, exact=exact
        )
        return self._answer(request, lazy)

    # fmt: off
    @overload
    def trades(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def trades(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    def trades(self, symbols: Symbols = None, *, market: MarketLike = "um", start: TimeLike = None, end: TimeLike = None, exact: bool = True, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:  # noqa: E501
        """Every trade (id, price, qty, quote or base qty, time, is_buyer_maker, ...)."""
        return self._stored("trades", symbols, market, start, end, exact, lazy)

    @overload
    def agg_trades(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def agg_trades(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    def agg_trades(self, symbols: Symbols = None, *, market: MarketLike = "um", start: TimeLike = None, end: TimeLike = None, exact: bool = True, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:  # noqa: E501
        """Aggregated trades (aggTrades)."""
        return self._stored("aggTrades", symbols, market, start, end, exact, lazy)

    @overload
    def book_ticker(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def book_ticker(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    def book_ticker(self, symbols: Symbols = None, *, market: MarketLike = "um", start: TimeLike = None, end: TimeLike = None, exact: bool = True, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:  # noqa: E501
        """Best bid and ask updates (bookTicker; futures, discontinued in 2024)."""
        return self._stored("bookTicker", symbols, market, start, end, exact, lazy)

    @overload
    def book_depth(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def book_depth(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    def book_depth(self, symbols: Symbols = None, *, market: MarketLike = "um", start: TimeLike = None, end: TimeLike = None, exact: bool = True, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:  # noqa: E501
        """Cumulative depth and notional per percentage band (bookDepth)."""
        return self._stored("bookDepth", symbols, market, start, end, exact, lazy)

    @overload
    def metrics(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def metrics(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    def metrics(self, symbols: Symbols = None, *, market: MarketLike = "um", start: TimeLike = None, end: TimeLike = None, exact: bool = True, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:  # noqa: E501
        """Open interest and long/short ratios every 5 minutes (metrics; empty cells NULL)."""
        return self._stored("metrics", symbols, market, start, end, exact, lazy)

    @overload
    def funding_rate(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def funding_rate(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    def funding_rate(self, symbols: Symbols = None, *, market: MarketLike = "um", start: TimeLike = None, end: TimeLike = None, exact: bool = True, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:  # noqa: E501
        """Funding rates with their interval in hours (fundingRate)."""
        return self._stored("fundingRate", symbols, market, start, end, exact, lazy)

    @overload
    def liquidation_snapshot(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def liquidation_snapshot(self, symbols: Symbols = ..., *, market: MarketLike = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    def liquidation_snapshot(self, symbols: Symbols = None, *, market: MarketLike = "um", start: TimeLike = None, end: TimeLike = None, exact: bool = True, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:  # noqa: E501
        """Liquidation orders (liquidationSnapshot; the archive's doubled rows kept once)."""
        return self._stored("liquidationSnapshot", symbols, market, start, end, exact, lazy)

    @overload
    def bvol_index(self, symbols: Symbols = ..., *, start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def bvol_index(self, symbols: Symbols = ..., *, start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    def bvol_index(self, symbols: Symbols = None, *, start: TimeLike = None, end: TimeLike = None, exact: bool = True, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:  # noqa: E501
        """Options volatility indices (BVOLIndex: BTCBVOLUSDT, ETHBVOLUSDT)."""
        return self._stored("BVOLIndex", symbols, Market.OPTION, start, end, exact, lazy)

    @overload
    def eoh_summary(self, symbols: Symbols = ..., *, start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def eoh_summary(self, symbols: Symbols = ..., *, start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    def eoh_summary(self, symbols: Symbols = None, *, start: TimeLike = None, end: TimeLike = None, exact: bool = True, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:  # noqa: E501
        """End-of-hour options summaries (EOHSummary; ``symbol`` is the underlying's folder)."""
        return self._stored("EOHSummary", symbols, Market.OPTION, start, end, exact, lazy)
    # fmt: on
