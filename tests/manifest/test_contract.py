"""The ManifestStore contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey, Market, Period
from marketlake.errors import ManifestError, ManifestNotInitializedError
from marketlake.manifest import (
    LATEST_VERSION,
    DatasetCounts,
    ManifestKind,
    ManifestStore,
    PartitionRecord,
    PartitionStatus,
    open_manifest,
    parse_dsn,
)
from marketlake.manifest.core import SqlManifest
from marketlake.manifest.postgres import open_postgres
from marketlake.manifest.schema import MIGRATIONS, Migration
from marketlake.manifest.sqlite import open_sqlite
from tests.manifest.records import SOURCE, day_start, done, failed, kline_key, unavailable

NEXT = LATEST_VERSION + 1
NOTE_COLUMN = Migration(NEXT, "a note", ("ALTER TABLE partitions ADD COLUMN note TEXT",))


def open_with(dsn: str, migrations: tuple[Migration, ...], *, auto_init: bool) -> SqlManifest:
    """A store on ``dsn`` that knows exactly ``migrations``."""
    target = parse_dsn(dsn, lake_root=Path("unused"))
    if target.kind is ManifestKind.SQLITE:
        assert target.path is not None
        return open_sqlite(target.path, auto_init=auto_init, migrations=migrations)
    return open_postgres(target.url, auto_init=auto_init, migrations=migrations)


def test_round_trip_keeps_every_field(store: ManifestStore) -> None:
    key = kline_key("币安人生USDT", "2024-03-05")
    full = done(
        key,
        rows=86_399,
        rows_in_file=86_400,
        min_time=datetime(2024, 3, 5, 0, 0, 0, 1, tzinfo=UTC),
        max_time=datetime(2024, 3, 5, 23, 59, 59, 999_999, tzinfo=UTC),
        files=("spot/klines/币安人生USDT/a.parquet", "spot/klines/币安人生USDT/b.parquet"),
        source_last_modified=datetime(2024, 3, 6, 1, 2, 3, 456_789, tzinfo=UTC),
        schema_version=3,
        error="recovered after 2 retries",
        superseded_by="data/spot/monthly/klines/币安人生USDT/1m/币安人生USDT-1m-2024-03.zip",
        updated_at=datetime(2024, 3, 6, 1, 2, 4, 7, tzinfo=UTC),
    )
    trades = ArchiveKey(Market.UM, Period.MONTHLY, "trades", "BTCUSDT", None, "2022-01")
    empty = PartitionRecord(SOURCE, trades, PartitionStatus.UNAVAILABLE)
    store.save([full, empty])

    assert store.get(SOURCE, key) == replace(full, attempts=1)
    loaded_empty = store.get(SOURCE, trades)
    assert loaded_empty == PartitionRecord(
        SOURCE, trades, PartitionStatus.UNAVAILABLE, attempts=1, updated_at=empty.updated_at
    )
    assert loaded_empty is not None and loaded_empty.key.interval is None
    assert loaded_empty.rows is None and loaded_empty.min_time is None and loaded_empty.files == ()


def test_times_in_other_zones_come_back_as_the_same_instant_in_utc(store: ManifestStore) -> None:
    tokyo = timezone(timedelta(hours=9))
    record = done(kline_key(), min_time=datetime(2024, 1, 1, 9, 0, 0, 5, tzinfo=tokyo))
    store.save([record])

    loaded = store.get(SOURCE, record.key)

    assert loaded is not None and loaded.min_time == datetime(2024, 1, 1, 0, 0, 0, 5, tzinfo=UTC)
    assert loaded.min_time.utcoffset() == timedelta(0)


def test_naive_times_are_refused(store: ManifestStore) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        store.save([done(kline_key(), min_time=datetime(2024, 1, 1))])


def test_upsert_replaces_the_record_and_counts_attempts(store: ManifestStore) -> None:
    key = kline_key()
    when = datetime(2024, 2, 2, tzinfo=UTC)
    store.save([done(key, attempts=42)])
    assert (stored := store.get(SOURCE, key)) is not None and stored.attempts == 1

    failure = failed(key, "checksum mismatch", when)
    store.save([failure])
    assert store.get(SOURCE, key) == replace(failure, attempts=2)

    store.save([done(key)])
    stored = store.get(SOURCE, key)
    assert stored is not None and stored.status is PartitionStatus.DONE and stored.attempts == 3
    assert stored.error is None and stored.rows == 1440


def test_one_save_with_the_same_partition_twice_keeps_the_last(store: ManifestStore) -> None:
    key = kline_key()
    store.save([done(key, rows=1), done(key, rows=2)])

    stored = store.get(SOURCE, key)

    assert stored is not None and stored.rows == 2 and stored.attempts == 1


def test_a_failing_save_stores_nothing(store: ManifestStore) -> None:
    keys = [kline_key(date=f"2024-01-0{day}") for day in (1, 2, 3)]
    batch = [done(keys[0]), done(keys[1], size=2**70), done(keys[2])]

    with pytest.raises(ManifestError):
        store.save(batch)

    assert store.records(SOURCE, Market.SPOT, "klines") == {}


def test_records_filter_by_source_interval_and_symbols(store: ManifestStore) -> None:
    btc_1m, btc_5m, eth_1m = kline_key(), kline_key(interval="5m"), kline_key("ETHUSDT")
    trades = ArchiveKey(Market.SPOT, Period.DAILY, "trades", "BTCUSDT", None, "2024-01-01")
    mirror = "http://127.0.0.1:8000"
    store.save([done(btc_1m), done(btc_5m), done(eth_1m), done(trades), done(btc_1m, mirror)])

    everything = store.records(SOURCE, Market.SPOT, "klines")
    assert set(everything) == {btc_1m, btc_5m, eth_1m}
    assert everything[btc_5m].key.interval == "5m"
    assert set(store.records(SOURCE, Market.SPOT, "klines", interval="5m")) == {btc_5m}
    assert set(store.records(SOURCE, Market.SPOT, "klines", symbols=["ETHUSDT"])) == {eth_1m}
    assert set(
        store.records(SOURCE, Market.SPOT, "klines", interval="1m", symbols={"BTCUSDT", "X"})
    ) == {btc_1m}
    assert store.records(SOURCE, Market.SPOT, "klines", symbols=[]) == {}
    assert set(store.records(SOURCE, Market.SPOT, "trades")) == {trades}
    assert set(store.records(mirror, Market.SPOT, "klines")) == {btc_1m}
    assert store.records(SOURCE, Market.UM, "klines") == {}


def test_get_of_an_unknown_partition_is_none(store: ManifestStore) -> None:
    store.save([done(kline_key())])

    assert store.get(SOURCE, kline_key(date="2024-01-02")) is None
    assert store.get("http://elsewhere", kline_key()) is None


def test_summary_counts_statuses_and_lists_latest_failures(store: ManifestStore) -> None:
    base = datetime(2024, 5, 1, tzinfo=UTC)
    trades = ArchiveKey(Market.SPOT, Period.DAILY, "trades", "BTCUSDT", None, "2024-01-01")
    monthly = "data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip"
    store.save(
        [
            done(kline_key(date="2024-01-01")),
            done(kline_key(date="2024-01-02"), superseded_by=monthly),
            failed(kline_key(date="2024-01-03"), "timeout after 30 s", base),
            failed(kline_key(date="2024-01-04"), "checksum mismatch", base + timedelta(hours=2)),
            failed(kline_key(date="2024-01-05"), "truncated zip", base + timedelta(hours=1)),
            unavailable(kline_key(date="2024-01-06")),
            done(trades),
        ]
    )

    summary = store.summary(failures=2)

    assert summary.datasets == (
        DatasetCounts(Market.SPOT, "klines", done=2, failed=3, unavailable=1, superseded=1),
        DatasetCounts(Market.SPOT, "trades", done=1),
    )
    assert summary.count(PartitionStatus.DONE) == 3
    assert summary.count(PartitionStatus.FAILED) == 3
    assert [(f.key.date, f.error) for f in summary.latest_failures] == [
        ("2024-01-04", "checksum mismatch"),
        ("2024-01-05", "truncated zip"),
    ]
    only_trades = store.summary(Market.SPOT, "trades")
    assert only_trades.datasets == (DatasetCounts(Market.SPOT, "trades", done=1),)
    assert only_trades.latest_failures == ()
    assert store.summary(Market.UM).datasets == ()


def test_files_lists_done_partitions_overlapping_a_half_open_range(store: ManifestStore) -> None:
    days = [kline_key(date=f"2024-01-0{day}") for day in (1, 2, 3, 4)]
    monthly = ArchiveKey(Market.SPOT, Period.MONTHLY, "klines", "BTCUSDT", "1m", "2023-12")
    store.save(
        [
            done(days[0]),
            done(days[1], superseded_by=monthly.zip_key),
            done(days[2]),
            done(days[3]),
            done(monthly, min_time=day_start("2023-12-01"), max_time=day_start("2023-12-31")),
            failed(kline_key(date="2024-01-05"), "boom", datetime(2024, 2, 1, tzinfo=UTC)),
            done(kline_key("ETHUSDT", "2024-01-03")),
            done(kline_key(date="2024-01-03", interval="5m")),
            done(days[2], source="http://127.0.0.1:8000"),
        ]
    )
    start, end = datetime(2024, 1, 1, 12, tzinfo=UTC), day_start("2024-01-04")

    found = store.files(Market.SPOT, "klines", interval="1m", symbols=["BTCUSDT"], start=start)
    ranged = store.files(
        Market.SPOT, "klines", interval="1m", symbols=["BTCUSDT"], start=start, end=end
    )

    assert [(e.key.date, e.source) for e in ranged] == [
        ("2024-01-01", SOURCE),
        ("2024-01-03", "http://127.0.0.1:8000"),
        ("2024-01-03", SOURCE),
    ]
    assert ranged[2].files == ("spot/klines/BTCUSDT/2024-01-03.parquet",)
    assert ranged[2].min_time == day_start("2024-01-03") and ranged[2].rows == 1440
    assert [e.key.date for e in found] == ["2024-01-01", "2024-01-03", "2024-01-03", "2024-01-04"]
    everything = store.files(Market.SPOT, "klines", source=SOURCE)
    assert sorted((e.key.interval, e.key.symbol, e.key.date) for e in everything) == [
        ("1m", "BTCUSDT", "2023-12"),
        ("1m", "BTCUSDT", "2024-01-01"),
        ("1m", "BTCUSDT", "2024-01-03"),
        ("1m", "BTCUSDT", "2024-01-04"),
        ("1m", "ETHUSDT", "2024-01-03"),
        ("5m", "BTCUSDT", "2024-01-03"),
    ]
    assert store.files(Market.SPOT, "klines", end=day_start("2023-12-01")) == []
    assert store.files(Market.SPOT, "klines", symbols=[]) == []


def test_schema_versions_apply_in_order_once(store: ManifestStore, manifest_dsn: str) -> None:
    store.save([done(kline_key())])
    assert store.schema_version() == LATEST_VERSION == MIGRATIONS[-1].version

    with open_with(manifest_dsn, (*MIGRATIONS, NOTE_COLUMN), auto_init=False) as newer:
        needs = rf"schema version {LATEST_VERSION}.*needs {NEXT}"
        with pytest.raises(ManifestNotInitializedError, match=needs):
            newer.records(SOURCE, Market.SPOT, "klines")
        assert newer.init_schema() == NEXT
        assert newer.init_schema() == NEXT  # re-running would fail: the column exists
        assert newer.schema_version() == NEXT
        assert set(newer.records(SOURCE, Market.SPOT, "klines")) == {kline_key()}


def test_a_newer_schema_is_refused(manifest_dsn: str) -> None:
    open_with(manifest_dsn, (*MIGRATIONS, NOTE_COLUMN), auto_init=True).close()

    with open_with(manifest_dsn, MIGRATIONS, auto_init=False) as older:
        with pytest.raises(ManifestError, match="newer than this marketlake knows"):
            older.records(SOURCE, Market.SPOT, "klines")
        with pytest.raises(ManifestError, match="upgrade marketlake"):
            older.init_schema()


def test_an_uninitialised_manifest_asks_for_db_init(manifest_dsn: str, tmp_path: Path) -> None:
    expected = pytest.raises(ManifestNotInitializedError, match=r"run `marketlake db init`")
    with expected, open_manifest(manifest_dsn, lake_root=tmp_path, auto_init=False) as store:
        store.records(SOURCE, Market.SPOT, "klines")


def test_ten_thousand_records_round_trip(store: ManifestStore) -> None:
    first = datetime(2020, 1, 1, tzinfo=UTC)
    batch = [
        done(kline_key(f"S{n // 500}USDT", (first + timedelta(days=n % 500)).date().isoformat()))
        for n in range(10_000)
    ]

    started = time.perf_counter()
    store.save(batch)
    saved = time.perf_counter()
    loaded = store.records(SOURCE, Market.SPOT, "klines")
    read = time.perf_counter()

    print(f"\n10,000 records: save {saved - started:.3f} s, records() {read - saved:.3f} s")
    assert len(loaded) == 10_000
    assert all(loaded[r.key] == replace(r, attempts=1) for r in batch)
