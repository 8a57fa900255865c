"""Why a day is missing from the lake: the rules, free of I/O.

A day the lake has no rows for is classified, first rule that applies wins:

1. ``discontinued``: after the dataset's last date in the catalog;
2. ``before_listing``: before the dataset's first date, or the symbol's first archive file;
3. ``not_yet_published``: no file yet, and the publication rules still allow it to appear
   (daily files by the next day, futures up to 3 days late; monthly files by the 15th);
4. ``after_delisting``: no archive file (and no lake row) for any later day;
5. ``inside_file``: the lake holds the file that covers the day, and it has no rows for it;
6. ``unavailable``: inside the symbol's life but no file in the listing (a 404), or a listed
   file that answered 404 when downloaded (the manifest says ``unavailable``);
7. ``not_ingested``: the archive has it, the lake not (yet), or its ingest failed;
8. ``unknown``: offline (the listing could not be reached) and no rule above applies.

Runs of missing bars inside days that do have rows are ``inside_file`` (an exchange outage,
a partial file), except leading bars of the symbol's first day (``before_listing``) and
trailing bars of its last day (``after_delisting``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from marketlake.catalog import ArchiveKey, Market, Period, get_dataset
from marketlake.catalog.publication import latest_publication
from marketlake.manifest.models import PartitionRecord, PartitionStatus


class GapKind(StrEnum):
    """Why a span is missing from the lake."""

    BEFORE_LISTING = "before_listing"
    AFTER_DELISTING = "after_delisting"
    NOT_YET_PUBLISHED = "not_yet_published"
    UNAVAILABLE = "unavailable"
    DISCONTINUED = "discontinued"
    INSIDE_FILE = "inside_file"
    NOT_INGESTED = "not_ingested"
    UNKNOWN = "unknown"

    @property
    def expected(self) -> bool:
        """True when the symbol traded then, so rows were expected (counts in quality)."""
        return self in (GapKind.INSIDE_FILE, GapKind.UNAVAILABLE, GapKind.NOT_INGESTED,
                        GapKind.UNKNOWN)  # fmt: skip


@dataclass(frozen=True)
class Gap:
    """A missing span ``[start, end)`` (UTC), why, and the archive files it concerns."""

    start: datetime
    end: datetime
    kind: GapKind
    detail: str
    keys: tuple[str, ...] = ()
    missing_rows: int | None = None


@dataclass(frozen=True)
class GapTarget:
    """One symbol's dataset (and kline interval) in one market."""

    market: Market
    dataset: str
    symbol: str
    interval: str | None

    @property
    def periods(self) -> tuple[Period, ...]:
        """The periods this dataset (and interval: ``1w`` is monthly only) is published in."""
        spec = get_dataset(self.dataset)
        return tuple(
            period
            for period in spec.periods_for(self.market)
            if self.interval is None or self.interval in spec.intervals_for(self.market, period)
        )

    @property
    def dating_period(self) -> Period:
        """The period that dates a day: daily when the dataset has daily files."""
        return Period.DAILY if Period.DAILY in self.periods else Period.MONTHLY

    def key(self, period: Period, day: date) -> ArchiveKey | None:
        """The archive key of ``period`` holding ``day`` (None when no such period)."""
        if period not in self.periods:
            return None
        text = day.isoformat() if period is Period.DAILY else day.strftime("%Y-%m")
        return ArchiveKey(self.market, period, self.dataset, self.symbol, self.interval, text)

    def due(self, day: date) -> date:
        """The day by which the file holding ``day`` should be published."""
        return latest_publication(self.market, self.dating_period, day)


@dataclass(frozen=True)
class ArchiveFacts:
    """What the listing says near the missing days; ``first_day`` None: no file at all."""

    daily: frozenset[date]
    monthly: frozenset[str]
    first_day: date | None
    file_after: bool
    """True when a file exists for a day after the analysed range."""

    def published_key(self, target: GapTarget, day: date) -> ArchiveKey | None:
        """The listed file holding ``day`` (daily first), if any."""
        if day in self.daily:
            return target.key(Period.DAILY, day)
        if day.strftime("%Y-%m") in self.monthly:
            return target.key(Period.MONTHLY, day)
        return None


@dataclass(frozen=True)
class DayContext:
    """Everything the rules look at, besides the day."""

    target: GapTarget
    now: date
    facts: ArchiveFacts | None
    records: Mapping[ArchiveKey, PartitionRecord]
    later_days: frozenset[date]
    """Days known to have a file or rows: the lake's data days and the listed days."""

    def has_later(self, day: date) -> bool:
        """True when some file or row exists for a day after ``day``."""
        if self.facts is not None and self.facts.file_after:
            return True
        return any(known > day for known in self.later_days)

    def last_known(self) -> date | None:
        """The last day known to have a file or rows."""
        return max(self.later_days) if self.later_days else None


@dataclass(frozen=True)
class DayGap:
    """The verdict for one missing day."""

    day: date
    kind: GapKind
    detail: str
    key: ArchiveKey | None = None


