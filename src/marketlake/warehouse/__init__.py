"""The lake in ClickHouse: embedded chDB by default, a server by DSN, kept in sync.

``open_warehouse`` opens one (clickhouse-connect and chDB are imported then, not before);
``Warehouse.sync`` loads what the manifest says the lake serves and the warehouse lacks, and
removes what the lake replaced; ``Warehouse.query`` runs ClickHouse SQL with bound parameters;
``warehouse_status`` compares every warehouse with the lake from the manifest alone.
"""

from marketlake.warehouse.core import Warehouse, open_warehouse
from marketlake.warehouse.dsn import WarehouseDsn, WarehouseKind, parse_warehouse_dsn
from marketlake.warehouse.plan import SyncScope
from marketlake.warehouse.request import SyncRequest, build_sync_request
from marketlake.warehouse.status import TableStatus, warehouse_status
from marketlake.warehouse.sync import SyncReport, TableSync
from marketlake.warehouse.tables import TableSpec, table_name, table_spec

__all__ = [  # noqa: RUF022 (grouped: opening and using, then value objects)
    # opening and using a warehouse
    "Warehouse",
    "open_warehouse",
    "parse_warehouse_dsn",
    "warehouse_status",
    "build_sync_request",
    "table_name",
    "table_spec",
    # value objects
    "SyncReport",
    "SyncRequest",
    "SyncScope",
    "TableSpec",
    "TableStatus",
    "TableSync",
    "WarehouseDsn",
    "WarehouseKind",
]
