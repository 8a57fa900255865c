"""The warehouse a user holds: query it, sync it from the lake, close it.

    from marketlake.warehouse import open_warehouse

    with open_warehouse(lake_root=Path("marketlake-data")) as warehouse:
        warehouse.query(
            "SELECT symbol, sum(volume) FROM um_klines_1m"
            " WHERE open_time >= {start:DateTime64(6, 'UTC')} GROUP BY symbol",
            {"start": "2024-01-01 00:00:00"},
        )

Parameters are always bound by ClickHouse (``{name:Type}`` placeholders), never formatted into
the SQL text: a parameter the SQL does not use as a placeholder is refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from marketlake._closing import Closing
from marketlake.errors import WarehouseError, WarehouseQueryError
from marketlake.manifest import ManifestStore
from marketlake.settings import ARCHIVE_ID
from marketlake.warehouse import ddl
from marketlake.warehouse.dsn import WarehouseDsn, WarehouseKind, parse_warehouse_dsn
from marketlake.warehouse.engine import Engine, connect
from marketlake.warehouse.load import Loader
from marketlake.warehouse.request import SyncRequest
from marketlake.warehouse.sync import Sync, SyncReport

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:")


class Warehouse(Closing):
    """A ClickHouse warehouse (embedded chDB or a server) holding the lake's tables."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ready = False

    @property
    def dsn(self) -> WarehouseDsn:
        """Where the warehouse is (password kept out of its repr)."""
        return self._engine.dsn

    @property
    def name(self) -> str:
        """The warehouse's identity in the manifest: location and database, no credentials."""
        return self._engine.dsn.name

    def __repr__(self) -> str:
        return f"<Warehouse {self.dsn.masked}>"

    def query(self, sql: str, parameters: Mapping[str, object] | None = None) -> pl.DataFrame:
        """Run ClickHouse SQL; the answer as a Polars DataFrame (exact decimals, UTC times)."""
        import polars as pl

        frame = pl.from_arrow(self.query_arrow(sql, parameters))
        assert isinstance(frame, pl.DataFrame)
        return frame

    def query_arrow(self, sql: str, parameters: Mapping[str, object] | None = None) -> pa.Table:
        """Run ClickHouse SQL; the answer as an Arrow table."""
        _check_bound(sql, parameters)
        self._use_database()
        return self._engine.arrow(sql, parameters)

    def tables(self) -> list[str]:
        """The tables and views of the warehouse's database."""
        self._use_database()
        return ddl.table_names(self._engine, self.dsn.database)

    def sync(
        self,
        store: ManifestStore,
        request: SyncRequest | None = None,
        *,
        lake_root: Path,
        source: str = ARCHIVE_ID,
        loader: Loader | None = None,
    ) -> SyncReport:
        """Load what the lake serves and the warehouse lacks; remove what the lake replaced.

        ``loader`` is how rows travel (default: chDB reads the lake's files itself, a server
        is sent Arrow); see :mod:`marketlake.warehouse.load`.
        """
        job = Sync(self._engine, store, lake_root=lake_root, source=source, loader=loader)
        report = job.run(request or SyncRequest())
        self._use_database()
        return report

    def close(self) -> None:
        """Close the connection (for chDB: free the process's one engine)."""
        self._engine.close()

    def _use_database(self) -> None:
        if not self._ready:
            ddl.require_database(self._engine, self.dsn.database)
            self._engine.use(self.dsn.database)
            self._ready = True


def open_warehouse(dsn: str | None = None, *, lake_root: Path, create: bool = False) -> Warehouse:
    """The warehouse ``dsn`` names (None: embedded chDB in ``<lake_root>/_warehouse/chdb``).

    Without ``create``, an embedded warehouse must exist already (a sync creates it).
    """
    target = parse_warehouse_dsn(dsn, lake_root=lake_root)
    if target.kind is WarehouseKind.CHDB and not create:
        assert target.path is not None
        if not target.path.is_dir():
            raise WarehouseError(
                f"no warehouse at {target.masked}: run `marketlake warehouse sync` first"
            )
    return Warehouse(connect(target))


def _check_bound(sql: str, parameters: Mapping[str, object] | None) -> None:
    """Refuse parameters the SQL does not bind as ``{name:Type}`` placeholders."""
    if not parameters:
        return
    used = set(_PLACEHOLDER.findall(sql))
    unused = sorted(name for name in parameters if name not in used)
    if unused:
        raise WarehouseQueryError(
            f"parameter(s) {', '.join(unused)} not used as {{name:Type}} placeholders in the SQL:"
            " write e.g. WHERE symbol = {symbol:String}; values are bound, never formatted in"
        )
