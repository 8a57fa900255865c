"""The lake's Parquet encoding, and a writer that cuts a batch stream into row groups.

Choices, measured on the archive's data:

* zstd at its fast level -1 rather than 1: files 4-5 % larger (a month of 1m klines, a day
  of trades), and a year of 1m klines reads back about 25 % faster, because Polars spends
  about half of such a read inflating zstd; statistics on; decimals of precision <= 18 stored
  as INT64;
* data pages of 64 KiB rather than Arrow's 1 MiB: a reader looking for one day of a month's
  1m klines inflates and decodes only the pages that hold it (twice as fast), for files
  0.4-1.3 % larger;
* row groups of about half a million rows, fewer for wide schemas, so that one row group's
  Arrow data stays under 64 MiB (a writer holds about two: one being encoded on a background
  thread while the next is gathered);
* time and integer (id) columns DELTA_BINARY_PACKED;
* text and boolean columns dictionary-encoded (symbols, sides, statuses);
* decimals without a dictionary in small files (a day or month of klines, bookDepth or
  metrics: values mostly distinct, a dictionary made files 10-25 % larger and slower to
  write); there the INT64-backed ones (prices) are DELTA_BINARY_PACKED: neighbouring bars'
  prices differ by a few ticks, so a month of 1m klines is 24 % smaller and reads back
  about 25 % faster (zstd has less to inflate); the wide ones (FIXED_LEN_BYTE_ARRAY, which
  Polars decodes only PLAIN or dictionary-encoded) stay plain;
* decimals dictionary-encoded from 65,536 rows (a day of trades repeats prices and
  quantities: 10 % smaller than plain, and reads faster than delta; Arrow falls back to
  plain pages by itself where a dictionary outgrows 1 MiB).

The bytes written depend only on the rows, not on how the stream was batched.
"""

from __future__ import annotations

import functools
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

CHUNK_ROWS = 65_536
ROW_GROUP_MAX_ROWS = 8 * CHUNK_ROWS
ROW_GROUP_TARGET_BYTES = 64 * 1024 * 1024
COMPRESSION = "zstd"
COMPRESSION_LEVEL = -1
DATA_PAGE_BYTES = 64 * 1024
DICTIONARY_MIN_ROWS = CHUNK_ROWS
"""Files from this many rows dictionary-encode their decimals too (see the module notes)."""
_VARIABLE_WIDTH = 16
INT64_DECIMAL_DIGITS = 18
"""Decimals of at most this precision are stored as INT64 in Parquet."""


def release_arrow_memory() -> None:
    """Hand memory Arrow keeps cached back to the system before another engine needs some."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


class ParquetSink:
    """A Parquet writer that cuts any batch stream into the same row groups, each contiguous.

    Batches are staged, column by column, until a row group's worth of rows is there; each
    column's rows are then copied into one contiguous array (its staged pieces released as
    soon as it is done, so gathering a group never holds it twice) and the group is written.
    Arrow's writer cuts pages by counting rows within each chunk, so contiguous row groups
    make the file's bytes depend only on the rows, not on how the stream was batched (the
    decoder's block size, or which sort engine produced it). The writer is opened with the
    first row group, when the file is known to be large or not.

    Full row groups are encoded and compressed on one background thread (Arrow releases the
    GIL) while the caller goes on decoding the next; one group at a time, in order. The last
    group, and a small file's only one, is written in the calling thread.
    """

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._path = path
        self._schema = schema
        self._group_rows = row_group_rows(schema)
        self._staged: list[list[pa.Array]] = [[] for _ in schema]
        self._staged_rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._background: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        self.rows = 0

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            self._wait(quietly=exc_type is not None)
            if exc_type is None:
                self._write_group(self._staged_rows, inline=True)
        finally:
            if self._background is not None:
                self._background.shutdown(wait=True)
            if self._writer is not None:
                self._writer.close()

    def _wait(self, *, quietly: bool = False) -> None:
        """Wait for the row group being written in the background; raise what it raised."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        if quietly:
            pending.exception()
        else:
            pending.result()

    def write(self, batch: pa.RecordBatch) -> None:
        """Queue ``batch``; write every full row group."""
        if batch.num_rows == 0:
            return
        for pieces, column in zip(self._staged, batch.columns, strict=True):
            pieces.append(column)
        self._staged_rows += batch.num_rows
        self.rows += batch.num_rows
        while self._staged_rows >= self._group_rows:
            self._write_group(self._group_rows)

    def _write_group(self, rows: int, *, inline: bool = False) -> None:
        """Write the first ``rows`` staged rows as one row group of contiguous columns."""
        import pyarrow as pa

        if self._writer is None:
            large = self.rows >= DICTIONARY_MIN_ROWS
            self._writer = open_parquet_writer(self._path, self._schema, large=large)
        if rows == 0:
            return
        columns = []
        for index, pieces in enumerate(self._staged):
            column, self._staged[index] = _split_rows(pieces, rows)
            columns.append(column)
        self._staged_rows -= rows
        group = pa.Table.from_arrays(columns, schema=self._schema)
        self._wait()
        if inline:
            self._writer.write_table(group, row_group_size=rows)
            return
        if self._background is None:
            self._background = ThreadPoolExecutor(1, thread_name_prefix="marketlake-parquet")
        self._pending = self._background.submit(self._writer.write_table, group, rows)


