"""Overlay directories of many generated daily files, for the small-file and no-op benchmarks.

The generated universe has too few um symbols sharing a long window, so an overlay holds
``symbols x days`` daily zips: each day's real generated zip of a few source symbols
(``GeneratedArchive(...).read(key)``), renamed to made-up symbols of the same length
(``B00USDT``...), each with its ``.CHECKSUM``. Built once into ``bench/results/cache/``.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from _measure import CACHE_DIR
from _standin import bench_symbols, day_range, renamed_zip, with_symbol, write_overlay_file
from marketlake.catalog import ArchiveKey, Market, Period

COMPLETE_MARKER = ".complete"
SOURCE_SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT")


@dataclass(frozen=True)
class DailyKlines:
    """``symbols`` x ``days`` daily um klines of one interval from ``start``."""

    interval: str
    symbols: int
    days: int
    start: date
    seed: int = 0

    @property
    def end(self) -> date:
        """The last day."""
        return self.start + timedelta(days=self.days - 1)

    @property
    def folder(self) -> Path:
        """Where the overlay is cached."""
        name = f"klines-{self.interval}-{self.symbols}x{self.days}-{self.start}-seed{self.seed}"
        return CACHE_DIR / name

    @property
    def files(self) -> int:
        """How many zips the overlay holds."""
        return self.symbols * self.days

    def source_key(self, symbol: str, day: date) -> ArchiveKey:
        """The key of a daily klines file."""
        return ArchiveKey(Market.UM, Period.DAILY, "klines", symbol, self.interval, day.isoformat())

    def archive_keys(self) -> list[ArchiveKey]:
        """Every zip key of the overlay."""
        return [
            self.source_key(symbol, day)
            for symbol in bench_symbols(self.symbols, SOURCE_SYMBOLS[0])
            for day in day_range(self.start, self.days)
        ]


def build_overlay(spec: DailyKlines) -> Path:
    """The overlay directory of ``spec``, generated unless already cached; its root."""
    root = spec.folder
    if (root / COMPLETE_MARKER).exists():
        return root
    from marketlake.mirror.generate import GeneratedArchive

    clock = time.perf_counter()
    shutil.rmtree(root, ignore_errors=True)
    archive = GeneratedArchive(seed=spec.seed, now=spec.end + timedelta(days=10), big=False)
    symbols = bench_symbols(spec.symbols, SOURCE_SYMBOLS[0])
    for day in day_range(spec.start, spec.days):
        for index, symbol in enumerate(symbols):
            source = spec.source_key(SOURCE_SYMBOLS[index % len(SOURCE_SYMBOLS)], day)
            data = archive.read(source.zip_key)
            if data is None:
                raise SystemExit(f"the stand-in does not publish {source.zip_key}")
            target = with_symbol(source, symbol)
            write_overlay_file(root, target, renamed_zip(data, source, target))
    (root / COMPLETE_MARKER).write_text(f"{spec}\n")
    print(f"built {spec.files} files in {root} ({time.perf_counter() - clock:.1f} s)", flush=True)
    return root
