"""Generated zips: deterministic per seed, with an exact CHECKSUM, ETag and publication time."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest

from marketlake.catalog import ArchiveKey, parse_checksum
from marketlake.mirror.generate import GeneratedArchive
from tests.mirror.generated_csv import NOW, small_archive

KEYS = (
    "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2021-03-04.zip",
    "data/spot/monthly/klines/ETHUSDT/1d/ETHUSDT-1d-2022-02.zip",
    "data/futures/um/daily/trades/ETHUSDT/ETHUSDT-trades-2023-01-01.zip",
    "data/futures/cm/daily/aggTrades/BTCUSD_PERP/BTCUSD_PERP-aggTrades-2023-01-01.zip",
    "data/futures/um/daily/bookDepth/BTCUSDT/BTCUSDT-bookDepth-2024-05-01.zip",
    "data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-02.zip",
    "data/option/daily/EOHSummary/BTCUSDT/BTCUSDT-EOHSummary-2023-03-10.zip",
    "data/spot/daily/klines/币安人生USDT/1h/币安人生USDT-1h-2025-11-01.zip",
)


@pytest.fixture(scope="module")
def archive() -> GeneratedArchive:
    return small_archive()


@pytest.mark.parametrize("key", KEYS)
def test_same_seed_same_bytes_other_seed_other_bytes(archive: GeneratedArchive, key: str) -> None:
    first = archive.read(key)
    assert first is not None
    assert small_archive().read(key) == first
    assert small_archive(seed=1).read(key) != first


@pytest.mark.parametrize("key", KEYS)
def test_checksum_sibling_is_sha256_two_spaces_name(archive: GeneratedArchive, key: str) -> None:
    data = archive.read(key)
    checksum = archive.read(key + ".CHECKSUM")
    assert data is not None and checksum is not None
    name = key.rsplit("/", 1)[1]
    assert checksum == f"{hashlib.sha256(data).hexdigest()}  {name}".encode()
    assert parse_checksum(checksum.decode()) == (hashlib.sha256(data).hexdigest(), name)


@pytest.mark.parametrize("key", KEYS)
def test_stat_gives_exact_size_md5_etag_and_publication_time(
    archive: GeneratedArchive, key: str
) -> None:
    info = archive.stat(key)
    data = archive.read(key)
    assert info is not None and data is not None
    assert (info.key, info.size, info.etag) == (key, len(data), hashlib.md5(data).hexdigest())
    archive_key = ArchiveKey.parse(key)
    assert info.last_modified.tzinfo is UTC
    assert info.last_modified.date() > archive_key.last_day  # published after the data, not on it
    checksum_info = archive.stat(key + ".CHECKSUM")
    checksum = archive.read(key + ".CHECKSUM")
    assert checksum_info is not None and checksum is not None
    assert checksum_info.size == len(checksum)
    assert checksum_info.last_modified == info.last_modified


@pytest.mark.parametrize("key", KEYS)
def test_zip_holds_one_deflated_csv_named_like_the_zip(archive: GeneratedArchive, key: str) -> None:
    data = archive.read(key)
    assert data is not None
    with zipfile.ZipFile(io.BytesIO(data)) as archive_zip:
        (member,) = archive_zip.infolist()
        assert archive_zip.testzip() is None
    assert member.filename == ArchiveKey.parse(key).csv_name
    assert member.compress_type == zipfile.ZIP_DEFLATED
    assert member.create_system == 3  # Unix, as the archive writes them
    info = archive.stat(key)
    assert info is not None
    assert datetime(*member.date_time, tzinfo=UTC) == info.last_modified.replace(
        second=info.last_modified.second // 2 * 2
    )


def test_daily_publication_is_the_next_day_or_a_few_days_late_for_futures() -> None:
    archive = small_archive()
    spot = "data/spot/daily/klines/BTCUSDT/1d/BTCUSDT-1d-2024-02-{:02d}.zip"
    futures = "data/futures/um/daily/klines/BTCUSDT/1d/BTCUSDT-1d-2024-02-{:02d}.zip"
    delays = []
    for day in range(1, 29):
        for pattern, late_allowed in ((spot, 0), (futures, 3)):
            info = archive.stat(pattern.format(day))
            assert info is not None
            delay = (info.last_modified.date() - date(2024, 2, day)).days
            assert 1 <= delay <= 1 + late_allowed
            delays.append(delay)
    assert set(delays) > {1}  # some futures files are late


def test_a_file_appears_only_once_published() -> None:
    key = "data/spot/daily/klines/BTCUSDT/1d/BTCUSDT-1d-2026-11-19.zip"
    assert small_archive(now=date(2026, 11, 19)).stat(key) is None
    assert small_archive(now=date(2026, 11, 20)).stat(key) is not None
    month = "data/spot/monthly/klines/BTCUSDT/1d/BTCUSDT-1d-2026-09.zip"
    info = small_archive().stat(month)
    assert info is not None
    published = info.last_modified.date()
    assert date(2026, 10, 5) <= published <= date(2026, 10, 15)  # first Monday .. the 15th
    assert small_archive(now=published - timedelta(days=1)).stat(month) is None
    assert small_archive(now=published).stat(month) is not None
    assert (
        small_archive().stat("data/spot/monthly/klines/BTCUSDT/1d/BTCUSDT-1d-2026-11.zip") is None
    )


def test_unknown_keys_are_not_served(archive: GeneratedArchive) -> None:
    for key in (
        "data/spot/daily/klines/BTCUSDT/1M/BTCUSDT-1M-2024-01-01.zip",
        "data/spot/daily/klines/NOPEUSDT/1m/NOPEUSDT-1m-2024-01-01.zip",
        "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2016-01-01.zip",
        "data/spot/daily/bookDepth/BTCUSDT/BTCUSDT-bookDepth-2024-01-01.zip",
        "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.csv",
        "data/spot/daily/klines/BTCUSDT/1m/",
        "nothing",
    ):
        assert archive.stat(key) is None
        assert archive.read(key) is None


def test_generated_bytes_are_cached_within_the_byte_budget() -> None:
    archive = GeneratedArchive(seed=0, now=NOW, big=False, cache_bytes=200_000)
    first = archive.read(KEYS[0])
    assert first is not None
    assert archive.read(KEYS[0]) is first
    for day in range(1, 10):
        archive.read(f"data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2021-04-0{day}.zip")
    again = archive.read(KEYS[0])
    assert again == first and again is not first  # evicted, then regenerated identically


def test_bytes_do_not_depend_on_the_process() -> None:
    script = (
        "import hashlib, datetime, sys\n"
        "from marketlake.mirror.generate import GeneratedArchive\n"
        "archive = GeneratedArchive(seed=3, now=datetime.date(2026, 11, 21), big=False)\n"
        "for key in sys.argv[1:]:\n"
        "    print(hashlib.sha256(archive.read(key)).hexdigest())\n"
    )
    keys = [KEYS[0], KEYS[2], KEYS[7]]
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, *keys],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
        ).stdout
        for hash_seed in (1, 2)
    ]
    archive = GeneratedArchive(seed=3, now=NOW, big=False)
    here = "".join(hashlib.sha256(archive.read(k) or b"").hexdigest() + "\n" for k in keys)
    assert runs == [here, here]
