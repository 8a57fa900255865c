"""The decoded-file cache: answers equal to the uncached read path, never stale, bounded.

Every comparison is against the same lake read without a cache (``DataFrame.equals``: schema
and values), and for a cached reader both the first (decoding) and the second (cached) read.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketlake import Lake
from marketlake.errors import LakeError
from marketlake.lake.cache import DecodedFileCache
from marketlake.lake.read import LakeReader
from marketlake.lake.request import Bars, ReadRequest
from tests.lake.read_support import read_test_lake

CACHE_BYTES = 256 * 2**20

REQUESTS = {
    "1m whole": {"market": "um", "dataset": "klines", "symbols": ["BTCUSDT", "ETHUSDT"]},
    "1m inside a day": {
        "market": "um",
        "dataset": "klines",
        "symbols": "BTCUSDT",
        "start": "2024-01-31 05:17",
        "end": "2024-02-01 13:03",
    },
    "4h offset": {
        "market": "um",
        "dataset": "klines",
        "symbols": ["ETHUSDT", "BTCUSDT"],
        "interval": "4h",
        "offset": "90m",
        "start": "2024-01-30 03:00",
        "end": "2024-02-02 07:00",
    },
    "7m complete only": {
        "market": "um",
        "dataset": "klines",
        "symbols": "BTCUSDT",
        "interval": 7,
        "start": "2024-01-31 00:03",
        "end": "2024-01-31 22:00",
        "complete_only": True,
    },
    "1d float view": {"market": "um", "dataset": "klines", "interval": "1d", "exact": False},
    "spot outage 5m": {"market": "spot", "dataset": "klines", "interval": 5},
    "aggTrades window": {
        "market": "um",
        "dataset": "aggTrades",
        "symbols": "ETHUSDT",
        "start": "2024-01-31 08:00",
        "end": "2024-02-01 02:30",
    },
    "trades volume bars": {
        "market": "um",
        "dataset": "trades",
        "symbols": "BTCUSDT",
        "bars": Bars.parse("volume", "3"),
    },
    "fundingRate": {"market": "um", "dataset": "fundingRate", "start": "2024-01-10"},
    "metrics columns": {
        "market": "um",
        "dataset": "metrics",
        "columns": ["create_time", "sum_open_interest"],
    },
    "EOHSummary": {"market": "option", "dataset": "EOHSummary"},
}


@pytest.fixture(scope="module")
def plain() -> Iterator[LakeReader]:
    with LakeReader.open(read_test_lake()) as reader:
        yield reader


@pytest.fixture(scope="module")
def cached() -> Iterator[LakeReader]:
    with LakeReader.open(read_test_lake(), cache_bytes=CACHE_BYTES) as reader:
        yield reader


@pytest.fixture
def lake_copy(tmp_path: Path) -> Path:
    """A private copy of the test lake, to re-write and delete files in."""
    return Path(shutil.copytree(read_test_lake(), tmp_path / "lake"))


@pytest.mark.parametrize("name", list(REQUESTS))
def test_cached_answers_equal_uncached(name: str, plain: LakeReader, cached: LakeReader) -> None:
    request = ReadRequest.build(**REQUESTS[name])  # type: ignore[arg-type]
    expected = plain.read(request)
    assert expected.height > 0
    first, second = cached.read(request), cached.read(request)
    assert first.equals(expected)
    assert second.equals(expected)
    streamed = pa.Table.from_batches(list(cached.record_batches(request, max_rows=1000)))
    assert streamed.equals(pa.Table.from_batches(list(plain.record_batches(request))))


def test_second_read_is_served_from_the_cache(lake_copy: Path) -> None:
    request = ReadRequest.build(market="um", dataset="klines", symbols=["BTCUSDT", "ETHUSDT"])
    with LakeReader.open(lake_copy, cache_bytes=CACHE_BYTES) as reader:
        assert reader.cache is not None
        reader.read(request)
        after_first = reader.cache.stats()
        assert after_first.misses == after_first.entries == 8  # 2 symbols x 4 days
        assert after_first.hits == 0 and 0 < after_first.nbytes <= CACHE_BYTES
        reader.read(request)
        after_second = reader.cache.stats()
    assert (after_second.hits, after_second.misses) == (8, 8)


def test_sdk_keeps_no_cache_by_default() -> None:
    with Lake(read_test_lake()) as lake:
        assert lake.reader.cache is None
    with Lake(read_test_lake(), cache_bytes=2**20) as lake:
        assert lake.reader.cache is not None and lake.reader.cache.max_bytes == 2**20


def test_a_rewritten_file_is_never_served_stale(lake_copy: Path) -> None:
    request = ReadRequest.build(
        market="um", dataset="klines", symbols="BTCUSDT", start="2024-01-31", end="2024-02-01"
    )
    with LakeReader.open(lake_copy, cache_bytes=CACHE_BYTES) as reader:
        before = reader.read(request)
        path = only_file(reader, request)
        republish(path, close=Decimal("12345.67890000"))
        after = reader.read(request)
    assert after["close"][0] == Decimal("12345.67890000") != before["close"][0]
    assert after.slice(1).equals(before.slice(1))
    with LakeReader.open(lake_copy) as fresh:
        assert fresh.read(request).equals(after)


def test_eviction_keeps_the_cache_bounded(plain: LakeReader) -> None:
    request = ReadRequest.build(market="um", dataset="klines", symbols=["BTCUSDT", "ETHUSDT"])
    one_file = ReadRequest.build(
        market="um", dataset="klines", symbols="BTCUSDT", start="2024-01-30", end="2024-01-31"
    )
    with LakeReader.open(read_test_lake()) as probe:
        budget = 3 * probe.read(one_file).estimated_size()  # about three decoded files
    expected = plain.read(request)
    with LakeReader.open(read_test_lake(), cache_bytes=int(budget)) as reader:
        assert reader.cache is not None
        for _ in range(2):
            assert reader.read(request).equals(expected)
        stats = reader.cache.stats()
    assert 0 < stats.nbytes <= budget
    assert 1 <= stats.entries < 8 and stats.evictions >= 8 - stats.entries
    assert stats.misses > 8  # evicted files were decoded again


def test_a_file_larger_than_the_cache_is_read_not_kept(plain: LakeReader) -> None:
    request = ReadRequest.build(market="um", dataset="aggTrades", symbols="BTCUSDT")
    with LakeReader.open(read_test_lake(), cache_bytes=1000) as reader:
        assert reader.read(request).equals(plain.read(request))
        assert reader.cache is not None
        assert reader.cache.stats().entries == 0


def test_concurrent_reads_share_the_cache(plain: LakeReader) -> None:
    requests = [
        ReadRequest.build(**REQUESTS[n]) for n in ("1m whole", "4h offset", "1d float view")
    ]  # type: ignore[arg-type]
    expected = [plain.read(r) for r in requests]
    failures: list[str] = []
    barrier = threading.Barrier(8)
    with LakeReader.open(read_test_lake(), cache_bytes=CACHE_BYTES) as reader:

        def work(index: int) -> None:
            barrier.wait()
            for round_ in range(3):
                which = (index + round_) % len(requests)
                if not reader.read(requests[which]).equals(expected[which]):
                    failures.append(f"thread {index} round {round_}")

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert reader.cache is not None
        stats = reader.cache.stats()
    assert failures == []
    assert stats.hits > 0 and stats.hits + stats.misses >= 8 * 3


@pytest.mark.parametrize("cache_bytes", [0, CACHE_BYTES])
def test_a_vanished_file_is_a_lake_error(lake_copy: Path, cache_bytes: int) -> None:
    request = ReadRequest.build(
        market="um", dataset="klines", symbols="ETHUSDT", start="2024-02-01", end="2024-02-02"
    )
    with LakeReader.open(lake_copy, cache_bytes=cache_bytes) as reader:
        path = only_file(reader, request)
        path.unlink()
        with pytest.raises(LakeError, match="gone"):
            reader.read(request)
        with pytest.raises(LakeError, match="gone"):
            list(reader.record_batches(request))


def test_cache_needs_a_positive_size() -> None:
    with pytest.raises(LakeError, match="positive"):
        DecodedFileCache(0)


def only_file(reader: LakeReader, request: ReadRequest) -> Path:
    """The one lake file holding ``request``'s rows."""
    plan = reader.plan(request)
    [part] = plan.parts
    [file] = reader.index.files(
        part.slice.market,
        part.slice.dataset,
        interval=part.slice.interval,
        symbols=part.slice.symbols,
        start=part.slice.start,
        end=part.slice.end,
    )
    return file.path


def republish(path: Path, *, close: Decimal) -> None:
    """Re-write ``path`` the way ingest does (a new file renamed into place) with the first
    row's close changed."""
    table = pq.read_table(path)
    closes = table.column("close").to_pylist()
    closes[0] = close
    index = table.schema.get_field_index("close")
    changed = table.set_column(
        index, table.schema.field(index), pa.array(closes, table.column("close").type)
    )
    staged = path.with_suffix(".staged")
    pq.write_table(changed, staged, compression="zstd")
    staged.replace(path)
    assert pl.read_parquet(path)["close"][0] == close
