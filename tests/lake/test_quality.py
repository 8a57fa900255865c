"""The quality summary per partition: rows vs expected, duplicates, order, trade-id continuity,
checked against the CSV the stand-in served (read independently of marketlake)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketlake import Lake
from marketlake.catalog import ArchiveKey
from marketlake.lake.gaps import GapReport
from marketlake.lake.quality import PartitionQuality
from marketlake.manifest import open_manifest
from marketlake.manifest.models import PartitionRecord, PartitionStatus
from marketlake.mirror import run_mirror
from marketlake.mirror.generate import GeneratedArchive
from marketlake.settings import ARCHIVE_ID, Settings
from tests.lake.gap_support import Job, build_lake
from tests.support.truth import csv_rows

NOW = date(2026, 11, 21)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
AGG = "data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2022-09-{}.zip"
TRADES = "data/futures/um/daily/trades/ETHUSDT/ETHUSDT-trades-2023-06-{}.zip"
ETH_AGG = "data/futures/um/daily/aggTrades/ETHUSDT/ETHUSDT-aggTrades-2023-06-14.zip"
LIQUIDATIONS = (
    "data/futures/um/daily/liquidationSnapshot/BTCUSDT/BTCUSDT-liquidationSnapshot-2023-07-01.zip"
)
JOBS = (
    Job("um", "aggTrades", None, "BTCUSDT", date(2022, 9, 4), date(2022, 9, 5)),
    Job("um", "trades", None, "ETHUSDT", date(2023, 6, 13), date(2023, 6, 14)),
    Job("um", "liquidationSnapshot", None, "BTCUSDT", date(2023, 7, 1), date(2023, 7, 1)),
    Job("um", "metrics", None, "BTCUSDT", date(2022, 1, 10), date(2022, 1, 10)),
    Job("spot", "klines", "1m", "BTCUSDT", date(2023, 3, 24), date(2023, 3, 24)),
    Job("um", "aggTrades", None, "ETHUSDT", date(2023, 6, 14), date(2023, 6, 14)),
)


@pytest.fixture(scope="module")
def archive() -> GeneratedArchive:
    return GeneratedArchive(now=NOW, big=False)


@pytest.fixture(scope="module")
def lake(archive: GeneratedArchive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    root = tmp_path_factory.mktemp("quality")
    with run_mirror(archive) as mirror:
        assert all(r.failed == 0 for r in build_lake(mirror.base_url, root, JOBS))
        with Lake.from_settings(Settings(lake=root, source=mirror.base_url)) as opened:
            yield opened


def _report(lake: Lake, job: Job) -> GapReport:
    return lake.gap_report(
        job.market, job.dataset, job.symbols, job.interval, start=job.start, end=job.end, now=NOW
    )


def _quality(lake: Lake, job: Job) -> dict[str, PartitionQuality]:
    return {q.date: q for q in _report(lake, job).quality}


def _rows(archive: GeneratedArchive, key: str) -> list[list[str]]:
    data = archive.read(key)
    assert data is not None
    return csv_rows(data)


def _around(rows: list[list[str]], at: int, time_index: int) -> tuple[datetime, datetime]:
    """The expected span of ids missing before row ``at``: from the row before (at least 1 us)."""
    before, after = (EPOCH + timedelta(milliseconds=int(rows[i][time_index])) for i in (at - 1, at))
    return before, max(after, before + timedelta(microseconds=1))


def _column(archive: GeneratedArchive, key: str, index: int) -> list[int]:
    return [int(row[index]) for row in _rows(archive, key)]


def test_duplicated_agg_trades_are_counted_and_kept(lake: Lake, archive: GeneratedArchive) -> None:
    quality = _quality(lake, JOBS[0])
    for day in ("04", "05"):
        ids = _column(archive, AGG.format(day), 0)
        repeated = sum(n - 1 for n in Counter(ids).values())
        summary = quality[f"2022-09-{day}"]
        assert (summary.rows, summary.duplicates, summary.dropped_duplicates) == (
            len(ids),
            repeated,
            0,
        )
        assert (summary.first_id, summary.last_id) == (ids[0], ids[-1])
        assert summary.missing_trade_ids == 0  # a repeated row skips no trade id
    assert quality["2022-09-04"].duplicates == 0
    assert quality["2022-09-05"].duplicates is not None and quality["2022-09-05"].duplicates > 0


def test_a_trade_id_jump_is_one_gap_and_the_days_link_up(
    lake: Lake, archive: GeneratedArchive
) -> None:
    quality = _quality(lake, JOBS[1])
    before, jumped = _column(archive, TRADES.format(13), 0), _column(archive, TRADES.format(14), 0)
    steps = [b - a for a, b in itertools.pairwise(jumped)]
    assert [s for s in steps if s != 1] == [1_001]  # the planted jump: 1000 ids skipped
    day = quality["2023-06-14"]
    assert (day.id_gaps, day.missing_ids) == (1, 1_000)
    assert (day.first_id, day.last_id) == (jumped[0], jumped[-1])
    assert day.ids_missing_before == jumped[0] - before[-1] - 1 == 0
    assert (quality["2023-06-13"].id_gaps, quality["2023-06-13"].missing_ids) == (0, 0)
    assert quality["2023-06-13"].ids_missing_before is None  # nothing before it in the range


def test_a_trade_id_jump_is_a_gap_inside_the_file_between_the_trades_around_it(
    lake: Lake, archive: GeneratedArchive
) -> None:
    key = TRADES.format(14)
    rows = _rows(archive, key)  # um trades: id, price, qty, quote_qty, time (ms), is_buyer_maker
    at = next(i for i in range(1, len(rows)) if int(rows[i][0]) - int(rows[i - 1][0]) > 1)
    first, last = int(rows[at - 1][0]) + 1, int(rows[at][0]) - 1
    (gap,) = _report(lake, JOBS[1]).gaps
    assert (gap.start, gap.end, gap.kind.value, gap.keys, gap.missing_rows) == (
        *_around(rows, at, 4), "inside_file", (key,), 1_000,
    )  # fmt: skip
    assert gap.detail == f"ids {first}-{last} missing inside the file (outage or defect)"
    assert last - first + 1 == 1_000


def test_trade_ids_skipped_between_aggregate_trades_are_a_gap_and_counted(
    lake: Lake, archive: GeneratedArchive
) -> None:
    rows = _rows(archive, ETH_AGG)  # agg id, price, qty, first/last trade id, time (ms), maker
    at = next(i for i in range(1, len(rows)) if int(rows[i][3]) - int(rows[i - 1][4]) > 1)
    first, last = int(rows[at - 1][4]) + 1, int(rows[at][3]) - 1
    agg_ids = [int(row[0]) for row in rows]
    assert agg_ids == list(range(agg_ids[0], agg_ids[0] + len(rows)))  # aggregate ids unbroken
    report = _report(lake, JOBS[5])
    (gap,) = report.gaps
    assert (gap.start, gap.end, gap.kind.value, gap.keys, gap.missing_rows) == (
        *_around(rows, at, 5), "inside_file", (ETH_AGG,), 1_000,
    )  # fmt: skip
    assert gap.detail == f"trade ids {first}-{last} missing inside the file (outage or defect)"
    (day,) = report.quality
    assert (day.id_gaps, day.missing_ids, day.missing_trade_ids) == (0, 0, 1_000)
    assert report.quality_frame()["missing_trade_ids"].to_list() == [1_000]


def test_rows_the_ingest_dropped_as_duplicates_are_reported(
    lake: Lake, archive: GeneratedArchive
) -> None:
    data = archive.read(LIQUIDATIONS)
    assert data is not None
    rows = csv_rows(data)
    unique = len({tuple(r) for r in rows})
    summary = _quality(lake, JOBS[2])["2023-07-01"]
    assert (summary.rows_in_file, summary.rows, summary.dropped_duplicates) == (
        len(rows), unique, len(rows) - unique,
    )  # fmt: skip
    assert summary.dropped_duplicates == unique  # every row appears twice
    assert (summary.duplicates, summary.out_of_order, summary.expected_rows) == (0, 0, None)


def test_cadenced_datasets_count_expected_and_missing_rows(lake: Lake) -> None:
    metrics = _quality(lake, JOBS[3])["2022-01-10"]
    assert (metrics.rows, metrics.expected_rows, metrics.missing_rows) == (288, 288, 0)
    outage = _quality(lake, JOBS[4])["2023-03-24"]
    assert (outage.rows, outage.expected_rows, outage.missing_rows) == (1348, 1440, 92)
    assert (outage.duplicates, outage.out_of_order, outage.id_gaps) == (0, 0, None)
    assert outage.first_time == datetime(2023, 3, 24, tzinfo=UTC)
    assert outage.last_time == datetime(2023, 3, 24, 23, 59, tzinfo=UTC)


def test_the_quality_frame_has_one_row_per_partition(lake: Lake) -> None:
    frame = lake.quality("um", "trades", "ETHUSDT", start="2023-06-13", end="2023-06-14", now=NOW)
    assert frame["date"].to_list() == ["2023-06-13", "2023-06-14"]
    assert frame["id_gaps"].to_list() == [0, 1]
    assert frame["missing_ids"].to_list() == [0, 1_000]
    assert frame["status"].to_list() == ["done", "done"]


def test_rows_out_of_order_and_repeated_are_found_in_a_defective_file(tmp_path: Path) -> None:
    """A lake file written by another tool, out of order with a repeated bar."""
    key = ArchiveKey.parse("data/spot/daily/klines/XYZUSDT/1h/XYZUSDT-1h-2024-01-02.zip")
    relative = "defect/XYZUSDT-1h-2024-01-02.parquet"
    hours = [0, 2, 1, 3, 3, 5]  # 4 and 6..23 missing, 2 > 1 out of order, 3 repeated
    times = [datetime(2024, 1, 2, h, tzinfo=UTC) for h in hours]
    (tmp_path / "defect").mkdir()
    table = pa.table({"open_time": pa.array(times, pa.timestamp("us", tz="UTC"))})
    pq.write_table(table, tmp_path / relative)
    record = PartitionRecord(
        source=ARCHIVE_ID, key=key, status=PartitionStatus.DONE, rows=6, rows_in_file=6,
        min_time=times[0], max_time=times[-2], files=(relative,),
    )  # fmt: skip
    with open_manifest(None, lake_root=tmp_path) as store:
        store.save([record])
    with Lake(tmp_path) as lake:
        report = lake.gap_report("spot", "klines", "XYZUSDT", "1h", start="2024-01-02",
                                 end="2024-01-02", online=False)  # fmt: skip
    (summary,) = report.quality
    assert (summary.rows, summary.duplicates, summary.out_of_order) == (6, 1, 1)
    assert (summary.expected_rows, summary.missing_rows) == (24, 19)
    inside = [(g.start.hour, g.end.hour, g.missing_rows) for g in report.gaps]
    assert inside == [(4, 5, 1), (6, 0, 18)]
