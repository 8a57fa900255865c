"""The lake's Parquet encoding, and a writer that cuts a batch stream into row groups.

Choices, measured on the archive's data: zstd; row groups of about a million rows (fewer
for wide schemas, so one row group's Arrow data stays near 128 MiB, the bound on a
writer's memory); decimals of precision <= 18 stored as INT64; time and integer (id)
columns DELTA_BINARY_PACKED without a dictionary; every other column dictionary-encoded
(Arrow falls back to plain pages by itself when a dictionary grows too large); statistics
on. The bytes written depend only on the rows, not on how the stream was batched.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

CHUNK_ROWS = 65_536
ROW_GROUP_MAX_ROWS = 16 * CHUNK_ROWS
ROW_GROUP_TARGET_BYTES = 128 * 1024 * 1024
COMPRESSION = "zstd"
_VARIABLE_WIDTH = 16


def release_arrow_memory() -> None:
    """Hand memory Arrow keeps cached back to the system before another engine needs some."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


class ParquetSink:
    """A Parquet writer that re-cuts any batch stream into the same chunks and row groups.

    Incoming batches are regrouped into chunks of exactly ``CHUNK_ROWS`` rows and row
    groups of a whole number of chunks, so the file's bytes do not depend on how the
    stream was batched (the decoder's block size, or which sort engine produced it).
    """

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._path = path
        self._schema = schema
        self._group_chunks = row_group_rows(schema) // CHUNK_ROWS
        self._staging: list[pa.RecordBatch] = []
        self._staging_rows = 0
        self._chunks: list[pa.RecordBatch] = []
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def __enter__(self) -> ParquetSink:
        self._writer = open_parquet_writer(self._path, self._schema)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        assert self._writer is not None
        try:
            if exc_type is None:
                self._cut_chunk(self._staging_rows)
                self._write_group()
        finally:
            self._writer.close()

    def write(self, batch: pa.RecordBatch) -> None:
        """Queue ``batch``; write every full row group."""
        if batch.num_rows == 0:
            return
        self._staging.append(batch)
        self._staging_rows += batch.num_rows
        self.rows += batch.num_rows
        while self._staging_rows >= CHUNK_ROWS:
            self._cut_chunk(CHUNK_ROWS)
            if len(self._chunks) == self._group_chunks:
                self._write_group()

    def _cut_chunk(self, rows: int) -> None:
        """Move the first ``rows`` staged rows into one contiguous chunk."""
        import pyarrow as pa

        if rows == 0:
            return
        staged = pa.Table.from_batches(self._staging)
        self._chunks.extend(staged.slice(0, rows).combine_chunks().to_batches())
        rest = staged.slice(rows)
        self._staging, self._staging_rows = rest.to_batches(), rest.num_rows

    def _write_group(self) -> None:
        import pyarrow as pa

        assert self._writer is not None
        if self._chunks:
            group = pa.Table.from_batches(self._chunks)
            self._writer.write_table(group, row_group_size=group.num_rows)
            self._chunks = []


def row_group_rows(schema: pa.Schema) -> int:
    """Rows per row group: about a million, fewer when rows are wide; whole chunks."""
    width = sum(_value_width(f.type) for f in schema)
    rows = min(ROW_GROUP_MAX_ROWS, ROW_GROUP_TARGET_BYTES // max(width, 1))
    return max(CHUNK_ROWS, rows // CHUNK_ROWS * CHUNK_ROWS)


def _value_width(data_type: pa.DataType) -> int:
    """Bytes one value takes in Arrow memory (an estimate for strings)."""
    try:
        return max(1, int(data_type.bit_width) // 8)
    except ValueError:
        return _VARIABLE_WIDTH


def open_parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    """A Parquet writer with the lake's encoding choices for ``schema``."""
    import pyarrow.parquet as pq

    delta = [f.name for f in schema if _is_delta_column(f.type)]
    dictionary = [f.name for f in schema if f.name not in delta]
    return pq.ParquetWriter(
        str(path),
        schema,
        compression=COMPRESSION,
        use_dictionary=dictionary,
        column_encoding=dict.fromkeys(delta, "DELTA_BINARY_PACKED"),
        store_decimal_as_integer=True,
        write_statistics=True,
    )


def _is_delta_column(data_type: pa.DataType) -> bool:
    """Time and integer columns: ids and clocks, mostly increasing, rarely repeated."""
    import pyarrow as pa

    return bool(pa.types.is_timestamp(data_type) or pa.types.is_int64(data_type))
