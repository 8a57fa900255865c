"""Building warehouse load records for tests (the partition records: ``tests.manifest.records``)."""

from __future__ import annotations

from typing import Any

from marketlake.manifest import LoadState, PartitionRecord, WarehouseLoad


def warehouse_load(
    record: PartitionRecord,
    warehouse: str,
    state: LoadState = LoadState.LOADED,
    **changes: Any,
) -> WarehouseLoad:
    """``record`` as ``warehouse`` holds it in ``spot_klines_1m``: its rows, times and version."""
    return WarehouseLoad(
        warehouse=warehouse,
        source=record.source,
        key=record.key,
        state=state,
        table="spot_klines_1m",
        rows=record.rows or 0,
        min_time=record.min_time,
        max_time=record.max_time,
        sha256=record.sha256,
        etag=record.etag,
        files=record.files,
        **changes,
    )
