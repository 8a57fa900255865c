"""Where the generated archive plants each of the real archive's traps.

Placements are fixed (they do not depend on the seed), so tests anywhere can find them
through :func:`known_traps`. The rules here drive generation; :class:`Traps` describes them
as archive keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marketlake.catalog import DATASETS, ArchiveKey, Market, Period
from marketlake.mirror.universe import DEFAULT_UNIVERSE

SPOT, UM, CM = Market.SPOT, Market.UM, Market.CM
DAILY, MONTHLY = Period.DAILY, Period.MONTHLY

BIG_TRADES_DAY = date(2024, 3, 5)
BIG_TRADES_KEY = "data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-03-05.zip"
BIG_TRADES_ROWS = 5_000_000
MICROSECONDS_FROM = date(2025, 1, 1)
BOOK_DEPTH_TWO_DECIMALS_FROM = date(2024, 1, 1)
BOOK_DEPTH_NARROW_BANDS_FROM = date(2026, 1, 1)


@dataclass(frozen=True)
class Outage:
    """Minutes missing from every kline file of one symbol's day (an exchange outage)."""

    market: Market
    symbol: str
    day: date
    first_minute: int
    last_minute: int


@dataclass(frozen=True)
class Regeneration:
    """A file replaced after publication: before ``on`` the original bytes are served."""

    key: str
    on: date
    updates_key: str


@dataclass(frozen=True)
class Unpublished:
    """A daily file never published (404) although the symbol traded that day.

    ``interval`` None means every interval folder of a kline dataset.
    """

    market: Market
    dataset: str
    symbol: str
    day: date
    interval: str | None = None


OUTAGES = (Outage(SPOT, "BTCUSDT", date(2023, 3, 24), 738, 829),)
PARTIAL_DAILY = {"data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2018-06-26.zip": 900}
"""Daily files holding only their first N rows."""
PARTIAL_MONTHLY = {(SPOT, "klines", "ALICEUSDT", "2024-07"): 7}
"""Monthly files (every interval) holding only their first N days."""
UNPUBLISHED = (
    Unpublished(SPOT, "klines", "ETHUSDT", date(2021, 4, 25)),
    Unpublished(SPOT, "klines", "BNBUSDT", date(2020, 3, 12), "1h"),
    Unpublished(UM, "klines", "ETHUSDT", date(2022, 11, 3), "1m"),
    Unpublished(UM, "trades", "BTCUSDT", date(2023, 2, 10)),
    Unpublished(CM, "aggTrades", "BTCUSD_PERP", date(2021, 7, 7)),
)
TRADE_ID_GAPS = {
    (UM, "ETHUSDT", date(2023, 6, 14)): 1_000,
    (SPOT, "BTCUSDT", date(2021, 5, 19)): 250,
}
"""Trade ids jump by this much in the middle of the day (trades and aggTrades files)."""
DUPLICATED_AGG_TRADES = frozenset(
    (UM, symbol, date(2022, 9, day)) for symbol in ("BTCUSDT", "ETHUSDT") for day in (5, 6, 7)
)
INTERLEAVED_MONTHLY_TRADES = frozenset({(UM, "BTCUSDT", "2021-03")})
METRICS_EMPTY_DAYS = frozenset(
    {(UM, "BTCUSDT", date(2022, 1, 10)), (CM, "BTCUSD_PERP", date(2023, 5, 2))}
)
_AGG_UPDATES = "updates/2022-10-04_aggregate_trade_updates.csv"
_KLINE_UPDATES = "updates/2022-08-08_kline_updates.csv"
_RECENT_UPDATES = "updates/2026-10-01_kline_updates.csv"
_OLD_AGG_TRADES = "data/spot/monthly/aggTrades/{0}/{0}-aggTrades-{1}.zip"
_UM_MINUTES = "data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-{0}.zip"
_SPOT_MINUTES = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-{0}.zip"
REGENERATIONS = (
    *(
        Regeneration(_OLD_AGG_TRADES.format(symbol, month), date(2022, 10, 4), _AGG_UPDATES)
        for symbol, month in (("ETHBTC", "2017-12"), ("ETHBTC", "2018-01"), ("BTCUSDT", "2018-01"))
    ),
    *(
        Regeneration(_UM_MINUTES.format(f"2022-08-0{d}"), date(2022, 8, 8), _KLINE_UPDATES)
        for d in (1, 2, 3)
    ),
    Regeneration(_SPOT_MINUTES.format("2026-09-15"), date(2026, 10, 1), _RECENT_UPDATES),
)
UPDATES_WITH_PATHS = frozenset({_KLINE_UPDATES})
"""Updates lists written in the older ``File Path`` form (full keys) instead of ``File``."""


