"""When each generated file is published, and how its CSV is written (header, time unit).

Publication follows :mod:`marketlake.catalog.publication`: a daily file the next day (futures
sometimes 1-3 days later), a monthly file between the first Monday after the month and the
15th. Delays and times of day are seeded per key, so they never depend on ``now``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from marketlake.catalog import ArchiveKey, Market, Period, get_dataset
from marketlake.catalog.publication import earliest_publication, latest_publication
from marketlake.mirror.generate.seeds import choice_index, unit
from marketlake.mirror.generate.traps import MICROSECONDS_FROM

_LATE_SHARE = 0.15
_PUBLISH_MINUTES = (5, 8 * 60)
_UM_KLINE_HEADERS_FROM = date(2022, 5, 1)
_UM_TRADE_HEADERS_FROM = date(2022, 8, 11)
_CM_KLINE_HEADERS_FROM = date(2022, 6, 1)
_CM_RELAPSE = (date(2023, 1, 1), date(2023, 1, 15))
"""COIN-M daily kline files in this span went back to having no header (cm is mixed)."""
_CM_MONTHLY_KLINE_HEADERS_FROM = date(2022, 7, 1)
_TRADE_SETS = ("trades", "aggTrades")
ARCHIVE_SPELLINGS = {"option_symbol": "symbol"}
"""Lake column names whose CSV header in the archive is spelled otherwise."""


def publication_day(seed: int, key: ArchiveKey) -> date:
    """The day ``key`` first appears in the archive."""
    earliest = earliest_publication(key.period, key.first_day)
    latest = latest_publication(key.market, key.period, key.first_day)
    if key.period is Period.DAILY:
        if not key.market.is_futures or unit(seed, "late", key.zip_key) >= _LATE_SHARE:
            return earliest
        return earliest + timedelta(days=1 + choice_index(3, seed, "delay", key.zip_key))
    span = max((latest - earliest).days, 0)
    return earliest + timedelta(days=choice_index(span + 1, seed, "delay", key.zip_key))


def publication_time(seed: int, key: ArchiveKey) -> datetime:
    """The moment ``key`` was first uploaded (UTC, whole seconds)."""
    low, high = _PUBLISH_MINUTES
    seconds = (low * 60) + choice_index((high - low) * 60, seed, "clock", key.zip_key)
    clock = time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    return datetime.combine(publication_day(seed, key), clock, tzinfo=UTC)


def regeneration_time(seed: int, key: ArchiveKey, on: date) -> datetime:
    """The moment a regenerated ``key`` was uploaded on day ``on``."""
    seconds = choice_index(6 * 3600, seed, "regenerated", key.zip_key)
    return datetime.combine(on, time(seconds // 3600, seconds // 60 % 60, seconds % 60), UTC)


def has_header(key: ArchiveKey) -> bool:
    """Whether the CSV of ``key`` starts with a header row (by market, dataset and date)."""
    spec = get_dataset(key.dataset)
    if spec.always_header:
        return True
    if key.market is Market.SPOT:
        return False
    first = key.first_day
    if key.dataset in _TRADE_SETS:
        return first >= _UM_TRADE_HEADERS_FROM
    if key.market is Market.UM:
        return first >= _UM_KLINE_HEADERS_FROM
    if key.period is Period.MONTHLY:
        return first >= _CM_MONTHLY_KLINE_HEADERS_FROM
    return first >= _CM_KLINE_HEADERS_FROM and not _CM_RELAPSE[0] <= first <= _CM_RELAPSE[1]


def header_names(key: ArchiveKey) -> tuple[str, ...]:
    """The archive's header names for ``key``: the catalog's column names, except where the
    lake renamed a column (COIN-M klines use the USD-M spelling; EOHSummary says symbol)."""
    spec = get_dataset(key.dataset)
    market = Market.UM if spec.has_interval else key.market
    return tuple(ARCHIVE_SPELLINGS.get(c.name, c.name) for c in spec.columns_for(market))


def uses_microseconds(key: ArchiveKey) -> bool:
    """Spot klines, trades and aggTrades dated 2025-01-01 and later are in microseconds."""
    return (
        key.market is Market.SPOT
        and key.dataset in ("klines", *_TRADE_SETS)
        and key.first_day >= MICROSECONDS_FROM
    )


def boolean_texts(market: Market) -> tuple[str, str]:
    """How ``market`` spells true and false."""
    return ("True", "False") if market is Market.SPOT else ("true", "false")
