"""Every trap of the archive reference, ingested from the stand-in and checked in the lake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey, Market
from marketlake.ingest.report import RunReport
from marketlake.ingest.request import build_request
from marketlake.ingest.run import ingest
from marketlake.manifest import open_manifest
from marketlake.manifest.models import PartitionRecord, PartitionStatus
from marketlake.mirror import run_mirror
from marketlake.mirror.generate import GeneratedArchive, known_traps
from marketlake.settings import ARCHIVE_ID, Settings
from tests.support.truth import expected_rows, lake_rows

TRAPS = known_traps()
NOW = date(2026, 11, 21)
CATEGORIES = (
    "headerless",
    "with_header",
    "microseconds",
    "milliseconds",
    "booleans_capitalized",
    "booleans_lowercase",
    "empty_cells",
    "duplicated_rows",
    "interleaved",
    "trade_id_gaps",
    "outage_keys",
    "partial",
    "wide_decimals",
    "book_depth_integer_percent",
    "book_depth_two_decimals",
    "book_depth_narrow_bands",
    "funding_interval_changes",
    "weeks_spanning_months",
    "discontinued_last",
    "delisted_last",
)
CASES = [
    (category, key)
    for category in CATEGORIES
    for key in getattr(TRAPS, category)[:2]
    if key != TRAPS.big_trades
]


@pytest.fixture(scope="module")
def archive() -> GeneratedArchive:
    return GeneratedArchive(seed=0, now=NOW, big=False)


@pytest.fixture(scope="module")
def mirror_url(archive: GeneratedArchive) -> Iterator[str]:
    with run_mirror(archive) as mirror:
        yield mirror.base_url


def _ingest_key(url: str, lake: Path, key: ArchiveKey) -> RunReport:
    request = build_request(
        market=key.market.value, dataset=key.dataset, interval=key.interval,
        symbols=key.symbol, start=key.first_day, end=key.last_day,
    )  # fmt: skip
    return ingest(Settings(lake=lake, source=url, workers=1), request)


def _record(lake: Path, key: ArchiveKey) -> PartitionRecord:
    with open_manifest(None, lake_root=lake) as store:
        record = store.get(ARCHIVE_ID, key)
    assert record is not None, f"{key} was not ingested"
    return record


@pytest.mark.parametrize(("category", "zip_key"), CASES, ids=lambda v: v.split("/")[-1])
def test_each_trap_lands_exactly(
    archive: GeneratedArchive, mirror_url: str, tmp_path: Path, category: str, zip_key: str
) -> None:
    key = ArchiveKey.parse(zip_key)
    report = _ingest_key(mirror_url, tmp_path, key)
    assert report.failed == 0, report.failures
    record = _record(tmp_path, key)
    assert record.status is PartitionStatus.DONE
    data = archive.read(zip_key)
    assert data is not None
    truth = expected_rows(data, key)
    assert lake_rows(tmp_path, record.files, key) == truth
    assert record.rows == len(truth)


def test_milliseconds_and_microseconds_land_in_one_unit(mirror_url: str, tmp_path: Path) -> None:
    request = build_request(
        market="spot", dataset="klines", interval="1m", symbols="BTCUSDT",
        start=date(2024, 12, 31), end=date(2025, 1, 1),
    )  # fmt: skip
    ingest(Settings(lake=tmp_path, source=mirror_url, workers=1), request)
    days = [
        ArchiveKey.parse(f"data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-{d}.zip")
        for d in ("2024-12-31", "2025-01-01")
    ]
    first_bars = [lake_rows(tmp_path, _record(tmp_path, k).files, k)[0] for k in days]
    assert [bar[0] for bar in first_bars] == [
        datetime(2024, 12, 31, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
    ]
    # close_time = open_time + 1 minute - 1 unit of the file: 1 ms, then 1 us
    assert first_bars[0][6] == datetime(2024, 12, 31, 0, 0, 59, 999000, tzinfo=UTC)
    assert first_bars[1][6] == datetime(2025, 1, 1, 0, 0, 59, 999999, tzinfo=UTC)


def test_a_non_ascii_symbol_is_listed_ingested_and_stored(mirror_url: str, tmp_path: Path) -> None:
    request = build_request(
        market="spot", dataset="klines", interval="1d", symbols="币安人生USDT",
        start=date(2025, 11, 1), end=date(2025, 11, 3),
    )  # fmt: skip
    report = ingest(Settings(lake=tmp_path, source=mirror_url, workers=1), request)
    assert report.failed == 0
    assert report.done >= 1
    assert any("symbol=币安人生USDT" in str(p) for p in tmp_path.rglob("*.parquet"))


def test_unpublished_days_are_not_planned_and_leave_no_record(
    mirror_url: str, tmp_path: Path
) -> None:
    missing = next(k for k in TRAPS.unpublished if "/um/daily/klines/ETHUSDT/1m/" in k)
    key = ArchiveKey.parse(missing)
    report = _ingest_key(mirror_url, tmp_path, key)
    assert (report.planned, report.failed) == (0, 0)
    with open_manifest(None, lake_root=tmp_path) as store:
        assert store.get(ARCHIVE_ID, key) is None


def test_a_discontinued_dataset_stops_at_its_last_file(mirror_url: str, tmp_path: Path) -> None:
    last = next(k for k in TRAPS.discontinued_last if "/um/daily/bookTicker/" in k)
    key = ArchiveKey.parse(last)
    request = build_request(
        market="um", dataset="bookTicker", symbols=key.symbol,
        start=key.first_day, end=date(2024, 4, 2),
    )  # fmt: skip
    ingest(Settings(lake=tmp_path, source=mirror_url, workers=1), request)
    with open_manifest(None, lake_root=tmp_path) as store:
        records = store.records(ARCHIVE_ID, Market.UM, "bookTicker")
    assert max(k.last_day for k in records) == key.last_day


def test_a_regenerated_file_is_ingested_again_after_its_new_checksum(tmp_path: Path) -> None:
    regeneration = TRAPS.regenerations[-1]
    key = ArchiveKey.parse(regeneration.key)
    before = GeneratedArchive(seed=0, now=regeneration.on - timedelta(days=1), big=False)
    after = GeneratedArchive(seed=0, now=NOW, big=False)
    with run_mirror(before) as mirror:
        _ingest_key(mirror.base_url, tmp_path, key)
    first = _record(tmp_path, key)
    with run_mirror(after) as mirror:
        report = _ingest_key(mirror.base_url, tmp_path, key)
    second = _record(tmp_path, key)
    assert (report.planned, report.done) == (1, 1)
    assert first.sha256 != second.sha256
    data = after.read(key.zip_key)
    assert data is not None
    assert lake_rows(tmp_path, second.files, key) == expected_rows(data, key)
