"""Helpers for the generated-archive tests: open a generated zip and read its CSV."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

from marketlake.mirror.generate import GeneratedArchive

NOW = date(2026, 11, 21)


def small_archive(seed: int = 0, now: date = NOW) -> GeneratedArchive:
    """A generated archive without the busy benchmark day, seen at a fixed ``now``."""
    return GeneratedArchive(seed=seed, now=now, big=False)


def csv_text(archive: GeneratedArchive, key: str) -> str:
    """The CSV member of the zip at ``key`` (which must exist)."""
    data = archive.read(key)
    assert data is not None, f"{key} is not served"
    with zipfile.ZipFile(io.BytesIO(data)) as archive_zip:
        (name,) = archive_zip.namelist()
        return archive_zip.read(name).decode("utf-8")


def csv_rows(archive: GeneratedArchive, key: str) -> tuple[list[str] | None, list[list[str]]]:
    """(header or None, data rows) of the zip at ``key`` (a first cell with a digit is data)."""
    rows = list(csv.reader(io.StringIO(csv_text(archive, key))))
    if rows and not rows[0][0][:1].isdigit():
        return rows[0], rows[1:]
    return None, rows
