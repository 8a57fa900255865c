"""The read benchmarks' lake: 200 um symbols x one year of 1m klines (105 million rows).

Written the way a user would: monthly ``1m`` kline zips served by the stand-in in its own
process (``mirror serve --overlay DIR --overlay-only``) and ingested by ``marketlake ingest``.
The generated universe lacks 200 um symbols, so the overlay holds renamed copies of the
stand-in's own monthly zips of BTCUSDT, ETHUSDT and BNBUSDT (``renamed_zip``: same-length
names ``B00USDT``..``B5JUSDT``, base 36), each with its ``.CHECKSUM``. Overlay and lake are
built once into ``bench/results/cache/`` (gitignored); other benchmarks reuse them::

    python bench/_read_lake.py            # build (or find) the lake, print its path
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from _measure import CACHE_DIR, run_measured
from _standin import (
    IngestScope,
    ingest_argv,
    renamed_zip,
    stand_in,
    with_symbol,
    write_overlay_file,
)
from marketlake.catalog import ArchiveKey, Market, Period

COMPLETE_MARKER = ".complete"
SOURCE_SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT")
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class ReadLake:
    """``symbols`` um symbols x the 12 months of ``year`` of 1m klines."""

    symbols: int = 200
    year: int = 2024
    seed: int = 0

    @property
    def name(self) -> str:
        """The cache folder stem."""
        return f"read-klines-1m-{self.symbols}x{self.year}-seed{self.seed}"

    @property
    def overlay(self) -> Path:
        """The overlay of monthly zips."""
        return CACHE_DIR / f"{self.name}-overlay"

    @property
    def lake(self) -> Path:
        """The lake ingest writes."""
        return CACHE_DIR / f"{self.name}-lake"

    @property
    def start(self) -> date:
        """The first day."""
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The last day."""
        return date(self.year, 12, 31)

    def symbol_names(self) -> list[str]:
        """``B00USDT``, ``B01USDT``, ... (as long as the source symbols)."""
        return [f"B{_DIGITS[i // 36]}{_DIGITS[i % 36]}USDT" for i in range(self.symbols)]

    def month_key(self, symbol: str, month: int) -> ArchiveKey:
        """The monthly 1m klines key of ``symbol``."""
        return ArchiveKey(
            Market.UM, Period.MONTHLY, "klines", symbol, "1m", f"{self.year}-{month:02d}"
        )


def build_overlay(spec: ReadLake) -> Path:
    """The overlay of ``spec``, generated unless cached."""
    root = spec.overlay
    if (root / COMPLETE_MARKER).exists():
        return root
    from marketlake.mirror.generate import GeneratedArchive

    clock = time.perf_counter()
    shutil.rmtree(root, ignore_errors=True)
    archive = GeneratedArchive(seed=spec.seed, now=spec.end + timedelta(days=40), big=False)
    names = spec.symbol_names()
    for month in range(1, 13):
        sources = []
        for source in SOURCE_SYMBOLS:
            key = spec.month_key(source, month)
            data = archive.read(key.zip_key)
            if data is None:
                raise SystemExit(f"the stand-in does not publish {key.zip_key}")
            sources.append((key, data))
        for index, symbol in enumerate(names):
            key, data = sources[index % len(sources)]
            target = with_symbol(key, symbol)
            write_overlay_file(root, target, renamed_zip(data, key, target))
        print(f"overlay month {month:02d} ({time.perf_counter() - clock:.0f} s)", flush=True)
    (root / COMPLETE_MARKER).write_text(f"{spec}\n")
    return root


def build_lake(spec: ReadLake, *, workers: int = 2) -> Path:
    """The lake of ``spec``, ingested from the stand-in unless cached; its root."""
    lake = spec.lake
    if (lake / COMPLETE_MARKER).exists():
        return lake
    overlay = build_overlay(spec)
    shutil.rmtree(lake, ignore_errors=True)
    scope = IngestScope("um", "klines", "*", spec.start, spec.end, interval="1m")
    clock = time.perf_counter()
    with stand_in("--overlay", str(overlay), "--overlay-only") as mirror:
        run = run_measured(ingest_argv(mirror.url, lake, scope, workers=workers))
    if run.returncode != 0:
        raise SystemExit(f"ingest failed:\n{run.stdout}\n{run.stderr}")
    seconds = time.perf_counter() - clock
    (lake / COMPLETE_MARKER).write_text(f"{spec}: ingested in {seconds:.0f} s\n")
    print(f"ingested {spec.symbols * 12} files into {lake} in {seconds:.0f} s", flush=True)
    return lake


if __name__ == "__main__":
    print(build_lake(ReadLake(symbols=int(sys.argv[1]) if len(sys.argv) > 1 else 200)))
