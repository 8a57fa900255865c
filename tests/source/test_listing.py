"""Listing the bucket over real HTTP: pagination, non-ASCII keys, folders vs files, caching."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest

from marketlake.catalog import Market, Period
from marketlake.errors import CatalogError
from marketlake.mirror import MirrorServer, OverlayContent, run_mirror
from marketlake.source import ArchiveClient, ArchiveListing, FolderListing, RemotePartition
from tests.source.conftest import SAMPLES, fast_config, write_file

DAILY_1D = "data/spot/daily/klines/BTCUSDT/1d/"
NON_ASCII = "币安人生USDT"


def daily_keys(days: int) -> list[str]:
    start = dt.date(2021, 1, 1)
    return [
        f"{DAILY_1D}BTCUSDT-1d-{start + dt.timedelta(days=n):%Y-%m-%d}.zip" for n in range(days)
    ]


async def list_folder(url: str, prefix: str) -> tuple[FolderListing, int]:
    async with ArchiveClient(fast_config(url)) as client:
        listing = await ArchiveListing(client).list_folder(prefix)
    return listing, client.stats.requests


async def partitions(url: str, *args: str) -> tuple[RemotePartition, ...]:
    async with ArchiveClient(fast_config(url)) as client:
        market, period, dataset, symbol, *interval = args
        return await ArchiveListing(client).list_partitions(
            Market.parse(market), Period.parse(period), dataset, symbol, *interval
        )


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    for key in daily_keys(1100):
        write_file(root, key, key.encode())
    return root


def test_a_folder_of_more_than_1000_keys_is_listed_in_pages_each_key_once(big_folder: Path) -> None:
    with run_mirror(OverlayContent(big_folder)) as mirror:
        listing, requests = asyncio.run(list_folder(mirror.base_url, DAILY_1D))
    keys = [file.key for file in listing.files]
    expected = sorted(daily_keys(1100) + [k + ".CHECKSUM" for k in daily_keys(1100)])
    assert keys == expected
    assert requests == 3
    assert listing.folders == ()
    assert listing.prefix == DAILY_1D
    first = listing.files[0]
    assert first.size == len(first.key.encode())
    assert first.last_modified.tzinfo is not None


def test_partitions_pair_each_zip_with_its_checksum(tmp_path: Path) -> None:
    keys = daily_keys(20)
    for n, key in enumerate(keys):
        write_file(tmp_path, key, key.encode(), checksum=n != 5)
    with run_mirror(OverlayContent(tmp_path)) as mirror:
        found = asyncio.run(partitions(mirror.base_url, "spot", "daily", "klines", "BTCUSDT", "1d"))
    assert [p.zip.key for p in found] == keys
    assert [p.key.date for p in found[:2]] == ["2021-01-01", "2021-01-02"]
    assert all(p.key.interval == "1d" and p.key.symbol == "BTCUSDT" for p in found)
    assert [p.has_checksum for p in found].count(False) == 1
    assert not found[5].has_checksum
    assert found[0].checksum is not None
    assert found[0].checksum.key == found[0].zip.key + ".CHECKSUM"


def test_folders_are_not_files_and_symbols_come_from_folders(samples_mirror: MirrorServer) -> None:
    async def run() -> tuple[FolderListing, tuple[str, ...], tuple[str, ...], int]:
        async with ArchiveClient(fast_config(samples_mirror.base_url)) as client:
            listing = ArchiveListing(client)
            klines = await listing.list_folder("data/spot/daily/klines")
            symbols = await listing.list_symbols(Market.SPOT, Period.DAILY, "klines")
            intervals = await listing.list_folder("data/spot/daily/klines/BTCUSDT/")
            return klines, symbols, intervals.folders, client.stats.requests

    klines, symbols, intervals, requests = asyncio.run(run())
    assert klines.files == ()
    assert klines.folders == ("data/spot/daily/klines/ADABTC/", "data/spot/daily/klines/BTCUSDT/")
    assert symbols == ("ADABTC", "BTCUSDT")
    assert intervals == ("data/spot/daily/klines/BTCUSDT/1d/", "data/spot/daily/klines/BTCUSDT/1m/")
    assert requests == 2  # the dataset folder was listed once, then served from the cache


def test_real_samples_list_as_partitions_with_checksums(samples_mirror: MirrorServer) -> None:
    found = asyncio.run(
        partitions(samples_mirror.base_url, "um", "daily", "klines", "BTCUSDT", "1m")
    )
    assert [p.zip.key for p in found] == [
        "data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2023-04-15.zip"
    ]
    on_disk = SAMPLES / found[0].zip.key
    assert found[0].zip.size == on_disk.stat().st_size
    assert found[0].has_checksum


def test_non_ascii_symbols_are_listed_and_downloaded(tmp_path: Path) -> None:
    key = f"data/spot/daily/klines/{NON_ASCII}/1m/{NON_ASCII}-1m-2025-10-01.zip"
    write_file(tmp_path, key, b"not really a zip")
    write_file(tmp_path, "data/spot/daily/klines/龙虾USDT/1m/龙虾USDT-1m-2025-10-01.zip", b"x")
    write_file(tmp_path, "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-10-01.zip", b"y")

    async def run(url: str) -> tuple[tuple[str, ...], tuple[RemotePartition, ...], bytes]:
        async with ArchiveClient(fast_config(url)) as client:
            listing = ArchiveListing(client)
            symbols = await listing.list_symbols(Market.SPOT, Period.DAILY, "klines")
            found = await listing.list_partitions(
                Market.SPOT, Period.DAILY, "klines", NON_ASCII, "1m"
            )
            verified = await client.fetch_verified(found[0].key)
            return symbols, found, verified.data

    with run_mirror(OverlayContent(tmp_path)) as mirror:
        symbols, found, data = asyncio.run(run(mirror.base_url))
    assert symbols == ("BTCUSDT", NON_ASCII, "龙虾USDT")
    assert [p.zip.key for p in found] == [key]
    assert found[0].key.symbol == NON_ASCII
    assert data == b"not really a zip"


def test_non_ascii_pagination_markers_are_encoded(tmp_path: Path) -> None:
    folder = f"data/spot/daily/klines/{NON_ASCII}/1d/"
    start = dt.date(2022, 1, 1)
    keys = [
        f"{folder}{NON_ASCII}-1d-{start + dt.timedelta(days=n):%Y-%m-%d}.zip" for n in range(1001)
    ]
    for key in keys:
        write_file(tmp_path, key, b"z", checksum=False)
    with run_mirror(OverlayContent(tmp_path)) as mirror:
        listing, requests = asyncio.run(list_folder(mirror.base_url, folder))
    assert [f.key for f in listing.files] == keys
    assert requests == 2


def test_listed_files_that_are_not_archive_keys_are_skipped_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = "data/spot/daily/klines/BTCUSDT/1m/"
    write_file(tmp_path, folder + "BTCUSDT-1m-2024-01-01.zip", b"a")
    write_file(tmp_path, folder + "ETHUSDT-1m-2024-01-01.zip", b"b")
    write_file(tmp_path, folder + "notes.txt", b"c", checksum=False)
    with caplog.at_level(logging.WARNING), run_mirror(OverlayContent(tmp_path)) as mirror:
        found = asyncio.run(partitions(mirror.base_url, "spot", "daily", "klines", "BTCUSDT", "1m"))
    assert [p.key.date for p in found] == ["2024-01-01"]
    assert "ETHUSDT-1m-2024-01-01.zip" in caplog.text


def test_listings_survive_transient_faults_when_the_stand_in_injects_them(big_folder: Path) -> None:
    with run_mirror(OverlayContent(big_folder), faults="5xx=0.3,reset=0.2,listing=1", seed=4) as m:
        listing, requests = asyncio.run(list_folder(m.base_url, DAILY_1D))
    assert len(listing.files) == 2200
    assert requests > 3


def test_kline_partitions_need_an_interval(samples_mirror: MirrorServer) -> None:
    with pytest.raises(CatalogError, match="interval"):
        asyncio.run(partitions(samples_mirror.base_url, "spot", "daily", "klines", "BTCUSDT"))


@pytest.mark.slow  # ~7 s: the generated content's stat() costs ~0.8 ms per listed key
def test_the_generated_daily_1d_folder_lists_completely() -> None:

    async def run(url: str) -> tuple[tuple[RemotePartition, ...], bytes, int]:
        async with ArchiveClient(fast_config(url)) as client:
            found = await ArchiveListing(client).list_partitions(
                Market.SPOT, Period.DAILY, "klines", "BTCUSDT", "1d"
            )
            verified = await client.fetch_verified(found[-1].key)
            return found, verified.data, client.stats.requests

    with run_mirror(seed=0) as mirror:
        found, data, requests = asyncio.run(run(mirror.base_url))
    keys = [p.zip.key for p in found]
    assert len(keys) > 1000
    assert keys == sorted(set(keys))
    assert all(p.has_checksum for p in found)
    assert requests >= 3  # more than 1000 zips and their CHECKSUMs span several pages
    assert len(data) == found[-1].zip.size
