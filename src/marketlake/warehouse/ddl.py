"""Creating the warehouse's database and tables, and refusing tables that drifted.

A table marketlake finds already there must have exactly the columns (names, order, types),
engine, partition key and sorting key it would create; anything else (an older marketlake, a
hand-made ``ALTER``) is a :class:`~marketlake.errors.WarehouseSchemaError` that says how to
rebuild it, never a silent load into the wrong shape.
"""

from __future__ import annotations

import logging

from marketlake.errors import WarehouseError, WarehouseSchemaError
from marketlake.warehouse.engine import Engine
from marketlake.warehouse.tables import ENGINE, TableSpec, qualified, quote

logger = logging.getLogger(__name__)

_COLUMNS = (
    "SELECT name, type FROM system.columns"
    " WHERE database = {database:String} AND table = {table:String} ORDER BY position"
)
_TABLE = (
    "SELECT engine, partition_key, sorting_key FROM system.tables"
    " WHERE database = {database:String} AND name = {table:String}"
)
_TABLES = "SELECT name FROM system.tables WHERE database = {database:String} ORDER BY name"
_DATABASE = "SELECT count() FROM system.databases WHERE name = {database:String}"


def ensure_database(engine: Engine, database: str) -> None:
    """Create ``database`` unless it exists."""
    engine.command(f"CREATE DATABASE IF NOT EXISTS {quote(database)}")


def database_exists(engine: Engine, database: str) -> bool:
    """True when ``database`` exists in the warehouse."""
    return bool(engine.rows(_DATABASE, {"database": database})[0][0])


def require_database(engine: Engine, database: str) -> None:
    """Refuse a warehouse that was never synced (its database does not exist)."""
    if not database_exists(engine, database):
        raise WarehouseError(
            f"warehouse {engine.dsn.masked} holds no data yet: run `marketlake warehouse sync`"
        )


def table_names(engine: Engine, database: str) -> list[str]:
    """Every table and view in ``database``."""
    return [str(row[0]) for row in engine.rows(_TABLES, {"database": database})]


def ensure_table(engine: Engine, database: str, spec: TableSpec) -> bool:
    """Create ``spec``'s table unless it exists; refuse it if it drifted. True if created."""
    existed = _exists(engine, database, spec.name)
    if not existed:
        engine.command(spec.create_sql(database))
        logger.info("created warehouse table %s.%s", database, spec.name)
    check_table(engine, database, spec)
    return not existed


def check_table(engine: Engine, database: str, spec: TableSpec) -> None:
    """Raise :class:`WarehouseSchemaError` unless the table is exactly what ``spec`` creates."""
    found = [(str(n), str(t)) for n, t in engine.rows(_COLUMNS, _names(database, spec.name))]
    wanted = [(c.name, c.type) for c in spec.columns]
    problems = _column_problems(found, wanted)
    (engine_name, partition_key, sorting_key), *_ = engine.rows(_TABLE, _names(database, spec.name))
    expected_sort = ", ".join(spec.order_by)
    if engine_name != ENGINE:
        problems.append(f"engine {engine_name}, expected {ENGINE}")
    if partition_key.replace("`", "") != spec.partition_by.replace("`", ""):
        problems.append(f"partition key {partition_key}, expected {spec.partition_by}")
    if sorting_key.replace("`", "") != expected_sort:
        problems.append(f"sorting key ({sorting_key}), expected ({expected_sort})")
    if problems:
        raise WarehouseSchemaError(
            f"warehouse table {database}.{spec.name} differs from the lake's schema: "
            + "; ".join(problems)
            + ". Run `marketlake warehouse sync --rebuild` for this dataset to drop and reload it."
        )


def drop_table(engine: Engine, database: str, name: str) -> None:
    """Drop a table or view if it exists."""
    engine.command(f"DROP TABLE IF EXISTS {qualified(database, name)}")


def _exists(engine: Engine, database: str, table: str) -> bool:
    return bool(engine.rows(_TABLE, _names(database, table)))


def _names(database: str, table: str) -> dict[str, object]:
    return {"database": database, "table": table}


def _column_problems(found: list[tuple[str, str]], wanted: list[tuple[str, str]]) -> list[str]:
    problems: list[str] = []
    found_types, wanted_types = dict(found), dict(wanted)
    missing = [name for name, _ in wanted if name not in found_types]
    extra = [name for name, _ in found if name not in wanted_types]
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if extra:
        problems.append("unexpected column(s) " + ", ".join(extra))
    for name, kind in wanted:
        if name in found_types and found_types[name] != kind:
            problems.append(f"column {name} is {found_types[name]}, expected {kind}")
    if not problems and [n for n, _ in found] != [n for n, _ in wanted]:
        problems.append("columns are in another order")
    return problems
