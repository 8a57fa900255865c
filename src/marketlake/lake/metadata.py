"""The metadata side of :class:`~marketlake.lake.sdk.Lake`: symbols, gaps and quality.

Kept out of ``sdk.py`` so the SDK's methods stay one line each; see :mod:`.symbols` and
:mod:`.gaps`. The archive and exchange URLs come from the Lake's settings
(``Lake.from_settings``); a ``Lake(root)`` asks the real archive and exchange.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from marketlake.lake.request import parse_market, parse_time
from marketlake.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

    from marketlake.catalog import Market
    from marketlake.lake.gaps import GapReport
    from marketlake.manifest.abc import ManifestStore

DayLike = date | datetime | str | None


def metadata_settings(root: Path, settings: Settings | None) -> Settings:
    """The settings to ask the archive with: the Lake's own, else defaults for ``root``."""
    return settings if settings is not None else Settings(lake=root)


def symbols(
    settings: Settings,
    store: ManifestStore,
    market: Market | str,
    *,
    now: DayLike = None,
    online: bool = True,
) -> pl.DataFrame:
    """``Lake.symbols``: one row per symbol ever seen (see :mod:`.symbols`)."""
    from marketlake.lake.symbols import list_symbols, symbols_frame

    rows = list_symbols(settings, store, parse_market(market), now=_day(now, "now"), online=online)
    return symbols_frame(rows)


def gap_report(
    settings: Settings,
    store: ManifestStore,
    market: Market | str,
    dataset: str,
    symbol: str,
    *,
    interval: str | None = None,
    start: DayLike = None,
    end: DayLike = None,
    now: DayLike = None,
    online: bool = True,
) -> GapReport:
    """``Lake.gap_report``: classified gaps and partition quality (see :mod:`.gaps`)."""
    from marketlake.lake.gaps import find_gaps, gap_target

    target = gap_target(market, dataset, symbol, interval)
    return find_gaps(
        settings,
        store,
        target,
        start=_day(start, "start"),
        end=_day(end, "end"),
        now=_day(now, "now"),
        online=online,
    )


def _day(value: DayLike, name: str) -> date | None:
    moment = parse_time(value, name)
    return moment.date() if moment is not None else None
