"""Keeping a warehouse in step with the lake, table by table, from the manifest.

For each table in scope the sync compares the lake's records with the warehouse's load records
(:mod:`marketlake.warehouse.plan`) and then, batch by batch:

1. records the batch as ``loading`` in the manifest;
2. deletes whatever an interrupted earlier sync may have left of those partitions;
3. inserts the batch (one statement);
4. deletes the rows of older versions of re-published partitions;
5. records the batch as ``loaded``.

Then it deletes the rows of partitions the lake no longer serves (dailies a monthly file
superseded) and forgets their records, and re-aggregates the rollup months those deletes
touched. A sync killed at any point leaves records that the next sync repairs; syncing twice
changes nothing. Readers may briefly see a replaced partition twice (between steps 3 and 4).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from marketlake.manifest import LoadState, ManifestStore, WarehouseLoad
from marketlake.manifest.models import utc_now
from marketlake.warehouse import ddl, rollups
from marketlake.warehouse.engine import Engine
from marketlake.warehouse.load import Loader, lake_files, loader_for
from marketlake.warehouse.plan import (
    PartitionLoad,
    SyncScope,
    TablePlan,
    batches,
    months_between,
    plan_table,
)
from marketlake.warehouse.request import SyncRequest
from marketlake.warehouse.tables import (
    ARCHIVE_FILE,
    ARCHIVE_VERSION,
    TableSpec,
    qualified,
    table_spec,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableSync:
    """What one sync did to one table."""

    table: str
    loaded: int
    rows: int
    replaced: int
    removed: int
    current: int
    created: bool = False
    rollups: tuple[str, ...] = ()


@dataclass(frozen=True)
class SyncReport:
    """What one sync did to a warehouse."""

    warehouse: str
    tables: tuple[TableSync, ...]
    seconds: float

    @property
    def rows(self) -> int:
        """Rows inserted."""
        return sum(t.rows for t in self.tables)

    @property
    def loaded(self) -> int:
        """Partitions loaded (new or replaced)."""
        return sum(t.loaded for t in self.tables)

    @property
    def removed(self) -> int:
        """Partitions whose rows were removed (no longer served by the lake)."""
        return sum(t.removed for t in self.tables)

    @property
    def is_noop(self) -> bool:
        """True when the warehouse already matched the lake."""
        return self.loaded == 0 and self.removed == 0


class Sync:
    """One sync of one warehouse (engine + database) from one manifest and lake."""

    def __init__(
        self,
        engine: Engine,
        store: ManifestStore,
        *,
        lake_root: Path,
        source: str,
        loader: Loader | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._lake_root = lake_root
        self._source = source
        self._database = engine.dsn.database
        self._warehouse = engine.dsn.name
        self._loader = loader or loader_for(engine)

    def run(self, request: SyncRequest) -> SyncReport:
        """Sync every table in ``request``'s scope."""
        started = time.monotonic()
        ddl.ensure_database(self._engine, self._database)
        results = tuple(self._table(spec, request) for spec in self.tables(request))
        return SyncReport(self._warehouse, results, time.monotonic() - started)

    def tables(self, request: SyncRequest) -> list[TableSpec]:
        """The tables in scope: every dataset the lake serves or this warehouse holds."""
        found = {(c.market, c.dataset, c.interval) for c in self._store.lake_counts()}
        found |= {
            (c.market, c.dataset, c.interval) for c in self._store.warehouse_counts(self._warehouse)
        }
        wanted = [
            (market, dataset, interval)
            for market, dataset, interval in found
            if (request.market is None or market is request.market)
            and (request.dataset is None or dataset == request.dataset)
            and (request.intervals is None or interval in request.intervals)
        ]
        return [
            table_spec(*t) for t in sorted(wanted, key=lambda t: (t[0].value, t[1], t[2] or ""))
        ]

    def _table(self, spec: TableSpec, request: SyncRequest) -> TableSync:
        if request.rebuild:
            self._drop(spec)
        created = ddl.ensure_table(self._engine, self._database, spec)
        if created:  # a new table holds nothing, whatever the manifest remembers
            self._forget_all(spec)
        if request.rollups:
            present = rollups.existing_rollups(self._engine, self._database, spec)
            for rollup in rollups.rollups_for(spec):
                if rollup not in present:
                    rollups.create_rollup(self._engine, self._database, rollup)
        plan = self._plan(spec, request.scope)
        touched: set[int] = set()
        for batch in batches(plan.loads, max_rows=self._loader.max_rows):
            touched |= self._load(spec, batch)
        if plan.removals:
            touched |= self._remove(spec, plan.removals)
        existing = rollups.existing_rollups(self._engine, self._database, spec)
        for rollup in existing if touched else ():
            rollups.refresh_months(self._engine, self._database, rollup, touched)
        result = TableSync(
            table=spec.name,
            loaded=len(plan.loads),
            rows=sum(item.rows for item in plan.loads),
            replaced=sum(1 for item in plan.loads if item.replaces),
            removed=len(plan.removals),
            current=plan.current,
            created=created,
            rollups=tuple(r.name for r in existing),
        )
        logger.info("synced %s.%s: %s", self._database, spec.name, result)
        return result

    def _plan(self, spec: TableSpec, scope: SyncScope) -> TablePlan:
        symbols = scope.explicit_symbols
        records = self._store.records(
            self._source, spec.market, spec.dataset, interval=spec.interval, symbols=symbols
        )
        loads = self._store.warehouse_loads(
            self._warehouse,
            self._source,
            spec.market,
            spec.dataset,
            interval=spec.interval,
            symbols=symbols,
        )
        return plan_table(records, loads, scope)

    def _load(self, spec: TableSpec, batch: Sequence[PartitionLoad]) -> set[int]:
        """Load one batch; the months of the rows it deleted (for the rollups)."""
        self._store.save_warehouse_loads([self._record(spec, i, LoadState.LOADING) for i in batch])
        interrupted = [item for item in batch if item.interrupted]
        if interrupted:
            self._delete(spec, [item.key.symbol for item in interrupted], _files(interrupted))
        self._loader.load(self._engine, self._database, spec, lake_files(batch, self._lake_root))
        replaced = [item for item in batch if item.replaces]
        if replaced:
            keep = sorted({item.version for item in replaced})
            symbols = [item.key.symbol for item in replaced]
            self._delete(spec, symbols, _files(replaced), keep_versions=keep)
        self._store.save_warehouse_loads([self._record(spec, i, LoadState.LOADED) for i in batch])
        logger.info("loaded %d partitions into %s", len(batch), spec.name)
        return _months([item.previous for item in [*interrupted, *replaced]])

    def _remove(self, spec: TableSpec, removals: Sequence[WarehouseLoad]) -> set[int]:
        files = sorted({load.key.file_name for load in removals})
        self._delete(spec, [load.key.symbol for load in removals], files)
        self._store.forget_warehouse_loads(
            self._warehouse, self._source, [load.key for load in removals]
        )
        logger.info("removed %d partitions from %s", len(removals), spec.name)
        return _months(removals)

    def _delete(
        self,
        spec: TableSpec,
        symbols: Sequence[str],
        files: Sequence[str],
        *,
        keep_versions: Sequence[str] = (),
    ) -> None:
        """Delete the rows of ``files`` (except those tagged with ``keep_versions``)."""
        sql = (
            f"DELETE FROM {qualified(self._database, spec.name)}"
            " WHERE `symbol` IN {symbols:Array(String)}"
            f" AND `{ARCHIVE_FILE}` IN {{files:Array(String)}}"
        )
        parameters: dict[str, object] = {"symbols": sorted(set(symbols)), "files": list(files)}
        if keep_versions:
            sql += f" AND `{ARCHIVE_VERSION}` NOT IN {{keep:Array(String)}}"
            parameters["keep"] = list(keep_versions)
        self._engine.command(sql, parameters)

    def _drop(self, spec: TableSpec) -> None:
        """Drop a table and its rollups, and forget what the manifest says it held."""
        for rollup in rollups.rollups_for(spec):
            for name in (rollup.view, rollup.name, rollup.state):
                ddl.drop_table(self._engine, self._database, name)
        ddl.drop_table(self._engine, self._database, spec.name)
        logger.info("dropped %s.%s for a rebuild", self._database, spec.name)

    def _forget_all(self, spec: TableSpec) -> None:
        """Forget every load record of ``spec``'s table (it was just created)."""
        held = self._store.warehouse_loads(
            self._warehouse, self._source, spec.market, spec.dataset, interval=spec.interval
        )
        self._store.forget_warehouse_loads(self._warehouse, self._source, list(held))

    def _record(self, spec: TableSpec, item: PartitionLoad, state: LoadState) -> WarehouseLoad:
        record = item.record
        return WarehouseLoad(
            warehouse=self._warehouse,
            source=self._source,
            key=record.key,
            state=state,
            table=spec.name,
            rows=item.rows,
            min_time=record.min_time,
            max_time=record.max_time,
            sha256=record.sha256,
            etag=record.etag,
            files=record.files,
            updated_at=utc_now(),
        )


def _files(items: Sequence[PartitionLoad]) -> list[str]:
    return sorted({item.key.file_name for item in items})


def _months(loads: Sequence[WarehouseLoad | None]) -> set[int]:
    months: set[int] = set()
    for load in loads:
        if load is not None:
            months |= months_between(load.min_time, load.max_time)
    return months
