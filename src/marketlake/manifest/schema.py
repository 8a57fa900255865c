"""The manifest's tables and their versioned migrations (SQL shared by SQLite and PostgreSQL).

``manifest_schema`` holds one row per applied migration; the schema version is its highest
``version``. Migrations are applied in order, each in its own transaction, and are never edited
once released: a change is a new step appended to ``MIGRATIONS``.

Times are stored as integer microseconds since the Unix epoch (UTC), the lake's own unit, so
both databases compare, index and round-trip them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION_TABLE = "manifest_schema"
PARTITIONS_TABLE = "partitions"
WAREHOUSE_LOADS_TABLE = "warehouse_loads"


@dataclass(frozen=True)
class Migration:
    """One ordered schema step."""

    version: int
    description: str
    statements: tuple[str, ...]


CREATE_VERSION_TABLE = f"""
CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)"""

_CREATE_PARTITIONS = f"""
CREATE TABLE {PARTITIONS_TABLE} (
    source TEXT NOT NULL,
    market TEXT NOT NULL,
    dataset TEXT NOT NULL,
    interval TEXT NOT NULL,
    symbol TEXT NOT NULL,
    period TEXT NOT NULL,
    date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed', 'unavailable')),
    row_count BIGINT,
    rows_in_file BIGINT,
    min_time BIGINT,
    max_time BIGINT,
    files TEXT NOT NULL,
    sha256 TEXT,
    etag TEXT,
    size BIGINT,
    source_last_modified BIGINT,
    schema_version INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT,
    superseded_by TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (source, market, dataset, interval, symbol, period, date)
)"""

_CREATE_FILES_INDEX = f"""
CREATE INDEX partitions_done_by_time ON {PARTITIONS_TABLE}
    (market, dataset, interval, symbol, min_time, max_time)
    WHERE status = 'done' AND superseded_by IS NULL"""

_CREATE_FAILURES_INDEX = f"""
CREATE INDEX partitions_by_status_time ON {PARTITIONS_TABLE} (status, updated_at)"""

_CREATE_WAREHOUSE_LOADS = f"""
CREATE TABLE {WAREHOUSE_LOADS_TABLE} (
    warehouse TEXT NOT NULL,
    source TEXT NOT NULL,
    market TEXT NOT NULL,
    dataset TEXT NOT NULL,
    interval TEXT NOT NULL,
    symbol TEXT NOT NULL,
    period TEXT NOT NULL,
    date TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('loading', 'loaded')),
    table_name TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    min_time BIGINT,
    max_time BIGINT,
    sha256 TEXT,
    etag TEXT,
    files TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (warehouse, source, market, dataset, interval, symbol, period, date)
)"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "partitions table, read index of done files, failure index",
        (_CREATE_PARTITIONS, _CREATE_FILES_INDEX, _CREATE_FAILURES_INDEX),
    ),
    Migration(
        2,
        "warehouse loads: which archive file version each warehouse holds per partition",
        (_CREATE_WAREHOUSE_LOADS,),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


def pending_migrations(
    current: int, migrations: tuple[Migration, ...] = MIGRATIONS
) -> tuple[Migration, ...]:
    """The steps still to apply to a schema at version ``current``, in order."""
    return tuple(m for m in migrations if m.version > current)
