"""What a partition's rows say: cadence, duplicates, order and trade-id continuity.

Each done partition's Parquet files (named by the manifest) are read for a few columns only.
Datasets with a fixed cadence have an expected grid of times per UTC day (klines: their
interval, ``3d``/``1w``/``1mo`` bars on their aligned open days; metrics: every 5 minutes);
the grid gives expected and missing rows, and the runs of missing times inside a file.
Every dataset gets duplicates (rows whose identity repeats an earlier row), out-of-order rows
(an order key below the previous row's) and, for trades and aggTrades, id continuity: each
jump of the id inside a file (and, for aggTrades, each run of trade ids between one row's last
trade id and the next row's first) is kept with the times of the rows around it, so that the
ids it skips are a span of the gap report even though trades have no cadence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from marketlake.catalog import Interval, Market, get_dataset
from marketlake.errors import LakeError
from marketlake.manifest.models import PartitionRecord

if TYPE_CHECKING:
    import numpy.typing as npt
    import polars as pl

    Times = npt.NDArray[np.int64]

DAY_US = 86_400_000_000
EPOCH_DAY = date(1970, 1, 1)
METRICS_STEP_US = 300_000_000
_IDENTITY = {
    "trades": ("id",),
    "aggTrades": ("agg_trade_id",),
    "bookTicker": ("update_id",),
    "bookDepth": ("timestamp", "percentage"),
    "metrics": ("create_time",),
    "fundingRate": ("calc_time",),
    "BVOLIndex": ("calc_time",),
    "EOHSummary": ("date", "hour", "option_symbol"),
}
"""Columns that tell two rows apart (klines: open_time; liquidationSnapshot: the whole row)."""
_IDS = {"trades": "id", "aggTrades": "agg_trade_id"}
_TRADE_RANGES = {"aggTrades": ("first_trade_id", "last_trade_id")}
"""The trade ids each aggregate trade covers: consecutive rows cover consecutive ranges."""


@dataclass(frozen=True)
class Cadence:
    """The expected times of a dataset: a fixed step, or one bar per aligned open day."""

    column: str
    step_us: int | None = None
    calendar: Interval | None = None

    def day_times(self, day: date) -> Times:
        """The expected times (microseconds since the epoch) of ``day``."""
        start = (day - EPOCH_DAY).days * DAY_US
        if self.step_us is not None:
            return np.arange(start, start + DAY_US, self.step_us, dtype=np.int64)
        assert self.calendar is not None
        aligned = _aligned_open_day(self.calendar, day)
        return np.array([start] if aligned else [], dtype=np.int64)

    def open_day(self, day: date) -> date:
        """The open day of the bar holding ``day`` (``day`` itself for steps of a day or less)."""
        if self.calendar is None:
            return day
        if self.calendar.is_calendar:
            return day.replace(day=1)
        width = self.calendar.seconds // 86_400
        offset = 4 if width == 7 else 0
        return day - timedelta(days=((day - EPOCH_DAY).days - offset) % width)

    def end_of(self, time_us: int) -> int:
        """The exclusive end of the bar (or step) starting at ``time_us``."""
        if self.step_us is not None:
            return time_us + self.step_us
        assert self.calendar is not None
        opened = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=time_us)
        return _micros(self.calendar.bar_end(opened))


def cadence_of(dataset: str, interval: str | None) -> Cadence | None:
    """The expected grid of ``dataset`` (and interval), or None when rows come at will."""
    spec = get_dataset(dataset)
    if spec.has_interval and interval is not None:
        parsed = Interval.parse(interval)
        if parsed.is_calendar or parsed.seconds > 86_400:
            return Cadence(spec.time_column, calendar=parsed)
        return Cadence(spec.time_column, step_us=parsed.microseconds)
    if dataset == "metrics":
        return Cadence(spec.time_column, step_us=METRICS_STEP_US)
    return None


@dataclass(frozen=True)
class IdJump:
    """Ids skipped inside a file: ``missing`` ids from ``first_missing`` on, between the row at
    ``before_us`` (the last before them) and the row at ``after_us`` (the first after).
    ``what`` names the ids: the rows' own, or (aggTrades) the trade ids they cover."""

    before_us: int
    after_us: int
    first_missing: int
    missing: int
    what: str = "ids"


@dataclass(frozen=True)
class PartitionRows:
    """The rows of one done partition, reduced to what the checks need."""

    record: PartitionRecord
    times: Times
    duplicates: int
    out_of_order: int
    first_id: int | None = None
    last_id: int | None = None
    id_gaps: int | None = None
    missing_ids: int | None = None
    missing_trade_ids: int | None = None
    id_jumps: tuple[IdJump, ...] = ()


