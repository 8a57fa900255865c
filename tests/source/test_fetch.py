"""Downloads over real HTTP from the stand-in: verified bytes, status codes, retries."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey
from marketlake.errors import (
    BannedError,
    ChecksumMismatchError,
    MissingChecksumError,
    NotFoundError,
    TransientSourceError,
)
from marketlake.mirror import MirrorServer, OverlayContent, run_mirror
from marketlake.source import ArchiveClient, SourceConfig, VerifiedFile
from tests.source.conftest import SAMPLES, fast_config, sample_keys, write_file

FIRST = sample_keys()[0]


async def verify_all(
    config: SourceConfig, keys: list[ArchiveKey]
) -> tuple[list[VerifiedFile], ArchiveClient]:
    async with ArchiveClient(config, seed=0) as client:
        files = await asyncio.gather(*(client.fetch_verified(key) for key in keys))
    return list(files), client


def test_every_real_sample_verifies_and_equals_the_bytes_on_disk(
    samples_mirror: MirrorServer,
) -> None:
    keys = sample_keys()
    assert len(keys) >= 10
    files, client = asyncio.run(verify_all(fast_config(samples_mirror.base_url), keys))
    for key, file in zip(keys, files, strict=True):
        on_disk = (SAMPLES / key.zip_key).read_bytes()
        assert file.key == key
        assert file.data == on_disk
        assert file.size == len(on_disk)
        assert file.sha256 == (SAMPLES / key.checksum_key).read_text().split()[0]
        assert file.etag and '"' not in file.etag
        assert file.last_modified is not None
    assert client.stats.requests == 2 * len(keys)
    assert client.stats.retries == 0
    assert client.stats.bytes_received >= sum(f.size for f in files)


def test_a_large_file_is_verified_while_it_streams(tmp_path: Path) -> None:
    data = os.urandom(9 * 1024 * 1024)
    key = ArchiveKey.parse("data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.zip")
    write_file(tmp_path, key.zip_key, data)
    with run_mirror(OverlayContent(tmp_path)) as mirror:
        files, _ = asyncio.run(verify_all(fast_config(mirror.base_url), [key]))
    assert files[0].data == data


def test_fetch_returns_plain_bytes_of_any_key(samples_mirror: MirrorServer) -> None:
    async def fetch() -> bytes:
        async with ArchiveClient(fast_config(samples_mirror.base_url)) as client:
            return await client.fetch(FIRST.checksum_key)

    assert asyncio.run(fetch()) == (SAMPLES / FIRST.checksum_key).read_bytes()


def test_bad_checksum_is_a_terminal_mismatch_naming_both_hashes_and_the_key() -> None:
    with (
        run_mirror(OverlayContent(SAMPLES), faults="bad_checksum=1") as mirror,
        pytest.raises(ChecksumMismatchError) as info,
    ):
        asyncio.run(verify_all(fast_config(mirror.base_url), [FIRST]))
    real = (SAMPLES / FIRST.checksum_key).read_text().split()[0]
    assert real in info.value.message
    assert FIRST.zip_key in info.value.message
    assert not info.value.transient


def test_an_unpublished_file_is_not_found_without_retries(samples_mirror: MirrorServer) -> None:
    missing = ArchiveKey.parse("data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-1999-01-01.zip")

    async def fetch() -> ArchiveClient:
        async with ArchiveClient(fast_config(samples_mirror.base_url)) as client:
            with pytest.raises(NotFoundError) as info:
                await client.fetch_verified(missing)
            assert info.value.url is not None and info.value.url.endswith(missing.zip_key)
            with pytest.raises(NotFoundError):
                await client.fetch(missing.zip_key)
        return client

    stats = asyncio.run(fetch()).stats
    assert (stats.requests, stats.retries) == (3, 0)


def test_a_zip_without_checksum_cannot_be_verified(tmp_path: Path) -> None:
    key = ArchiveKey.parse("data/spot/daily/klines/BTCUSDT/1d/BTCUSDT-1d-2024-01-01.zip")
    write_file(tmp_path, key.zip_key, b"PK fake zip", checksum=False)
    with (
        run_mirror(OverlayContent(tmp_path)) as mirror,
        pytest.raises(MissingChecksumError) as info,
    ):
        asyncio.run(verify_all(fast_config(mirror.base_url), [key]))
    assert key.checksum_key in info.value.message


@pytest.mark.parametrize(
    "faults",
    ["5xx=0.4", "reset=0.4", "truncate=0.4", "5xx=0.15,reset=0.15,truncate=0.15"],
)
def test_transient_faults_are_retried_until_the_bytes_are_right(faults: str) -> None:
    keys = sample_keys()
    with run_mirror(OverlayContent(SAMPLES), faults=faults, seed=3) as mirror:
        config = fast_config(mirror.base_url, max_retries=12, concurrency=4)
        files, client = asyncio.run(verify_all(config, keys))
        injected = mirror.stats().faults
    assert client.stats.retries > 0
    assert sum(injected.injected.values()) == client.stats.retries
    for key, file in zip(keys, files, strict=True):
        assert file.data == (SAMPLES / key.zip_key).read_bytes()


def test_retries_exhausted_is_transient_and_says_how_many_attempts() -> None:
    with run_mirror(OverlayContent(SAMPLES), faults="5xx=1") as mirror:
        config = fast_config(mirror.base_url, max_retries=3)
        with pytest.raises(TransientSourceError) as info:
            asyncio.run(verify_all(config, [FIRST]))
        assert mirror.stats().requests == 4
    assert info.value.transient
    assert "after 4 attempts" in info.value.message
    assert "HTTP 5" in info.value.message


def test_a_slow_server_times_out_and_is_retried_then_given_up() -> None:
    with run_mirror(OverlayContent(SAMPLES), faults="slow=1:1.0") as mirror:
        config = fast_config(mirror.base_url, max_retries=1, timeout_seconds=0.2)
        with pytest.raises(TransientSourceError, match="timed out"):
            asyncio.run(verify_all(config, [FIRST]))


def test_429_waits_for_retry_after_then_gives_up() -> None:
    with run_mirror(OverlayContent(SAMPLES), faults="429=1:1") as mirror:
        config = fast_config(mirror.base_url, max_retries=1)
        started = time.monotonic()
        with pytest.raises(TransientSourceError) as info:
            asyncio.run(verify_all(config, [FIRST]))
        elapsed = time.monotonic() - started
    assert elapsed >= 1.0
    assert "429" in info.value.message


def test_429_honours_retry_after_and_succeeds() -> None:
    with run_mirror(OverlayContent(SAMPLES), faults="429=0.5:1", seed=2) as mirror:
        config = fast_config(mirror.base_url, max_retries=5)
        started = time.monotonic()
        files, client = asyncio.run(verify_all(config, [FIRST]))
        elapsed = time.monotonic() - started
    assert files[0].data == (SAMPLES / FIRST.zip_key).read_bytes()
    assert client.stats.rate_limited >= 1
    assert client.stats.retries == client.stats.rate_limited
    assert elapsed >= 1.0 * client.stats.rate_limited


def test_418_is_banned_at_once_and_the_client_refuses_further_requests() -> None:
    with run_mirror(OverlayContent(SAMPLES), faults="418=1") as mirror:

        async def run() -> ArchiveClient:
            async with ArchiveClient(fast_config(mirror.base_url)) as client:
                with pytest.raises(BannedError):
                    await client.fetch_verified(FIRST)
                with pytest.raises(BannedError):
                    await client.fetch(FIRST.zip_key)
            return client

        stats = asyncio.run(run()).stats
        assert mirror.stats().requests == 1
    assert (stats.requests, stats.retries) == (1, 0)
