"""Fixtures of the warehouse tests: test lakes written by the real ingest, chDB warehouses.

chDB runs one engine per process, so every warehouse a test opens is closed before the next
test opens another folder (the fixtures use ``with``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey, Market, Period
from marketlake.warehouse import Warehouse, open_warehouse
from tests.warehouse.lakes import ingest_from, kline_days, publish

MIXED_KEYS = (
    *kline_days("BTCUSDT", date(2024, 1, 1), 2),
    *kline_days("ETHUSDT", date(2024, 1, 1), 1),
    ArchiveKey(Market.UM, Period.DAILY, "metrics", "BTCUSDT", None, "2024-01-02"),
    ArchiveKey(Market.UM, Period.DAILY, "trades", "BTCUSDT", None, "2024-01-02"),
    ArchiveKey(Market.UM, Period.DAILY, "bookDepth", "BTCUSDT", None, "2024-01-02"),
    ArchiveKey(Market.UM, Period.MONTHLY, "fundingRate", "BTCUSDT", None, "2024-01"),
    ArchiveKey(Market.SPOT, Period.DAILY, "klines", "BTCUSDT", "1m", "2025-01-02"),
    ArchiveKey(Market.SPOT, Period.DAILY, "trades", "BTCUSDT", None, "2025-01-02"),
    ArchiveKey(Market.OPTION, Period.DAILY, "EOHSummary", "BTCUSDT", None, "2023-06-01"),
    ArchiveKey(Market.OPTION, Period.DAILY, "BVOLIndex", "BTCBVOLUSDT", None, "2023-07-01"),
)
"""One lake with every column kind: decimals of each shape, ms and us epochs, datetime and
date text, booleans, NULLs (EOHSummary), a file-borne symbol column (metrics, BVOLIndex)."""


@pytest.fixture(scope="session")
def mixed_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake (SQLite manifest inside) holding ``MIXED_KEYS``; read-only for the tests."""
    root = tmp_path_factory.mktemp("mixed")
    for key in MIXED_KEYS:
        publish(root / "archive", key)
    ingest_from(root / "archive", root / "lake", MIXED_KEYS)
    return root / "lake"


@pytest.fixture
def chdb_warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    """An empty embedded warehouse in this test's own folder."""
    with open_warehouse(f"chdb://{tmp_path / 'chdb'}", lake_root=tmp_path, create=True) as opened:
        yield opened
