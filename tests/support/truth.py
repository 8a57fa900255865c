"""Ground truth for tests: a CSV's text values, read independently of marketlake's decoder."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq

from marketlake.catalog import ArchiveKey, Column, Kind, get_dataset

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT.parent / "shared" / "samples" / "binance" / "archive"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def sample_zips() -> list[Path]:
    """Every real archive zip in the shared samples."""
    return sorted(SAMPLES.rglob("*.zip"))


def csv_rows(zip_bytes: bytes) -> list[list[str]]:
    """The CSV's data rows (header dropped when its first field is not numeric)."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        (name,) = archive.namelist()
        text = archive.read(name).decode("utf-8")
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if rows and not rows[0][0].lstrip("-")[:1].isdigit():
        rows = rows[1:]
    return rows


def expected_value(column: Column, cell: str) -> object:
    """What the lake must hold for one CSV cell, computed with the stdlib only."""
    if cell == "":
        return None
    if column.kind is Kind.EPOCH:
        number = int(cell)
        micros = number if number > 10**14 else number * 1000
        return EPOCH + timedelta(microseconds=micros)
    if column.kind is Kind.DATETIME_TEXT:
        return datetime.strptime(cell, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    if column.kind is Kind.DATE_TEXT:
        return datetime.strptime(cell, "%Y-%m-%d").date()
    if column.kind is Kind.DECIMAL:
        return Decimal(cell)
    if column.kind is Kind.INT:
        return int(cell)
    if column.kind is Kind.BOOL:
        return {"true": True, "false": False}[cell.lower()]
    return cell


def expected_rows(zip_bytes: bytes, key: ArchiveKey) -> list[tuple[object, ...]]:
    """Every row as the lake must hold it, in file order, duplicates dropped where flagged."""
    spec = get_dataset(key.dataset)
    columns = spec.columns_for(key.market)
    rows = [
        tuple(expected_value(c, cell) for c, cell in zip(columns, row, strict=True))
        for row in csv_rows(zip_bytes)
    ]
    if spec.duplicated_rows:
        rows = list(dict.fromkeys(rows))
    if spec.sort_column is not None:
        index = [c.name for c in columns].index(spec.sort_column)
        rows.sort(key=lambda r: r[index])  # type: ignore[arg-type,return-value]
    return rows


def lake_rows(lake: Path, files: tuple[str, ...], key: ArchiveKey) -> list[tuple[object, ...]]:
    """The rows of a partition's lake files, as Python values, in file order."""
    names = [c.name for c in get_dataset(key.dataset).columns_for(key.market)]
    rows: list[tuple[object, ...]] = []
    for file in files:
        table = pq.read_table(lake / file, columns=names)
        rows.extend(zip(*(table.column(n).to_pylist() for n in names), strict=True))
    return rows
