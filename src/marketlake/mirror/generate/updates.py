"""Lists of replaced files, like the ones Binance publishes after regenerating archive files.

``File,Original File Checksum,New File Checksum``, each checksum cell in the CHECKSUM file's
``<sha256>  <zip name>`` form. Most lists name a file by its stem (``BNBBTC-aggTrades-2018-01``)
as the newer real lists do; the lists in ``UPDATES_WITH_PATHS`` use the older
``File Path`` header with full keys, so readers meet both forms.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from marketlake.catalog import format_checksum
from marketlake.mirror.generate.traps import REGENERATIONS, UPDATES_WITH_PATHS

UPDATES = "updates/"


def updates_keys(now: date) -> list[str]:
    """The update lists published by ``now``, sorted."""
    return sorted({r.updates_key for r in REGENERATIONS if r.on <= now})


def updates_day(key: str) -> date | None:
    """The day an update list is published, or None when ``key`` is not one."""
    days = {r.on for r in REGENERATIONS if r.updates_key == key}
    return days.pop() if days else None


def updates_modified(key: str) -> datetime | None:
    """The last-modified time of an update list (noon UTC of its day)."""
    day = updates_day(key)
    return None if day is None else datetime.combine(day, time(12), UTC)


def updates_csv(key: str, checksums: Callable[[str], tuple[str, str]]) -> bytes:
    """The update list at ``key``; ``checksums(zip_key)`` gives (original, new) sha256."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with_paths = key in UPDATES_WITH_PATHS
    writer.writerow(
        ["File Path" if with_paths else "File", "Original File Checksum", "New File Checksum"]
    )
    for regeneration in REGENERATIONS:
        if regeneration.updates_key != key:
            continue
        name = regeneration.key.rsplit("/", 1)[1]
        original, new = checksums(regeneration.key)
        label = regeneration.key if with_paths else name.removesuffix(".zip")
        writer.writerow([label, format_checksum(original, name), format_checksum(new, name)])
    return buffer.getvalue().encode("utf-8")
