"""Classified gaps on the stand-in's planted traps: outages, partial files, listing windows,
discontinued datasets, 404s (never published, or listed and gone), unpublished days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from marketlake import Lake
from marketlake.catalog import ArchiveKey, Market, Period
from marketlake.errors import ReadRequestError
from marketlake.lake.gaps import GapReport, find_gaps, gap_target
from marketlake.manifest import open_manifest
from marketlake.mirror import run_mirror
from marketlake.mirror.generate import GeneratedArchive
from marketlake.settings import Settings
from tests.lake.gap_support import (
    DEAD_URL,
    CutShort,
    GoneOnDownload,
    Job,
    build_lake,
    spans,
    utc,
)
from tests.support.truth import csv_rows

LATE = date(2026, 11, 21)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EARLY = date(2020, 3, 20)
GONE = "data/spot/daily/klines/BTCUSDT/1d/BTCUSDT-1d-2024-02-10.zip"
LATE_JOBS = (
    Job("spot", "klines", "1m,15m", "BTCUSDT", date(2023, 3, 23), date(2023, 3, 25)),
    Job("spot", "klines", "1m", "BTCUSDT", date(2018, 6, 25), date(2018, 6, 27)),
    Job("spot", "klines", "1m", "ALICEUSDT", date(2024, 7, 1), date(2024, 7, 31)),
    Job("spot", "klines", "1d", "SOLUSDT", date(2020, 8, 5), date(2020, 8, 15)),
    Job("spot", "klines", "1d", "LUNAUSDT", date(2022, 5, 10), date(2022, 5, 20)),
    Job("um", "bookTicker", None, "BTCUSDT", date(2024, 3, 29), date(2024, 4, 2)),
    Job("spot", "klines", "1m", "ETHUSDT", date(2021, 4, 23), date(2021, 4, 27)),
    Job("spot", "klines", "1d", "BTCUSDT", date(2024, 2, 9), date(2024, 2, 11)),
    Job("um", "fundingRate", None, "1000BONKUSDT", date(2023, 11, 1), date(2023, 12, 31)),
    Job("spot", "klines", "1w", "BTCUSDT", date(2020, 2, 1), date(2020, 2, 29)),
)


def _key(market: str, period: str, dataset: str, symbol: str, *rest: str | None) -> str:
    interval, day = rest if len(rest) == 2 else (None, rest[0])
    parsed = (Market.parse(market), Period.parse(period))
    return ArchiveKey(*parsed, dataset, symbol, interval, str(day)).zip_key


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A lake of every LATE job, and the stand-in (as of LATE) it came from."""
    root = tmp_path_factory.mktemp("gaps-late")
    content = GoneOnDownload(GeneratedArchive(now=LATE, big=False), GONE)
    with run_mirror(content) as mirror:
        reports = build_lake(mirror.base_url, root, LATE_JOBS)
        assert [r.failed for r in reports] == [0] * len(LATE_JOBS)
        yield root, mirror.base_url


def _gaps(  # noqa: PLR0917 (the target's four names, then the range: as Lake.gaps)
    lake: tuple[Path, str], market: str, dataset: str, symbol: str, interval: str | None,
    start: date, end: date, *, now: date = LATE, source: str | None = None,
) -> GapReport:  # fmt: skip
    root, url = lake
    settings = Settings(lake=root, source=source or url)
    with open_manifest(None, lake_root=root) as store:
        target = gap_target(market, dataset, symbol, interval)
        return find_gaps(settings, store, target, start=start, end=end, now=now)


def test_an_exchange_outage_is_a_gap_inside_the_file(late: tuple[Path, str]) -> None:
    minutes = _gaps(late, "spot", "klines", "BTCUSDT", "1m", date(2023, 3, 23), date(2023, 3, 25))
    day_file = _key("spot", "daily", "klines", "BTCUSDT", "1m", "2023-03-24")
    assert spans(minutes) == [
        (utc(2023, 3, 24, 12, 18), utc(2023, 3, 24, 13, 50), "inside_file", (day_file,), 92)
    ]
    assert minutes.archive_reachable is None  # nothing missing whole: no question asked
    quarters = _gaps(late, "spot", "klines", "BTCUSDT", "15m", date(2023, 3, 23), date(2023, 3, 25))
    quarter_file = _key("spot", "daily", "klines", "BTCUSDT", "15m", "2023-03-24")
    assert spans(quarters) == [
        (utc(2023, 3, 24, 12, 30), utc(2023, 3, 24, 13, 45), "inside_file", (quarter_file,), 5)
    ]


