"""Plan an ingest run: what the listing publishes, minus what the manifest records as done.

Monthly files are taken for whole months inside the requested dates; daily files for the rest
(the current month, months whose monthly file is not published yet, partial months at the
edges). A done partition is planned again only when the listing shows a different ETag or size
(a re-upload) or when ``update_existing`` is set. A daily partition whose month is already done
from its monthly file is covered and skipped.

:func:`choose_partitions` is pure (no I/O) so the rules are tested directly;
:func:`build_plan` feeds it from the listing and the manifest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from marketlake.catalog import ArchiveKey, Period, get_dataset, month_last_day
from marketlake.ingest.request import IngestRequest
from marketlake.lake.layout import partition_path
from marketlake.manifest.abc import ManifestStore
from marketlake.manifest.models import PartitionRecord, PartitionStatus
from marketlake.source import ArchiveListing, RemotePartition

logger = logging.getLogger(__name__)


class PlanReason(StrEnum):
    """Why a partition is in the plan."""

    NEW = "new"
    RETRY = "retry"
    REUPLOADED = "reuploaded"
    UPDATE = "update"


@dataclass(frozen=True)
class PlannedPartition:
    """One archive file to fetch, why, and the done daily partitions its monthly file replaces."""

    remote: RemotePartition
    reason: PlanReason
    supersedes: tuple[PartitionRecord, ...] = ()

    @property
    def key(self) -> ArchiveKey:
        """The partition's archive key."""
        return self.remote.key


@dataclass(frozen=True)
class Plan:
    """An ingest run's work: partitions to fetch and how many done ones were skipped."""

    partitions: tuple[PlannedPartition, ...]
    skipped: int
    symbols: tuple[str, ...] = field(default=())
    superseded_files: tuple[str, ...] = field(default=())
    """Lake paths of daily partitions a monthly file replaced; none should exist any more."""


def _month(key: ArchiveKey) -> str:
    return key.date[:7]


def _select_files(
    monthly: Sequence[RemotePartition], daily: Sequence[RemotePartition], request: IngestRequest
) -> list[RemotePartition]:
    chosen_months = {
        _month(p.key): p for p in monthly if request.covers(p.key.first_day, p.key.last_day)
    }
    dailies = [
        p
        for p in daily
        if request.overlaps(p.key.first_day, p.key.last_day) and _month(p.key) not in chosen_months
    ]
    months_with_daily = {_month(p.key) for p in dailies}
    edge_months = [
        p
        for p in monthly
        if _month(p.key) not in chosen_months
        and _month(p.key) not in months_with_daily
        and request.overlaps(p.key.first_day, p.key.last_day)
    ]
    return [*chosen_months.values(), *edge_months, *dailies]


def _reason(
    remote: RemotePartition, record: PartitionRecord | None, request: IngestRequest
) -> PlanReason | None:
    if record is None:
        return PlanReason.NEW
    if record.status is not PartitionStatus.DONE:
        return PlanReason.RETRY
    if record.etag != remote.zip.etag or record.size != remote.zip.size:
        return PlanReason.REUPLOADED
    return PlanReason.UPDATE if request.update_existing else None


def _covered_months(
    records: Mapping[ArchiveKey, PartitionRecord],
) -> set[tuple[str, str | None, str]]:
    return {
        (key.symbol, key.interval, _month(key))
        for key, record in records.items()
        if key.period is Period.MONTHLY and record.status is PartitionStatus.DONE
    }


def choose_partitions(
    monthly: Sequence[RemotePartition],
    daily: Sequence[RemotePartition],
    records: Mapping[ArchiveKey, PartitionRecord],
    request: IngestRequest,
) -> tuple[list[PlannedPartition], int]:
    """The partitions of one symbol (and interval) to fetch, and the number skipped as done."""
    covered = _covered_months(records)
    planned: list[PlannedPartition] = []
    skipped = 0
    for remote in _select_files(monthly, daily, request):
        key = remote.key
        if key.period is Period.DAILY and (key.symbol, key.interval, _month(key)) in covered:
            skipped += 1
            continue
        reason = _reason(remote, records.get(key), request)
        if reason is None:
            skipped += 1
            continue
        planned.append(PlannedPartition(remote, reason, _superseded(key, records)))
    return planned, skipped


def _superseded(
    key: ArchiveKey, records: Mapping[ArchiveKey, PartitionRecord]
) -> tuple[PartitionRecord, ...]:
    if key.period is not Period.MONTHLY:
        return ()
    return tuple(
        record
        for other, record in records.items()
        if other.period is Period.DAILY
        and other.symbol == key.symbol
        and other.interval == key.interval
        and _month(other) == _month(key)
        and record.status is PartitionStatus.DONE
        and record.files
    )


