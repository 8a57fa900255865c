"""Writing partitions: atomic, deterministic, tuned Parquet, and the catalog's quirks applied."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketlake.catalog import ArchiveKey
from marketlake.catalog.arrow import lake_schema
from marketlake.errors import CorruptArchiveError, LakeError
from marketlake.ingest.decode import decode_csv
from marketlake.ingest.files import TEMP_DIR, remove_partition_files, sweep_temp_files
from marketlake.ingest.parquet import ParquetSink
from marketlake.ingest.quirks import sorted_batches
from marketlake.ingest.unzip import ZipChunks
from marketlake.ingest.write import decode_to_lake, write_partition
from marketlake.lake.layout import dataset_root, partition_path
from tests.ingest.decode_support import csv_zip, sample

KLINES_KEY = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2020-01-01.zip"
UM_TRADES = ArchiveKey.parse("data/futures/um/monthly/trades/BTCUSDT/BTCUSDT-trades-2024-01.zip")
UM_AGG = ArchiveKey.parse(
    "data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2022-09-01.zip"
)


def _trades_csv(ids: list[int]) -> str:
    return "".join(f"{i},{i}.5,0.00{i % 9 + 1},1.{i},{1704067200000 + i},true\n" for i in ids)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_file_metadata_and_encodings(tmp_path: Path) -> None:
    key, data = sample(KLINES_KEY)
    written = decode_to_lake(data, key, tmp_path, sha256="AB" * 32)
    path = tmp_path / written.files[0]
    metadata = pq.read_schema(path).metadata
    assert metadata[b"marketlake.dataset"] == b"klines"
    assert metadata[b"marketlake.market"] == b"spot"
    assert metadata[b"marketlake.schema_version"] == b"1"
    assert metadata[b"marketlake.source_key"] == KLINES_KEY.encode()
    assert metadata[b"marketlake.sha256"] == b"ab" * 32
    meta = pq.ParquetFile(path).metadata
    columns = {meta.schema.column(i).name: meta.row_group(0).column(i) for i in range(12)}
    assert columns["open"].physical_type == "INT64"  # decimal(18, 8) stored as an integer
    assert columns["volume"].physical_type == "FIXED_LEN_BYTE_ARRAY"  # decimal(38, 8)
    assert "DELTA_BINARY_PACKED" in columns["open_time"].encodings
    assert columns["open"].compression == "ZSTD"
    assert columns["open_time"].statistics.has_min_max
    assert (written.bytes_written, written.rows) == (path.stat().st_size, 1440)
    assert written.min_time is not None and written.max_time is not None
    assert (written.min_time.isoformat(), written.max_time.isoformat()) == (
        "2020-01-01T00:00:00+00:00",
        "2020-01-01T23:59:00+00:00",
    )


def test_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    key, data = sample(KLINES_KEY)
    shuffled = csv_zip(UM_TRADES, _trades_csv([5, 3, 9, 1, 7, 2]))
    outputs = []
    for attempt in ("a", "b"):
        lake = tmp_path / attempt
        first = decode_to_lake(data, key, lake, sha256="00" * 32)
        second = decode_to_lake(shuffled, UM_TRADES, lake)
        outputs.append([(lake / w.files[0]).read_bytes() for w in (first, second)])
    assert outputs[0] == outputs[1]


def test_failure_mid_write_leaves_no_file_and_no_temp(tmp_path: Path) -> None:
    key, _ = sample(KLINES_KEY)

    def failing() -> Iterator[pa.RecordBatch]:
        yield from decode_csv([_kline_rows(100)], key, block_size=1024)
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError, match="worker killed"):
        write_partition(failing(), key, tmp_path)
    assert _files(tmp_path) == []


def test_failed_rewrite_keeps_the_previous_file(tmp_path: Path) -> None:
    key, data = sample(KLINES_KEY)
    written = decode_to_lake(data, key, tmp_path)
    before = (tmp_path / written.files[0]).read_bytes()

    def failing() -> Iterator[pa.RecordBatch]:
        yield from decode_csv([_kline_rows(10)], key)
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError):
        write_partition(failing(), key, tmp_path)
    assert _files(tmp_path) == [tmp_path / written.files[0]]
    assert (tmp_path / written.files[0]).read_bytes() == before


def _kline_rows(count: int) -> bytes:
    start = 1577836800000
    rows = (
        f"{start + i * 60000},1.0,1.0,1.0,1.0,1.0,{start + i * 60000 + 59999},1.0,1,1.0,1.0,0\n"
        for i in range(count)
    )
    return "".join(rows).encode()


def test_empty_file_is_written_with_its_schema(tmp_path: Path) -> None:
    key, _ = sample(KLINES_KEY)
    written = decode_to_lake(csv_zip(key, ""), key, tmp_path)
    assert (written.rows, written.rows_in_file, written.min_time) == (0, 0, None)
    table = pq.read_table(tmp_path / written.files[0])
    assert table.num_rows == 0
    assert table.schema.equals(lake_schema("klines", key.market), check_metadata=False)


def test_interleaved_file_is_sorted_by_the_sort_column(tmp_path: Path) -> None:
    ids = [1, 2, 6, 3, 7, 4, 8, 5, 9, 10]
    written = decode_to_lake(csv_zip(UM_TRADES, _trades_csv(ids)), UM_TRADES, tmp_path)
    table = pq.read_table(tmp_path / written.files[0])
    assert table.column("id").to_pylist() == sorted(ids)
    assert [str(p) for p in table.column("price").to_pylist()] == [
        f"{i}.50000000" for i in sorted(ids)
    ]
    assert written.reordered and written.rows == 10
    assert [p.name for p in tmp_path.rglob("*")].count(written.files[0].name) == 1
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_sort_engines_agree_and_keep_ties_in_file_order(engine: str, tmp_path: Path) -> None:
    schema = lake_schema("trades", UM_TRADES.market)
    text = _trades_csv([3, 1, 2]) + "1,99.5,0.001,0.1,1704067200009,false\n"
    table = pa.Table.from_batches(list(decode_csv([text.encode()], UM_TRADES)))
    source = tmp_path / "unsorted.parquet"
    pq.write_table(table, source)
    batches = list(sorted_batches(source, "id", schema, work_dir=tmp_path, engine=engine))
    result = pa.Table.from_batches(batches, schema=schema)
    assert result.column("id").to_pylist() == [1, 1, 2, 3]
    assert [str(p) for p in result.column("price").to_pylist()[:2]] == [
        "1.50000000",
        "99.50000000",
    ]
    assert result.schema.equals(schema, check_metadata=False)


def test_exact_duplicate_rows_of_unflagged_datasets_are_kept_and_counted(tmp_path: Path) -> None:
    row = "7,20000.5,0.001,101,101,1661990400000,true\n"
    text = "6,20000.4,0.002,100,100,1661990400000,false\n" + row + row
    written = decode_to_lake(csv_zip(UM_AGG, text), UM_AGG, tmp_path)
    assert (written.rows, written.rows_in_file, written.repeated_sort_keys) == (3, 3, 1)


def test_liquidation_duplicates_are_dropped_across_batches(tmp_path: Path) -> None:
    key = ArchiveKey.parse(
        "data/futures/um/daily/liquidationSnapshot/BTCUSDT/BTCUSDT-liquidationSnapshot-2024-01-05.zip"
    )
    header = (
        "time,side,order_type,time_in_force,original_quantity,price,average_price,"
        "order_status,last_fill_quantity,accumulated_fill_quantity\n"
    )
    rows = [f"{1704412800000 + i},SELL,LIMIT,IOC,{i % 5 + 1},42000.{i},42001.0,FILLED,1,1\n"
            for i in range(300)]  # fmt: skip
    text = header + "".join(row + row for row in rows)
    batches = decode_csv([text.encode()], key, block_size=2048)
    written = write_partition(batches, key, tmp_path)
    assert (written.rows_in_file, written.rows) == (600, 300)
    times = pq.read_table(tmp_path / written.files[0]).column("time")
    assert len(set(times.to_pylist())) == 300


def test_sweep_removes_old_temp_entries(tmp_path: Path) -> None:
    key, data = sample(KLINES_KEY)
    written = decode_to_lake(data, key, tmp_path)
    temp = tmp_path / TEMP_DIR
    stale = temp / "X.parquet.123.abcd.tmp"
    stale.write_bytes(b"partial")
    stale_dir = temp / "X.parquet.123.abcd.sort.tmp"
    stale_dir.mkdir()
    (stale_dir / "spill").write_bytes(b"x")
    fresh = temp / "Y.parquet.1.ff.tmp"
    fresh.write_bytes(b"in progress")
    old = time.time() - 3600
    for path in (stale, stale_dir):
        os.utime(path, (old, old))
    assert set(sweep_temp_files(tmp_path, min_age_seconds=600)) == {stale, stale_dir}
    assert fresh.exists() and (tmp_path / written.files[0]).exists()
    assert sweep_temp_files(tmp_path) == (fresh,)
    assert sweep_temp_files(tmp_path / "no-lake-here") == ()


def test_temp_files_stay_out_of_partition_folders(tmp_path: Path) -> None:
    key, data = sample(KLINES_KEY)
    written = decode_to_lake(data, key, tmp_path)
    (tmp_path / TEMP_DIR / "Z.parquet.9.aa.tmp").write_bytes(b"a crashed write")
    root = tmp_path / dataset_root(key.market, key.dataset, key.interval)
    frame = pl.scan_parquet(root, hive_partitioning=True).select(pl.len()).collect()
    assert frame.item() == written.rows == 1440


def test_remove_partition_files_prunes_empty_folders(tmp_path: Path) -> None:
    key, data = sample(KLINES_KEY)
    written = decode_to_lake(data, key, tmp_path)
    assert remove_partition_files(tmp_path, written.files) == 1
    assert remove_partition_files(tmp_path, written.files) == 0
    assert [p.name for p in tmp_path.iterdir()] == [TEMP_DIR]
    with pytest.raises(LakeError):
        remove_partition_files(tmp_path, ["../outside.parquet"])


def test_rewrite_replaces_the_previous_file(tmp_path: Path) -> None:
    first = decode_to_lake(csv_zip(UM_TRADES, _trades_csv([1, 2])), UM_TRADES, tmp_path)
    second = decode_to_lake(csv_zip(UM_TRADES, _trades_csv([1, 2, 3])), UM_TRADES, tmp_path)
    assert first.files == second.files == (partition_path(UM_TRADES),)
    assert pq.read_table(tmp_path / second.files[0]).num_rows == 3


def test_bytes_do_not_depend_on_how_the_stream_was_batched(tmp_path: Path) -> None:
    key, data = sample(KLINES_KEY)
    text = b"".join(ZipChunks(data))
    digests = set()
    for block_size in (1 << 20, 5000, 777):
        lake = tmp_path / str(block_size)
        written = write_partition(decode_csv([text], key, block_size=block_size), key, lake)
        digests.add((lake / written.files[0]).read_bytes())
    assert len(digests) == 1


def test_both_sort_engines_give_the_same_file(tmp_path: Path) -> None:
    schema = lake_schema("trades", UM_TRADES.market)
    text = _trades_csv(list(range(3000, 0, -1)))
    source = tmp_path / "unsorted.parquet"
    pq.write_table(pa.Table.from_batches(list(decode_csv([text.encode()], UM_TRADES))), source)
    outputs = []
    for engine in ("duckdb", "polars"):
        out = tmp_path / f"{engine}.parquet"
        batches = sorted_batches(source, "id", schema, work_dir=tmp_path, engine=engine)
        with ParquetSink(out, schema) as sink:
            for batch in batches:
                sink.write(batch)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_corrupt_zip_met_while_streaming_is_corrupt_not_malformed(tmp_path: Path) -> None:
    rows = "".join(f"{i},1.5,0.001,0.0015,{1704067200000 + i},true\n" for i in range(1, 60000))
    data = bytearray(csv_zip(UM_TRADES, rows))
    central = data.rindex(b"PK\x01\x02")
    data[central + 16] ^= 0xFF  # the CRC-32: found wrong only after the last chunk
    with pytest.raises(CorruptArchiveError, match="CRC-32"):
        decode_to_lake(bytes(data), UM_TRADES, tmp_path)
    assert _files(tmp_path) == []
