"""Decode one archive CSV, streamed as byte chunks, into typed Arrow record batches.

The batches have the catalog's lake schema (:func:`marketlake.catalog.arrow.lake_schema`)
and hold every value exactly as the text says:

* the header row is sniffed per file (a first field starting with a digit or ``-`` is data);
  datasets that always have one must have it, and its width must match the catalog's;
* columns are mapped by position and the catalog's names win (cm klines say ``quote_volume``
  where the lake says ``base_volume``);
* decimals are parsed by Arrow straight into ``decimal128(p, s)``; a value with more digits
  than the column holds is refused (:class:`~marketlake.errors.MalformedDataError`), never
  rounded;
* epoch columns are read as int64 and stored as ``timestamp[us, UTC]``: the unit (ms or us)
  is decided once per file by magnitude (above 1e14 is microseconds) and every batch must
  agree with it;
* ``YYYY-MM-DD HH:MM:SS`` text is UTC; empty cells are NULL; booleans are ``True``/``true``.

How: the text is cut at line ends into blocks of about ``BLOCK_SIZE`` bytes
(:mod:`marketlake.ingest.blocks`) and each block is parsed by Arrow's serial CSV reader, which
reports the row of a refused value. A file of one block (every daily kline file) is parsed
inline; larger files are parsed by a few threads, a bounded number of blocks ahead, and
their batches come out in file order, so the result does not depend on thread timing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from marketlake.catalog import ArchiveKey, Column, Kind, Market, get_dataset
from marketlake.catalog.arrow import TIME_UNIT, TIME_ZONE, arrow_type, lake_schema
from marketlake.errors import MalformedDataError
from marketlake.ingest.blocks import PARSE_THREADS, TextBlock, parsed_blocks, text_blocks

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

logger = logging.getLogger(__name__)

BLOCK_SIZE = 4 * 1024 * 1024
"""Bytes of CSV text parsed as one block (one record batch per block).

Blocks in flight are bounded (about ``PARSE_THREADS + 1``), so this sets the decoder's
memory: a few blocks of text and their parsed columns, whatever the file's size.
"""

US_THRESHOLD = 10**14
"""An epoch above this is in microseconds, at or below it in milliseconds."""

HEADER_SEARCH_BYTES = 1024 * 1024
"""How far to look for the end of the first line when sniffing the header."""

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TRUE_VALUES = ("True", "true")
FALSE_VALUES = ("False", "false")

_CONVERSION_ERROR = re.compile(r"In CSV column #(\d+): (?:Row #(\d+): )?(.*)", re.DOTALL)
_ROW_PREFIX = re.compile(r"^(?:CSV parse error: )?(?:Row #\d+: )?", re.DOTALL)


@dataclass(frozen=True)
class _Layout:
    """What parsing a dataset's files needs, the same for every file of a dataset and market."""

    columns: tuple[Column, ...]
    schema: pa.Schema
    epoch_columns: tuple[str, ...]
    always_header: bool
    convert: pa_csv.ConvertOptions

    @staticmethod
    @functools.cache
    def of(dataset: str, market: Market) -> _Layout:
        """The layout of ``dataset`` in ``market``; epoch columns with the time column first."""
        import pyarrow.csv as pa_csv

        spec = get_dataset(dataset)
        columns = spec.columns_for(market)
        epochs = sorted(
            (c.name for c in columns if c.kind is Kind.EPOCH),
            key=lambda name: name != spec.time_column,
        )
        convert = pa_csv.ConvertOptions(
            column_types={c.name: _csv_type(c) for c in columns},
            null_values=[""],
            strings_can_be_null=True,
            true_values=list(TRUE_VALUES),
            false_values=list(FALSE_VALUES),
            timestamp_parsers=[DATETIME_FORMAT],
        )
        schema = lake_schema(dataset, market)
        return _Layout(columns, schema, tuple(epochs), spec.always_header, convert)


