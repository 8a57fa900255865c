"""The manifest's warehouse load records, the same contract on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from marketlake.catalog import Market
from marketlake.manifest import (
    LakeCounts,
    LoadState,
    ManifestStore,
    PartitionRecord,
    WarehouseLoad,
    open_manifest,
)
from tests.manifest.records import SOURCE, done, kline_key
from tests.warehouse.records import warehouse_load

WAREHOUSE = "http://ch:8123/marketlake"
OTHER = "chdb:///w?database=marketlake"
UPDATED_AT = datetime(2024, 5, 1, 12, 0, 0, 123_456, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ManifestStore]:
    if request.param == "sqlite":
        dsn = f"sqlite:///{tmp_path / 'manifest.sqlite'}"
    else:
        dsn = request.getfixturevalue("pg_manifest_dsn")
    with open_manifest(dsn, lake_root=tmp_path, auto_init=True) as opened:
        yield opened


def load_of(
    record: PartitionRecord, warehouse: str = WAREHOUSE, state: LoadState = LoadState.LOADED
) -> WarehouseLoad:
    return warehouse_load(record, warehouse, state, updated_at=UPDATED_AT)


def test_loads_round_trip_upsert_and_forget(store: ManifestStore) -> None:
    first = done(kline_key("币安人生USDT", "2024-03-05"), files=("a/b.parquet", "a/c.parquet"))
    second = done(kline_key("BTCUSDT", "2024-03-05"), sha256=None, etag='"e"')
    store.save_warehouse_loads([load_of(first), load_of(second), load_of(first, OTHER)])

    found = store.warehouse_loads(WAREHOUSE, SOURCE, Market.SPOT, "klines")
    assert found == {first.key: load_of(first), second.key: load_of(second)}
    assert found[second.key].version == 'etag:"e"'
    assert store.warehouse_loads(WAREHOUSE, SOURCE, Market.SPOT, "klines", symbols=[]) == {}
    only = store.warehouse_loads(WAREHOUSE, SOURCE, Market.SPOT, "klines", symbols=["BTCUSDT"])
    assert list(only) == [second.key]
    assert store.warehouse_loads(WAREHOUSE, SOURCE, Market.SPOT, "klines", interval="5m") == {}

    loading = replace(load_of(first), state=LoadState.LOADING, rows=7)
    store.save_warehouse_loads([loading])
    assert store.warehouse_loads(WAREHOUSE, SOURCE, Market.SPOT, "klines")[first.key] == loading

    store.forget_warehouse_loads(WAREHOUSE, SOURCE, [first.key, second.key])
    assert store.warehouse_loads(WAREHOUSE, SOURCE, Market.SPOT, "klines") == {}
    assert list(store.warehouse_loads(OTHER, SOURCE, Market.SPOT, "klines")) == [first.key]


def test_counts_against_the_lake(store: ManifestStore) -> None:
    current = done(kline_key(date="2024-01-01"))
    changed = done(kline_key(date="2024-01-02"))
    superseded = done(kline_key(date="2024-01-03"))
    interrupted = done(kline_key(date="2024-01-04"))
    missing = done(kline_key(date="2024-01-05"))
    store.save([current, changed, superseded, interrupted, missing])
    store.save_warehouse_loads(
        [
            load_of(current),
            load_of(replace(changed, sha256="cd" * 32)),
            load_of(superseded),
            load_of(interrupted, state=LoadState.LOADING),
        ]
    )
    store.save([replace(superseded, files=(), superseded_by="monthly")])

    (lake,) = store.lake_counts()
    assert lake == LakeCounts(Market.SPOT, "klines", "1m", partitions=4, rows=4 * 1440)
    (held,) = store.warehouse_counts()
    assert (held.warehouse, held.market, held.dataset, held.interval, held.table) == (
        WAREHOUSE,
        Market.SPOT,
        "klines",
        "1m",
        "spot_klines_1m",
    )
    assert (held.loaded, held.rows, held.current, held.current_rows) == (3, 3 * 1440, 1, 1440)
    assert (held.stale, held.loading) == (2, 1)
    assert held.last_load == UPDATED_AT
    assert store.warehouse_counts(OTHER) == ()
    assert store.warehouse_counts(market=Market.UM) == ()
    assert store.lake_counts(dataset="trades") == ()
