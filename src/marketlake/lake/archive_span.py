"""Which symbols the archive holds, and the first and last day of a symbol's files.

A symbol's folder can hold thousands of files, and sizing them for a listing is what costs,
so the span is found with one-page probes (:func:`~marketlake.source.probe.first_zip_after`):
the first zip of the folder, then "the first zip after day X" from a few days before ``now``
forward (a trading symbol: two or three probes), else a binary search (a delisted one: about
a dozen).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from marketlake.catalog import ArchiveKey, Market, Period, datasets_of, folder_of, get_dataset
from marketlake.lake._archive import Archive
from marketlake.source.probe import first_zip_after

RECENT_DAYS = 5
"""How far before ``now`` the search for a trading symbol's last file starts."""
REPRESENTATIVES = (("klines", "1d"), ("indexPriceKlines", "1d"))
"""The folders whose span stands for a symbol's (cheap 1d files), in order of preference."""


@dataclass(frozen=True)
class Folder:
    """One symbol folder of the archive: dataset, period and interval."""

    market: Market
    dataset: str
    symbol: str
    interval: str | None
    period: Period

    @property
    def prefix(self) -> str:
        """The folder's key prefix."""
        return folder_of(self.market, self.period, self.dataset, self.symbol, self.interval)

    def marker_after(self, day: date) -> str:
        """A listing marker that sorts after every key of ``day``'s (or its month's) file."""
        text = day.isoformat() if self.period is Period.DAILY else day.strftime("%Y-%m")
        key = ArchiveKey(self.market, self.period, self.dataset, self.symbol, self.interval, text)
        return key.checksum_key


def folder_for(market: Market, dataset: str, symbol: str, interval: str | None) -> Folder:
    """The folder that dates a dataset best: daily when the dataset has daily files."""
    periods = get_dataset(dataset).periods_for(market)
    period = Period.DAILY if Period.DAILY in periods else Period.MONTHLY
    return Folder(market, dataset, symbol, interval, period)


async def archive_symbols(archive: Archive, market: Market) -> dict[str, tuple[str, ...]]:
    """Every symbol folder of ``market`` (delisted included) and the datasets it appears in."""
    jobs = [
        (spec.name, period) for spec in datasets_of(market) for period in spec.periods_for(market)
    ]
    found = await asyncio.gather(
        *(archive.listing.list_symbols(market, period, name) for name, period in jobs)
    )
    datasets: dict[str, list[str]] = {}
    for (name, _period), symbols in zip(jobs, found, strict=True):
        for symbol in symbols:
            names = datasets.setdefault(symbol, [])
            if name not in names:
                names.append(name)
    return {symbol: tuple(names) for symbol, names in sorted(datasets.items())}


def representative(market: Market, symbol: str, datasets: tuple[str, ...]) -> Folder | None:
    """The folder whose span stands for the symbol's: 1d klines, else its first dataset."""
    for dataset, interval in REPRESENTATIVES:
        if dataset in datasets:
            return folder_for(market, dataset, symbol, interval)
    if not datasets:
        return None
    only = datasets[0]
    return folder_for(market, only, symbol, "1d" if get_dataset(only).has_interval else None)


async def folder_span(archive: Archive, folder: Folder, now: date) -> tuple[date, date] | None:
    """First and last day of the files in ``folder`` (None when it holds none)."""
    first = await first_zip_after(archive.client, folder.prefix)
    if first is None:
        return None
    last_key = await _last_key(archive, folder, first, now)
    return first.first_day, last_key.last_day


async def spans(
    archive: Archive, market: Market, symbols: Mapping[str, tuple[str, ...]], now: date
) -> dict[str, tuple[date, date]]:
    """The archive span of each symbol, from its representative folder."""
    folders = {s: f for s, d in symbols.items() if (f := representative(market, s, d)) is not None}
    found = await asyncio.gather(*(folder_span(archive, f, now) for f in folders.values()))
    return {s: span for s, span in zip(folders, found, strict=True) if span is not None}


async def _last_key(archive: Archive, folder: Folder, first: ArchiveKey, now: date) -> ArchiveKey:
    """The folder's last zip: walk forward from a few days before ``now``, else bisect."""
    recent = now - timedelta(days=RECENT_DAYS)
    if recent > first.first_day:
        found = await _next(archive, folder, recent)
        if found is not None:
            return await _walk(archive, folder, found)
    low, high = first, recent if recent > first.first_day else now
    while (high - low.first_day).days > 1:
        middle = low.first_day + (high - low.first_day) / 2
        found = await _next(archive, folder, middle)
        if found is None:
            high = middle
        else:
            low = found
    return await _walk(archive, folder, low)


async def _walk(archive: Archive, folder: Folder, key: ArchiveKey) -> ArchiveKey:
    while (following := await _next(archive, folder, key.first_day)) is not None:
        key = following
    return key


async def _next(archive: Archive, folder: Folder, day: date) -> ArchiveKey | None:
    return await first_zip_after(archive.client, folder.prefix, folder.marker_after(day))
