"""Blocks and threads: the text cut at line ends, parsed in order, whatever the threads do."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketlake.catalog import ArchiveKey
from marketlake.catalog.arrow import lake_schema
from marketlake.errors import MalformedDataError
from marketlake.ingest.blocks import TextBlock, parsed_blocks, text_blocks
from marketlake.ingest.decode import decode_csv
from marketlake.ingest.write import write_partition
from tests.ingest.decode_support import REPO_ROOT, SAMPLES

UM_TRADES = ArchiveKey.parse("data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-05.zip")
UM_MONTHLY = ArchiveKey.parse("data/futures/um/monthly/trades/BTCUSDT/BTCUSDT-trades-2024-01.zip")
SCHEMA = lake_schema("trades", UM_TRADES.market)


def _trades(ids: range | list[int]) -> bytes:
    rows = (
        f"{i},{42000 + i % 97}.{i % 10},0.0{i % 89 + 10},{i}.25,{1704412800000 + i},"
        f"{'true' if i % 3 else 'false'}\n"
        for i in ids
    )
    return "".join(rows).encode()


def _table(text: bytes, **options: int) -> pa.Table:
    return pa.Table.from_batches(list(decode_csv([text], UM_TRADES, **options)), schema=SCHEMA)


def _csv_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("marketlake-csv")]


lines = st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    lines=lines,
    crlf=st.booleans(),
    trailing=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6),
    block_size=st.integers(min_value=1, max_value=120),
)
def test_blocks_are_whole_lines_that_join_back_to_the_text(
    lines: list[bytes], crlf: bool, trailing: bool, cuts: list[int], block_size: int
) -> None:
    end = b"\r\n" if crlf else b"\n"
    text = end.join(lines) + (end if trailing and lines else b"")
    points = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    chunks = [text[a:b] for a, b in itertools.pairwise(points)] or [b""]
    blocks = [bytes(b.text) for b in text_blocks(chunks[0], iter(chunks[1:]), block_size)]
    assert b"".join(blocks) == text
    assert all(block for block in blocks)
    assert all(block.endswith(b"\n") for block in blocks[:-1])
    assert all(len(block) <= block_size or block.count(b"\n") <= 1 for block in blocks)


def test_threads_and_block_sizes_do_not_change_the_rows() -> None:
    text = _trades(range(20_000))
    whole = _table(text, threads=0)
    assert whole.num_rows == 20_000 and whole.column("id").to_pylist() == list(range(20_000))
    for threads, block_size in [(1, 50_000), (2, 7_777), (4, 100_000)]:
        assert _table(text, threads=threads, block_size=block_size).equals(whole)
    assert _csv_threads() == []


def test_batches_come_out_in_file_order_one_per_block() -> None:
    text = _trades(range(10_000))
    batches = list(decode_csv([text], UM_TRADES, block_size=20_000, threads=3))
    assert len(batches) > 10
    firsts = [batch.column("id")[0].as_py() for batch in batches]
    assert firsts == sorted(firsts) and firsts[0] == 0


def test_refused_value_in_a_later_block_names_the_file_row_in_threads() -> None:
    text = _trades(range(5000)).replace(b"\n4321,", b"\nx4321,", 1)
    with pytest.raises(MalformedDataError) as caught:
        _table(text, block_size=4096, threads=2)
    assert "data row 4322, column 'id' (value 'x4321')" in caught.value.message
    assert _csv_threads() == []


def test_short_row_in_a_later_block_names_the_file_row() -> None:
    text = _trades(range(3000)).replace(b"\n2500,", b"\n", 1)
    with pytest.raises(MalformedDataError, match=r"data row 2501 has 5 columns, expected 6"):
        _table(text, block_size=4096, threads=2)


def test_blank_lines_do_not_shift_the_row_named() -> None:
    text = _trades(range(300)).replace(b"\n", b"\n\n", 40) + b"300,1.5,x,1,1704412800300,true\n"
    with pytest.raises(MalformedDataError, match=r"data row 301, column 'qty' \(value 'x'\)"):
        _table(text, block_size=512, threads=2)


def test_a_consumer_that_stops_early_stops_the_threads() -> None:
    batches = decode_csv([_trades(range(20_000))], UM_TRADES, block_size=8192, threads=2)
    next(batches)
    assert _csv_threads()
    batches.close()
    assert _csv_threads() == []


def test_parse_errors_reach_the_consumer_in_block_order() -> None:
    def parse(block: TextBlock) -> int:
        if bytes(block.text).startswith(b"bad"):
            raise ValueError(bytes(block.text))
        return len(block.text)

    blocks = iter([TextBlock(b"ok1\n"), TextBlock(b"bad\n"), TextBlock(b"ok22\n")])
    results = []
    with pytest.raises(ValueError, match="bad"):
        for _, result in parsed_blocks(parse, blocks, threads=2):
            results.append(result())
    assert results == [4]


def test_interleaved_file_in_many_blocks_is_sorted(tmp_path: Path) -> None:
    ids = [i for pair in zip(range(0, 3000), range(3000, 6000), strict=True) for i in pair]
    text = _trades(list(reversed(ids[:100])) + ids[100:])
    batches = decode_csv([text], UM_MONTHLY, block_size=10_000, threads=2)
    written = write_partition(batches, UM_MONTHLY, tmp_path)
    ids_read = pq.read_table(tmp_path / written.files[0]).column("id").to_pylist()
    assert ids_read == list(range(6000)) and written.reordered


def test_decoding_does_not_import_pandas() -> None:
    """pyarrow imports pandas to turn a timestamp or a Python list into Arrow: 0.5 s, 40 MB."""
    script = (
        "import sys, tempfile\n"
        "from pathlib import Path\n"
        "from marketlake.catalog import ArchiveKey\n"
        "from marketlake.ingest.write import decode_to_lake\n"
        f"root = Path({str(SAMPLES.resolve())!r})\n"
        "with tempfile.TemporaryDirectory() as lake:\n"
        "    for path in sorted(root.rglob('*.zip')):\n"
        "        key = ArchiveKey.parse(path.relative_to(root).as_posix())\n"
        "        decode_to_lake(path.read_bytes(), key, Path(lake), durable=False)\n"
        "print('pandas' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "False"
