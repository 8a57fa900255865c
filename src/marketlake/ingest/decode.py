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
"""

from __future__ import annotations

import io
import itertools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from marketlake.catalog import ArchiveKey, Column, Kind, get_dataset
from marketlake.catalog.arrow import TIME_UNIT, TIME_ZONE, arrow_type, lake_schema
from marketlake.errors import MalformedDataError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

logger = logging.getLogger(__name__)

BLOCK_SIZE = 1024 * 1024
"""Bytes of CSV Arrow parses per block (one record batch per block).

Arrow's streaming reader reads about 32 blocks ahead, so this sets the reader's memory
(about 40 MB at 1 MiB); larger blocks were not faster on the archive's files.
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
class _Plan:
    """What decoding one file needs to know: the key, its columns and lake schema."""

    key: ArchiveKey
    columns: tuple[Column, ...]
    schema: pa.Schema
    epoch_columns: tuple[str, ...]

    @classmethod
    def of(cls, key: ArchiveKey) -> _Plan:
        """The plan for ``key``; epoch columns listed with the dataset's time column first."""
        spec = get_dataset(key.dataset)
        columns = spec.columns_for(key.market)
        epochs = sorted(
            (c.name for c in columns if c.kind is Kind.EPOCH),
            key=lambda name: name != spec.time_column,
        )
        return cls(key, columns, lake_schema(key.dataset, key.market), tuple(epochs))

    @property
    def always_header(self) -> bool:
        return get_dataset(self.key.dataset).always_header

    def malformed(self, message: str) -> MalformedDataError:
        """A MalformedDataError about this file."""
        return MalformedDataError(f"{self.key.zip_key}: {message}", key=self.key.zip_key)


def decode_csv(
    chunks: Iterable[bytes], key: ArchiveKey, *, block_size: int = BLOCK_SIZE
) -> Iterator[pa.RecordBatch]:
    """Typed record batches (the lake schema of ``key``) of the CSV text in ``chunks``.

    When ``chunks`` can be iterated again (a list, or ``unzip.ZipChunks``), an error
    message quotes the refused value, found by reading the text a second time.
    """
    plan = _Plan.of(key)
    source = iter(chunks)
    header, first = split_header(source)
    _check_header(plan, header)
    stream = ChunkStream(first, source)
    if stream.is_empty():
        return
    rereadable = chunks if source is not chunks else None
    reader = _open_reader(plan, stream, block_size, rereadable)
    units = _EpochUnits(plan)
    for raw in _raw_batches(plan, reader, stream, rereadable):
        yield _to_lake_batch(plan, raw, units)


def _check_header(plan: _Plan, header: bytes | None) -> None:
    if header is None:
        if plan.always_header:
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


def _open_reader(
    plan: _Plan, stream: ChunkStream, block_size: int, rereadable: Iterable[bytes] | None
) -> pa_csv.CSVStreamingReader:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    names = [c.name for c in plan.columns]
    read = pa_csv.ReadOptions(column_names=names, block_size=block_size, use_threads=False)
    parse = pa_csv.ParseOptions(invalid_row_handler=stream.invalid_rows.record)
    convert = pa_csv.ConvertOptions(
        column_types={c.name: _csv_type(c) for c in plan.columns},
        null_values=[""],
        strings_can_be_null=True,
        true_values=list(TRUE_VALUES),
        false_values=list(FALSE_VALUES),
        timestamp_parsers=[DATETIME_FORMAT],
    )
    try:
        return pa_csv.open_csv(
            stream, read_options=read, parse_options=parse, convert_options=convert
        )
    except pa.ArrowException as exc:
        raise _translate(plan, exc, stream, rereadable) from exc


def _raw_batches(
    plan: _Plan,
    reader: pa_csv.CSVStreamingReader,
    stream: ChunkStream,
    rereadable: Iterable[bytes] | None,
) -> Iterator[pa.RecordBatch]:
    """The reader's batches, with Arrow's errors turned into MalformedDataError."""
    import pyarrow as pa

    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowException as exc:
            raise _translate(plan, exc, stream, rereadable) from exc
        yield batch


