"""Clear errors: unreachable server, bad credentials, drifted schemas, NULLs, bad queries."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketlake.catalog import Market
from marketlake.errors import (
    LakeError,
    WarehouseAuthError,
    WarehouseError,
    WarehouseQueryError,
    WarehouseSchemaError,
    WarehouseUnavailableError,
)
from marketlake.manifest import LoadState, open_manifest
from marketlake.settings import ARCHIVE_ID
from marketlake.warehouse import Warehouse, build_sync_request, open_warehouse
from tests.warehouse.lakes import generated, ingest_from, kline_days, publish, zip_csv

SECRET = "s3cr3t-pa55"
DAYS = kline_days("BTCUSDT", date(2024, 1, 1), 2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _RefusingClickHouse(BaseHTTPRequestHandler):
    """Answers every request the way a ClickHouse server answers a wrong password."""

    def _refuse(self) -> None:
        body = (
            b"Code: 516. DB::Exception: default: Authentication failed: password is incorrect,"
            b" or there is no user with such name. (AUTHENTICATION_FAILED) (version 24.8.4.13)\n"
        )
        self.send_response(516)
        self.send_header("X-ClickHouse-Exception-Code", "516")
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _refuse  # noqa: N815
    do_POST = _refuse  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def refusing_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingClickHouse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_an_unreachable_server_is_a_transient_error(tmp_path: Path) -> None:
    dsn = f"http://ingest:{SECRET}@127.0.0.1:{free_port()}/marketlake"
    with pytest.raises(WarehouseUnavailableError, match="cannot be reached") as raised:
        open_warehouse(dsn, lake_root=tmp_path)
    assert raised.value.transient
    assert SECRET not in str(raised.value)
    assert "ingest:***@127.0.0.1" in str(raised.value)


def test_bad_credentials_are_named_as_such(tmp_path: Path) -> None:
    with refusing_server() as port:
        dsn = f"http://default:{SECRET}@127.0.0.1:{port}/marketlake"
        with pytest.raises(WarehouseAuthError, match="refused user 'default'") as raised:
            open_warehouse(dsn, lake_root=tmp_path)
    assert "check the user and password" in str(raised.value)
    assert SECRET not in str(raised.value)
    assert not raised.value.transient


def _lake(tmp_path: Path) -> Path:
    for key in DAYS:
        publish(tmp_path / "archive", key)
    ingest_from(tmp_path / "archive", tmp_path / "lake", DAYS)
    return tmp_path / "lake"


def _sync(warehouse: Warehouse, lake: Path, *, rebuild: bool = False) -> int:
    with open_manifest(None, lake_root=lake) as store:
        request = build_sync_request(rebuild=rebuild)
        return warehouse.sync(store, request, lake_root=lake).loaded


def test_a_drifted_table_is_refused_until_rebuilt(
    tmp_path: Path, chdb_warehouse: Warehouse
) -> None:
    lake = _lake(tmp_path)
    _sync(chdb_warehouse, lake)
    chdb_warehouse._engine.command("ALTER TABLE um_klines_1m MODIFY COLUMN close Float64")
    with pytest.raises(WarehouseSchemaError, match=r"column close is Float64, expected Decimal"):
        _sync(chdb_warehouse, lake)
    with pytest.raises(WarehouseSchemaError, match=r"warehouse sync --rebuild"):
        _sync(chdb_warehouse, lake)
    assert _sync(chdb_warehouse, lake, rebuild=True) == 2
    close = chdb_warehouse.query("SELECT toTypeName(close) AS t FROM um_klines_1m LIMIT 1")
    assert close.item() == "Decimal(18, 8)"
    assert _sync(chdb_warehouse, lake) == 0


def test_a_drifted_lake_file_is_refused(tmp_path: Path, chdb_warehouse: Warehouse) -> None:
    lake = _lake(tmp_path)
    with open_manifest(None, lake_root=lake) as store:
        record = store.get(ARCHIVE_ID, DAYS[0])
    assert record is not None
    path = lake / record.files[0]
    table = pq.read_table(path)
    index = table.schema.get_field_index("close")
    floats = table.column("close").cast(pa.float64())
    pq.write_table(table.set_column(index, pa.field("close", pa.float64()), floats), path)
    with pytest.raises(LakeError, match=r"drifted from the lake schema \(close is double"):
        _sync(chdb_warehouse, lake)


def test_a_null_where_the_archive_never_has_one_fails_the_load(
    tmp_path: Path, chdb_warehouse: Warehouse
) -> None:
    key = DAYS[0]
    lines = _csv_text(generated(key), key.csv_name).splitlines(keepends=True)
    row = 1 if not lines[0][:1].isdigit() else 0  # after the header, if any
    cells = lines[row].split(",")
    cells[5] = ""  # an empty volume cell: the lake holds NULL
    lines[row] = ",".join(cells)
    publish(tmp_path / "archive", key, zip_csv(key, "".join(lines)))
    ingest_from(tmp_path / "archive", tmp_path / "lake", [key])
    with pytest.raises(WarehouseQueryError, match=r"NULL"):
        _sync(chdb_warehouse, tmp_path / "lake")
    with open_manifest(None, lake_root=tmp_path / "lake") as store:
        loads = store.warehouse_loads(chdb_warehouse.name, ARCHIVE_ID, Market.UM, "klines")
    assert {load.state for load in loads.values()} == {LoadState.LOADING}
    rows = chdb_warehouse.query("SELECT count() AS n FROM um_klines_1m")
    assert rows.item() == 0  # nothing stored as 0 instead


def test_one_chdb_folder_per_process(tmp_path: Path, chdb_warehouse: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="one engine per process"):
        open_warehouse(f"chdb://{tmp_path / 'other'}", lake_root=tmp_path, create=True)


def test_a_warehouse_never_synced_says_so(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match=r"run `marketlake warehouse sync` first"):
        open_warehouse(None, lake_root=tmp_path)
    with (
        open_warehouse(None, lake_root=tmp_path, create=True) as empty,
        pytest.raises(WarehouseError, match=r"holds no data yet"),
    ):
        empty.query("SELECT 1")


def test_parameters_are_bound_never_formatted(tmp_path: Path, chdb_warehouse: Warehouse) -> None:
    lake = _lake(tmp_path)
    _sync(chdb_warehouse, lake)
    sql = "SELECT count() AS n FROM um_klines_1m WHERE symbol = {symbol:String}"
    assert chdb_warehouse.query(sql, {"symbol": "BTCUSDT"}).item() == 2 * 1440
    assert chdb_warehouse.query(sql, {"symbol": "x' OR 1 = 1 --"}).item() == 0
    hostile = "BTCUSDT'; DROP TABLE um_klines_1m; --"
    assert chdb_warehouse.query(sql, {"symbol": hostile}).item() == 0
    assert "um_klines_1m" in chdb_warehouse.tables()
    with pytest.raises(WarehouseQueryError, match=r"not used as \{name:Type\} placeholders"):
        chdb_warehouse.query("SELECT count() FROM um_klines_1m WHERE symbol = %(s)s", {"s": "x"})
    with pytest.raises(WarehouseQueryError, match="UNKNOWN_TABLE"):
        chdb_warehouse.query("SELECT * FROM no_such_table")


def _csv_text(zip_bytes: bytes, name: str) -> str:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        return archive.read(name).decode()
