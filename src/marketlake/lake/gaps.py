"""``lake.gaps(...)``: the spans a symbol's dataset misses in the lake, each with its reason.

    report = find_gaps(settings, store, gap_target("spot", "klines", "BTCUSDT", "1m"),
                       start=date(2023, 3, 20), end=date(2023, 3, 31))
    report.gaps        # (Gap(start, end, kind=GapKind.INSIDE_FILE, ...), ...)
    report.quality     # one PartitionQuality per partition
    report.gaps_frame(), report.quality_frame()   # the same as Polars DataFrames

Sources of truth: the manifest (what is done, failed, or answered 404), the rows of the done
partitions (read from the files the manifest names), the catalog (first and last dates,
publication rules) and, for the days the lake misses only, the archive listing. The rules
are in :mod:`marketlake.lake.gap_rules`; row checks in :mod:`marketlake.lake.quality`.
Whole partitions are analysed (a month for a monthly file), spans are clipped to the range.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from marketlake.catalog import ArchiveKey, Market, Period, get_dataset
from marketlake.catalog.intervals import DAILY_KLINE_INTERVALS, MONTHLY_ONLY_INTERVALS
from marketlake.errors import CatalogError, ConfigError, LakeError, ReadRequestError, SourceError
from marketlake.lake._archive import Archive, open_archive, run_blocking
from marketlake.lake.archive_span import Folder
from marketlake.lake.gap_archive import load_facts
from marketlake.lake.gap_rules import (
    ArchiveFacts,
    DayContext,
    DayGap,
    Gap,
    GapKind,
    GapTarget,
    classify_day,
    day_gap_span,
    day_start,
    merge,
)
from marketlake.lake.quality import (
    Cadence,
    IdJump,
    PartitionQuality,
    PartitionRows,
    cadence_of,
    day_counts,
    link_ids,
    missing_times,
    open_days,
    quality_of,
    read_partition,
    runs,
)
from marketlake.lake.request import parse_market, parse_symbols
from marketlake.manifest.abc import ManifestStore
from marketlake.manifest.models import PartitionRecord, PartitionStatus
from marketlake.settings import Settings
from marketlake.source.probe import first_zip_after

if TYPE_CHECKING:
    import polars as pl

logger = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class GapReport:
    """The gaps of one symbol's dataset over ``[start, end]`` and its partitions' quality."""

    target: GapTarget
    start: date
    end: date
    now: date
    archive_reachable: bool | None
    """None when the archive was not needed (nothing missing, or asked offline)."""
    gaps: tuple[Gap, ...]
    quality: tuple[PartitionQuality, ...]

    def gaps_frame(self) -> pl.DataFrame:
        """One row per gap: start, end, kind, detail, keys, missing_rows."""
        from marketlake.lake.gap_frames import gaps_frame

        return gaps_frame(self)

    def quality_frame(self) -> pl.DataFrame:
        """One row per partition: counts, duplicates, order, id continuity."""
        from marketlake.lake.gap_frames import quality_frame

        return quality_frame(self)


def gap_target(market: str | Market, dataset: str, symbol: str, interval: str | None) -> GapTarget:
    """A validated target (:class:`ReadRequestError` otherwise); kline datasets default to
    ``1m`` and take an archive interval, other datasets take none."""
    parsed = parse_market(market)
    try:
        get_dataset(dataset).columns_for(parsed)
    except CatalogError as exc:
        raise ReadRequestError(exc.message) from exc
    if get_dataset(dataset).has_interval:
        interval = interval or "1m"
        known = set(DAILY_KLINE_INTERVALS) | set(MONTHLY_ONLY_INTERVALS)
        if interval not in known:
            names = ", ".join(sorted(known))
            raise ReadRequestError(f"the archive has no {interval!r} klines; it has {names}")
    elif interval is not None:
        raise ReadRequestError(f"dataset {dataset} has no intervals; drop the interval")
    parsed_symbols = parse_symbols(symbol)
    if parsed_symbols is None or len(parsed_symbols) != 1:
        raise ReadRequestError(f"give one symbol, not {symbol!r}")
    return GapTarget(parsed, dataset, parsed_symbols[0], interval)


def find_gaps(
    settings: Settings,
    store: ManifestStore,
    target: GapTarget,
    *,
    start: date | None = None,
    end: date | None = None,
    now: date | None = None,
    online: bool = True,
) -> GapReport:
    """Classified gaps and partition quality of ``target`` over ``[start, end]`` (days, UTC).

    ``end`` defaults to the day before ``now`` (default: today UTC); ``start`` to the first day
    the manifest knows for the symbol, else its first archive file. ``online=False`` never asks
    the archive (missing days the manifest cannot explain are ``unknown``).
    """
    today = now or datetime.now(UTC).date()
    records = store.records(
        settings.archive_id, target.market, target.dataset,
        interval=target.interval, symbols=[target.symbol],
    )  # fmt: skip
    first = start or _first_known(settings, records, target, online=online)
    last = end or today - timedelta(days=1)
    if first > last:
        raise ConfigError(f"start {first} is after end {last}")
    analysis = _Analysis(settings, target=target, records=records, start=first, end=last, now=today)
    return analysis.run(online=online)


def _first_known(
    settings: Settings,
    records: Mapping[ArchiveKey, PartitionRecord],
    target: GapTarget,
    *,
    online: bool,
) -> date:
    if records:
        return min(key.first_day for key in records)
    if online:
        folder = Folder(
            target.market, target.dataset, target.symbol, target.interval, target.dating_period
        )

        async def probe() -> ArchiveKey | None:
            async with open_archive(settings) as archive:
                return await first_zip_after(archive.client, folder.prefix)

        try:
            found = run_blocking(probe)
        except SourceError as exc:
            message = f"no start given, and the archive is unreachable: {exc.message}"
            raise LakeError(message) from exc
        if found is not None:
            return found.first_day
    raise LakeError(
        f"nothing known of {target.symbol} {target.dataset}: no manifest record and no archive "
        "file; check the symbol, or give a start date"
    )


class _Analysis:
    """One gap analysis: the lake's coverage, its rows, the missing days and their reasons."""

    def __init__(
        self,
        settings: Settings,
        *,
        target: GapTarget,
        records: Mapping[ArchiveKey, PartitionRecord],
        start: date,
        end: date,
        now: date,
    ) -> None:
        self.settings, self.target, self.records = settings, target, records
        self.start, self.end, self.now = start, end, now
        self.cadence: Cadence | None = cadence_of(target.dataset, target.interval)
        lookback = timedelta(days=31 if self.cadence and self.cadence.calendar else 0)
        self.covering = _covering(records, start - lookback, end)
        days = [d for r in set(self.covering.values()) for d in _days(r.key)]
        self.first_day = min([start, *days])
        self.last_day = max([end, *days])
        self.rows = {r.key: read_partition(settings.lake, r) for r in set(self.covering.values())}
        self.counts = {
            day: n
            for rows in self.rows.values()
            for day, n in day_counts(rows, self.cadence).items()
        }

    def run(self, *, online: bool) -> GapReport:
        all_days = _span(self.first_day, self.last_day)
        missing = [d for d in all_days if self.counts.get(d, 0) == 0]
        facts, reachable = self._facts(sorted({self._anchor(d) for d in missing}), online=online)
        ctx = DayContext(self.target, self.now, facts, self.records, self._later_days(facts))
        day_gaps = {d: self._classify(d, ctx) for d in missing}
        spans = [day_gap_span(g, self._rows_per_day(g.day)) for g in day_gaps.values()]
        spans.extend(self._inside_runs(ctx))
        window = (day_start(self.start), day_start(self.end) + timedelta(days=1))
        expected_days = {d for d in all_days if d in self.counts or day_gaps[d].kind.expected}
        return GapReport(
            target=self.target, start=self.start, end=self.end, now=self.now,
            archive_reachable=reachable, gaps=merge(spans, *window),
            quality=self._quality(expected_days),
        )  # fmt: skip

    def _facts(
        self, missing: list[date], *, online: bool
    ) -> tuple[ArchiveFacts | None, bool | None]:
        if not missing or not online:
            return None, None

        async def ask() -> ArchiveFacts:
            async with open_archive(self.settings) as archive:
                return await self._load(archive, missing)

        try:
            return run_blocking(ask), True
        except SourceError as exc:
            logger.warning("archive unreachable (%s): gaps from the lake alone", exc.message)
            return None, False

    async def _load(self, archive: Archive, missing: list[date]) -> ArchiveFacts:
        return await load_facts(archive, self.target, missing, set(self.counts), self.last_day)

    def _later_days(self, facts: ArchiveFacts | None) -> frozenset[date]:
        known = set(self.counts)
        if facts is not None:
            known |= facts.daily
            if self.target.dating_period is Period.MONTHLY:
                known |= {date.fromisoformat(m + "-01") for m in facts.monthly}
        return frozenset(known)

    def _anchor(self, day: date) -> date:
        """The day whose file holds ``day``'s bar: the bar's open day (a week's Monday)."""
        return self.cadence.open_day(day) if self.cadence is not None else day

    def _classify(self, day: date, ctx: DayContext) -> DayGap:
        anchor = self._anchor(day)
        verdict = classify_day(anchor, ctx, self._empty_in(anchor))
        return verdict if anchor == day else replace(verdict, day=day)

    def _empty_in(self, day: date) -> ArchiveKey | None:
        record = self.covering.get(day)
        return record.key if record is not None else None

    def _rows_per_day(self, day: date) -> int | None:
        return len(self.cadence.day_times(day)) if self.cadence is not None else None

    def _inside_runs(self, ctx: DayContext) -> list[Gap]:
        if self.cadence is None:
            inside = [_id_gap(k, jump) for k, rows in self.rows.items() for jump in rows.id_jumps]
            return inside + _id_breaks(self.rows.values())
        spans: list[Gap] = []
        for key, rows in self.rows.items():
            days = [d for d in open_days(rows) if self.first_day <= d <= self.last_day]
            missing = missing_times(self.cadence, days, rows.times)
            spans.extend(self._run_gap(ctx, key, run) for run in runs(self.cadence, missing))
        return spans

    def _run_gap(self, ctx: DayContext, key: ArchiveKey, run: tuple[int, int, int]) -> Gap:
        start, end = (_EPOCH + timedelta(microseconds=t) for t in run[:2])
        kind, detail = GapKind.INSIDE_FILE, "bars missing inside the file (outage or defect)"
        day = start.date()
        facts = ctx.facts
        if facts is not None and start == day_start(day) and day == facts.first_day:
            kind, detail = GapKind.BEFORE_LISTING, "before the symbol's first bar"
        elif end == day_start(day) + timedelta(days=1) and not ctx.has_later(day):
            kind, detail = GapKind.AFTER_DELISTING, "after the symbol's last bar"
        return Gap(start, end, kind, detail, (key.zip_key,), run[2])

    def _quality(self, expected_days: set[date]) -> tuple[PartitionQuality, ...]:
        summaries = []
        for record in sorted(self._reported(), key=lambda r: (r.key.first_day, r.key.period)):
            rows = self.rows.get(record.key)
            expected, missing = self._grid_counts(record, rows, expected_days)
            summaries.append(quality_of(rows, record, expected, missing))
        return tuple(link_ids(summaries))

    def _reported(self) -> list[PartitionRecord]:
        return [
            r
            for r in self.records.values()
            if r.superseded_by is None
            and r.key.last_day >= self.first_day
            and r.key.first_day <= self.last_day
        ]

    def _grid_counts(
        self, record: PartitionRecord, rows: PartitionRows | None, expected_days: set[date]
    ) -> tuple[int | None, int | None]:
        if self.cadence is None or rows is None:
            return None, None
        days = [d for d in _days(record.key) if d in expected_days]
        expected = sum(len(self.cadence.day_times(d)) for d in days)
        return expected, len(missing_times(self.cadence, days, rows.times))


