"""The sync plan: the lake's records against a warehouse's loads (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from marketlake.catalog import ArchiveKey
from marketlake.manifest import LoadState, PartitionRecord, PartitionStatus, WarehouseLoad
from marketlake.warehouse.plan import SyncScope, batches, months_between, plan_table
from tests.manifest.records import done, kline_key
from tests.warehouse.records import warehouse_load

WAREHOUSE = "chdb:///w?database=marketlake"


def loaded(record: PartitionRecord, state: LoadState = LoadState.LOADED) -> WarehouseLoad:
    return warehouse_load(record, WAREHOUSE, state)


def by_key(*records: PartitionRecord) -> dict[ArchiveKey, PartitionRecord]:
    return {r.key: r for r in records}


def test_new_changed_interrupted_current_and_gone_partitions() -> None:
    current = done(kline_key(date="2024-01-01"))
    new = done(kline_key(date="2024-01-02"))
    republished = done(kline_key(date="2024-01-03"), sha256="cd" * 32)
    interrupted = done(kline_key(date="2024-01-04"))
    superseded = done(kline_key(date="2024-01-05"), files=(), superseded_by="monthly")
    failed = PartitionRecord(current.source, kline_key(date="2024-01-06"), PartitionStatus.FAILED)
    loads = {
        current.key: loaded(current),
        republished.key: loaded(replace(republished, sha256="ab" * 32)),
        interrupted.key: loaded(interrupted, LoadState.LOADING),
        superseded.key: loaded(done(superseded.key)),
        failed.key: loaded(done(failed.key)),
    }
    records = by_key(current, new, republished, interrupted, superseded, failed)

    plan = plan_table(records, loads, SyncScope())

    assert [item.key.date for item in plan.loads] == ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert [(item.replaces, item.interrupted) for item in plan.loads] == [
        (False, False),
        (True, False),
        (False, True),
    ]
    assert plan.loads[1].version == "cd" * 32
    assert [load.key.date for load in plan.removals] == ["2024-01-05", "2024-01-06"]
    assert plan.current == 1
    assert not plan.is_noop


def test_a_partition_without_sha256_is_versioned_by_its_etag() -> None:
    record = done(kline_key(), sha256=None, etag='"e1"')
    plan = plan_table(by_key(record), {}, SyncScope())
    assert plan.loads[0].version == 'etag:"e1"'
    again = plan_table(by_key(record), {record.key: loaded(record)}, SyncScope())
    assert again.is_noop and again.current == 1


def test_the_scope_limits_loads_and_removals() -> None:
    records = by_key(
        done(kline_key("BTCUSDT", "2024-01-01")),
        done(kline_key("ETHUSDT", "2024-01-02")),
        done(kline_key("ETHUSDT", "2024-01-05")),
    )
    gone = done(kline_key("ETHUSDT", "2024-01-09"))
    loads = {gone.key: loaded(gone)}
    scope = SyncScope(symbols=("ETH*",), start=date(2024, 1, 2), end=date(2024, 1, 4))
    plan = plan_table(records, loads, scope)
    assert [(i.key.symbol, i.key.date) for i in plan.loads] == [("ETHUSDT", "2024-01-02")]
    assert plan.removals == ()
    assert SyncScope(symbols=("BTCUSDT", "ETHUSDT")).explicit_symbols == ("BTCUSDT", "ETHUSDT")
    assert SyncScope(symbols=("ETH*",)).explicit_symbols is None


def test_months_between() -> None:
    first = datetime(2023, 11, 30, 23, tzinfo=UTC)
    assert months_between(first, datetime(2024, 2, 1, tzinfo=UTC)) == {
        202311,
        202312,
        202401,
        202402,
    }
    assert months_between(first, first) == {202311}
    assert months_between(None, first) == set()


@given(
    rows=st.lists(st.integers(0, 5_000), max_size=60),
    max_rows=st.integers(1, 20_000),
    max_files=st.integers(1, 10),
)
def test_batches_keep_order_and_limits(rows: list[int], max_rows: int, max_files: int) -> None:
    items = plan_table(
        by_key(
            *(done(kline_key(date=f"2024-01-{i + 1:02d}"), rows=n) for i, n in enumerate(rows[:28]))
        ),
        {},
        SyncScope(),
    ).loads
    cut = list(batches(items, max_rows=max_rows, max_files=max_files))
    assert [item for batch in cut for item in batch] == list(items)
    for batch in cut:
        assert batch
        if len(batch) > 1:
            assert sum(item.rows for item in batch) <= max_rows
            assert sum(len(item.record.files) for item in batch) <= max_files
