"""Every dataset of the archive: where it exists, its columns, quirks and time span.

A new dataset is one entry in ``DATASETS``; the stand-in generates from it, the planner
plans from it, the decoder parses with it and the reader types results with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from marketlake.catalog.columns import (
    Column,
    amount,
    boolean,
    datetime_text,
    epoch,
    integer,
    price,
    ratio,
    text,
)
from marketlake.catalog.columns import Column as _Column
from marketlake.catalog.columns import Kind as _Kind
from marketlake.catalog.intervals import DAILY_KLINE_INTERVALS, MONTHLY_ONLY_INTERVALS
from marketlake.catalog.markets import Market, Period
from marketlake.errors import CatalogError

SPOT, UM, CM, OPTION = Market.SPOT, Market.UM, Market.CM, Market.OPTION
DAILY, MONTHLY = Period.DAILY, Period.MONTHLY
BOTH = (DAILY, MONTHLY)


@dataclass(frozen=True)
class Dataset:
    """One dataset of the archive and everything marketlake knows about it."""

    name: str
    periods: Mapping[Market, tuple[Period, ...]]
    columns: Mapping[Market, tuple[Column, ...]]
    time_column: str
    always_header: bool = False
    has_interval: bool = False
    sort_column: str | None = None
    duplicated_rows: bool = False
    first_dates: Mapping[Market, date] = field(default_factory=dict)
    last_dates: Mapping[Market, date] = field(default_factory=dict)
    description: str = ""

    @property
    def markets(self) -> tuple[Market, ...]:
        """The markets that publish this dataset."""
        return tuple(self.periods)

    def periods_for(self, market: Market) -> tuple[Period, ...]:
        """The periods (daily, monthly) this dataset has in ``market``."""
        self._require(market)
        return self.periods[market]

    def columns_for(self, market: Market) -> tuple[Column, ...]:
        """The lake columns of this dataset in ``market``, in CSV order."""
        self._require(market)
        return self.columns[market]

    def intervals_for(self, market: Market, period: Period) -> tuple[str, ...]:
        """Kline intervals published in ``market`` per ``period`` (empty if not a kline set)."""
        if not self.has_interval:
            return ()
        daily = tuple(i for i in DAILY_KLINE_INTERVALS if market is SPOT or i != "1s")
        if self.name != "klines":
            daily = tuple(i for i in daily if i != "1s")
        return daily if period is DAILY else daily + MONTHLY_ONLY_INTERVALS

    def discontinued_after(self, market: Market) -> date | None:
        """The last date this dataset was published in ``market``, if it stopped."""
        return self.last_dates.get(market)

    def _require(self, market: Market) -> None:
        if market not in self.periods:
            raise CatalogError(
                f"dataset {self.name!r} does not exist in market {market.value!r}; it exists in "
                + ", ".join(m.value for m in self.periods)
            )


def _klines(cm_semantics: bool, informative_volume: bool) -> tuple[Column, ...]:
    note = "" if informative_volume else " (carries no information in this dataset)"
    if cm_semantics:
        volume = amount("volume", "volume in contracts" + note)
        second_volume = amount("base_volume", "volume in the base asset (the CSV's quote_volume)")
        taker = amount("taker_buy_volume", "taker buy volume in contracts" + note)
        taker_second = amount("taker_buy_base_volume", "taker buy volume in the base asset" + note)
    else:
        volume = amount("volume", "volume in the base asset" + note)
        second_volume = amount("quote_volume", "volume in the quote asset" + note)
        taker = amount("taker_buy_volume", "taker buy volume in the base asset" + note)
        taker_second = amount("taker_buy_quote_volume", "taker buy volume in the quote asset")
    return (
        epoch("open_time", "bar open time"),
        price("open"),
        price("high"),
        price("low"),
        price("close"),
        volume,
        epoch("close_time", "bar close time: open_time + interval - 1 unit"),
        second_volume,
        integer("count", "number of trades" + note),
        taker,
        taker_second,
        integer("ignore", "always 0 in the archive"),
    )


def _kline_dataset(name: str, informative_volume: bool, markets: tuple[Market, ...]) -> Dataset:
    return Dataset(
        name=name,
        periods=dict.fromkeys(markets, BOTH),
        columns={m: _klines(m is CM, informative_volume) for m in markets},
        time_column="open_time",
        has_interval=True,
        sort_column="open_time",
        first_dates={SPOT: date(2017, 7, 14), UM: date(2019, 12, 31), CM: date(2020, 8, 11)},
    )


_SPOT_TRADES = (
    integer("id"),
    price("price"),
    amount("qty"),
    amount("quote_qty"),
    epoch("time"),
    boolean("is_buyer_maker"),
    boolean("is_best_match"),
)
_UM_TRADES = _SPOT_TRADES[:-1]
_CM_TRADES = (
    integer("id"),
    price("price"),
    amount("qty", "quantity in contracts"),
    amount("base_qty", "quantity in the base asset"),
    epoch("time"),
    boolean("is_buyer_maker"),
)
_AGG = (
    integer("agg_trade_id"),
    price("price"),
    amount("quantity"),
    integer("first_trade_id"),
    integer("last_trade_id"),
    epoch("transact_time"),
    boolean("is_buyer_maker"),
)
_BOOK_TICKER = (
    integer("update_id"),
    price("best_bid_price"),
    amount("best_bid_qty"),
    price("best_ask_price"),
    amount("best_ask_qty"),
    epoch("transaction_time"),
    epoch("event_time"),
)
_BOOK_DEPTH = (
    datetime_text("timestamp", "snapshot time, UTC"),
    _Column("percentage", _Kind.DECIMAL, 18, 2, "band, percent from mid price (-5.00..5.00)"),
    amount("depth", "cumulative quantity to this band"),
    amount("notional", "cumulative notional to this band"),
)
_METRICS = (
    datetime_text("create_time", "5-minute row time, UTC"),
    text("symbol"),
    amount("sum_open_interest"),
    amount("sum_open_interest_value"),
    ratio("count_toptrader_long_short_ratio"),
    ratio("sum_toptrader_long_short_ratio"),
    ratio("count_long_short_ratio"),
    ratio("sum_taker_long_short_vol_ratio"),
)
_FUNDING = (
    epoch("calc_time", "funding calculation time (has ms jitter)"),
    integer("funding_interval_hours", "8, 4 or 1; changes inside a month"),
    ratio("last_funding_rate"),
)
_LIQUIDATION = (
    epoch("time"),
    text("side"),
    text("order_type"),
    text("time_in_force"),
    amount("original_quantity"),
    price("price"),
    price("average_price"),
    text("order_status"),
    amount("last_fill_quantity"),
    amount("accumulated_fill_quantity"),
)
_BVOL = (
    epoch("calc_time"),
    text("symbol"),
    text("base_asset"),
    text("quote_asset"),
    ratio("index_value"),
)
_EOH = (
    _Column("date", _Kind.DATE_TEXT, description="UTC date of the hour"),
    integer("hour", "UTC hour 0..23"),
    text("option_symbol", "the option (the CSV's symbol column); symbol= is the folder"),
    text("underlying"),
    text("type", "C or P"),
    price("strike"),
    price("open"),
    price("high"),
    price("low"),
    price("close"),
    amount("volume_contracts"),
    amount("volume_usdt"),
    price("best_bid_price"),
    price("best_ask_price"),
    amount("best_bid_qty"),
    amount("best_ask_qty"),
    ratio("best_buy_iv"),
    ratio("best_sell_iv"),
    price("mark_price"),
    ratio("mark_iv"),
    ratio("delta"),
    ratio("gamma"),
    ratio("vega"),
    ratio("theta"),
    amount("openinterest_contracts"),
    amount("openinterest_usdt"),
)

_FUTURES = (UM, CM)
_FIRST_FUTURES = {UM: date(2019, 12, 31), CM: date(2020, 8, 11)}

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        _kline_dataset("klines", True, (SPOT, UM, CM)),
        _kline_dataset("indexPriceKlines", False, _FUTURES),
        _kline_dataset("markPriceKlines", False, _FUTURES),
        _kline_dataset("premiumIndexKlines", False, _FUTURES),
        Dataset(
            name="trades",
            periods={SPOT: BOTH, UM: BOTH, CM: BOTH},
            columns={SPOT: _SPOT_TRADES, UM: _UM_TRADES, CM: _CM_TRADES},
            time_column="time",
            sort_column="id",
            first_dates={SPOT: date(2017, 7, 14), **_FIRST_FUTURES},
        ),
        Dataset(
            name="aggTrades",
            periods={SPOT: BOTH, UM: BOTH, CM: BOTH},
            columns={SPOT: (*_AGG, boolean("is_best_match")), UM: _AGG, CM: _AGG},
            time_column="transact_time",
            sort_column="agg_trade_id",
            first_dates={SPOT: date(2017, 7, 14), **_FIRST_FUTURES},
        ),
        Dataset(
            name="bookTicker",
            periods={UM: BOTH, CM: BOTH},
            columns={UM: _BOOK_TICKER, CM: _BOOK_TICKER},
            time_column="transaction_time",
            always_header=True,
            sort_column="update_id",
            first_dates={UM: date(2023, 5, 16), CM: date(2023, 5, 16)},
            last_dates={UM: date(2024, 3, 30), CM: date(2024, 10, 15)},
        ),
        Dataset(
            name="bookDepth",
            periods={UM: (DAILY,), CM: (DAILY,)},
            columns={UM: _BOOK_DEPTH, CM: _BOOK_DEPTH},
            time_column="timestamp",
            always_header=True,
            first_dates={UM: date(2023, 1, 1), CM: date(2023, 1, 1)},
        ),
        Dataset(
            name="metrics",
            periods={UM: (DAILY,), CM: (DAILY,)},
            columns={UM: _METRICS, CM: _METRICS},
            time_column="create_time",
            always_header=True,
            first_dates={UM: date(2021, 12, 1), CM: date(2021, 12, 1)},
        ),
        Dataset(
            name="fundingRate",
            periods={UM: (MONTHLY,), CM: (MONTHLY,)},
            columns={UM: _FUNDING, CM: _FUNDING},
            time_column="calc_time",
            always_header=True,
            first_dates={UM: date(2020, 1, 1), CM: date(2020, 8, 1)},
        ),
        Dataset(
            name="liquidationSnapshot",
            periods={UM: (DAILY,), CM: (DAILY,)},
            columns={UM: _LIQUIDATION, CM: _LIQUIDATION},
            time_column="time",
            always_header=True,
            duplicated_rows=True,
            first_dates={UM: date(2023, 6, 1), CM: date(2023, 6, 1)},
            last_dates={UM: date(2024, 3, 31), CM: date(2024, 10, 31)},
        ),
        Dataset(
            name="BVOLIndex",
            periods={OPTION: (DAILY,)},
            columns={OPTION: _BVOL},
            time_column="calc_time",
            always_header=True,
            first_dates={OPTION: date(2023, 6, 20)},
        ),
        Dataset(
            name="EOHSummary",
            periods={OPTION: (DAILY,)},
            columns={OPTION: _EOH},
            time_column="date",
            always_header=True,
            first_dates={OPTION: date(2023, 1, 1)},
            last_dates={OPTION: date(2023, 10, 23)},
        ),
    )
}


def get_dataset(name: str) -> Dataset:
    """The dataset named ``name`` (the archive's spelling, e.g. ``aggTrades``)."""
    try:
        return DATASETS[name]
    except KeyError:
        raise CatalogError(
            f"unknown dataset {name!r}: expected one of {', '.join(DATASETS)}"
        ) from None


def datasets_of(market: Market) -> tuple[Dataset, ...]:
    """Every dataset published in ``market``."""
    return tuple(d for d in DATASETS.values() if market in d.periods)