def _id_gap(key: ArchiveKey, jump: IdJump) -> Gap:
    """The span of ids skipped inside a file: from the row before them to the row after."""
    start, end = _between(jump.before_us, jump.after_us)
    last = jump.first_missing + jump.missing - 1
    detail = f"{jump.what} {jump.first_missing}-{last} missing inside the file (outage or defect)"
    return Gap(start, end, GapKind.INSIDE_FILE, detail, (key.zip_key,), jump.missing)


def _id_breaks(partitions: Iterable[PartitionRows]) -> list[Gap]:
    """Ids skipped between files of consecutive days: from the last row of one file to the first
    row of the next (the first file was cut short, or the exchange lost trades at midnight)."""
    ordered = sorted(partitions, key=lambda rows: rows.record.key.first_day)
    spans: list[Gap] = []
    for before, after in itertools.pairwise(ordered):
        if before.last_id is None or after.first_id is None:
            continue
        first, last = before.last_id + 1, after.first_id - 1
        adjacent = after.record.key.first_day == before.record.key.last_day + timedelta(days=1)
        if last >= first and adjacent:
            start, end = _between(int(before.times[-1]), int(after.times[0]))
            detail = f"ids {first}-{last} missing between two files (outage or defect)"
            keys = (before.record.key.zip_key, after.record.key.zip_key)
            spans.append(Gap(start, end, GapKind.INSIDE_FILE, detail, keys, last - first + 1))
    return spans


def _between(before_us: int, after_us: int) -> tuple[datetime, datetime]:
    """The span from the row before missing ids to the row after them (at least 1 us long:
    both rows may share a time)."""
    return (
        _EPOCH + timedelta(microseconds=before_us),
        _EPOCH + timedelta(microseconds=max(after_us, before_us + 1)),
    )


def _covering(
    records: Mapping[ArchiveKey, PartitionRecord], start: date, end: date
) -> dict[date, PartitionRecord]:
    """Per day of ``[start, end]``, the done partition whose files hold it (monthly first)."""
    covering: dict[date, PartitionRecord] = {}
    done = [r for r in records.values() if r.status is PartitionStatus.DONE]
    for record in sorted(done, key=lambda r: r.key.period is Period.MONTHLY):
        if record.superseded_by is not None or not record.files:
            continue
        for day in _days(record.key):
            if start <= day <= end:
                covering[day] = record
    return covering


def _days(key: ArchiveKey) -> list[date]:
    return _span(key.first_day, key.last_day)


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
