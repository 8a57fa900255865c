"""What a user asked a warehouse sync to do, validated against the catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from marketlake.catalog import Interval, Market, get_dataset
from marketlake.errors import ConfigError
from marketlake.warehouse.plan import SyncScope

ALL_WORDS = frozenset({"*", "ALL", "all"})


@dataclass(frozen=True)
class SyncRequest:
    """What to sync: market, dataset and intervals (None: all the lake has), and a scope.

    ``rollups`` creates the hourly and daily OHLCV rollups of kline tables (kept up to date
    by every later sync once they exist); ``rebuild`` drops the tables in scope and loads
    them again (the way out of a drifted schema).
    """

    market: Market | None = None
    dataset: str | None = None
    intervals: tuple[str, ...] | None = None
    scope: SyncScope = field(default_factory=SyncScope)
    rollups: bool = False
    rebuild: bool = False


def build_sync_request(
    *,
    market: str | None = None,
    dataset: str | None = None,
    interval: str | None = None,
    symbols: str | None = None,
    start: date | None = None,
    end: date | None = None,
    rollups: bool = False,
    rebuild: bool = False,
) -> SyncRequest:
    """A validated request from user-facing values (comma lists, ``*`` for all)."""
    parsed_market = Market.parse(market) if market else None
    if dataset:
        spec = get_dataset(dataset)
        if parsed_market is not None:
            spec.columns_for(parsed_market)
    if start is not None and end is not None and start > end:
        raise ConfigError(f"--start {start} is after --end {end}")
    return SyncRequest(
        market=parsed_market,
        dataset=dataset or None,
        intervals=_intervals(interval),
        scope=SyncScope(symbols=_list(symbols), start=start, end=end),
        rollups=rollups,
        rebuild=rebuild,
    )


def _list(text: str | None) -> tuple[str, ...] | None:
    items = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    if not items or any(item in ALL_WORDS for item in items):
        return None
    return items


def _intervals(text: str | None) -> tuple[str, ...] | None:
    names = _list(text)
    for name in names or ():
        Interval.parse(name)
    return names
