"""What each warehouse holds against the lake, from the manifest alone (no warehouse I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marketlake.catalog import Market
from marketlake.manifest import LakeCounts, LoadCounts, ManifestStore
from marketlake.warehouse.tables import table_name

_Key = tuple[Market, str, str | None]


@dataclass(frozen=True)
class TableStatus:
    """One warehouse table against the lake: partitions and rows on each side.

    ``current`` partitions hold the lake's file version; ``pending`` lake partitions are not
    (yet) current there; ``stale`` loaded ones are older versions or no longer served by the
    lake; ``loading`` ones were left by an interrupted sync. The next sync fixes all three.
    """

    warehouse: str
    market: Market
    dataset: str
    interval: str | None
    table: str
    lake_partitions: int
    lake_rows: int
    loaded: int
    rows: int
    current: int
    current_rows: int
    stale: int
    loading: int
    last_load: datetime | None

    @property
    def pending(self) -> int:
        """Lake partitions the warehouse does not hold at their current version."""
        return self.lake_partitions - self.current

    @property
    def in_sync(self) -> bool:
        """True when the table holds exactly what the lake serves."""
        return self.pending == 0 and self.stale == 0 and self.loading == 0


def warehouse_status(
    store: ManifestStore,
    *,
    warehouse: str | None = None,
    default: str | None = None,
    market: Market | None = None,
    dataset: str | None = None,
) -> tuple[TableStatus, ...]:
    """Per warehouse and table: the lake's partitions and rows beside what the warehouse holds.

    ``warehouse`` limits the answer to one warehouse; otherwise every warehouse the manifest
    knows is listed, or ``default`` when it knows none.
    """
    lake = {(c.market, c.dataset, c.interval): c for c in store.lake_counts(market, dataset)}
    held = store.warehouse_counts(warehouse, market, dataset)
    names = [warehouse] if warehouse else sorted({c.warehouse for c in held})
    if not names and default:
        names = [default]
    rows: list[TableStatus] = []
    for name in names:
        mine = {(c.market, c.dataset, c.interval): c for c in held if c.warehouse == name}
        for key in sorted(set(lake) | set(mine), key=_order):
            rows.append(_status(name, key, lake.get(key), mine.get(key)))
    return tuple(rows)


def _status(name: str, key: _Key, lake: LakeCounts | None, held: LoadCounts | None) -> TableStatus:
    market, dataset, interval = key
    return TableStatus(
        warehouse=name,
        market=market,
        dataset=dataset,
        interval=interval,
        table=held.table if held else table_name(market, dataset, interval),
        lake_partitions=lake.partitions if lake else 0,
        lake_rows=lake.rows if lake else 0,
        loaded=held.loaded if held else 0,
        rows=held.rows if held else 0,
        current=held.current if held else 0,
        current_rows=held.current_rows if held else 0,
        stale=held.stale if held else 0,
        loading=held.loading if held else 0,
        last_load=held.last_load if held else None,
    )


def _order(key: _Key) -> tuple[str, str, str]:
    return key[0].value, key[1], key[2] or ""
