"""Test lakes for the warehouse: real ``ingest`` from the stand-in over an overlay of files.

Files are taken from the generated archive (or re-published with a changed value) and laid
out by key in an overlay folder, which the stand-in serves over HTTP; the lake is written by
the real ingest, exactly as a user's would be.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from marketlake.catalog import ArchiveKey, Market, Period, format_checksum, get_dataset
from marketlake.ingest.report import RunReport
from marketlake.ingest.request import build_request
from marketlake.ingest.run import ingest
from marketlake.manifest import open_manifest
from marketlake.mirror import OverlayContent, run_mirror
from marketlake.mirror.generate import GeneratedArchive
from marketlake.settings import ARCHIVE_ID, Settings

GENERATED = GeneratedArchive(seed=11, now=date(2024, 3, 20), big=False)
GENERATED_2025 = GeneratedArchive(seed=11, now=date(2025, 1, 10), big=False)


def kline_days(symbol: str, first: date, count: int, interval: str = "1m") -> list[ArchiveKey]:
    """``count`` consecutive daily um kline keys from ``first``."""
    return [
        ArchiveKey(Market.UM, Period.DAILY, "klines", symbol, interval, str(first + timedelta(d)))
        for d in range(count)
    ]


def publish(root: Path, key: ArchiveKey, data: bytes | None = None) -> bytes:
    """Lay ``key``'s zip (generated unless ``data`` is given) and CHECKSUM out under ``root``."""
    payload = data if data is not None else generated(key)
    (root / key.zip_key).parent.mkdir(parents=True, exist_ok=True)
    (root / key.zip_key).write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    (root / key.checksum_key).write_text(format_checksum(digest, key.file_name))
    return payload


def generated(key: ArchiveKey) -> bytes:
    """The generated archive's zip for ``key`` (2025 files from a later 'now')."""
    source = GENERATED_2025 if key.first_day.year >= 2025 else GENERATED
    payload = source.read(key.zip_key)
    assert payload is not None, f"the stand-in does not generate {key.zip_key}"
    return payload


def republished(original: bytes, key: ArchiveKey, *, drop_last: bool = False) -> bytes:
    """The same file with its first row's 5th cell changed (and its last row dropped)."""
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        lines = archive.read(key.csv_name).decode().splitlines(keepends=True)
    first = 1 if not lines[0][:1].isdigit() else 0
    cells = lines[first].split(",")
    cells[4] = cells[4][:-1] + ("1" if cells[4][-1] != "1" else "2")
    lines[first] = ",".join(cells)
    if drop_last:
        lines = lines[:-1]
    return zip_csv(key, "".join(lines))


def zip_csv(key: ArchiveKey, text: str) -> bytes:
    """A deflated single-member zip holding ``text`` as ``key``'s CSV."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(key.csv_name, text)
    return buffer.getvalue()


def ingest_from(
    archive: Path,
    lake: Path,
    keys: Iterable[ArchiveKey],
    *,
    manifest: str | None = None,
) -> list[RunReport]:
    """Ingest every (market, dataset, interval) of ``keys`` from ``archive`` into ``lake``."""
    scopes = sorted({(k.market, k.dataset, k.interval) for k in keys}, key=str)
    reports = []
    with run_mirror(OverlayContent(archive)) as mirror:
        settings = Settings(lake=lake, manifest=manifest, source=mirror.base_url, workers=1)
        for market, dataset, interval in scopes:
            request = build_request(
                market=market.value, dataset=dataset, interval=interval, symbols="*"
            )
            reports.append(ingest(settings, request))
    for report in reports:
        assert report.ok, report.failures
    return reports


def lake_table(lake: Path, market: Market, dataset: str, interval: str | None = None) -> pa.Table:
    """Every row the lake serves for a dataset (symbol added), read with pyarrow from the
    files the manifest names, sorted by every column."""
    names = [c.name for c in get_dataset(dataset).columns_for(market)]
    parts = []
    with open_manifest(None, lake_root=lake) as store:
        entries = store.files(market, dataset, interval=interval, source=ARCHIVE_ID)
    for entry in entries:
        for file in entry.files:
            table = pq.read_table(lake / file, columns=names).replace_schema_metadata(None)
            if "symbol" not in names:
                symbol = pa.array([entry.key.symbol] * table.num_rows, pa.string())
                table = table.add_column(0, "symbol", symbol)
            parts.append(table)
    return sort_all(pa.concat_tables(parts))


def sort_all(table: pa.Table) -> pa.Table:
    """``table`` sorted by every column (a canonical order to compare answers)."""
    return table.sort_by([(name, "ascending") for name in table.column_names])