def test_days_outside_the_ingested_range_are_not_ingested(late: tuple[Path, str]) -> None:
    report = _gaps(late, "spot", "klines", "BTCUSDT", "1m", date(2023, 3, 22), date(2023, 3, 26))
    key = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2023-03-{}.zip"
    assert spans(report) == [
        (utc(2023, 3, 22), utc(2023, 3, 23), "not_ingested", (key.format(22),), 1440),
        (utc(2023, 3, 24, 12, 18), utc(2023, 3, 24, 13, 50), "inside_file", (key.format(24),), 92),
        (utc(2023, 3, 26), utc(2023, 3, 27), "not_ingested", (key.format(26),), 1440),
    ]
    assert report.archive_reachable is True


def test_partial_daily_and_monthly_files_leave_gaps_inside_them(late: tuple[Path, str]) -> None:
    daily = _gaps(late, "spot", "klines", "BTCUSDT", "1m", date(2018, 6, 25), date(2018, 6, 27))
    day_file = _key("spot", "daily", "klines", "BTCUSDT", "1m", "2018-06-26")
    assert spans(daily) == [
        (utc(2018, 6, 26, 15), utc(2018, 6, 27), "inside_file", (day_file,), 540)  # 900 rows kept
    ]
    monthly = _gaps(late, "spot", "klines", "ALICEUSDT", "1m", date(2024, 7, 1), date(2024, 7, 31))
    month_file = _key("spot", "monthly", "klines", "ALICEUSDT", "1m", "2024-07")
    assert spans(monthly) == [
        (utc(2024, 7, 8), utc(2024, 8, 1), "inside_file", (month_file,), 24 * 1440)
    ]
    assert monthly.gaps[0].detail == "no rows for this day in the file"


def test_listing_windows_give_before_listing_and_after_delisting(late: tuple[Path, str]) -> None:
    listed = _gaps(late, "spot", "klines", "SOLUSDT", "1d", date(2020, 8, 5), date(2020, 8, 15))
    assert spans(listed) == [(utc(2020, 8, 5), utc(2020, 8, 11), "before_listing", (), 6)]
    assert listed.gaps[0].detail == "before the symbol's first file (2020-08-11)"
    delisted = _gaps(late, "spot", "klines", "LUNAUSDT", "1d", date(2022, 5, 10), date(2022, 5, 20))
    assert spans(delisted) == [(utc(2022, 5, 14), utc(2022, 5, 21), "after_delisting", (), 7)]
    assert delisted.gaps[0].detail == "after the symbol's last file (2022-05-13)"


def test_a_monthly_only_dataset_starts_at_the_first_row_of_its_first_file(
    late: tuple[Path, str],
) -> None:
    report = _gaps(late, "um", "fundingRate", "1000BONKUSDT", None, date(2023, 11, 1),
                   date(2023, 12, 31))  # fmt: skip
    assert spans(report) == [(utc(2023, 11, 1), utc(2023, 11, 22), "before_listing", (), None)]
    assert [(q.date, q.rows) for q in report.quality] == [("2023-11", 27), ("2023-12", 93)]


def test_weekly_bars_cover_their_days_and_belong_to_their_opening_month(
    late: tuple[Path, str],
) -> None:
    report = _gaps(late, "spot", "klines", "BTCUSDT", "1w", date(2020, 2, 1), date(2020, 2, 29))
    january = _key("spot", "monthly", "klines", "BTCUSDT", "1w", "2020-01")
    assert spans(report) == [(utc(2020, 2, 1), utc(2020, 2, 3), "not_ingested", (january,), 0)]
    (february,) = report.quality
    assert (february.rows, february.expected_rows, february.missing_rows) == (4, 4, 0)


