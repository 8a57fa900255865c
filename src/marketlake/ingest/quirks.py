"""Known defects of archive files, repaired on the way to the lake as the catalog flags them.

* ``Dataset.duplicated_rows`` (liquidationSnapshot: every row appears twice): exact
  duplicate rows are dropped, the first occurrence kept in file order
  (:class:`DuplicateRows`). Meant for the small daily datasets so flagged: the rows seen
  are remembered for the whole file.
* ``Dataset.sort_column`` (interleaved monthly trades): the lake file must be sorted by that
  column. :class:`SortOrder` watches the stream; a file found out of order is sorted again
  from the temporary Parquet already written (:func:`sorted_batches`), out of core, with
  DuckDB when the ``sql`` extra is installed and with Polars otherwise. Ties keep file order.
* Exact duplicate rows in datasets *not* flagged (aggTrades, um 2022-09) are kept: the lake
  holds what the file holds. :class:`SortOrder` counts repeated sort keys so that callers
  can report them.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from marketlake.errors import LakeError

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

SortEngine = Literal["duckdb", "polars"]
SORT_MEMORY_LIMIT = "64MB"
"""DuckDB's memory limit for an out-of-core sort; beyond it, it spills to the work folder."""

SORT_BATCH_ROWS = 131_072
_ROW_INDEX = "__marketlake_row"


class DuplicateRows:
    """Drops rows equal to an earlier row of the same file; counts rows in and kept."""

    def __init__(self) -> None:
        self._seen: set[tuple[object, ...]] = set()
        self.rows_in = 0
        self.rows_kept = 0

    def filter(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """``batch`` without the rows already seen in this file (or earlier in the batch)."""
        columns = [plain_values(c).to_pylist() for c in batch.columns]
        keep = [self._first_time(row) for row in zip(*columns, strict=True)]
        self.rows_in += batch.num_rows
        kept = batch.filter(_mask(keep)) if not all(keep) else batch
        self.rows_kept += kept.num_rows
        return kept

    def _first_time(self, row: tuple[object, ...]) -> bool:
        if row in self._seen:
            return False
        self._seen.add(row)
        return True


class SortOrder:
    """Watches a stream of batches: is it sorted by ``column``, how many keys repeat."""

    def __init__(self, column: str) -> None:
        self.column = column
        self.in_order = True
        self.repeated_keys = 0
        self._last: object = None

    def observe(self, batch: pa.RecordBatch) -> None:
        """Account for the next batch of the stream."""
        import pyarrow.compute as pc

        values = plain_values(batch.column(self.column))
        if len(values) == 0:
            return
        first = values[0].as_py()
        if self._last is not None and first is not None:
            self._compare(self._last, first)
        if len(values) > 1:
            before, after = values.slice(0, len(values) - 1), values.slice(1)
            if not pc.all(pc.greater_equal(after, before)).as_py():
                self.in_order = False
            self.repeated_keys += pc.sum(pc.equal(after, before)).as_py() or 0
        self._last = values[-1].as_py()

    def _compare(self, last: object, first: object) -> None:
        if first == last:
            self.repeated_keys += 1
        elif first < last:  # type: ignore[operator]
            self.in_order = False


def plain_values(array: pa.Array) -> pa.Array:
    """Timestamps as their int64 counts (same order and equality), other arrays as they are.

    Turning a timestamp into a Python value makes pyarrow import pandas, when installed,
    which costs a worker process about 0.5 s and 40 MB for nothing.
    """
    import pyarrow as pa

    if pa.types.is_timestamp(array.type):
        return array.view(pa.int64())
    return array


def _mask(keep: list[bool]) -> pa.Array:
    """A boolean array of ``keep`` (built from bytes: a Python list would import pandas)."""
    import pyarrow as pa

    flags = pa.Array.from_buffers(pa.uint8(), len(keep), [None, pa.py_buffer(bytes(keep))])
    return flags.cast(pa.bool_())


def sort_engine() -> SortEngine:
    """The out-of-core sort engine available here: DuckDB if installed, else Polars."""
    return "duckdb" if importlib.util.find_spec("duckdb") is not None else "polars"


def sorted_batches(
    path: Path,
    column: str,
    schema: pa.Schema,
    *,
    work_dir: Path,
    engine: SortEngine | None = None,
) -> Iterator[pa.RecordBatch]:
    """The rows of the Parquet file ``path`` sorted by ``column`` (ties in file order).

    Batches have ``schema``; the sort spills to ``work_dir`` rather than holding the file.
    """
    chosen = engine or sort_engine()
    logger.info("sorting %s by %s with %s", path.name, column, chosen)
    if chosen == "duckdb":
        raw = _duckdb_sorted(path, column, work_dir)
    else:
        raw = _polars_sorted(path, column, work_dir)
    for batch in raw:
        yield _conform(batch, schema)


def _duckdb_sorted(path: Path, column: str, work_dir: Path) -> Iterator[pa.RecordBatch]:
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": SORT_MEMORY_LIMIT,
        "temp_directory": str(work_dir),
        "threads": "1",
    }
    try:
        connection = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        raise LakeError(f"cannot start DuckDB to sort {path.name}: {exc}") from exc
    try:
        relation = connection.sql(
            f"SELECT * EXCLUDE (file_row_number) FROM read_parquet({_literal(str(path))}, "
            f"file_row_number = true) ORDER BY {_quoted(column)}, file_row_number"
        )
        to_reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
        yield from to_reader(SORT_BATCH_ROWS)
    except duckdb.Error as exc:
        raise LakeError(f"DuckDB failed to sort {path.name} by {column}: {exc}") from exc
    finally:
        connection.close()


def _polars_sorted(path: Path, column: str, work_dir: Path) -> Iterator[pa.RecordBatch]:
    import polars as pl
    import pyarrow.parquet as pq

    out = work_dir / "sorted.parquet"
    try:
        (
            pl.scan_parquet(path)
            .with_row_index(_ROW_INDEX)
            .sort([column, _ROW_INDEX])
            .drop(_ROW_INDEX)
            .sink_parquet(out)
        )
    except pl.exceptions.PolarsError as exc:
        raise LakeError(f"Polars failed to sort {path.name} by {column}: {exc}") from exc
    yield from pq.ParquetFile(out).iter_batches(batch_size=SORT_BATCH_ROWS)


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` cast to ``schema`` (an engine may widen decimals or rename time zones)."""
    import pyarrow as pa

    arrays = [batch.column(field.name).cast(field.type) for field in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
