"""What a sync must do to one table: the lake against the manifest's load records (pure).

A lake partition is *served* when the manifest says it is done, not superseded and has files.
It is *current* in a warehouse when a ``loaded`` record holds the same archive file version.
Everything served and not current is loaded (new, re-published, or left ``loading`` by an
interrupted sync); everything loaded and no longer served (superseded by a monthly file,
failed on re-ingest, gone) is removed.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from marketlake.catalog import ArchiveKey
from marketlake.manifest import LoadState, PartitionRecord, PartitionStatus, WarehouseLoad
from marketlake.manifest.loads import file_version

MAX_BATCH_ROWS = 1_000_000
MAX_BATCH_FILES = 256


@dataclass(frozen=True)
class SyncScope:
    """Which partitions a sync looks at: symbols (names or shell patterns) and days."""

    symbols: tuple[str, ...] | None = None
    start: date | None = None
    end: date | None = None

    @property
    def explicit_symbols(self) -> tuple[str, ...] | None:
        """The symbol names when no pattern is used (lets the manifest filter), else None."""
        if self.symbols is None or any(c in s for s in self.symbols for c in "*?["):
            return None
        return self.symbols

    def selects(self, key: ArchiveKey) -> bool:
        """True when ``key``'s symbol is selected and its days meet ``[start, end]``."""
        if self.symbols is not None and not any(
            fnmatch.fnmatchcase(key.symbol, pattern) for pattern in self.symbols
        ):
            return False
        return (self.start is None or key.last_day >= self.start) and (
            self.end is None or key.first_day <= self.end
        )


@dataclass(frozen=True)
class PartitionLoad:
    """One lake partition to load, and what the warehouse held of it before."""

    record: PartitionRecord
    previous: WarehouseLoad | None

    @property
    def key(self) -> ArchiveKey:
        """The archive file the rows come from."""
        return self.record.key

    @property
    def version(self) -> str:
        """The archive file version the rows will be tagged with."""
        return file_version(self.record.sha256, self.record.etag)

    @property
    def rows(self) -> int:
        """Rows the lake holds for this partition."""
        return self.record.rows or 0

    @property
    def interrupted(self) -> bool:
        """True when an earlier sync may have left some of its rows (any version) behind."""
        return self.previous is not None and self.previous.state is LoadState.LOADING

    @property
    def replaces(self) -> bool:
        """True when the warehouse holds an older version of this partition's rows."""
        return self.previous is not None and self.previous.state is LoadState.LOADED


@dataclass(frozen=True)
class TablePlan:
    """The partitions to load into one table, those to remove, and how many are current."""

    loads: tuple[PartitionLoad, ...]
    removals: tuple[WarehouseLoad, ...]
    current: int

    @property
    def is_noop(self) -> bool:
        """True when the table already matches the lake."""
        return not self.loads and not self.removals


def serves(record: PartitionRecord) -> bool:
    """True when the lake serves ``record``'s files to readers."""
    return (
        record.status is PartitionStatus.DONE
        and record.superseded_by is None
        and bool(record.files)
    )


def plan_table(
    records: Mapping[ArchiveKey, PartitionRecord],
    loads: Mapping[ArchiveKey, WarehouseLoad],
    scope: SyncScope,
) -> TablePlan:
    """Compare the lake's records with the warehouse's loads inside ``scope``."""
    served = {k: r for k, r in records.items() if scope.selects(k) and serves(r)}
    held = {k: load for k, load in loads.items() if scope.selects(k)}
    todo: list[PartitionLoad] = []
    current = 0
    for key in sorted(served, key=_load_order):
        record, previous = served[key], held.get(key)
        if _is_current(record, previous):
            current += 1
        else:
            todo.append(PartitionLoad(record, previous))
    removals = tuple(held[k] for k in sorted(held) if k not in served)
    return TablePlan(tuple(todo), removals, current)


def batches(
    loads: Sequence[PartitionLoad],
    *,
    max_rows: int = MAX_BATCH_ROWS,
    max_files: int = MAX_BATCH_FILES,
) -> Iterator[tuple[PartitionLoad, ...]]:
    """``loads`` in order, cut into batches of at most ``max_rows`` rows and ``max_files`` files."""
    batch: list[PartitionLoad] = []
    rows = files = 0
    for item in loads:
        size = len(item.record.files)
        if batch and (rows + item.rows > max_rows or files + size > max_files):
            yield tuple(batch)
            batch, rows, files = [], 0, 0
        batch.append(item)
        rows += item.rows
        files += size
    if batch:
        yield tuple(batch)


def months_between(first: datetime | None, last: datetime | None) -> set[int]:
    """The ``YYYYMM`` months from ``first`` to ``last`` (both included; empty if unknown)."""
    if first is None or last is None:
        return set()
    months = set()
    index, stop = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    while index <= stop:
        months.add((index // 12) * 100 + index % 12 + 1)
        index += 1
    return months


def _load_order(key: ArchiveKey) -> tuple[object, ...]:
    """Month by month, then symbol: a batch then fills few table partitions (months), so an
    insert writes few parts (half the CPU of symbol-by-symbol batches)."""
    return (key.first_day.year, key.first_day.month, key.symbol, key.first_day, key)


def _is_current(record: PartitionRecord, previous: WarehouseLoad | None) -> bool:
    return (
        previous is not None
        and previous.state is LoadState.LOADED
        and previous.version == file_version(record.sha256, record.etag)
    )
