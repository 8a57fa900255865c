"""Small zips reach the workers in batches; each zip of a batch still ends on its own."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey, Market, Period, format_checksum
from marketlake.ingest.dispatch import BatchLimits, batch_files
from marketlake.ingest.request import build_request
from marketlake.ingest.run import RunTuning, ingest
from marketlake.manifest import open_manifest
from marketlake.manifest.models import PartitionStatus
from marketlake.mirror import OverlayContent, run_mirror
from marketlake.mirror.generate import GeneratedArchive
from marketlake.settings import ARCHIVE_ID, Settings
from tests.ingest.decode_support import csv_zip
from tests.support.truth import expected_rows, lake_rows

FIRST_DAY = date(2024, 2, 1)
DAYS = 12
BAD_DAY = 5
KEYS = [
    ArchiveKey(Market.UM, Period.DAILY, "klines", "BTCUSDT", "1m", str(FIRST_DAY + timedelta(d)))
    for d in range(DAYS)
]


def _publish(root: Path, key: ArchiveKey, data: bytes) -> None:
    (root / key.zip_key).parent.mkdir(parents=True, exist_ok=True)
    (root / key.zip_key).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (root / key.checksum_key).write_text(format_checksum(digest, key.file_name))


@pytest.mark.parametrize(
    ("workers", "batch_files"), [(1, 32), (2, 3)], ids=["one-batch", "small-batches"]
)
def test_a_bad_zip_fails_alone_and_its_batch_mates_land_exactly(
    tmp_path: Path, workers: int, batch_files: int
) -> None:
    generated = GeneratedArchive(seed=7, now=date(2024, 3, 20), big=False)
    zips = {key: generated.read(key.zip_key) for key in KEYS}
    zips[KEYS[BAD_DAY]] = csv_zip(KEYS[BAD_DAY], "1706745600000,1,2,3,x,5,1706745659999,7\n")
    for key, data in zips.items():
        assert data is not None
        _publish(tmp_path / "overlay", key, data)
    request = build_request(
        market="um", dataset="klines", interval="1m", symbols="BTCUSDT",
        start=FIRST_DAY, end=KEYS[-1].first_day,
    )  # fmt: skip
    tuning = RunTuning(batch_files=batch_files)
    with run_mirror(OverlayContent(tmp_path / "overlay")) as mirror:
        settings = Settings(lake=tmp_path / "lake", source=mirror.base_url, workers=workers)
        report = ingest(settings, request, tuning=tuning)
    assert (report.done, report.failed) == (DAYS - 1, 1)
    with open_manifest(None, lake_root=settings.lake) as store:
        records = {key: store.get(ARCHIVE_ID, key) for key in KEYS}
    for key, record in records.items():
        assert record is not None
        if key == KEYS[BAD_DAY]:
            assert record.status is PartitionStatus.FAILED
            assert record.error is not None and record.error.startswith("MalformedDataError")
            assert record.files == ()
            continue
        data = zips[key]
        assert data is not None and record.status is PartitionStatus.DONE
        assert lake_rows(settings.lake, record.files, key) == expected_rows(data, key)


@pytest.mark.parametrize(
    ("queued", "expected"),
    [(0, 1), (1, 1), (3, 1), (4, 2), (30, 10), (96, 32), (97, 32), (5000, 32)],
)
def test_batches_take_an_even_share_of_the_queue(queued: int, expected: int) -> None:
    limits = BatchLimits(lanes=3, files=32, bytes=8 << 20)
    assert batch_files(queued, limits) == expected
