"""Zips decoded while they download: exact values, the same files, and nothing kept unverified.

``RunTuning(stream_min_bytes=0)`` streams every zip, so the real samples and the stand-in's
traps exercise the streamed path (a zip reaches its worker through the hand-off socket while
it downloads, and is renamed into place only once its sha256 matched the CHECKSUM).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey, format_checksum
from marketlake.ingest.files import TEMP_DIR
from marketlake.ingest.report import RunReport
from marketlake.ingest.request import build_request
from marketlake.ingest.run import RunTuning, ingest
from marketlake.manifest import open_manifest
from marketlake.manifest.models import PartitionRecord, PartitionStatus
from marketlake.mirror import OverlayContent, run_mirror
from marketlake.mirror.generate import GeneratedArchive, known_traps
from marketlake.settings import ARCHIVE_ID, Settings
from tests.ingest.decode_support import csv_zip
from tests.support.truth import SAMPLES, expected_rows, lake_rows, sample_zips

STREAM_ALL = RunTuning(stream_min_bytes=0)
NEVER_STREAM = RunTuning(stream_min_bytes=1 << 40)
SAMPLE_KEYS = [ArchiveKey.parse(str(p.relative_to(SAMPLES))) for p in sample_zips()]
TRAPS = known_traps()
TRAP_KEYS = [
    TRAPS.interleaved[0],  # 1.5 MB: several frames, sorted out of core before the rename
    TRAPS.duplicated_rows[0],
    TRAPS.microseconds[1],
    TRAPS.empty_cells[0],
]
KLINES = ArchiveKey.parse("data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2023-04-15.zip")


def _run(url: str, lake: Path, key: ArchiveKey, tuning: RunTuning = STREAM_ALL) -> RunReport:
    request = build_request(
        market=key.market.value, dataset=key.dataset, interval=key.interval,
        symbols=key.symbol, start=key.first_day, end=key.last_day,
    )  # fmt: skip
    return ingest(Settings(lake=lake, source=url, workers=1), request, tuning=tuning)


def _record(lake: Path, key: ArchiveKey) -> PartitionRecord:
    with open_manifest(None, lake_root=lake) as store:
        record = store.get(ARCHIVE_ID, key)
    assert record is not None
    return record


def _leftovers(lake: Path) -> list[Path]:
    """Parquet files and temp entries in the lake."""
    temp = lake / TEMP_DIR
    return sorted(lake.rglob("*.parquet")) + (sorted(temp.iterdir()) if temp.exists() else [])


@pytest.fixture(scope="module")
def samples_url() -> Iterator[str]:
    with run_mirror(OverlayContent(SAMPLES)) as mirror:
        yield mirror.base_url


@pytest.fixture(scope="module")
def archive() -> GeneratedArchive:
    return GeneratedArchive(seed=0, now=date(2026, 11, 21), big=False)


@pytest.fixture(scope="module")
def traps_url(archive: GeneratedArchive) -> Iterator[str]:
    with run_mirror(archive) as mirror:
        yield mirror.base_url


@pytest.mark.parametrize("key", SAMPLE_KEYS, ids=lambda k: k.file_name)
def test_a_real_archive_file_streamed_lands_exactly(
    samples_url: str, tmp_path: Path, key: ArchiveKey
) -> None:
    report = _run(samples_url, tmp_path, key)
    assert (report.done, report.failed) == (1, 0), report.failures
    record = _record(tmp_path, key)
    truth = expected_rows((SAMPLES / key.zip_key).read_bytes(), key)
    assert lake_rows(tmp_path, record.files, key) == truth
    assert record.sha256 == (SAMPLES / key.checksum_key).read_text().split()[0]


@pytest.mark.parametrize("zip_key", TRAP_KEYS, ids=lambda k: k.split("/")[-1])
def test_a_trap_streamed_lands_exactly(
    archive: GeneratedArchive, traps_url: str, tmp_path: Path, zip_key: str
) -> None:
    key = ArchiveKey.parse(zip_key)
    report = _run(traps_url, tmp_path, key)
    assert report.failed == 0, report.failures
    data = archive.read(zip_key)
    assert data is not None
    assert lake_rows(tmp_path, _record(tmp_path, key).files, key) == expected_rows(data, key)


def test_streamed_and_whole_decodes_write_the_same_file_and_record(
    traps_url: str, tmp_path: Path
) -> None:
    key = ArchiveKey.parse(TRAPS.interleaved[0])
    _run(traps_url, tmp_path / "streamed", key, STREAM_ALL)
    _run(traps_url, tmp_path / "whole", key, NEVER_STREAM)
    streamed, whole = _record(tmp_path / "streamed", key), _record(tmp_path / "whole", key)
    assert streamed.files == whole.files
    assert (streamed.rows, streamed.sha256, streamed.min_time) == (
        whole.rows,
        whole.sha256,
        whole.min_time,
    )
    (relative,) = streamed.files
    streamed_bytes = (tmp_path / "streamed" / relative).read_bytes()
    assert streamed_bytes == (tmp_path / "whole" / relative).read_bytes()


def test_a_checksum_mismatch_on_a_streamed_zip_keeps_nothing(tmp_path: Path) -> None:
    with run_mirror(OverlayContent(SAMPLES), faults="bad_checksum=1") as mirror:
        report = _run(mirror.base_url, tmp_path, KLINES)
    record = _record(tmp_path, KLINES)
    assert (report.done, report.failed) == (0, 1)
    assert record.status is PartitionStatus.FAILED
    assert record.error is not None and record.error.startswith("sha256 of")
    assert _leftovers(tmp_path) == []
    with run_mirror(OverlayContent(SAMPLES)) as mirror:
        assert _run(mirror.base_url, tmp_path, KLINES).done == 1


def test_faults_mid_stream_are_retried_and_every_value_lands(tmp_path: Path) -> None:
    faults = "5xx=0.15,reset=0.15,truncate=0.2,429=0.1:0.2"
    with run_mirror(OverlayContent(SAMPLES), faults=faults, seed=11) as mirror:
        report = _run(mirror.base_url, tmp_path, KLINES)
    assert (report.done, report.failed) == (1, 0)
    assert report.retries > 0
    truth = expected_rows((SAMPLES / KLINES.zip_key).read_bytes(), KLINES)
    assert lake_rows(tmp_path, _record(tmp_path, KLINES).files, KLINES) == truth
    assert [p.suffix for p in _leftovers(tmp_path)] == [".parquet"]


def _overlay(tmp_path: Path, key: ArchiveKey, zip_bytes: bytes) -> Path:
    root = tmp_path / "overlay"
    (root / key.zip_key).parent.mkdir(parents=True)
    (root / key.zip_key).write_bytes(zip_bytes)
    digest = hashlib.sha256(zip_bytes).hexdigest()
    (root / key.checksum_key).write_text(format_checksum(digest, key.file_name))
    return root


@pytest.mark.parametrize("problem", ["corrupt", "malformed"])
def test_a_bad_zip_with_a_matching_checksum_fails_streamed_and_keeps_nothing(
    tmp_path: Path, problem: str
) -> None:
    good = (SAMPLES / KLINES.zip_key).read_bytes()
    if problem == "corrupt":
        bad = bytearray(good)
        bad[len(bad) // 2 : len(bad) // 2 + 64] = bytes(64)
        zip_bytes, expected = bytes(bad), "CorruptArchiveError"
    else:
        zip_bytes = csv_zip(KLINES, "1681516800000,1,2,3,x,5,1681516859999,7,8,9,10,0\n")
        expected = "MalformedDataError"
    with run_mirror(OverlayContent(_overlay(tmp_path, KLINES, zip_bytes))) as mirror:
        report = _run(mirror.base_url, tmp_path / "lake", KLINES)
    record = _record(tmp_path / "lake", KLINES)
    assert report.failed == 1
    assert record.error is not None and record.error.startswith(expected)
    assert _leftovers(tmp_path / "lake") == []
