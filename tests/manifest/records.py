"""Building partition records for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marketlake.catalog import ArchiveKey, Market, Period
from marketlake.manifest import PartitionRecord, PartitionStatus

SOURCE = "https://data.binance.vision"


def kline_key(
    symbol: str = "BTCUSDT", date: str = "2024-01-01", interval: str = "1m"
) -> ArchiveKey:
    """A spot daily klines key."""
    return ArchiveKey(Market.SPOT, Period.DAILY, "klines", symbol, interval, date)


def day_start(date: str) -> datetime:
    """Midnight UTC of ``date``."""
    return datetime.fromisoformat(date).replace(tzinfo=UTC)


def done(key: ArchiveKey, source: str = SOURCE, **changes: Any) -> PartitionRecord:
    """A done record whose rows span ``key``'s days."""
    first = day_start(key.first_day.isoformat())
    fields: dict[str, Any] = {
        "rows": 1440,
        "rows_in_file": 1440,
        "min_time": first,
        "max_time": first + timedelta(days=1, microseconds=-1),
        "files": (f"spot/klines/{key.symbol}/{key.date}.parquet",),
        "sha256": "ab" * 32,
        "etag": '"0123456789abcdef"',
        "size": 58_000,
        "updated_at": datetime(2024, 2, 1, tzinfo=UTC),
    }
    fields.update(changes)
    return PartitionRecord(source=source, key=key, status=PartitionStatus.DONE, **fields)


def failed(key: ArchiveKey, error: str, when: datetime, source: str = SOURCE) -> PartitionRecord:
    """A failed record with its reason, updated at ``when``."""
    return PartitionRecord(
        source=source, key=key, status=PartitionStatus.FAILED, error=error, updated_at=when
    )


def unavailable(key: ArchiveKey, source: str = SOURCE) -> PartitionRecord:
    """A partition the archive answers 404 for."""
    return PartitionRecord(
        source=source, key=key, status=PartitionStatus.UNAVAILABLE, error="404 Not Found"
    )