@dataclass(frozen=True)
class _Plan:
    """What decoding one file needs to know: the key and its dataset's layout."""

    key: ArchiveKey
    layout: _Layout

    @classmethod
    def of(cls, key: ArchiveKey) -> _Plan:
        """The plan for ``key``."""
        return cls(key, _Layout.of(key.dataset, key.market))

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.layout.columns

    def malformed(self, message: str) -> MalformedDataError:
        """A MalformedDataError about this file."""
        return MalformedDataError(f"{self.key.zip_key}: {message}", key=self.key.zip_key)


def decode_csv(
    chunks: Iterable[bytes],
    key: ArchiveKey,
    *,
    block_size: int = BLOCK_SIZE,
    threads: int = PARSE_THREADS,
) -> Generator[pa.RecordBatch, None, None]:
    """Typed record batches (the lake schema of ``key``) of the CSV text in ``chunks``.

    A refused value is named by data row, column and value. ``threads`` parse the blocks of
    a file larger than one block (0 parses them all in the calling thread).
    """
    plan = _Plan.of(key)
    source = iter(chunks)
    header, first = split_header(source)
    _check_header(plan, header)
    units = _EpochUnits(plan)
    rows_before = 0
    blocks = text_blocks(first, source, block_size)
    parse_block = functools.partial(_parse, plan)
    with contextlib.closing(parsed_blocks(parse_block, blocks, threads)) as parsed:
        for block, parse in parsed:
            table = _parsed_table(plan, block, parse, rows_before)
            rows_before += table.num_rows
            for raw in table.to_batches():
                yield _to_lake_batch(plan, raw, units)


def _check_header(plan: _Plan, header: bytes | None) -> None:
    if header is None:
        if plan.layout.always_header:
            raise plan.malformed("no header row, but this dataset always has one")
        return
    names = header.decode("utf-8", errors="replace").split(",")
    if len(names) != len(plan.columns):
        raise plan.malformed(
            f"header has {len(names)} columns, expected {len(plan.columns)}: {names}"
        )
    expected = [c.name for c in plan.columns]
    if names != expected:
        logger.debug("%s: header %s read as %s", plan.key.zip_key, names, expected)


def _csv_type(column: Column) -> pa.DataType:
    """The type Arrow parses a column's text into (before normalising to the lake type)."""
    import pyarrow as pa

    if column.kind is Kind.EPOCH:
        return pa.int64()
    if column.kind is Kind.DATETIME_TEXT:
        return pa.timestamp(TIME_UNIT)
    return arrow_type(column)


