"""Bad input gets a clear error and loses nothing: faults, bad checksums, corrupt zips, bad rows."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

from marketlake.catalog import ArchiveKey, format_checksum
from marketlake.ingest.report import RunReport
from marketlake.ingest.request import build_request
from marketlake.ingest.run import ingest
from marketlake.manifest import open_manifest
from marketlake.manifest.models import PartitionRecord, PartitionStatus
from marketlake.mirror import OverlayContent, run_mirror
from marketlake.settings import ARCHIVE_ID, Settings
from tests.support.truth import SAMPLES, expected_rows, lake_rows

KLINES = ArchiveKey.parse("data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2023-04-15.zip")
DEPTH = ArchiveKey.parse("data/futures/um/daily/bookDepth/BTCUSDT/BTCUSDT-bookDepth-2026-06-24.zip")


def _run(source: str, lake: Path, key: ArchiveKey = KLINES) -> RunReport:
    request = build_request(
        market=key.market.value, dataset=key.dataset, interval=key.interval,
        symbols=key.symbol, start=key.first_day, end=key.last_day,
    )  # fmt: skip
    return ingest(Settings(lake=lake, source=source, workers=1), request)


def _record(lake: Path, key: ArchiveKey = KLINES) -> PartitionRecord:
    with open_manifest(None, lake_root=lake) as store:
        record = store.get(ARCHIVE_ID, key)
    assert record is not None
    return record


def _parquet_files(lake: Path) -> list[Path]:
    return sorted(lake.rglob("*.parquet"))


def _overlay_with(tmp_path: Path, key: ArchiveKey, zip_bytes: bytes) -> Path:
    """A one-file overlay whose CHECKSUM matches ``zip_bytes`` (the bytes are 'published')."""
    root = tmp_path / "overlay"
    target = root / key.zip_key
    target.parent.mkdir(parents=True)
    target.write_bytes(zip_bytes)
    digest = hashlib.sha256(zip_bytes).hexdigest()
    (root / key.checksum_key).write_text(format_checksum(digest, key.file_name))
    return root


def _zip_of(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


def test_5xx_resets_truncations_and_429s_are_retried_and_every_value_lands(tmp_path: Path) -> None:
    faults = "5xx=0.15,reset=0.1,truncate=0.1,429=0.1:0.2"
    with run_mirror(OverlayContent(SAMPLES), faults=faults, seed=3) as mirror:
        report = _run(mirror.base_url, tmp_path)
        injected = sum(mirror.stats().faults.injected.values())
    assert report.done == 1 and report.failed == 0
    assert report.retries > 0 and injected > 0
    record = _record(tmp_path)
    truth = expected_rows((SAMPLES / KLINES.zip_key).read_bytes(), KLINES)
    assert lake_rows(tmp_path, record.files, KLINES) == truth


def test_a_checksum_mismatch_fails_clearly_writes_nothing_and_is_retried(tmp_path: Path) -> None:
    with run_mirror(OverlayContent(SAMPLES), faults="bad_checksum=1") as mirror:
        report = _run(mirror.base_url, tmp_path)
        record = _record(tmp_path)
    assert (report.done, report.failed) == (0, 1)
    assert record.status is PartitionStatus.FAILED
    assert record.error is not None and "sha256" in record.error.lower()
    assert _parquet_files(tmp_path) == []
    with run_mirror(OverlayContent(SAMPLES)) as mirror:
        rerun = _run(mirror.base_url, tmp_path)
        record = _record(tmp_path)
    assert (rerun.done, rerun.failed) == (1, 0)
    assert record.status is PartitionStatus.DONE and record.attempts == 2


def test_a_corrupt_zip_with_a_matching_checksum_fails_as_corrupt(tmp_path: Path) -> None:
    good = (SAMPLES / KLINES.zip_key).read_bytes()
    corrupt = bytearray(good)
    middle = len(corrupt) // 2
    corrupt[middle : middle + 64] = bytes(64)
    overlay = _overlay_with(tmp_path, KLINES, bytes(corrupt))
    with run_mirror(OverlayContent(overlay)) as mirror:
        report = _run(mirror.base_url, tmp_path / "lake")
        record = _record(tmp_path / "lake")
    assert report.failed == 1
    assert record.status is PartitionStatus.FAILED
    assert record.error is not None and record.error.startswith("CorruptArchiveError")
    assert _parquet_files(tmp_path / "lake") == []


def test_a_malformed_row_fails_the_partition_and_names_the_problem(tmp_path: Path) -> None:
    header = "timestamp,percentage,depth,notional\n"
    rows = "2026-06-24 00:00:08,-5.00,1234.5,567.8\n2026-06-24 00:00:08,-4.00,abc,1.0\n"
    overlay = _overlay_with(tmp_path, DEPTH, _zip_of(DEPTH.csv_name, header + rows))
    with run_mirror(OverlayContent(overlay)) as mirror:
        report = _run(mirror.base_url, tmp_path / "lake", DEPTH)
        record = _record(tmp_path / "lake", DEPTH)
    assert report.failed == 1
    assert record.status is PartitionStatus.FAILED
    assert record.error is not None and record.error.startswith("MalformedDataError")
    assert _parquet_files(tmp_path / "lake") == []


def test_a_value_with_more_digits_than_its_column_is_refused_not_rounded(tmp_path: Path) -> None:
    header = "timestamp,percentage,depth,notional\n"
    rows = "2026-06-24 00:00:08,-5.00,1.123456789,567.8\n"
    overlay = _overlay_with(tmp_path, DEPTH, _zip_of(DEPTH.csv_name, header + rows))
    with run_mirror(OverlayContent(overlay)) as mirror:
        _run(mirror.base_url, tmp_path / "lake", DEPTH)
        record = _record(tmp_path / "lake", DEPTH)
    assert record.status is PartitionStatus.FAILED
    assert record.error is not None and "depth" in record.error


class _ListedButGone(OverlayContent):
    """A bucket whose listing shows a zip that answers 404 (listing and storage disagree)."""

    def read(self, key: str) -> bytes | None:
        return None if key.endswith(".zip") else super().read(key)


def test_a_404_is_recorded_unavailable_and_looked_at_again_later(tmp_path: Path) -> None:
    with run_mirror(_ListedButGone(SAMPLES)) as mirror:
        report = _run(mirror.base_url, tmp_path)
        record = _record(tmp_path)
    assert (report.unavailable, report.failed, report.done) == (1, 0, 0)
    assert record.status is PartitionStatus.UNAVAILABLE
    with run_mirror(OverlayContent(SAMPLES)) as mirror:
        rerun = _run(mirror.base_url, tmp_path)
        record = _record(tmp_path)
    assert rerun.done == 1
    assert record.status is PartitionStatus.DONE


def test_a_418_stops_the_run_and_says_why(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    shutil.copytree(
        SAMPLES / "data/spot/daily/klines/BTCUSDT/1m",
        overlay / KLINES.folder.replace("futures/um", "spot"),
    )
    with run_mirror(OverlayContent(overlay), faults="418=1") as mirror:
        request = build_request(market="spot", dataset="klines", interval="1m", symbols="BTCUSDT")
        report = ingest(
            Settings(lake=tmp_path / "lake", source=mirror.base_url, workers=1), request
        )
    assert report.planned == 3
    assert report.done == 0
    assert report.stop_reason is not None and "418" in report.stop_reason
    assert report.failed + report.not_attempted == 3
    assert not report.ok