def test_a_discontinued_dataset_stops_at_its_last_date(late: tuple[Path, str]) -> None:
    report = _gaps(late, "um", "bookTicker", "BTCUSDT", None, date(2024, 3, 29), date(2024, 4, 2))
    assert spans(report) == [(utc(2024, 3, 31), utc(2024, 4, 3), "discontinued", (), None)]
    assert report.gaps[0].detail == "bookTicker stopped after 2024-03-30"


def test_a_daily_404_that_the_monthly_file_covers_is_only_not_ingested(
    late: tuple[Path, str],
) -> None:
    report = _gaps(late, "spot", "klines", "ETHUSDT", "1m", date(2021, 4, 23), date(2021, 4, 27))
    month_file = _key("spot", "monthly", "klines", "ETHUSDT", "1m", "2021-04")
    assert spans(report) == [
        (utc(2021, 4, 25), utc(2021, 4, 26), "not_ingested", (month_file,), 1440)
    ]
    assert report.gaps[0].detail.endswith("(only the monthly file has it: the daily is a 404)")


def test_a_listed_file_that_answers_404_is_unavailable(late: tuple[Path, str]) -> None:
    report = _gaps(late, "spot", "klines", "BTCUSDT", "1d", date(2024, 2, 9), date(2024, 2, 11))
    assert spans(report) == [(utc(2024, 2, 10), utc(2024, 2, 11), "unavailable", (GONE,), 1)]
    assert report.gaps[0].detail == "listed, but 404 when downloaded"
    statuses = {q.date: q.status for q in report.quality}
    assert statuses == {"2024-02-09": "done", "2024-02-10": "unavailable", "2024-02-11": "done"}


