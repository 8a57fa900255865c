"""The Python SDK: :class:`Lake`, a small typed API over the lake's one read path.

    from marketlake import Lake

    with Lake("./marketlake-data") as lake:
        bars = lake.klines("BTCUSDT", interval="4h", start="2024-01-01", end="2024-02-01")
        daily = lake.klines(["BTCUSDT", "ETHUSDT"], interval="1d", exact=False)
        trades = lake.agg_trades("BTCUSDT", start="2024-01-05", end="2024-01-06", lazy=True)
        volume_bars = lake.bars("BTCUSDT", volume="100", start="2024-01-05", end="2024-01-06")
        top = lake.sql("SELECT symbol, sum(volume) v FROM um_klines_1m GROUP BY 1 ORDER BY v DESC")

Every method validates its arguments (:class:`~marketlake.errors.ReadRequestError`) and
returns exact decimals by default (``exact=False``: float64), a Polars DataFrame, or a
LazyFrame with ``lazy=True``. See ``docs/read.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from marketlake._closing import Closing
from marketlake.errors import ReadRequestError
from marketlake.lake.methods import DatasetMethods, MarketLike, Symbols, TimeLike
from marketlake.lake.read import LakeReader
from marketlake.lake.request import Bars, ReadRequest, chosen_bars
from marketlake.lake.sources import RowSource
from marketlake.manifest.abc import ManifestStore
from marketlake.settings import Settings

if TYPE_CHECKING:
    import polars as pl

    from marketlake.lake.gaps import GapReport
    from marketlake.lake.sql import LakeSql
    from marketlake.warehouse import Warehouse

IntervalLike = str | int | timedelta
KLINE_DATASETS = ("klines", "markPriceKlines", "indexPriceKlines", "premiumIndexKlines")


@dataclass(frozen=True, slots=True)
class DatasetKlines:
    """:meth:`Lake.klines` of one kline dataset: ``lake.mark_price_klines(...)`` is
    ``lake.klines(..., kind="markPriceKlines")``, with the same parameters but ``kind``."""

    lake: Lake
    kind: str

    # fmt: off
    @overload
    def __call__(self, symbols: Symbols = ..., *, market: MarketLike = ..., interval: IntervalLike = ..., start: TimeLike = ..., end: TimeLike = ..., offset: IntervalLike | None = ..., complete_only: bool = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def __call__(self, symbols: Symbols = ..., *, market: MarketLike = ..., interval: IntervalLike = ..., start: TimeLike = ..., end: TimeLike = ..., offset: IntervalLike | None = ..., complete_only: bool = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    def __call__(self, symbols: Symbols = None, *, market: MarketLike = "um", interval: IntervalLike = "1m", start: TimeLike = None, end: TimeLike = None, offset: IntervalLike | None = None, complete_only: bool = False, exact: bool = True, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:  # noqa: E501
        return self.lake.klines(symbols, market=market, interval=interval, start=start, end=end, offset=offset, complete_only=complete_only, exact=exact, kind=self.kind, lazy=lazy)  # noqa: E501
    # fmt: on


class Lake(DatasetMethods, Closing):
    """The lake at ``root`` (its manifest: ``<root>/_manifest.sqlite``, or the ``manifest`` DSN).

    The manifest connection stays open until :meth:`close` (or the end of a ``with`` block).
    ``sources`` are extra row sources read after the lake (e.g. a recent-rows store).
    ``cache_bytes`` > 0 keeps that many bytes of decoded files in memory (for a server).
    """

    def __init__(
        self,
        root: str | Path = "marketlake-data",
        *,
        manifest: str | None = None,
        sources: Sequence[RowSource] = (),
        cache_bytes: int = 0,
    ) -> None:
        self.root = Path(root)
        self.reader = LakeReader.open(
            self.root, manifest=manifest, sources=sources, cache_bytes=cache_bytes
        )
        self.settings: Settings | None = None
        self._sql: LakeSql | None = None
        self._warehouse: Warehouse | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, cache_bytes: int = 0) -> Lake:
        """The lake and manifest ``settings`` name (default: config file < environment)."""
        if settings is None:
            from marketlake.settings import resolve_settings

            settings = resolve_settings()
        lake = cls(settings.lake, manifest=settings.manifest, cache_bytes=cache_bytes)
        lake.settings = settings
        return lake

    @property
    def manifest(self) -> ManifestStore:
        """The open manifest store."""
        return self.reader.manifest

    def close(self) -> None:
        """Close the manifest connection and the SQL engine."""
        if self._sql is not None:
            self._sql.close()
            self._sql = None
        if self._warehouse is not None:
            self._warehouse.close()
            self._warehouse = None
        self.reader.close()

    def __repr__(self) -> str:
        return f"Lake({str(self.root)!r}, manifest={self.manifest.location!r})"

    # fmt: off
    @overload
    def read(self, request: ReadRequest, *, lazy: Literal[False] = ...) -> pl.DataFrame: ...
    @overload
    def read(self, request: ReadRequest, *, lazy: Literal[True]) -> pl.LazyFrame: ...
    # fmt: on
    def read(self, request: ReadRequest, *, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:
        """The answer to any :class:`~marketlake.lake.request.ReadRequest`."""
        return self._answer(request, lazy)

    def _answer(self, request: ReadRequest, lazy: bool) -> pl.DataFrame | pl.LazyFrame:
        if not isinstance(lazy, bool):
            raise ReadRequestError(f"lazy must be True or False, got {lazy!r}")
        return self.reader.scan(request) if lazy else self.reader.read(request)

    # fmt: off
    @overload
    def klines(self, symbols: Symbols = ..., *, market: MarketLike = ..., interval: IntervalLike = ..., start: TimeLike = ..., end: TimeLike = ..., offset: IntervalLike | None = ..., complete_only: bool = ..., exact: bool = ..., kind: str = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def klines(self, symbols: Symbols = ..., *, market: MarketLike = ..., interval: IntervalLike = ..., start: TimeLike = ..., end: TimeLike = ..., offset: IntervalLike | None = ..., complete_only: bool = ..., exact: bool = ..., kind: str = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    @overload
    def klines(self, symbols: Symbols = ..., *, market: MarketLike = ..., interval: IntervalLike = ..., start: TimeLike = ..., end: TimeLike = ..., offset: IntervalLike | None = ..., complete_only: bool = ..., exact: bool = ..., kind: str = ..., lazy: bool) -> pl.DataFrame | pl.LazyFrame: ...  # noqa: E501
    # fmt: on
    def klines(
        self,
        symbols: Symbols = None,
        *,
        market: MarketLike = "um",
        interval: IntervalLike = "1m",
        start: TimeLike = None,
        end: TimeLike = None,
        offset: IntervalLike | None = None,
        complete_only: bool = False,
        exact: bool = True,
        kind: str = "klines",
        lazy: bool = False,
    ) -> pl.DataFrame | pl.LazyFrame:
        """OHLCV bars of any ``interval`` whose open time is in ``[start, end)``.

        ``interval``: ``1m``, ``4h``, ``1d``, ``1w`` (Monday), ``1M`` (months), or minutes.
        Served from the stored interval when it exists, else resampled from the finest stored
        one; ``offset`` shifts the buckets; ``complete_only`` keeps only bars whose source bars
        are all present. ``kind``: ``klines``, ``markPriceKlines``, ``indexPriceKlines`` or
        ``premiumIndexKlines`` (or use the methods of those names).
        """
        if kind not in KLINE_DATASETS:
            raise ReadRequestError(f"kind {kind!r} must be one of {', '.join(KLINE_DATASETS)}")
        request = ReadRequest.build(
            market=market,
            dataset=kind,
            symbols=symbols,
            interval=interval,
            offset=offset,
            start=start,
            end=end,
            complete_only=complete_only,
            exact=exact,
        )
        return self._answer(request, lazy)

    @property
    def mark_price_klines(self) -> DatasetKlines:
        """Mark price bars (markPriceKlines; volumes carry no information)."""
        return DatasetKlines(self, "markPriceKlines")

    @property
    def index_price_klines(self) -> DatasetKlines:
        """Index price bars (indexPriceKlines; COIN-M folders use the bare pair, e.g. BTCUSD)."""
        return DatasetKlines(self, "indexPriceKlines")

    @property
    def premium_index_klines(self) -> DatasetKlines:
        """Premium index bars (premiumIndexKlines)."""
        return DatasetKlines(self, "premiumIndexKlines")

    # fmt: off
    @overload
    def bars(self, symbols: Symbols = ..., *, market: MarketLike = ..., source: str = ..., interval: IntervalLike | None = ..., volume: Decimal | str | int | None = ..., ticks: int | None = ..., offset: IntervalLike | None = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[False] = ...) -> pl.DataFrame: ...  # noqa: E501
    @overload
    def bars(self, symbols: Symbols = ..., *, market: MarketLike = ..., source: str = ..., interval: IntervalLike | None = ..., volume: Decimal | str | int | None = ..., ticks: int | None = ..., offset: IntervalLike | None = ..., start: TimeLike = ..., end: TimeLike = ..., exact: bool = ..., lazy: Literal[True]) -> pl.LazyFrame: ...  # noqa: E501
    # fmt: on
    def bars(
        self,
        symbols: Symbols = None,
        *,
        market: MarketLike = "um",
        source: str = "aggTrades",
        interval: IntervalLike | None = None,
        volume: Decimal | str | int | None = None,
        ticks: int | None = None,
        offset: IntervalLike | None = None,
        start: TimeLike = None,
        end: TimeLike = None,
        exact: bool = True,
        lazy: bool = False,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Bars from ``source`` (``trades`` or ``aggTrades``): give exactly one of ``interval``
        (time bars), ``volume`` (a bar per that much base volume) or ``ticks`` (per that many
        trades). Volume and tick bars are counted from ``start``."""
        request = ReadRequest.build(
            market=market,
            dataset=source,
            symbols=symbols,
            offset=offset,
            start=start,
            end=end,
            exact=exact,
            bars=Bars.parse(*chosen_bars(interval, volume, ticks)),
        )
        return self._answer(request, lazy)

    def sql(
        self, query: str, params: Sequence[object] | Mapping[str, object] | None = None
    ) -> pl.DataFrame:
        """Run a DuckDB SQL query over the lake's views (``um_klines_1m``, ``spot_trades``...)
        with ``params`` bound (``?`` or ``$name``), never formatted into the SQL."""
        if self._sql is None:
            from marketlake.lake.sql import LakeSql

            self._sql = LakeSql(self.reader.index)
        return self._sql.query(query, params)

    # --- methods added by other modules below ---

    @property
    def warehouse(self) -> Warehouse:
        """The lake's ClickHouse warehouse: ``settings.warehouse`` (``MARKETLAKE_WAREHOUSE``)
        when the lake came from settings, else embedded chDB in ``<root>/_warehouse/chdb``.
        Opened on first use, closed with the lake; see docs/warehouse.md."""
        if self._warehouse is None:
            from marketlake.warehouse import open_warehouse

            dsn = self.settings.warehouse if self.settings else None
            self._warehouse = open_warehouse(dsn, lake_root=self.root)
        return self._warehouse

    def symbols(
        self, market: MarketLike = "um", *, now: TimeLike = None, online: bool = True
    ) -> pl.DataFrame:
        """One row per symbol of ``market`` ever seen (exchange info, archive listing, lake):
        status, assets, tick/lot size, min notional, contract, dates. See docs/metadata.md."""
        from marketlake.lake import metadata

        settings = metadata.metadata_settings(self.root, self.settings)
        return metadata.symbols(settings, self.manifest, market, now=now, online=online)

    def gap_report(
        self,
        market: MarketLike,
        dataset: str,
        symbol: str,
        interval: str | None = None,
        *,
        start: TimeLike = None,
        end: TimeLike = None,
        now: TimeLike = None,
        online: bool = True,
    ) -> GapReport:
        """Classified gaps and per-partition quality of one symbol's dataset over the days
        ``[start, end]`` (typed value objects; ``.gaps_frame()``/``.quality_frame()``)."""
        from marketlake.lake import metadata

        settings = metadata.metadata_settings(self.root, self.settings)
        return metadata.gap_report(
            settings, self.manifest, market, dataset, symbol,
            interval=interval, start=start, end=end, now=now, online=online,
        )  # fmt: skip

    def gaps(
        self,
        market: MarketLike,
        dataset: str,
        symbol: str,
        interval: str | None = None,
        *,
        start: TimeLike = None,
        end: TimeLike = None,
        now: TimeLike = None,
        online: bool = True,
    ) -> pl.DataFrame:
        """Missing spans ``[start, end)`` of one symbol's dataset, each with its kind
        (before_listing, after_delisting, not_yet_published, unavailable, discontinued,
        inside_file, not_ingested, unknown), detail, archive keys and missing rows."""
        report = self.gap_report(
            market, dataset, symbol, interval, start=start, end=end, now=now, online=online
        )
        return report.gaps_frame()

    def quality(
        self,
        market: MarketLike,
        dataset: str,
        symbol: str,
        interval: str | None = None,
        *,
        start: TimeLike = None,
        end: TimeLike = None,
        now: TimeLike = None,
        online: bool = True,
    ) -> pl.DataFrame:
        """One row per partition: rows vs expected, duplicates, out-of-order rows, trade-id
        continuity (the quality half of :meth:`gap_report`)."""
        report = self.gap_report(
            market, dataset, symbol, interval, start=start, end=end, now=now, online=online
        )
        return report.quality_frame()