def _parse(plan: _Plan, block: TextBlock) -> pa.Table:
    """One block of CSV text as a table of the parse types (Arrow's serial reader)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    read = pa_csv.ReadOptions(
        column_names=[c.name for c in plan.columns],
        block_size=max(1, len(block.text)),
        use_threads=False,
    )
    parse = pa_csv.ParseOptions(invalid_row_handler=block.invalid_rows.record)
    return pa_csv.read_csv(
        pa.py_buffer(block.text),
        read_options=read,
        parse_options=parse,
        convert_options=plan.layout.convert,
    )


def _parsed_table(
    plan: _Plan, block: TextBlock, parse: Callable[[], pa.Table], rows_before: int
) -> pa.Table:
    """The block's parsed table, with Arrow's errors turned into MalformedDataError."""
    import pyarrow as pa

    try:
        return parse()
    except pa.ArrowException as exc:
        raise _translate(plan, exc, block, rows_before) from exc


def _translate(
    plan: _Plan, exc: Exception, block: TextBlock, rows_before: int
) -> MalformedDataError:
    """A MalformedDataError naming the row, column and value Arrow refused, where known.

    Arrow numbers the block's rows from 1, blank lines not counted; the file's data row is
    that number plus the rows of the blocks before.
    """
    invalid = block.invalid_rows.first
    if invalid is not None:
        number = invalid.number
        where = f"data row {rows_before + number}" if number is not None else "a row"
        return plan.malformed(
            f"{where} has {invalid.actual_columns} columns, expected "
            f"{invalid.expected_columns}: {invalid.text[:200]!r}"
        )
    text = str(exc)
    match = _CONVERSION_ERROR.match(text)
    if match is None:
        return plan.malformed(_ROW_PREFIX.sub("", text))
    index, row = int(match.group(1)), match.group(2)
    column = plan.columns[index]
    if row is None:
        return plan.malformed(f"column {column.name!r}: {match.group(3)}")
    value = block.field(int(row), index)
    shown = f" (value {value!r})" if value is not None else ""
    where = f"data row {rows_before + int(row)}, column {column.name!r}"
    return plan.malformed(f"{where}{shown}: {match.group(3)}")


class _EpochUnits:
    """The file's epoch unit, decided from the first values seen and enforced on every batch."""

    def __init__(self, plan: _Plan) -> None:
        self._plan = plan
        self.unit: str | None = None

    def decide(self, raw: pa.RecordBatch) -> None:
        """Decide ms or us from the first batch holding values of the unit (or any epoch) column."""
        import pyarrow.compute as pc

        if self.unit is not None:
            return
        for name in self._plan.layout.epoch_columns:
            high = pc.max(raw.column(name))
            if high.is_valid:
                self.unit = "us" if high.as_py() > US_THRESHOLD else "ms"
                logger.debug("%s: epochs in %s", self._plan.key.zip_key, self.unit)
                return

    def to_timestamps(self, column: Column, array: pa.Array) -> pa.Array:
        """``array`` (int64 epochs) as ``timestamp[us, UTC]``, checked against the unit.

        Milliseconds become microseconds by a checked cast between timestamp units (no
        Python scalar crosses into Arrow: that would import pandas, if installed, for nothing).
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        low, high = pc.min_max(array).values()
        if not low.is_valid:
            return array.view(pa.timestamp(TIME_UNIT, tz=TIME_ZONE))
        self._check(column, low.as_py(), high.as_py())
        unit = self.unit or TIME_UNIT
        try:
            return array.view(pa.timestamp(unit, tz=TIME_ZONE)).cast(
                pa.timestamp(TIME_UNIT, tz=TIME_ZONE)
            )
        except pa.ArrowInvalid as exc:
            raise self._plan.malformed(
                f"column {column.name!r} holds epochs out of range ({low}..{high} {unit})"
            ) from exc

    def _check(self, column: Column, low: int, high: int) -> None:
        in_us = low > US_THRESHOLD
        if in_us != (high > US_THRESHOLD) or in_us != (self.unit == "us"):
            raise self._plan.malformed(
                f"column {column.name!r} mixes epoch units: values {low}..{high} in a file "
                f"read as {self.unit} (by magnitude: above 1e14 is us)"
            )


def _to_lake_batch(plan: _Plan, raw: pa.RecordBatch, units: _EpochUnits) -> pa.RecordBatch:
    """A parsed batch normalised to the lake schema (epochs and datetimes as UTC us)."""
    import pyarrow as pa

    units.decide(raw)
    arrays = [
        _to_lake_array(column, array, units)
        for column, array in zip(plan.columns, raw.columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=plan.layout.schema)


def _to_lake_array(column: Column, array: pa.Array, units: _EpochUnits) -> pa.Array:
    import pyarrow as pa

    if column.kind is Kind.EPOCH:
        return units.to_timestamps(column, array)
    if column.kind is Kind.DATETIME_TEXT:
        return array.view(pa.timestamp(TIME_UNIT, tz=TIME_ZONE))
    return array


def split_header(source: Iterator[bytes]) -> tuple[bytes | None, bytes]:
    """``(header line or None, the bytes after it)`` from the start of ``source``.

    A first field starting with a digit or ``-`` is data; anything else is a header. A UTF-8
    byte order mark and leading blank lines are dropped.
    """
    buffered = b""
    for chunk in source:
        buffered += chunk
        if b"\n" in buffered or len(buffered) >= HEADER_SEARCH_BYTES:
            break
    buffered = buffered.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    first = buffered[:1]
    if not first or first.isdigit() or first == b"-":
        return None, buffered
    header, _, rest = buffered.partition(b"\n")
    return header.rstrip(b"\r"), rest