def classify_day(day: date, ctx: DayContext, empty_in: ArchiveKey | None = None) -> DayGap:
    """Why ``day`` has no rows; ``empty_in`` is the lake's file covering it, if any."""
    spec, target = get_dataset(ctx.target.dataset), ctx.target
    stop = spec.discontinued_after(target.market)
    if stop is not None and day > stop:
        return DayGap(day, GapKind.DISCONTINUED, f"{target.dataset} stopped after {stop}")
    begin = spec.first_dates.get(target.market)
    if begin is not None and day < begin:
        return DayGap(day, GapKind.BEFORE_LISTING, f"before {target.dataset} begins ({begin})")
    if ctx.facts is None:
        return _offline(day, ctx, empty_in)
    return _online(day, ctx, ctx.facts, empty_in)


def _online(day: date, ctx: DayContext, facts: ArchiveFacts, empty_in: ArchiveKey | None) -> DayGap:
    target = ctx.target
    if facts.first_day is None or day < facts.first_day:
        if facts.first_day is None and target.due(day) > ctx.now:
            return DayGap(day, GapKind.NOT_YET_PUBLISHED, "not published yet")
        first = facts.first_day or "none"
        return DayGap(day, GapKind.BEFORE_LISTING, f"before the symbol's first file ({first})")
    if not ctx.has_later(day):
        if target.due(day) > ctx.now:
            return DayGap(day, GapKind.NOT_YET_PUBLISHED, "not published yet")
        last = ctx.last_known() or "none"
        return DayGap(day, GapKind.AFTER_DELISTING, f"after the symbol's last file ({last})")
    if empty_in is not None:
        return DayGap(day, GapKind.INSIDE_FILE, "no rows for this day in the file", empty_in)
    published = facts.published_key(target, day)
    if published is not None:
        gap = _from_record(day, ctx.records.get(published), published)
        if published.period is Period.MONTHLY and Period.DAILY in target.periods:
            gap = replace(
                gap, detail=f"{gap.detail} (only the monthly file has it: the daily is a 404)"
            )
        return gap
    daily = target.key(Period.DAILY, day)
    record = ctx.records.get(daily) if daily is not None else None
    if record is not None and record.status is PartitionStatus.UNAVAILABLE:
        return DayGap(day, GapKind.UNAVAILABLE, "404 when downloaded", daily)
    if target.due(day) > ctx.now:
        return DayGap(day, GapKind.NOT_YET_PUBLISHED, "not published yet")
    missing = daily or target.key(Period.MONTHLY, day)
    return DayGap(day, GapKind.UNAVAILABLE, "no file in the archive listing (404)", missing)


def _from_record(day: date, record: PartitionRecord | None, key: ArchiveKey) -> DayGap:
    if record is not None and record.status is PartitionStatus.UNAVAILABLE:
        return DayGap(day, GapKind.UNAVAILABLE, "listed, but 404 when downloaded", key)
    if record is not None and record.status is PartitionStatus.FAILED:
        return DayGap(day, GapKind.NOT_INGESTED, "ingest failed: run ingest again", key)
    return DayGap(day, GapKind.NOT_INGESTED, "in the archive, not ingested", key)


def _offline(day: date, ctx: DayContext, empty_in: ArchiveKey | None) -> DayGap:
    target = ctx.target
    for period in target.periods:
        key = target.key(period, day)
        record = ctx.records.get(key) if key is not None else None
        if record is not None and record.status is not PartitionStatus.DONE:
            return _from_record(day, record, record.key)
    if target.due(day) > ctx.now:
        return DayGap(day, GapKind.NOT_YET_PUBLISHED, "not published yet")
    if empty_in is not None:
        return DayGap(day, GapKind.INSIDE_FILE, "no rows for this day in the file", empty_in)
    return DayGap(day, GapKind.UNKNOWN, "not in the lake; the archive listing was unreachable")


def day_start(day: date) -> datetime:
    """Midnight UTC of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def day_gap_span(gap: DayGap, rows_per_day: int | None) -> Gap:
    """The whole-day span of a missing day."""
    keys = (gap.key.zip_key,) if gap.key is not None else ()
    start = day_start(gap.day)
    return Gap(start, start + timedelta(days=1), gap.kind, gap.detail, keys, rows_per_day)


def merge(spans: Iterable[Gap], start: datetime, end: datetime) -> tuple[Gap, ...]:
    """Spans clipped to ``[start, end)``, sorted, adjacent ones of one kind and detail joined."""
    merged: list[Gap] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        clipped = replace(span, start=max(span.start, start), end=min(span.end, end))
        if clipped.start >= clipped.end:
            continue
        last = merged[-1] if merged else None
        if last is not None and (last.end, last.kind, last.detail) == (
            clipped.start, clipped.kind, clipped.detail,
        ):  # fmt: skip
            merged[-1] = replace(
                last,
                end=clipped.end,
                keys=tuple(dict.fromkeys(last.keys + clipped.keys)),
                missing_rows=_sum(last.missing_rows, clipped.missing_rows),
            )
        else:
            merged.append(clipped)
    return tuple(merged)


def _sum(first: int | None, second: int | None) -> int | None:
    if first is None or second is None:
        return None
    return first + second