@dataclass(frozen=True)
class PartitionQuality:
    """The quality summary of one partition (status not done: counts are None)."""

    key: str
    period: str
    date: str
    status: str
    rows: int | None = None
    rows_in_file: int | None = None
    dropped_duplicates: int | None = None
    expected_rows: int | None = None
    missing_rows: int | None = None
    duplicates: int | None = None
    out_of_order: int | None = None
    first_time: datetime | None = None
    last_time: datetime | None = None
    first_id: int | None = None
    last_id: int | None = None
    id_gaps: int | None = None
    missing_ids: int | None = None
    missing_trade_ids: int | None = None
    ids_missing_before: int | None = None


def read_partition(lake: Path, record: PartitionRecord) -> PartitionRows:
    """Read and check the rows of one done partition."""
    import polars as pl

    market, dataset = record.key.market, record.key.dataset
    spec = get_dataset(dataset)
    columns = _columns(market, dataset)
    paths = [lake / file for file in record.files]
    try:
        frame = pl.read_parquet(paths, columns=columns, hive_partitioning=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        message = f"cannot read the lake files of {record.key}: {exc}"
        raise LakeError(message, key=str(record.key)) from exc
    times = frame.get_column(spec.time_column)
    if times.dtype == pl.Date:
        times = times.cast(pl.Datetime("us", "UTC"))
    identity = list(_IDENTITY.get(dataset, ("open_time",) if spec.has_interval else columns))
    order = frame.get_column(spec.sort_column or spec.time_column)
    times_us = times.dt.epoch("us").to_numpy().astype(np.int64)
    ids = _ids(frame, _IDS.get(dataset))
    jumps = _id_jumps(ids, times_us) if ids is not None else ()
    trade_jumps = _trade_id_jumps(frame, _TRADE_RANGES.get(dataset), times_us)
    return PartitionRows(
        record=record,
        times=times_us,
        duplicates=frame.height - frame.select(identity).n_unique() if frame.height else 0,
        out_of_order=_descents(order),
        first_id=int(ids[0]) if ids is not None else None,
        last_id=int(ids[-1]) if ids is not None else None,
        id_gaps=len(jumps) if ids is not None else None,
        missing_ids=sum(j.missing for j in jumps) if ids is not None else None,
        missing_trade_ids=None if trade_jumps is None else sum(j.missing for j in trade_jumps),
        id_jumps=tuple(sorted((*jumps, *(trade_jumps or ())), key=lambda j: j.before_us)),
    )


def day_counts(rows: PartitionRows, cadence: Cadence | None = None) -> dict[date, int]:
    """Rows per UTC day of a partition (days inside the partition's file only).

    Bars longer than a day (``3d``, ``1w``, ``1mo``) count on every day they cover, and may
    cover days after the file's month (a week opening on the 30th).
    """
    if cadence is not None and cadence.calendar is not None:
        return _covered_days(cadence, rows.times)
    key = rows.record.key
    first, last = key.first_day, key.last_day
    days, counts = np.unique(rows.times // DAY_US, return_counts=True)
    found = {EPOCH_DAY + timedelta(days=int(d)): int(c) for d, c in zip(days, counts, strict=True)}
    return {day: count for day, count in found.items() if first <= day <= last}


def open_days(rows: PartitionRows) -> list[date]:
    """The days on which the partition's rows open, inside the partition's file."""
    key = rows.record.key
    days = {EPOCH_DAY + timedelta(days=int(d)) for d in np.unique(rows.times // DAY_US)}
    return sorted(d for d in days if key.first_day <= d <= key.last_day)


def _covered_days(cadence: Cadence, times: Times) -> dict[date, int]:
    covered: dict[date, int] = {}
    for time in times.tolist():
        first, end = time // DAY_US, -(-cadence.end_of(time) // DAY_US)
        for offset in range(first, end):
            day = EPOCH_DAY + timedelta(days=offset)
            covered[day] = covered.get(day, 0) + 1
    return covered


def missing_times(cadence: Cadence, days: Iterable[date], times: Times) -> Times:
    """The expected times of ``days`` that ``times`` lacks, in order."""
    grids = [cadence.day_times(day) for day in sorted(days)]
    expected = np.concatenate(grids) if grids else np.zeros(0, dtype=np.int64)
    return expected[~np.isin(expected, times)]


def runs(cadence: Cadence, missing: Times) -> list[tuple[int, int, int]]:
    """Consecutive missing times as ``(start_us, end_us exclusive, count)``."""
    found: list[tuple[int, int, int]] = []
    for time in missing.tolist():
        if found and cadence.step_us is not None and found[-1][1] == time:
            start, _, count = found[-1]
            found[-1] = (start, time + cadence.step_us, count + 1)
        else:
            found.append((time, cadence.end_of(time), 1))
    return found


def quality_of(
    rows: PartitionRows | None, record: PartitionRecord, expected: int | None, missing: int | None
) -> PartitionQuality:
    """The summary of one partition from its rows (None: not done) and its grid counts."""
    key = record.key
    base = PartitionQuality(key.zip_key, key.period.value, key.date, record.status.value)
    if rows is None:
        return base
    dropped = None if record.rows_in_file is None else record.rows_in_file - len(rows.times)
    return PartitionQuality(
        key=base.key, period=base.period, date=base.date, status=base.status,
        rows=len(rows.times), rows_in_file=record.rows_in_file, dropped_duplicates=dropped,
        expected_rows=expected, missing_rows=missing, duplicates=rows.duplicates,
        out_of_order=rows.out_of_order, first_time=record.min_time, last_time=record.max_time,
        first_id=rows.first_id, last_id=rows.last_id, id_gaps=rows.id_gaps,
        missing_ids=rows.missing_ids, missing_trade_ids=rows.missing_trade_ids,
    )  # fmt: skip


def link_ids(summaries: Sequence[PartitionQuality]) -> list[PartitionQuality]:
    """Fill ``ids_missing_before``: ids skipped between one partition and the one before it."""
    from dataclasses import replace

    linked: list[PartitionQuality] = []
    previous: int | None = None
    for summary in summaries:
        before = None
        if summary.first_id is not None and previous is not None:
            before = max(0, summary.first_id - previous - 1)
        linked.append(replace(summary, ids_missing_before=before))
        if summary.last_id is not None:
            previous = summary.last_id
    return linked


def _columns(market: Market, dataset: str) -> list[str]:
    spec = get_dataset(dataset)
    names = [c.name for c in spec.columns_for(market)]
    if dataset not in _IDENTITY and not spec.has_interval:
        return names
    wanted = {spec.time_column, spec.sort_column or spec.time_column, "open_time"}
    wanted.update(_IDENTITY.get(dataset, ()))
    wanted.update(_TRADE_RANGES.get(dataset, ()))
    return [name for name in names if name in wanted]


def _descents(order: pl.Series) -> int:
    """Rows whose order key is below the previous row's."""
    if order.len() < 2:
        return 0
    return int((order.slice(1) < order.slice(0, order.len() - 1)).sum())


def _ids(frame: pl.DataFrame, column: str | None) -> npt.NDArray[np.int64] | None:
    """The id column in file order (None: the dataset has no ids, or the file no rows)."""
    if column is None or frame.height == 0:
        return None
    ids: npt.NDArray[np.int64] = frame.get_column(column).to_numpy().astype(np.int64)
    return ids


def _id_jumps(ids: npt.NDArray[np.int64], times_us: Times) -> tuple[IdJump, ...]:
    """Every step of more than one between consecutive ids, with the times around it."""
    return _skipped(ids, ids, times_us, "ids")


def _trade_id_jumps(
    frame: pl.DataFrame, columns: tuple[str, str] | None, times_us: Times
) -> tuple[IdJump, ...] | None:
    """Trade ids skipped between consecutive aggregate trades (None: no trade ranges, or no
    rows)."""
    firsts, lasts = (_ids(frame, name) for name in columns or (None, None))
    if firsts is None or lasts is None:
        return None
    return _skipped(lasts, firsts, times_us, "trade ids")


def _skipped(
    ends: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], times_us: Times, what: str
) -> tuple[IdJump, ...]:
    """The ids between each row's end and the next row's start, where there are any."""
    steps = starts[1:] - ends[:-1]
    return tuple(
        IdJump(
            before_us=int(times_us[at]),
            after_us=int(times_us[at + 1]),
            first_missing=int(ends[at]) + 1,
            missing=int(steps[at]) - 1,
            what=what,
        )
        for at in np.flatnonzero(steps > 1).tolist()
    )


def _aligned_open_day(interval: Interval, day: date) -> bool:
    if interval.is_calendar:
        return day.day == 1 and (day.year * 12 + day.month - 1) % interval.months == 0
    width = interval.seconds // 86_400
    offset = 4 if width == 7 else 0  # weeks open on Mondays; 1970-01-01 was a Thursday
    return ((day - EPOCH_DAY).days - offset) % width == 0


def _micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
