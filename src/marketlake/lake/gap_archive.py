"""Ask the archive about the days the lake misses, and only those.

The listing is read for the months that hold missing days (one small prefix listing per
month and period), and two one-page probes answer the rest: the symbol's first file (only
when no earlier file or row is known) and whether any file follows the analysed range (only
when no later one is known). A fully ingested range costs no request at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import date

from marketlake.catalog import ArchiveKey, Period
from marketlake.lake._archive import Archive
from marketlake.lake.archive_span import Folder
from marketlake.lake.gap_rules import ArchiveFacts, GapTarget
from marketlake.source import RemotePartition
from marketlake.source.probe import first_zip_after


async def load_facts(
    archive: Archive,
    target: GapTarget,
    missing: Collection[date],
    data_days: Collection[date],
    range_end: date,
) -> ArchiveFacts:
    """The listing's view of ``target`` around the ``missing`` days."""
    months = sorted({day.strftime("%Y-%m") for day in missing})
    listed = await asyncio.gather(*(_listed(archive, target, p, months) for p in target.periods))
    daily = frozenset(
        p.key.first_day for parts in listed for p in parts if p.key.period is Period.DAILY
    )
    monthly = frozenset(
        p.key.date for parts in listed for p in parts if p.key.period is Period.MONTHLY
    )
    evidence = set(data_days) | set(daily)
    first = min(evidence) if evidence else None  # a monthly file need not start on the 1st
    if target.dating_period is Period.MONTHLY:
        evidence |= {date.fromisoformat(month + "-01") for month in monthly}
    if missing and (first is None or first > min(missing)):
        first = await _first_day(archive, target, data_days, first)
    file_after = False
    if missing and (not evidence or max(missing) >= max(evidence)):
        file_after = await _file_after(archive, target, range_end)
    return ArchiveFacts(daily, monthly, first, file_after)


async def _listed(
    archive: Archive, target: GapTarget, period: Period, months: list[str]
) -> tuple[RemotePartition, ...]:
    return await archive.listing.list_partitions(
        target.market, period, target.dataset, target.symbol, target.interval, dates=months
    )


def _folder(target: GapTarget, period: Period) -> Folder:
    return Folder(target.market, target.dataset, target.symbol, target.interval, period)


async def _first_day(
    archive: Archive, target: GapTarget, data_days: Collection[date], known: date | None
) -> date | None:
    """The symbol's first file day (a monthly file: its first day with rows, if in the lake)."""
    found: ArchiveKey | None = None
    for period in (target.dating_period, *target.periods):
        found = await first_zip_after(archive.client, _folder(target, period).prefix)
        if found is not None:
            break
    if found is None:
        return known
    first = found.first_day
    if found.period is Period.MONTHLY:
        in_month = [d for d in data_days if found.first_day <= d <= found.last_day]
        first = min(in_month) if in_month else first
    return first if known is None else min(first, known)


async def _file_after(archive: Archive, target: GapTarget, day: date) -> bool:
    folder = _folder(target, target.dating_period)
    found = await first_zip_after(archive.client, folder.prefix, folder.marker_after(day))
    return found is not None
