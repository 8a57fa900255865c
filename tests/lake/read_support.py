"""A small lake for the read tests, written by the real ingest from the stand-in over HTTP.

Built once per test session (a few dozen daily files across every dataset) into a
temporary directory; :func:`partition_truth` gives a partition's rows straight from the
stand-in's CSV (``tests.support.truth``), independent of marketlake's decoder and reader.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from marketlake.catalog import ArchiveKey, Market, Period, get_dataset
from marketlake.ingest.request import build_request
from marketlake.ingest.run import ingest
from marketlake.mirror import run_mirror
from marketlake.mirror.generate import GeneratedArchive
from marketlake.settings import Settings
from tests.support.truth import expected_rows

NOW = date(2026, 11, 21)
OUTAGE_DAY = date(2023, 3, 24)
"""Spot BTCUSDT misses minutes 738..829 of this day in every kline file (an outage)."""


@dataclass(frozen=True)
class Scope:
    """One ingest of the test lake."""

    market: str
    dataset: str
    symbols: str
    start: date
    end: date
    interval: str | None = None


SCOPES = (
    Scope("um", "klines", "BTCUSDT,ETHUSDT", date(2024, 1, 30), date(2024, 2, 2), "1m,1h,1d"),
    Scope("um", "markPriceKlines", "BTCUSDT", date(2024, 1, 31), date(2024, 1, 31), "1m"),
    Scope("um", "indexPriceKlines", "BTCUSDT", date(2024, 1, 31), date(2024, 1, 31), "1m"),
    Scope("um", "premiumIndexKlines", "BTCUSDT", date(2024, 1, 31), date(2024, 1, 31), "1m"),
    Scope("cm", "klines", "BTCUSD_PERP", date(2024, 1, 31), date(2024, 1, 31), "1m"),
    Scope("spot", "klines", "BTCUSDT", OUTAGE_DAY, OUTAGE_DAY, "1m,1h"),
    Scope("spot", "klines", "BTCUSDT", date(2024, 12, 31), date(2025, 1, 1), "1m"),
    Scope("um", "trades", "BTCUSDT", date(2024, 1, 31), date(2024, 1, 31)),
    Scope("cm", "trades", "BTCUSD_PERP", date(2024, 1, 31), date(2024, 1, 31)),
    Scope("spot", "trades", "ETHUSDT", date(2023, 1, 1), date(2023, 1, 1)),
    Scope("um", "aggTrades", "BTCUSDT,ETHUSDT", date(2024, 1, 31), date(2024, 2, 1)),
    Scope("spot", "aggTrades", "BTCUSDT", date(2025, 1, 1), date(2025, 1, 1)),
    Scope("um", "bookTicker", "BTCUSDT", date(2024, 3, 1), date(2024, 3, 1)),
    Scope("um", "bookDepth", "BTCUSDT", date(2024, 5, 1), date(2024, 5, 1)),
    Scope("um", "metrics", "BTCUSDT", date(2022, 1, 10), date(2022, 1, 10)),
    Scope("um", "fundingRate", "BTCUSDT", date(2024, 1, 1), date(2024, 1, 31)),
    Scope("um", "liquidationSnapshot", "BTCUSDT", date(2023, 7, 1), date(2023, 7, 1)),
    Scope("option", "BVOLIndex", "BTCBVOLUSDT", date(2023, 7, 1), date(2023, 7, 1)),
    Scope("option", "EOHSummary", "BTCUSDT", date(2023, 3, 10), date(2023, 3, 10)),
)


@functools.cache
def archive() -> GeneratedArchive:
    """The stand-in's generated content the test lake is ingested from."""
    return GeneratedArchive(seed=0, now=NOW, big=False)


@functools.cache
def read_test_lake() -> Path:
    """The test lake's root (built on first use, removed at exit)."""
    root = Path(tempfile.mkdtemp(prefix="marketlake-read-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    lake = root / "lake"
    with run_mirror(archive()) as mirror:
        settings = Settings(lake=lake, source=mirror.base_url, workers=1)
        for scope in SCOPES:
            request = build_request(
                market=scope.market, dataset=scope.dataset, interval=scope.interval,
                symbols=scope.symbols, start=scope.start, end=scope.end,
            )  # fmt: skip
            report = ingest(settings, request)
            if report.failed or not report.done:
                raise AssertionError(f"test lake ingest failed for {scope}: {report.failures}")
    return lake


def partition_truth(key: ArchiveKey) -> list[tuple[object, ...]]:
    """The rows the lake must hold for ``key``, from the stand-in's CSV text."""
    data = archive().read(key.zip_key)
    assert data is not None, key.zip_key
    return expected_rows(data, key)


def daily_key(
    market: str, dataset: str, symbol: str, day: date, interval: str | None = None
) -> ArchiveKey:
    """The daily archive key of one partition."""
    period = (
        Period.MONTHLY
        if Period.DAILY not in get_dataset(dataset).periods_for(Market(market))
        else Period.DAILY
    )
    text = day.isoformat() if period is Period.DAILY else day.isoformat()[:7]
    return ArchiveKey(Market(market), period, dataset, symbol, interval, text)