def unpublished_keys() -> frozenset[str]:
    """Zip keys of every daily file that is never published."""
    keys: set[str] = set()
    for rule in UNPUBLISHED:
        instrument = DEFAULT_UNIVERSE.find(rule.market, rule.dataset, rule.symbol)
        if instrument is None:
            continue
        intervals: tuple[str | None, ...] = (rule.interval,)
        if rule.interval is None and DATASETS[rule.dataset].has_interval:
            intervals = instrument.intervals(rule.dataset, DAILY)
        for interval in intervals:
            key = ArchiveKey(
                rule.market, DAILY, rule.dataset, rule.symbol, interval, rule.day.isoformat()
            )
            keys.add(key.zip_key)
    return frozenset(keys)


def outage_for(market: Market, symbol: str, day: date) -> Outage | None:
    """The outage of ``symbol`` on ``day``, if one is planted."""
    for outage in OUTAGES:
        if (outage.market, outage.symbol, outage.day) == (market, symbol, day):
            return outage
    return None


def regeneration_of(key: str) -> Regeneration | None:
    """The regeneration of the zip at ``key``, if one is planted."""
    for regeneration in REGENERATIONS:
        if regeneration.key == key:
            return regeneration
    return None


@dataclass(frozen=True)
class Traps:
    """Archive keys (zip keys) where each trap can be found; see each field's comment."""

    headerless: tuple[str, ...]
    """Files without a header row (spot always; um/cm before mid-2022; a cm relapse)."""
    with_header: tuple[str, ...]
    """Futures files with a header row, right after the switch."""
    microseconds: tuple[str, ...]
    milliseconds: tuple[str, ...]
    booleans_capitalized: tuple[str, ...]
    booleans_lowercase: tuple[str, ...]
    empty_cells: tuple[str, ...]
    """Metrics days with empty ratio cells; every EOHSummary file has empty cells."""
    duplicated_rows: tuple[str, ...]
    """Every liquidationSnapshot file; um aggTrades on 2022-09-05..07 (and that month)."""
    interleaved: tuple[str, ...]
    trade_id_gaps: tuple[str, ...]
    outages: tuple[Outage, ...]
    outage_keys: tuple[str, ...]
    partial: tuple[str, ...]
    unpublished: tuple[str, ...]
    regenerations: tuple[Regeneration, ...]
    updates_lists: tuple[str, ...]
    wide_decimals: tuple[str, ...]
    """Files with values of 17+ significant digits (bookDepth notional)."""
    book_depth_integer_percent: tuple[str, ...]
    book_depth_two_decimals: tuple[str, ...]
    book_depth_narrow_bands: tuple[str, ...]
    funding_interval_changes: tuple[str, ...]
    weeks_spanning_months: tuple[str, ...]
    monthly_differs_from_dailies: tuple[str, ...]
    """Monthly files that are not the concatenation of their daily files (at a late ``now``)."""
    discontinued_last: tuple[str, ...]
    """The last file of each discontinued dataset."""
    delisted_last: tuple[str, ...]
    """The last daily 1d kline file of each delisted symbol (still served)."""
    big_trades: str


def _daily(market: Market, dataset: str, symbol: str, day: str, interval: str | None = None) -> str:
    return ArchiveKey(market, DAILY, dataset, symbol, interval, day).zip_key


def _monthly(
    market: Market, dataset: str, symbol: str, month: str, interval: str | None = None
) -> str:
    return ArchiveKey(market, MONTHLY, dataset, symbol, interval, month).zip_key


def _format_traps() -> dict[str, tuple[str, ...]]:
    return {
        "headerless": (
            _daily(SPOT, "klines", "BTCUSDT", "2020-01-01", "1m"),
            _monthly(UM, "klines", "BTCUSDT", "2022-04", "1m"),
            _daily(UM, "trades", "BTCUSDT", "2022-08-10"),
            _daily(UM, "aggTrades", "BTCUSDT", "2022-08-10"),
            _daily(CM, "klines", "BTCUSD_PERP", "2023-01-05", "1m"),
        ),
        "with_header": (
            _monthly(UM, "klines", "BTCUSDT", "2022-05", "1m"),
            _daily(UM, "trades", "BTCUSDT", "2022-08-11"),
            _daily(CM, "klines", "BTCUSD_PERP", "2022-12-31", "1m"),
            _daily(CM, "klines", "BTCUSD_PERP", "2023-01-16", "1m"),
        ),
        "microseconds": (
            _daily(SPOT, "klines", "BTCUSDT", "2025-01-01", "1m"),
            _daily(SPOT, "trades", "BTCUSDT", "2025-01-01"),
            _daily(SPOT, "aggTrades", "BTCUSDT", "2025-01-01"),
            _monthly(SPOT, "klines", "BTCUSDT", "2025-01", "1h"),
        ),
        "milliseconds": (
            _daily(SPOT, "klines", "BTCUSDT", "2024-12-31", "1m"),
            _daily(SPOT, "trades", "BTCUSDT", "2024-12-31"),
            _daily(UM, "klines", "BTCUSDT", "2025-01-01", "1m"),
        ),
        "booleans_capitalized": (_daily(SPOT, "trades", "ETHUSDT", "2023-01-01"),),
        "booleans_lowercase": (_daily(UM, "trades", "ETHUSDT", "2023-01-01"),),
    }