def _translate(
    plan: _Plan, exc: Exception, stream: ChunkStream, rereadable: Iterable[bytes] | None
) -> MalformedDataError:
    """A MalformedDataError naming the row, column and value Arrow refused, where known."""
    text = str(exc)
    invalid = stream.invalid_rows.first
    if invalid is not None:
        where = f"data row {invalid.number}" if invalid.number is not None else "a row"
        return plan.malformed(
            f"{where} has {invalid.actual_columns} columns, expected "
            f"{invalid.expected_columns}: {invalid.text[:200]!r}"
        )
    match = _CONVERSION_ERROR.match(text)
    if match is None:
        return plan.malformed(_ROW_PREFIX.sub("", text))
    index, row = int(match.group(1)), match.group(2)
    column = plan.columns[index]
    where = f"data row {row}, column {column.name!r}" if row else f"column {column.name!r}"
    value = _value_at(rereadable, int(row), index) if row and rereadable else None
    shown = f" (value {value!r})" if value is not None else ""
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
        for name in self._plan.epoch_columns:
            values = raw.column(name).drop_null()
            if len(values) > 0:
                self.unit = "us" if pc.max(values).as_py() > US_THRESHOLD else "ms"
                logger.debug("%s: epochs in %s", self._plan.key.zip_key, self.unit)
                return

    def to_timestamps(self, column: Column, array: pa.Array) -> pa.Array:
        """``array`` (int64 epochs) as ``timestamp[us, UTC]``, checked against the unit."""
        import pyarrow as pa
        import pyarrow.compute as pc

        low, high = pc.min_max(array).values()
        if low.is_valid:
            self._check(column, low.as_py(), high.as_py())
        if self.unit == "ms":
            array = pc.multiply_checked(array, 1000)
        return array.cast(pa.timestamp(TIME_UNIT, tz=TIME_ZONE))

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
    return pa.RecordBatch.from_arrays(arrays, schema=plan.schema)


def _to_lake_array(column: Column, array: pa.Array, units: _EpochUnits) -> pa.Array:
    import pyarrow as pa

    if column.kind is Kind.EPOCH:
        return units.to_timestamps(column, array)
    if column.kind is Kind.DATETIME_TEXT:
        return array.cast(pa.timestamp(TIME_UNIT, tz=TIME_ZONE))
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


class InvalidRows:
    """Arrow's invalid-row handler: remembers the first row of the wrong width, then fails."""

    def __init__(self) -> None:
        self.first: pa_csv.InvalidRow | None = None

    def record(self, row: pa_csv.InvalidRow) -> str:
        """Remember ``row`` and tell Arrow to raise."""
        if self.first is None:
            self.first = row
        return "error"


class ChunkStream(io.RawIOBase):
    """A read-only binary file over an iterator of byte chunks."""

    def __init__(self, first: bytes, rest: Iterator[bytes]) -> None:
        super().__init__()
        self._rest = rest
        self._chunk, self._pos = first, 0
        self.invalid_rows = InvalidRows()

    def readable(self) -> bool:
        """Always true."""
        return True

    def is_empty(self) -> bool:
        """True when no byte is left to read."""
        while self._pos >= len(self._chunk):
            chunk = next(self._rest, None)
            if chunk is None:
                return True
            self._chunk, self._pos = chunk, 0
        return False

    def read(self, size: int | None = -1) -> bytes:
        """Exactly ``size`` bytes (fewer only at the end; all that is left when negative).

        Arrow treats each read as a block, so a short read would cut rows apart.
        """
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(BLOCK_SIZE), b""))
        parts = []
        while size > 0 and not self.is_empty():
            end = min(len(self._chunk), self._pos + size)
            whole = self._pos == 0 and end == len(self._chunk)
            parts.append(self._chunk if whole else self._chunk[self._pos : end])
            size -= end - self._pos
            self._pos = end
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read into ``buffer``; the number of bytes read."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _value_at(chunks: Iterable[bytes], row: int, index: int) -> str | None:
    """Field ``index`` of data row ``row`` (1-based, blank lines not counted), read again."""
    source = iter(chunks)
    _, first = split_header(source)
    for number, line in enumerate(_data_lines(first, source), start=1):
        if number == row:
            fields = line.split(b",")
            return fields[index].decode("utf-8", errors="replace") if index < len(fields) else None
    return None


def _data_lines(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    """The non-blank lines of the text ``first`` + ``rest``, without line ends."""
    carry = b""
    for chunk in itertools.chain([first], rest):
        *lines, carry = (carry + chunk).split(b"\n")
        yield from (line.rstrip(b"\r") for line in lines if line.strip(b"\r"))
    if carry.strip(b"\r"):
        yield carry.rstrip(b"\r")
