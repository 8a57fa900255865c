"""The Flight benchmark's lake: um 1m klines of 20 made-up symbols for a whole year.

An overlay of the stand-in's own generated monthly 1m zips (BTCUSDT, ETHUSDT, BNBUSDT)
renamed to ``F00USDT``..``F19USDT`` (as ``bench/_overlay.py`` does for dailies), served with
``--overlay-only`` and ingested by ``marketlake ingest``; both cached in ``bench/results/cache/``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

from _measure import CACHE_DIR
from _standin import (
    IngestScope,
    ingest_argv,
    read_report,
    renamed_zip,
    stand_in,
    with_symbol,
    write_overlay_file,
)
from marketlake.catalog import ArchiveKey, Market, Period

SYMBOLS = tuple(f"F{i:02d}USDT" for i in range(20))
SOURCE_SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT")
YEAR = 2023
LAKE_DIR = CACHE_DIR / f"flight-lake-um-1m-{len(SYMBOLS)}x{YEAR}"
OVERLAY_DIR = CACHE_DIR / f"flight-overlay-um-1m-{len(SYMBOLS)}x{YEAR}"
COMPLETE = ".complete"


def _monthly(symbol: str, month: int) -> ArchiveKey:
    return ArchiveKey(Market.UM, Period.MONTHLY, "klines", symbol, "1m", f"{YEAR}-{month:02d}")


def build_overlay() -> Path:
    """Monthly 1m zips of ``SYMBOLS`` x 12 months (renamed generated files), cached."""
    if (OVERLAY_DIR / COMPLETE).exists():
        return OVERLAY_DIR
    from marketlake.mirror.generate import GeneratedArchive

    shutil.rmtree(OVERLAY_DIR, ignore_errors=True)
    archive = GeneratedArchive(seed=0, now=date(YEAR + 1, 3, 1), big=False)
    for month in range(1, 13):
        for index, symbol in enumerate(SYMBOLS):
            source = _monthly(SOURCE_SYMBOLS[index % len(SOURCE_SYMBOLS)], month)
            data = archive.read(source.zip_key)
            if data is None:
                raise SystemExit(f"the stand-in does not publish {source.zip_key}")
            target = with_symbol(source, symbol)
            write_overlay_file(OVERLAY_DIR, target, renamed_zip(data, source, target))
    (OVERLAY_DIR / COMPLETE).write_text("done\n")
    return OVERLAY_DIR


def build_lake() -> Path:
    """The benchmark lake, ingested by ``marketlake ingest`` from the stand-in, cached."""
    if (LAKE_DIR / COMPLETE).exists():
        return LAKE_DIR
    overlay = build_overlay()
    shutil.rmtree(LAKE_DIR, ignore_errors=True)
    scope = IngestScope(
        "um", "klines", ",".join(SYMBOLS), date(YEAR, 1, 1), date(YEAR, 12, 31), "1m"
    )
    clock = time.perf_counter()
    with stand_in("--overlay", str(overlay), "--overlay-only") as mirror:
        subprocess.run(ingest_argv(mirror.url, LAKE_DIR, scope, workers=2), check=True)
    report = read_report(LAKE_DIR)
    if report.failed or report.done != 12 * len(SYMBOLS):
        raise SystemExit(f"the benchmark lake did not ingest cleanly: {report}")
    (LAKE_DIR / COMPLETE).write_text(f"{report.rows} rows\n")
    print(f"ingested {report.rows:,} rows in {time.perf_counter() - clock:.0f} s", flush=True)
    return LAKE_DIR