async def _symbols(listing: ArchiveListing, request: IngestRequest) -> tuple[str, ...]:
    spec = get_dataset(request.dataset)
    found: set[str] = set()
    for period in spec.periods_for(request.market):
        found.update(await listing.list_symbols(request.market, period, request.dataset))
    explicit_missing = set(request.symbols.explicit) - found
    if explicit_missing:
        logger.warning(
            "symbols not in the archive listing: %s", ", ".join(sorted(explicit_missing))
        )
    return tuple(sorted(s for s in found if request.symbols.matches(s)))


MAX_PREFIX_LISTINGS = 3


def listing_dates(request: IngestRequest) -> tuple[str, ...] | None:
    """Date prefixes that narrow a folder's listing to the requested range (None: list it all).

    Both daily (``2024-01-05``) and monthly (``2024-01``) file names start with the month, so a
    short range (a daily update, a few months) is listed month by month (``2024-01``): one small
    page each. A longer range lists whole folders, which takes fewer requests.
    """
    if request.start is None or request.end is None:
        return None
    first = request.start.year * 12 + request.start.month - 1
    last = request.end.year * 12 + request.end.month - 1
    if last - first < MAX_PREFIX_LISTINGS:
        return tuple(f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1))
    return None


def monthly_listing_dates(
    request: IngestRequest, daily: Sequence[RemotePartition]
) -> tuple[str, ...] | None:
    """The prefixes worth listing for monthly files, given the daily files found.

    A monthly file is only used for a month the range covers whole, or a month with no daily
    files, so other months are not listed (a monthly file can be large to size).
    """
    dates = listing_dates(request)
    if dates is None:
        return None
    months_with_daily = {_month(p.key) for p in daily}
    return tuple(
        month
        for month in dates
        if month not in months_with_daily or request.covers(*_month_span(month))
    )


def _month_span(month: str) -> tuple[date, date]:
    first = date.fromisoformat(month + "-01")
    return first, month_last_day(first)


async def _remote_files(
    listing: ArchiveListing,
    request: IngestRequest,
    symbol: str,
    interval: str | None,
    *,
    period: Period,
    dates: tuple[str, ...] | None,
) -> tuple[RemotePartition, ...]:
    spec = get_dataset(request.dataset)
    if period not in spec.periods_for(request.market):
        return ()
    if interval is not None and interval not in spec.intervals_for(request.market, period):
        return ()
    if dates == ():
        return ()
    return await listing.list_partitions(
        request.market, period, request.dataset, symbol, interval, dates=dates
    )


async def _plan_symbol(
    listing: ArchiveListing,
    request: IngestRequest,
    symbol: str,
    interval: str | None,
    records: Mapping[ArchiveKey, PartitionRecord],
) -> tuple[list[PlannedPartition], int]:
    daily_dates = listing_dates(request)
    daily = await _remote_files(
        listing, request, symbol, interval, period=Period.DAILY, dates=daily_dates
    )
    monthly_dates = monthly_listing_dates(request, daily)
    monthly = await _remote_files(
        listing, request, symbol, interval, period=Period.MONTHLY, dates=monthly_dates
    )
    return choose_partitions(monthly, daily, records, request)


async def build_plan(
    listing: ArchiveListing, manifest: ManifestStore, source: str, request: IngestRequest
) -> Plan:
    """The run's plan from the bucket listing and the manifest's records."""
    symbols = await _symbols(listing, request)
    planned: list[PlannedPartition] = []
    superseded: list[str] = []
    skipped = 0
    for interval in request.intervals:
        records = manifest.records(
            source, request.market, request.dataset, interval=interval, symbols=symbols
        )
        superseded.extend(
            str(partition_path(key)) for key, r in records.items() if r.superseded_by is not None
        )
        by_symbol = _group_by_symbol(records)
        results = await asyncio.gather(
            *(
                _plan_symbol(listing, request, symbol, interval, by_symbol.get(symbol, {}))
                for symbol in symbols
            )
        )
        for chosen, skip in results:
            planned.extend(chosen)
            skipped += skip
    return Plan(tuple(planned), skipped, symbols, tuple(superseded))


def _group_by_symbol(
    records: Mapping[ArchiveKey, PartitionRecord],
) -> dict[str, dict[ArchiveKey, PartitionRecord]]:
    grouped: dict[str, dict[ArchiveKey, PartitionRecord]] = {}
    for key, record in records.items():
        grouped.setdefault(key.symbol, {})[key] = record
    return grouped