def _split_rows(pieces: list[pa.Array], rows: int) -> tuple[pa.Array, list[pa.Array]]:
    """The first ``rows`` rows of ``pieces`` as one contiguous array, and the pieces left."""
    import pyarrow as pa

    if len(pieces) == 1 and len(pieces[0]) == rows:  # a small file's one batch
        return pieces[0], []
    taken: list[pa.Array] = []
    left = rows
    for at, piece in enumerate(pieces):
        if len(piece) >= left:
            taken.append(piece.slice(0, left))
            rest = [piece.slice(left)] if len(piece) > left else []
            rest.extend(pieces[at + 1 :])
            break
        taken.append(piece)
        left -= len(piece)
    else:
        rest = []
    contiguous = taken[0] if len(taken) == 1 else pa.concat_arrays(taken)
    return contiguous, rest


def row_group_rows(schema: pa.Schema) -> int:
    """Rows per row group: about half a million, fewer when rows are wide; whole 65,536s."""
    width = sum(_value_width(f.type) for f in schema)
    rows = min(ROW_GROUP_MAX_ROWS, ROW_GROUP_TARGET_BYTES // max(width, 1))
    return max(CHUNK_ROWS, rows // CHUNK_ROWS * CHUNK_ROWS)


def _value_width(data_type: pa.DataType) -> int:
    """Bytes one value takes in Arrow memory (an estimate for strings)."""
    try:
        return max(1, int(data_type.bit_width) // 8)
    except ValueError:
        return _VARIABLE_WIDTH


def open_parquet_writer(path: Path, schema: pa.Schema, *, large: bool = False) -> pq.ParquetWriter:
    """A Parquet writer with the lake's encoding choices for ``schema``.

    ``large`` (a file of at least ``DICTIONARY_MIN_ROWS`` rows) adds a dictionary to
    price columns, whose values repeat across many trades.
    """
    import pyarrow.parquet as pq

    columns = tuple((field.name, field.type) for field in schema)
    delta, dictionary = _column_encodings(columns, large=large)
    return pq.ParquetWriter(
        str(path),
        schema,
        compression=COMPRESSION,
        compression_level=COMPRESSION_LEVEL,
        use_dictionary=list(dictionary),
        column_encoding=dict.fromkeys(delta, "DELTA_BINARY_PACKED"),
        store_decimal_as_integer=True,
        write_statistics=True,
        data_page_size=DATA_PAGE_BYTES,
    )


@functools.lru_cache(maxsize=256)
def _column_encodings(
    columns: tuple[tuple[str, pa.DataType], ...], *, large: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of the columns written DELTA_BINARY_PACKED, and of those dictionary-encoded.

    Keyed by names and types, not by the schema: its metadata names the file, so a cache keyed
    by the schema would miss every time.
    """
    delta = tuple(name for name, kind in columns if _is_delta_column(kind, large=large))
    dictionary = tuple(name for name, kind in columns if _is_dictionary_column(kind, large=large))
    return delta, dictionary


def _is_delta_column(data_type: pa.DataType, *, large: bool) -> bool:
    """Time and integer columns (ids and clocks, mostly increasing, rarely repeated), and in
    small files the INT64-backed decimals (prices, close to their neighbours)."""
    import pyarrow as pa

    if pa.types.is_timestamp(data_type) or pa.types.is_int64(data_type):
        return True
    return not large and _is_integer_decimal(data_type)


def _is_integer_decimal(data_type: pa.DataType) -> bool:
    """A decimal the writer stores as INT64 (``store_decimal_as_integer``)."""
    import pyarrow as pa

    return bool(pa.types.is_decimal(data_type) and data_type.precision <= INT64_DECIMAL_DIGITS)


def _is_dictionary_column(data_type: pa.DataType, *, large: bool) -> bool:
    """Text and flags always; decimals in large files only; never time or id columns."""
    import pyarrow as pa

    if _is_delta_column(data_type, large=large):
        return False
    return large or not pa.types.is_decimal(data_type)