@pytest.fixture(scope="module")
def early(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """BNBUSDT 1h klines of March 2020 from a stand-in whose today is 2020-03-20."""
    root = tmp_path_factory.mktemp("gaps-early")
    with run_mirror(GeneratedArchive(now=EARLY, big=False)) as mirror:
        job = Job("spot", "klines", "1h", "BNBUSDT", date(2020, 3, 10), date(2020, 3, 22))
        (report,) = build_lake(mirror.base_url, root, [job])
        assert (report.done, report.failed) == (9, 0)  # 10..19 without the 12th
        yield root, mirror.base_url


def test_a_never_published_day_is_unavailable_and_recent_days_not_yet_published(
    early: tuple[Path, str],
) -> None:
    report = _gaps(early, "spot", "klines", "BNBUSDT", "1h", date(2020, 3, 10), date(2020, 3, 22),
                   now=EARLY)  # fmt: skip
    day_file = _key("spot", "daily", "klines", "BNBUSDT", "1h", "2020-03-12")
    assert spans(report) == [
        (utc(2020, 3, 12), utc(2020, 3, 13), "unavailable", (day_file,), 24),
        (utc(2020, 3, 20), utc(2020, 3, 23), "not_yet_published", (), 72),
    ]
    assert report.gaps[0].detail == "no file in the archive listing (404)"


def test_the_range_ends_before_today_by_default(early: tuple[Path, str]) -> None:
    root, url = early
    with open_manifest(None, lake_root=root) as store:
        target = gap_target("spot", "klines", "BNBUSDT", "1h")
        report = find_gaps(Settings(lake=root, source=url), store, target, now=EARLY)
    assert (report.start, report.end) == (date(2020, 3, 10), date(2020, 3, 19))
    assert [g.kind.value for g in report.gaps] == ["unavailable"]


def test_offline_what_the_manifest_cannot_explain_is_unknown(early: tuple[Path, str]) -> None:
    report = _gaps(early, "spot", "klines", "BNBUSDT", "1h", date(2020, 3, 10), date(2020, 3, 22),
                   now=EARLY, source=DEAD_URL)  # fmt: skip
    assert report.archive_reachable is False
    assert spans(report) == [
        (utc(2020, 3, 12), utc(2020, 3, 13), "unknown", (), 24),
        (utc(2020, 3, 20), utc(2020, 3, 23), "not_yet_published", (), 72),
    ]


INJECTIONS = [
    {"symbol": "BTCUSDT'; DROP TABLE partitions; --"},
    {"symbol": "BTCUSDT,ETHUSDT"},
    {"interval": "1m; DELETE FROM partitions"},
    {"dataset": "klines' OR '1'='1"},
    {"start": "2023-03-23' OR 1=1 --"},
    {"market": "spot; --"},
]


def test_lake_gaps_is_a_frame_and_refuses_injection_attempts(late: tuple[Path, str]) -> None:
    root, url = late
    with Lake.from_settings(Settings(lake=root, source=url)) as lake:
        frame = lake.gaps("spot", "klines", "BTCUSDT", "1m", start="2023-03-23",
                          end=date(2023, 3, 25), now=LATE)  # fmt: skip
        assert frame.columns == [
            "market", "dataset", "symbol", "interval", "start", "end", "kind", "detail", "keys",
            "missing_rows",
        ]  # fmt: skip
        assert frame.row(0, named=True) == {
            "market": "spot", "dataset": "klines", "symbol": "BTCUSDT", "interval": "1m",
            "start": utc(2023, 3, 24, 12, 18), "end": utc(2023, 3, 24, 13, 50),
            "kind": "inside_file", "detail": "bars missing inside the file (outage or defect)",
            "keys": ["data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2023-03-24.zip"],
            "missing_rows": 92,
        }  # fmt: skip
        for bad in INJECTIONS:
            arguments = {"market": "spot", "dataset": "klines", "symbol": "BTCUSDT",
                         "interval": "1m", "start": "2023-03-23", **bad}  # fmt: skip
            with pytest.raises(ReadRequestError):
                lake.gaps(
                    arguments["market"], arguments["dataset"], arguments["symbol"],
                    arguments["interval"], start=arguments["start"], now=LATE,
                )  # fmt: skip


SHORT_DAY = "data/futures/um/daily/trades/ETHUSDT/ETHUSDT-trades-2023-06-13.zip"
NEXT_DAY = "data/futures/um/daily/trades/ETHUSDT/ETHUSDT-trades-2023-06-14.zip"
KEPT_ROWS = 1_500


def test_ids_missing_between_the_files_of_two_days_are_one_gap(tmp_path: Path) -> None:
    """um ETHUSDT trades of 2023-06-13 published short (its first 1,500 trades): the ids it
    lacks, up to 06-14's first trade, are a span from its last trade to 06-14's first."""
    generated = GeneratedArchive(now=LATE, big=False)
    whole, next_day = (csv_rows(_zip(generated, key)) for key in (SHORT_DAY, NEXT_DAY))
    last_kept, first_next = whole[KEPT_ROWS - 1], next_day[0]  # id, ..., time (ms) at 4
    assert int(first_next[0]) == int(whole[-1][0]) + 1  # the whole files join up
    job = Job("um", "trades", None, "ETHUSDT", date(2023, 6, 13), date(2023, 6, 14))
    with run_mirror(CutShort(generated, SHORT_DAY, KEPT_ROWS)) as mirror:
        assert [r.failed for r in build_lake(mirror.base_url, tmp_path, [job])] == [0]
        report = _gaps((tmp_path, mirror.base_url), "um", "trades", "ETHUSDT", None,
                       date(2023, 6, 13), date(2023, 6, 14))  # fmt: skip
    between = report.gaps[0]
    first, last = int(last_kept[0]) + 1, int(first_next[0]) - 1
    assert spans(report)[0] == (
        EPOCH + timedelta(milliseconds=int(last_kept[4])),
        EPOCH + timedelta(milliseconds=int(first_next[4])),
        "inside_file", (SHORT_DAY, NEXT_DAY), len(whole) - KEPT_ROWS,
    )  # fmt: skip
    assert between.detail == f"ids {first}-{last} missing between two files (outage or defect)"
    ids = [int(row[0]) for row in next_day]
    jump = next(i for i in range(1, len(ids)) if ids[i] - ids[i - 1] > 1)  # the day's own gap
    inside = f"ids {ids[jump - 1] + 1}-{ids[jump] - 1} missing inside the file (outage or defect)"
    assert [g.detail for g in report.gaps[1:]] == [inside]
    day = {q.date: q for q in report.quality}["2023-06-14"]
    assert day.ids_missing_before == len(whole) - KEPT_ROWS


def _zip(archive: GeneratedArchive, key: str) -> bytes:
    data = archive.read(key)
    assert data is not None
    return data
