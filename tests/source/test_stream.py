"""Streamed downloads: each attempt into a fresh sink, only the verified one closed as verified."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey
from marketlake.errors import ChecksumMismatchError, NotFoundError
from marketlake.mirror import OverlayContent, run_mirror
from marketlake.source import ArchiveClient, SourceConfig, StreamedFile
from tests.source.conftest import SAMPLES, fast_config, sample_keys, write_file

BIG = ArchiveKey.parse("data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.zip")


class CollectingSink:
    """Keeps what one attempt received and how it was closed."""

    def __init__(self, expected: str) -> None:
        self.expected = expected
        self.chunks: list[bytes] = []
        self.closed: list[bool] = []

    def write(self, chunk: bytes) -> None:
        assert not self.closed, "written after close"
        self.chunks.append(chunk)

    def close(self, *, verified: bool) -> None:
        self.closed.append(verified)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


def opener(sinks: list[CollectingSink]) -> Callable[[str], CollectingSink]:
    """A sink factory that keeps every sink it made."""

    def open_sink(expected: str) -> CollectingSink:
        sinks.append(CollectingSink(expected))
        return sinks[-1]

    return open_sink


async def stream(
    config: SourceConfig, key: ArchiveKey
) -> tuple[StreamedFile, CollectingSink, list[CollectingSink], ArchiveClient]:
    sinks: list[CollectingSink] = []
    open_sink = opener(sinks)
    async with ArchiveClient(config, seed=0) as client:
        try:
            verified, sink = await client.stream_verified(key, open_sink)
        finally:
            for each in sinks:  # every attempt's sink is closed exactly once, whatever happened
                assert len(each.closed) == 1
    return verified, sink, sinks, client


def test_a_streamed_zip_arrives_in_chunks_and_is_closed_verified(tmp_path: Path) -> None:
    data = os.urandom(5 * 1024 * 1024 + 17)
    write_file(tmp_path, BIG.zip_key, data)
    with run_mirror(OverlayContent(tmp_path)) as mirror:
        verified, sink, sinks, _ = asyncio.run(stream(fast_config(mirror.base_url), BIG))
    assert sinks == [sink]
    assert sink.data == data and len(sink.chunks) > 1
    assert sink.closed == [True]
    expected = (tmp_path / BIG.checksum_key).read_text().split()[0]
    assert sink.expected == expected == verified.sha256
    assert verified.size == len(data) and verified.key == BIG
    assert verified.etag and verified.last_modified is not None


@pytest.mark.parametrize("faults", ["reset=0.5", "truncate=0.5", "5xx=0.5"])
def test_failed_attempts_close_their_sinks_unverified_and_the_retry_gets_it_all(
    faults: str,
) -> None:
    key = sample_keys()[0]
    with run_mirror(OverlayContent(SAMPLES), faults=faults, seed=5) as mirror:
        config = fast_config(mirror.base_url, max_retries=12)
        _, sink, sinks, client = asyncio.run(stream(config, key))
    assert client.stats.retries > 0
    assert sink.data == (SAMPLES / key.zip_key).read_bytes()
    assert sink.closed == [True]
    assert all(other.closed == [False] for other in sinks if other is not sink)


def test_a_checksum_mismatch_closes_the_sink_unverified_and_raises() -> None:
    key = sample_keys()[0]
    with run_mirror(OverlayContent(SAMPLES), faults="bad_checksum=1") as mirror:
        sinks: list[CollectingSink] = []

        async def run() -> None:
            async with ArchiveClient(fast_config(mirror.base_url)) as client:
                await client.stream_verified(key, opener(sinks))

        with pytest.raises(ChecksumMismatchError):
            asyncio.run(run())
    assert [s.closed for s in sinks] == [[False]]
    assert sinks[0].data == (SAMPLES / key.zip_key).read_bytes()


def test_a_missing_zip_opens_no_sink(tmp_path: Path) -> None:
    with run_mirror(OverlayContent(tmp_path)) as mirror:
        sinks: list[CollectingSink] = []

        async def run() -> None:
            async with ArchiveClient(fast_config(mirror.base_url)) as client:
                await client.stream_verified(BIG, opener(sinks))

        with pytest.raises(NotFoundError):
            asyncio.run(run())
    assert sinks == []
