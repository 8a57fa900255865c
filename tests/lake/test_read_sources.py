"""The read path's seams: extra row sources stitched after the archive, and a manifest in
PostgreSQL instead of the lake's SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from marketlake import Lake
from marketlake.catalog import Market
from marketlake.ingest.request import build_request
from marketlake.ingest.run import ingest
from marketlake.lake.interval import from_micros, to_micros
from marketlake.lake.read import LakeReader
from marketlake.lake.request import ReadRequest
from marketlake.lake.sources import Coverage, Extent, Slice
from marketlake.manifest import open_manifest
from marketlake.mirror import run_mirror
from marketlake.settings import Settings
from tests.lake.read_support import archive, daily_key, partition_truth, read_test_lake

ARCHIVE_END = datetime(2024, 2, 3, tzinfo=UTC)


class RecentRows:
    """An in-memory row source of 1m klines (a stand-in for a live REST/WebSocket tail)."""

    name = "recent"

    def __init__(self, rows: pl.DataFrame) -> None:
        self.rows = rows

    def coverage(self, extent: Extent) -> list[Coverage]:
        if (extent.market, extent.dataset) != (Market.UM, "klines"):
            return []
        if extent.intervals is not None and "1m" not in extent.intervals:
            return []
        found = []
        for (symbol,), group in self.rows.group_by("symbol"):
            if extent.symbols is None or symbol in extent.symbols:
                low, high = group["open_time"].min(), group["open_time"].max()
                found.append(
                    Coverage(str(symbol), "1m", to_micros(low), to_micros(high), group.height)
                )  # type: ignore[arg-type]
        return found

    def scan(self, part: Slice) -> pl.LazyFrame | None:
        if part.interval != "1m":
            return None
        lazy = self.rows.lazy().filter(pl.col("symbol").is_in(list(part.symbols)))
        if part.start is not None:
            lazy = lazy.filter(pl.col("open_time") >= from_micros(part.start))
        if part.end is not None:
            lazy = lazy.filter(pl.col("open_time") < from_micros(part.end))
        return lazy


def _recent_minutes(first: datetime, count: int, volume: str) -> pl.DataFrame:
    """BTCUSDT 1m bars from ``first``, each of ``volume``."""
    lake = Lake(read_test_lake())
    template = lake.klines("BTCUSDT", start="2024-02-02T00:00", end="2024-02-02T00:01").drop(
        "average_price"
    )
    lake.close()
    rows = []
    for index in range(count):
        open_time = first + timedelta(minutes=index)
        row = template.row(0, named=True)
        row.update(
            open_time=open_time, close_time=open_time + timedelta(seconds=59, milliseconds=999)
        )
        row.update(volume=Decimal(volume), quote_volume=Decimal(volume) * 1000)
        rows.append(row)
    return pl.DataFrame(rows, schema=template.schema)


@pytest.fixture(scope="module")
def recent() -> RecentRows:
    overlap = _recent_minutes(ARCHIVE_END - timedelta(minutes=30), 30, "7")  # the archive has these
    after = _recent_minutes(ARCHIVE_END, 120, "1")
    return RecentRows(pl.concat([overlap, after]))


@pytest.fixture(scope="module")
def lake(recent: RecentRows) -> Iterator[Lake]:
    with Lake(read_test_lake(), sources=[recent]) as opened:
        yield opened


def test_recent_rows_continue_after_the_archive_and_never_replace_it(lake: Lake) -> None:
    frame = lake.klines("BTCUSDT", start="2024-02-02T23:00", end="2024-02-03T02:00")
    assert frame.height == 180
    archived = frame.filter(pl.col("open_time") < ARCHIVE_END)
    truth = partition_truth(daily_key("um", "klines", "BTCUSDT", date(2024, 2, 2), "1m"))[-60:]
    assert [row[5] for row in truth] == archived["volume"].to_list()  # not the recent 7s
    assert set(frame.filter(pl.col("open_time") >= ARCHIVE_END)["volume"]) == {Decimal(1)}


def test_resampled_bars_span_archive_and_recent_rows(lake: Lake) -> None:
    hours = lake.klines("BTCUSDT", interval="1h", start="2024-02-02T23:00", end="2024-02-03T02:00")
    # 1h is stored in the archive for 2024-02-02 but not after: each symbol/interval is its own
    assert hours["open_time"].to_list()[-2:] == [ARCHIVE_END, ARCHIVE_END + timedelta(hours=1)]
    four = lake.klines("BTCUSDT", interval="4h", start="2024-02-02T20:00", end="2024-02-03T04:00")
    assert four["volume"][-1] == Decimal(120)
    assert lake.klines("BTCUSDT", interval="4h", complete_only=True, start="2024-02-03").height == 0


def test_a_reader_without_the_source_ends_with_the_archive() -> None:
    request = ReadRequest.build(
        market="um", dataset="klines", symbols="BTCUSDT", start="2024-02-02T23:00"
    )
    with LakeReader.open(read_test_lake()) as reader:
        frame = reader.read(request)
    assert frame["open_time"].max() == ARCHIVE_END - timedelta(minutes=1)


def test_a_lake_whose_manifest_is_in_postgresql(tmp_path: Path, pg_manifest_dsn: str) -> None:
    root = tmp_path / "lake"
    with open_manifest(pg_manifest_dsn, lake_root=root) as store:
        store.init_schema()
    request = build_request(
        market="um", dataset="klines", interval="1m", symbols="BTCUSDT",
        start=date(2024, 1, 31), end=date(2024, 1, 31),
    )  # fmt: skip
    with run_mirror(archive()) as mirror:
        settings = Settings(lake=root, manifest=pg_manifest_dsn, source=mirror.base_url, workers=1)
        assert ingest(settings, request).done == 1
    with Lake.from_settings(Settings(lake=root, manifest=pg_manifest_dsn)) as lake:
        assert lake.manifest.location.startswith("postgresql://")
        frame = lake.klines("BTCUSDT", start="2024-01-31", end="2024-02-01")
        truth = partition_truth(daily_key("um", "klines", "BTCUSDT", date(2024, 1, 31), "1m"))
        assert [row[0] for row in truth] == frame["open_time"].to_list()
        assert lake.sql("SELECT count(*) AS n FROM um_klines_1m")["n"][0] == len(truth)
