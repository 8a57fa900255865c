"""Reruns are incremental and idempotent; monthly files supersede dailies; re-uploads replace."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from marketlake.catalog import ArchiveKey, Market, Period, format_checksum
from marketlake.errors import ManifestNotInitializedError
from marketlake.ingest.files import TEMP_DIR
from marketlake.ingest.report import RunReport
from marketlake.ingest.request import build_request
from marketlake.ingest.run import ingest, write_report
from marketlake.manifest import open_manifest
from marketlake.manifest.models import PartitionStatus
from marketlake.mirror import OverlayContent, run_mirror
from marketlake.mirror.generate import GeneratedArchive
from marketlake.settings import ARCHIVE_ID, Settings
from tests.support.truth import expected_rows, lake_rows

GENERATED = GeneratedArchive(seed=11, now=date(2024, 3, 20), big=False)


def _daily(day: date) -> ArchiveKey:
    return ArchiveKey(Market.UM, Period.DAILY, "klines", "BTCUSDT", "1m", str(day))


JANUARY = ArchiveKey(Market.UM, Period.MONTHLY, "klines", "BTCUSDT", "1m", "2024-01")
JAN_DAYS = [_daily(date(2024, 1, 1) + timedelta(d)) for d in range(31)]


def _publish(root: Path, key: ArchiveKey, data: bytes | None = None) -> bytes:
    payload = data if data is not None else GENERATED.read(key.zip_key)
    assert payload is not None
    (root / key.zip_key).parent.mkdir(parents=True, exist_ok=True)
    (root / key.zip_key).write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    (root / key.checksum_key).write_text(format_checksum(digest, key.file_name))
    return payload


def _run(url: str, lake: Path, start: date | None = None, end: date | None = None) -> RunReport:
    request = build_request(
        market="um", dataset="klines", interval="1m", symbols="BTCUSDT", start=start, end=end
    )
    return ingest(Settings(lake=lake, source=url, workers=1), request)


def test_a_rerun_with_nothing_new_is_a_noop(tmp_path: Path) -> None:
    for key in JAN_DAYS[:5]:
        _publish(tmp_path / "archive", key)
    with run_mirror(OverlayContent(tmp_path / "archive")) as mirror:
        first = _run(mirror.base_url, tmp_path / "lake")
        second = _run(mirror.base_url, tmp_path / "lake")
    assert (first.planned, first.done) == (5, 5)
    assert (second.planned, second.done, second.skipped) == (0, 0, 5)
    assert second.is_noop


def test_the_monthly_file_replaces_the_month_of_daily_files(tmp_path: Path) -> None:
    archive, lake = tmp_path / "archive", tmp_path / "lake"
    for key in JAN_DAYS:
        _publish(archive, key)
    with run_mirror(OverlayContent(archive)) as mirror:
        daily_run = _run(mirror.base_url, lake)
    assert daily_run.done == 31
    daily_files = sorted(p.name for p in lake.rglob("*.parquet"))
    assert len(daily_files) == 31

    monthly_bytes = _publish(archive, JANUARY)
    with run_mirror(OverlayContent(archive)) as mirror:
        monthly_run = _run(mirror.base_url, lake)
    assert (monthly_run.planned, monthly_run.done) == (1, 1)
    assert sorted(p.name for p in lake.rglob("*.parquet")) == ["BTCUSDT-1m-2024-01.parquet"]
    with open_manifest(None, lake_root=lake) as store:
        records = store.records(ARCHIVE_ID, Market.UM, "klines", interval="1m")
    monthly = records[JANUARY]
    assert monthly.rows == 31 * 1440
    assert lake_rows(lake, monthly.files, JANUARY) == expected_rows(monthly_bytes, JANUARY)
    for day in JAN_DAYS:
        assert records[day].status is PartitionStatus.DONE
        assert records[day].files == ()
        assert records[day].superseded_by == JANUARY.zip_key


def test_daily_files_left_by_a_run_killed_after_superseding_are_removed(tmp_path: Path) -> None:
    archive, lake = tmp_path / "archive", tmp_path / "lake"
    for key in JAN_DAYS[:2]:
        _publish(archive, key)
    with run_mirror(OverlayContent(archive)) as mirror:
        _run(mirror.base_url, lake)
    kept = {
        p.relative_to(lake): p.read_bytes() for p in lake.rglob("BTCUSDT-1m-2024-01-0*.parquet")
    }
    _publish(archive, JANUARY)
    with run_mirror(OverlayContent(archive)) as mirror:
        _run(mirror.base_url, lake)
        for path, data in kept.items():  # the state a kill between commit and delete leaves
            (lake / path).write_bytes(data)
        rerun = _run(mirror.base_url, lake)
    assert rerun.is_noop
    assert sorted(p.name for p in lake.rglob("*.parquet")) == ["BTCUSDT-1m-2024-01.parquet"]


def _republished(original: bytes, key: ArchiveKey) -> bytes:
    """The same file with its first bar's close changed, as a silent regeneration would."""
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        lines = archive.read(key.csv_name).decode().splitlines(keepends=True)
    cells = lines[0].split(",")
    cells[4] = cells[4][:-1] + ("1" if cells[4][-1] != "1" else "2")
    lines[0] = ",".join(cells)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(key.csv_name, "".join(lines))
    return buffer.getvalue()