def _data_traps() -> dict[str, tuple[str, ...]]:
    gaps = [
        _daily(m, d, s, day.isoformat())
        for (m, s, day) in TRADE_ID_GAPS
        for d in ("trades", "aggTrades")
    ]
    duplicated = sorted(
        _daily(m, "aggTrades", s, d.isoformat()) for m, s, d in DUPLICATED_AGG_TRADES
    )
    return {
        "empty_cells": (
            *sorted(_daily(m, "metrics", s, d.isoformat()) for m, s, d in METRICS_EMPTY_DAYS),
            _daily(Market.OPTION, "EOHSummary", "BTCUSDT", "2023-03-10"),
        ),
        "duplicated_rows": (
            _daily(UM, "liquidationSnapshot", "BTCUSDT", "2023-07-01"),
            _daily(CM, "liquidationSnapshot", "BTCUSD_PERP", "2024-10-01"),
            *duplicated,
            _monthly(UM, "aggTrades", "BTCUSDT", "2022-09"),
        ),
        "interleaved": tuple(
            sorted(_monthly(m, "trades", s, month) for m, s, month in INTERLEAVED_MONTHLY_TRADES)
        ),
        "trade_id_gaps": tuple(gaps),
        "outage_keys": tuple(
            _daily(o.market, "klines", o.symbol, o.day.isoformat(), i)
            for o in OUTAGES
            for i in ("1m", "1h")
        ),
        "partial": (
            *PARTIAL_DAILY,
            *(
                _monthly(m, d, s, month, i)
                for (m, d, s, month) in PARTIAL_MONTHLY
                for i in ("1m", "1d")
            ),
        ),
        "unpublished": tuple(sorted(unpublished_keys())),
        "updates_lists": tuple(sorted({r.updates_key for r in REGENERATIONS})),
    }


def _shape_traps() -> dict[str, tuple[str, ...]]:
    return {
        "wide_decimals": (_daily(UM, "bookDepth", "BTCUSDT", "2026-06-24"),),
        "book_depth_integer_percent": (_daily(UM, "bookDepth", "BTCUSDT", "2023-05-01"),),
        "book_depth_two_decimals": (_daily(UM, "bookDepth", "BTCUSDT", "2024-05-01"),),
        "book_depth_narrow_bands": (_daily(UM, "bookDepth", "BTCUSDT", "2026-06-24"),),
        "funding_interval_changes": (
            _monthly(UM, "fundingRate", "1000BONKUSDT", "2024-06"),
            _monthly(UM, "fundingRate", "0GUSDT", "2025-10"),
            _monthly(UM, "fundingRate", "币安人生USDT", "2025-10"),
        ),
        "weeks_spanning_months": (_monthly(SPOT, "klines", "BTCUSDT", "2020-02", "1w"),),
        "monthly_differs_from_dailies": (
            _monthly(SPOT, "klines", "BTCUSDT", "2018-06", "1m"),
            _monthly(SPOT, "klines", "ETHUSDT", "2021-04", "1d"),
            _monthly(SPOT, "klines", "BNBUSDT", "2020-03", "1h"),
            _monthly(UM, "klines", "ETHUSDT", "2022-11", "1m"),
            _monthly(UM, "trades", "BTCUSDT", "2023-02"),
            _monthly(CM, "aggTrades", "BTCUSD_PERP", "2021-07"),
            *sorted(_monthly(m, "trades", s, month) for m, s, month in INTERLEAVED_MONTHLY_TRADES),
            *(_monthly(m, d, s, month, "1d") for (m, d, s, month) in PARTIAL_MONTHLY),
            *(r.key for r in REGENERATIONS if "/monthly/" in r.key),
        ),
        "discontinued_last": (
            _daily(UM, "bookTicker", "BTCUSDT", "2024-03-30"),
            _daily(CM, "bookTicker", "BTCUSD_PERP", "2024-10-15"),
            _daily(UM, "liquidationSnapshot", "BTCUSDT", "2024-03-31"),
            _daily(CM, "liquidationSnapshot", "BTCUSD_PERP", "2024-10-31"),
            _daily(Market.OPTION, "EOHSummary", "BTCUSDT", "2023-10-23"),
        ),
        "delisted_last": (
            _daily(SPOT, "klines", "LUNAUSDT", "2022-05-13", "1d"),
            _daily(SPOT, "klines", "BNBBUSD", "2023-12-15", "1d"),
            _daily(UM, "klines", "CTKUSDTSETTLED", "2025-06-20", "1d"),
            _daily(UM, "klines", "BTCUSDT_240329", "2024-03-29", "1d"),
            _daily(CM, "klines", "BTCUSD_240329", "2024-03-29", "1d"),
        ),
    }


def known_traps() -> Traps:
    """Where every trap is planted in the default universe."""
    return Traps(
        **_format_traps(),
        **_data_traps(),
        **_shape_traps(),
        outages=OUTAGES,
        regenerations=REGENERATIONS,
        big_trades=BIG_TRADES_KEY,
    )
