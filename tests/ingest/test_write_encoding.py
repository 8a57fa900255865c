"""The lake's Parquet encodings: dictionaries where values repeat, contiguous row groups."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from marketlake.catalog import ArchiveKey
from marketlake.ingest.decode import decode_csv
from marketlake.ingest.parquet import DICTIONARY_MIN_ROWS, _split_rows
from marketlake.ingest.write import decode_to_lake, write_partition
from tests.ingest.decode_support import csv_zip, sample

KLINES_KEY = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2020-01-01.zip"
TRADES = ArchiveKey.parse("data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-05.zip")
METRICS = ArchiveKey.parse("data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2024-01-05.zip")


def _encodings(path: Path) -> dict[str, tuple[str, ...]]:
    meta = pq.ParquetFile(path).metadata
    group = meta.row_group(0)
    return {
        group.column(i).path_in_schema: tuple(group.column(i).encodings)
        for i in range(group.num_columns)
    }


def _trades(rows: int) -> bytes:
    lines = (
        f"{i},{42000 + i % 50}.5,0.00{i % 7 + 1},{i}.75,{1704412800000 + i},{i % 2 == 0}\n"
        for i in range(rows)
    )
    return "".join(lines).encode()


def test_small_file_keeps_decimals_plain_and_text_in_a_dictionary(tmp_path: Path) -> None:
    key, data = sample(KLINES_KEY)
    klines = _encodings(tmp_path / decode_to_lake(data, key, tmp_path).files[0])
    assert "RLE_DICTIONARY" not in klines["open"] + klines["volume"]
    assert "DELTA_BINARY_PACKED" in klines["open_time"] and "DELTA_BINARY_PACKED" in klines["count"]
    header = (
        "create_time,symbol,sum_open_interest,sum_open_interest_value,"
        "count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,"
        "count_long_short_ratio,sum_taker_long_short_vol_ratio\n"
    )
    rows = "".join(f"2024-01-05 00:{m:02d}:00,BTCUSDT,1.5,2.5,1,1.25,1,0.9\n" for m in range(60))
    written = decode_to_lake(csv_zip(METRICS, header + rows), METRICS, tmp_path)
    metrics = _encodings(tmp_path / written.files[0])
    assert "RLE_DICTIONARY" in metrics["symbol"]
    assert "RLE_DICTIONARY" not in metrics["sum_open_interest"]


def test_large_file_puts_repeated_prices_and_quantities_in_a_dictionary(tmp_path: Path) -> None:
    rows = DICTIONARY_MIN_ROWS + 10
    written = decode_to_lake(csv_zip(TRADES, _trades(rows)), TRADES, tmp_path)
    path = tmp_path / written.files[0]
    encodings = _encodings(path)
    assert "RLE_DICTIONARY" in encodings["price"] and "RLE_DICTIONARY" in encodings["qty"]
    assert "DELTA_BINARY_PACKED" in encodings["id"] and "DELTA_BINARY_PACKED" in encodings["time"]
    assert pq.ParquetFile(path).metadata.row_group(0).column(1).compression == "ZSTD"
    table = pq.read_table(path)
    assert table.num_rows == written.rows == rows
    assert str(table.column("price")[rows - 1]) == f"{42000 + (rows - 1) % 50}.50000000"


def test_large_file_bytes_do_not_depend_on_blocks_or_threads(tmp_path: Path) -> None:
    text = _trades(DICTIONARY_MIN_ROWS + 5000)
    outputs = set()
    for threads, block_size in [(0, 1 << 22), (2, 50_000), (3, 123_457)]:
        lake = tmp_path / f"{threads}-{block_size}"
        batches = decode_csv([text], TRADES, block_size=block_size, threads=threads)
        written = write_partition(batches, TRADES, lake)
        outputs.add((lake / written.files[0]).read_bytes())
    assert len(outputs) == 1


@settings(max_examples=100, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=8),
    data=st.data(),
)
def test_split_rows_takes_a_contiguous_prefix_and_keeps_the_rest(
    lengths: list[int], data: st.DataObject
) -> None:
    values = list(range(sum(lengths)))
    pieces, at = [], 0
    for length in lengths:
        pieces.append(pa.array(values[at : at + length], pa.int64()))
        at += length
    rows = data.draw(st.integers(min_value=1, max_value=len(values)))
    taken, rest = _split_rows(pieces, rows)
    assert taken.to_pylist() == values[:rows]
    assert [v for piece in rest for v in piece.to_pylist()] == values[rows:]
    assert all(len(piece) > 0 for piece in rest)