def test_a_republished_file_is_ingested_again_and_its_parquet_replaced(tmp_path: Path) -> None:
    archive, lake, key = tmp_path / "archive", tmp_path / "lake", JAN_DAYS[3]
    original = _publish(archive, key)
    with run_mirror(OverlayContent(archive)) as mirror:
        _run(mirror.base_url, lake)
    newer = _publish(archive, key, _republished(original, key))
    with run_mirror(OverlayContent(archive)) as mirror:
        report = _run(mirror.base_url, lake)
    assert (report.planned, report.done) == (1, 1)
    with open_manifest(None, lake_root=lake) as store:
        record = store.get(ARCHIVE_ID, key)
    assert record is not None
    assert record.sha256 == hashlib.sha256(newer).hexdigest()
    assert lake_rows(lake, record.files, key) == expected_rows(newer, key)
    assert len(list(lake.rglob("*.parquet"))) == 1
    assert pq.read_metadata(lake / record.files[0]).num_rows == 1440


def test_the_manifest_can_live_in_postgresql(tmp_path: Path, pg_manifest_dsn: str) -> None:
    archive, lake = tmp_path / "archive", tmp_path / "lake"
    for key in JAN_DAYS[:4]:
        _publish(archive, key)
    request = build_request(market="um", dataset="klines", interval="1m", symbols="BTCUSDT")
    with run_mirror(OverlayContent(archive)) as mirror:
        settings = Settings(lake=lake, manifest=pg_manifest_dsn, source=mirror.base_url, workers=1)
        with pytest.raises(ManifestNotInitializedError, match="db init"):
            ingest(settings, request)
        with open_manifest(pg_manifest_dsn, lake_root=lake) as store:
            store.init_schema()
        first = ingest(settings, request)
        second = ingest(settings, request)
    assert (first.done, second.planned, second.skipped) == (4, 0, 4)
    assert not (lake / "_manifest.sqlite").exists()
    with open_manifest(pg_manifest_dsn, lake_root=lake) as store:
        records = store.records(ARCHIVE_ID, Market.UM, "klines", interval="1m")
    assert sorted(k.date for k in records) == [k.date for k in JAN_DAYS[:4]]
    for key, record in records.items():
        assert record.status is PartitionStatus.DONE
        assert lake_rows(lake, record.files, key) == expected_rows(
            (archive / key.zip_key).read_bytes(), key
        )


def test_a_noop_rerun_sweeps_what_a_killed_run_left_and_reports_leave_no_temp(
    tmp_path: Path,
) -> None:
    for key in JAN_DAYS[:2]:
        _publish(tmp_path / "archive", key)
    lake = tmp_path / "lake"
    with run_mirror(OverlayContent(tmp_path / "archive")) as mirror:
        first = _run(mirror.base_url, lake)
        write_report(first, lake)
        killed_mid_write = lake / TEMP_DIR / "20240101T000000-abc.json.tmp"
        killed_mid_write.write_text("{")  # what a run killed while writing its report leaves
        second = _run(mirror.base_url, lake)
    assert (second.planned, second.skipped) == (0, 2)
    assert not killed_mid_write.exists()
    assert [p.suffix for p in (lake / "_runs").iterdir()] == [".json"]
