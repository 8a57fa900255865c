"""The same sync against a real ClickHouse server, when ``CLICKHOUSE_URL`` names one.

``CLICKHOUSE_URL=http://user:password@host:8123`` (a user who may create and drop databases).
Each test works in a database of its own, dropped afterwards. Rows travel as Arrow (the server
cannot read the lake's files), so this covers the transport the chDB tests do not.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from marketlake.manifest import open_manifest
from marketlake.warehouse import Warehouse, build_sync_request, open_warehouse
from tests.warehouse.lakes import (
    ingest_from,
    kline_days,
    lake_table,
    publish,
    republished,
)
from tests.warehouse.test_values import SCOPES, warehouse_table

URL = os.environ.get("CLICKHOUSE_URL", "").strip()

pytestmark = pytest.mark.skipif(
    not URL, reason="set CLICKHOUSE_URL=http://user:password@host:8123 to test a server"
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Warehouse]:
    database = f"marketlake_test_{uuid.uuid4().hex[:12]}"
    dsn = urlunsplit(urlsplit(URL)._replace(path=f"/{database}"))
    with open_warehouse(dsn, lake_root=tmp_path, create=True) as warehouse:
        try:
            yield warehouse
        finally:
            warehouse._engine.command(f"DROP DATABASE IF EXISTS `{database}`")


def test_a_server_holds_every_value_of_the_lake(mixed_lake: Path, server: Warehouse) -> None:
    with open_manifest(None, lake_root=mixed_lake) as store:
        first = server.sync(store, build_sync_request(rollups=True), lake_root=mixed_lake)
        second = server.sync(store, lake_root=mixed_lake)
    assert first.loaded > 0 and second.is_noop
    for market, dataset, interval in SCOPES:
        expected = lake_table(mixed_lake, market, dataset, interval)
        found = warehouse_table(server, market, dataset, interval).select(expected.column_names)
        for name in expected.column_names:
            assert found.column(name).to_pylist() == expected.column(name).to_pylist()


def test_a_server_replaces_a_republished_file(tmp_path: Path, server: Warehouse) -> None:
    days = kline_days("BTCUSDT", date(2024, 1, 1), 2)
    archive, lake = tmp_path / "archive", tmp_path / "lake"
    for key in days:
        publish(archive, key)
    ingest_from(archive, lake, days)
    with open_manifest(None, lake_root=lake) as store:
        server.sync(store, lake_root=lake)
    publish(archive, days[1], republished((archive / days[1].zip_key).read_bytes(), days[1]))
    ingest_from(archive, lake, [days[1]])
    with open_manifest(None, lake_root=lake) as store:
        report = server.sync(store, lake_root=lake)
    assert report.tables[0].replaced == 1
    found = server.query("SELECT count() AS n, uniqExact(archive_version) AS v FROM um_klines_1m")
    assert found.row(0) == (2 * 1440, 2)
