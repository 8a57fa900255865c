"""Every real archive file, served through the stand-in's overlay, ingested and compared exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey, Period
from marketlake.ingest.request import IngestRequest, build_request
from marketlake.ingest.run import ingest
from marketlake.manifest import open_manifest
from marketlake.manifest.models import PartitionStatus
from marketlake.mirror import OverlayContent, run_mirror
from marketlake.settings import ARCHIVE_ID, Settings
from tests.support.truth import SAMPLES, expected_rows, lake_rows, sample_zips

SAMPLE_KEYS = [ArchiveKey.parse(str(p.relative_to(SAMPLES))) for p in sample_zips()]


@pytest.fixture(scope="module")
def mirror_url() -> object:
    with run_mirror(OverlayContent(SAMPLES)) as mirror:
        yield mirror.base_url


def _request_for(key: ArchiveKey) -> IngestRequest:
    return build_request(
        market=key.market.value,
        dataset=key.dataset,
        interval=key.interval,
        symbols=key.symbol,
        start=key.first_day,
        end=key.last_day,
    )


@pytest.mark.parametrize("key", SAMPLE_KEYS, ids=lambda k: k.file_name)
def test_a_real_archive_file_lands_exactly(
    mirror_url: str, tmp_path: Path, key: ArchiveKey
) -> None:
    settings = Settings(lake=tmp_path / "lake", source=mirror_url, workers=1)
    report = ingest(settings, _request_for(key))
    assert report.failed == 0, report.failures
    with open_manifest(None, lake_root=settings.lake) as store:
        record = store.get(ARCHIVE_ID, key)
    assert record is not None
    assert record.status is PartitionStatus.DONE
    truth = expected_rows((SAMPLES / key.zip_key).read_bytes(), key)
    assert lake_rows(settings.lake, record.files, key) == truth
    assert record.rows == len(truth)
    sha_text = (SAMPLES / key.checksum_key).read_text().split()[0]
    assert record.sha256 == sha_text


def test_monthly_and_daily_samples_keep_their_period(mirror_url: str) -> None:
    periods = {k.period for k in SAMPLE_KEYS}
    assert periods == {Period.DAILY, Period.MONTHLY}
