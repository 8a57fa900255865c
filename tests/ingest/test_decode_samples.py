"""Every real archive file decoded into the lake and compared, value by value, with its CSV text.

The expected values are computed here from the CSV text with the stdlib only (csv, Decimal,
datetime), independently of the decoder.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from marketlake.catalog import ArchiveKey, Column, Kind, get_dataset
from marketlake.ingest.write import decode_to_lake
from tests.ingest.decode_support import csv_zip, sample, sample_keys

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _csv_rows(zip_bytes: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        (name,) = archive.namelist()
        text = archive.read(name).decode("utf-8")
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    first = rows[0][0] if rows else "0"
    return rows if first[:1].isdigit() or first.startswith("-") else rows[1:]


def _expected(column: Column, cell: str) -> object:
    if cell == "":
        return None
    parse = {
        Kind.EPOCH: _epoch,
        Kind.DATETIME_TEXT: lambda c: datetime.fromisoformat(c).replace(tzinfo=UTC),
        Kind.DATE_TEXT: date.fromisoformat,
        Kind.DECIMAL: Decimal,
        Kind.INT: int,
        Kind.BOOL: lambda c: {"true": True, "false": False}[c.lower()],
        Kind.TEXT: str,
    }[column.kind]
    return parse(cell)


def _epoch(cell: str) -> datetime:
    number = int(cell)
    return EPOCH + timedelta(microseconds=number if number > 10**14 else number * 1000)


def _lake_rows(path: Path) -> list[tuple[object, ...]]:
    table = pq.read_table(path)
    columns = [table.column(name).to_pylist() for name in table.column_names]
    return list(zip(*columns, strict=True))


def _same(expected: object, actual: object) -> bool:
    if isinstance(expected, Decimal):  # equal value and no digit lost to the lake's scale
        return isinstance(actual, Decimal) and actual == expected
    if isinstance(expected, datetime):
        return isinstance(actual, datetime) and actual.astimezone(UTC) == expected
    return type(actual) is type(expected) and actual == expected


@pytest.mark.parametrize(("key", "path"), sample_keys(), ids=lambda v: getattr(v, "name", ""))
def test_real_file_lands_value_by_value(key: ArchiveKey, path: Path, tmp_path: Path) -> None:
    data = path.read_bytes()
    written = decode_to_lake(data, key, tmp_path)
    columns = get_dataset(key.dataset).columns_for(key.market)
    expected = [tuple(_expected(c, cell) for c, cell in zip(columns, row, strict=True))
                for row in _csv_rows(data)]  # fmt: skip
    if get_dataset(key.dataset).duplicated_rows:
        expected = list(dict.fromkeys(expected))
    actual = _lake_rows(tmp_path / written.files[0])
    assert len(actual) == len(expected) == written.rows
    for number, (want, got) in enumerate(zip(expected, actual, strict=True), start=1):
        for column, w, g in zip(columns, want, got, strict=True):
            assert _same(w, g), f"row {number} column {column.name}: {g!r} != {w!r}"


def test_bookdepth_notional_keeps_all_17_significant_digits(tmp_path: Path) -> None:
    key, data = sample("data/futures/um/daily/bookDepth/BTCUSDT/BTCUSDT-bookDepth-2026-06-24.zip")
    written = decode_to_lake(data, key, tmp_path)
    table = pq.read_table(tmp_path / written.files[0])
    assert table.column("notional")[0].as_py() == Decimal("537541030.00740000")
    assert table.column("percentage")[0].as_py() == Decimal("-5.00")


def test_liquidation_snapshot_duplicates_are_dropped_in_order(tmp_path: Path) -> None:
    key, data = sample(
        "data/futures/cm/daily/liquidationSnapshot/BTCUSD_PERP/"
        "BTCUSD_PERP-liquidationSnapshot-2024-10-01.zip"
    )
    written = decode_to_lake(data, key, tmp_path)
    assert (written.rows_in_file, written.rows) == (14, 7)
    times = pq.read_table(tmp_path / written.files[0]).column("time").to_pylist()
    assert times == sorted(times) and len(set(times)) == 7


def test_spot_microsecond_file_and_millisecond_file_agree(tmp_path: Path) -> None:
    key_ms = ArchiveKey.parse("data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-12-31.zip")
    key_us = ArchiveKey.parse("data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-01.zip")
    row = "1,93000.01000000,0.00100000,93.00001000,{t},True,True\n"
    ms = csv_zip(key_ms, row.format(t=1735689600123))
    us = csv_zip(key_us, row.format(t=1735689600123000))
    got_ms = pq.read_table(tmp_path / decode_to_lake(ms, key_ms, tmp_path).files[0])
    got_us = pq.read_table(tmp_path / decode_to_lake(us, key_us, tmp_path).files[0])
    assert got_ms.column("time").equals(got_us.column("time"))
    assert got_us.column("time")[0].value == 1735689600123000
    assert str(got_us.schema.field("time").type) == "timestamp[us, tz=UTC]"
