"""Syncs are incremental and idempotent; re-published and superseded files are replaced."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey, Market, Period
from marketlake.manifest import LoadState, ManifestStore, WarehouseLoad, open_manifest
from marketlake.settings import ARCHIVE_ID
from marketlake.warehouse import SyncReport, Warehouse, build_sync_request, warehouse_status
from marketlake.warehouse.load import FileLoader, lake_files
from marketlake.warehouse.plan import SyncScope, plan_table
from marketlake.warehouse.tables import table_spec
from tests.warehouse.lakes import (
    ingest_from,
    kline_days,
    lake_table,
    publish,
    republished,
    sort_all,
)

BTC = kline_days("BTCUSDT", date(2024, 1, 1), 31)
ETH = kline_days("ETHUSDT", date(2024, 1, 1), 2)
JANUARY = ArchiveKey(Market.UM, Period.MONTHLY, "klines", "BTCUSDT", "1m", "2024-01")


@dataclass
class Lake:
    """A test lake written by ingest from an overlay archive folder."""

    root: Path

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def path(self) -> Path:
        return self.root / "lake"

    def publish(self, *keys: ArchiveKey) -> None:
        for key in keys:
            publish(self.archive, key)
        ingest_from(self.archive, self.path, keys)

    def sync(self, warehouse: Warehouse, **request: object) -> SyncReport:
        with open_manifest(None, lake_root=self.path) as store:
            return warehouse.sync(
                store,
                build_sync_request(**request),
                lake_root=self.path,  # type: ignore[arg-type]
            )


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path)


def counts(warehouse: Warehouse, table: str = "um_klines_1m") -> dict[str, int]:
    frame = warehouse.query(f"SELECT symbol, toInt64(count()) AS n FROM {table} GROUP BY symbol")
    return dict(frame.iter_rows())


def rows_of(warehouse: Warehouse, key: ArchiveKey) -> list[tuple[object, ...]]:
    frame = warehouse.query(
        "SELECT open_time, close FROM um_klines_1m WHERE symbol = {s:String}"
        " AND toDate(open_time) = {d:Date} ORDER BY open_time",
        {"s": key.symbol, "d": key.date},
    )
    return list(frame.iter_rows())


def test_syncing_twice_changes_nothing(lake: Lake, chdb_warehouse: Warehouse) -> None:
    lake.publish(*BTC[:3], *ETH)
    first = lake.sync(chdb_warehouse)
    second = lake.sync(chdb_warehouse)
    assert (first.loaded, first.rows) == (5, 5 * 1440)
    assert second.is_noop
    assert (second.tables[0].current, second.rows) == (5, 0)
    assert counts(chdb_warehouse) == {"BTCUSDT": 3 * 1440, "ETHUSDT": 2 * 1440}


def test_a_sync_loads_only_what_is_new(lake: Lake, chdb_warehouse: Warehouse) -> None:
    lake.publish(*BTC[:2])
    lake.sync(chdb_warehouse)
    lake.publish(BTC[2])
    report = lake.sync(chdb_warehouse)
    assert (report.loaded, report.rows, report.tables[0].current) == (1, 1440, 2)
    assert counts(chdb_warehouse) == {"BTCUSDT": 3 * 1440}


def test_a_republished_file_replaces_its_rows(lake: Lake, chdb_warehouse: Warehouse) -> None:
    lake.publish(*BTC[:3])
    lake.sync(chdb_warehouse)
    before = rows_of(chdb_warehouse, BTC[1])
    newer = republished((lake.archive / BTC[1].zip_key).read_bytes(), BTC[1], drop_last=True)
    publish(lake.archive, BTC[1], newer)
    ingest_from(lake.archive, lake.path, [BTC[1]])
    with open_manifest(None, lake_root=lake.path) as store:
        (status,) = warehouse_status(store, warehouse=chdb_warehouse.name)
    assert (status.stale, status.pending, status.current) == (1, 1, 2)

    report = lake.sync(chdb_warehouse)

    assert (report.loaded, report.tables[0].replaced) == (1, 1)
    after = rows_of(chdb_warehouse, BTC[1])
    assert len(after) == len(before) - 1  # the dropped last row is gone, not kept
    assert after[0][1] != before[0][1]  # the changed close is the new one
    assert after[1:] == before[1:-1]
    assert counts(chdb_warehouse) == {"BTCUSDT": 3 * 1440 - 1}
    versions = chdb_warehouse.query(
        "SELECT DISTINCT archive_version FROM um_klines_1m WHERE archive_file = {f:String}",
        {"f": BTC[1].file_name},
    )
    assert versions.to_series().to_list() == [hashlib.sha256(newer).hexdigest()]
    expected = lake_table(lake.path, Market.UM, "klines", "1m")
    found = sort_all(chdb_warehouse.query_arrow(f"SELECT {_columns()} FROM um_klines_1m"))
    assert found.column("close").to_pylist() == expected.column("close").to_pylist()


def test_the_monthly_file_replaces_the_daily_rows(lake: Lake, chdb_warehouse: Warehouse) -> None:
    lake.publish(*BTC)
    lake.sync(chdb_warehouse)
    lake.publish(JANUARY)
    report = lake.sync(chdb_warehouse)
    assert (report.loaded, report.removed) == (1, 31)
    assert counts(chdb_warehouse) == {"BTCUSDT": 31 * 1440}
    files = chdb_warehouse.query("SELECT DISTINCT archive_file FROM um_klines_1m")
    assert files.to_series().to_list() == [JANUARY.file_name]
    duplicates = chdb_warehouse.query(
        "SELECT count() AS n FROM (SELECT open_time FROM um_klines_1m"
        " GROUP BY symbol, open_time HAVING count() > 1)"
    )
    assert duplicates.row(0)[0] == 0
    assert lake.sync(chdb_warehouse).is_noop


def test_an_interrupted_sync_is_repaired(lake: Lake, chdb_warehouse: Warehouse) -> None:
    lake.publish(*BTC[:2])
    spec = table_spec(Market.UM, "klines", "1m")
    with open_manifest(None, lake_root=lake.path) as store:
        chdb_warehouse.sync(store, build_sync_request(symbols="NONE"), lake_root=lake.path)
        _insert_without_recording_done(store, chdb_warehouse, lake.path)
        (state,) = {load.state for load in _loads(store, chdb_warehouse)}
    assert state is LoadState.LOADING
    assert counts(chdb_warehouse, spec.name) == {"BTCUSDT": 2 * 1440}

    report = lake.sync(chdb_warehouse)

    assert report.loaded == 2
    assert counts(chdb_warehouse, spec.name) == {"BTCUSDT": 2 * 1440}  # not 4 x 1440
    with open_manifest(None, lake_root=lake.path) as store:
        assert {load.state for load in _loads(store, chdb_warehouse)} == {LoadState.LOADED}


def test_symbols_and_dates_limit_a_sync(lake: Lake, chdb_warehouse: Warehouse) -> None:
    lake.publish(*BTC[:3], *ETH)
    first = lake.sync(chdb_warehouse, symbols="ETH*")
    assert counts(chdb_warehouse) == {"ETHUSDT": 2 * 1440}
    second = lake.sync(chdb_warehouse, symbols="BTCUSDT", start=date(2024, 1, 2))
    assert (first.loaded, second.loaded) == (2, 2)
    assert counts(chdb_warehouse) == {"ETHUSDT": 2 * 1440, "BTCUSDT": 2 * 1440}
    days = chdb_warehouse.query(
        "SELECT DISTINCT toDate(open_time) AS d FROM um_klines_1m WHERE symbol = 'BTCUSDT'"
        " ORDER BY d"
    )
    assert days.to_series().to_list() == [date(2024, 1, 2), date(2024, 1, 3)]


def test_a_deleted_warehouse_is_loaded_again(lake: Lake, tmp_path: Path) -> None:
    from marketlake.warehouse import open_warehouse

    lake.publish(*BTC[:2])
    dsn = f"chdb://{tmp_path / 'first'}"
    with open_warehouse(dsn, lake_root=lake.path, create=True) as warehouse:
        lake.sync(warehouse)
    with open_warehouse(f"chdb://{tmp_path / 'second'}", lake_root=lake.path, create=True) as other:
        assert lake.sync(other).loaded == 2  # another warehouse has its own records
        other._engine.command("DROP TABLE um_klines_1m")
        assert lake.sync(other).loaded == 2  # a table found missing is loaded again
        assert counts(other) == {"BTCUSDT": 2 * 1440}


def _insert_without_recording_done(
    store: ManifestStore, warehouse: Warehouse, lake_root: Path
) -> None:
    """The state a sync killed after its INSERT and before its final record leaves."""
    from marketlake.warehouse.sync import Sync

    spec = table_spec(Market.UM, "klines", "1m")
    records = store.records(ARCHIVE_ID, Market.UM, "klines", interval="1m")
    plan = plan_table(records, {}, SyncScope())
    job = Sync(warehouse._engine, store, lake_root=lake_root, source=ARCHIVE_ID)
    store.save_warehouse_loads([job._record(spec, item, LoadState.LOADING) for item in plan.loads])
    FileLoader().load(
        warehouse._engine, warehouse.dsn.database, spec, lake_files(plan.loads, lake_root)
    )


def _loads(store: ManifestStore, warehouse: Warehouse) -> list[WarehouseLoad]:
    found = store.warehouse_loads(warehouse.name, ARCHIVE_ID, Market.UM, "klines", interval="1m")
    return list(found.values())


def _columns() -> str:
    names = ["symbol", *table_spec(Market.UM, "klines", "1m").lake_columns]
    return ", ".join(f"`{n}`" for n in names)
