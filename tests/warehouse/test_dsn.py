"""Warehouse DSNs: embedded chDB by default, servers by URL, passwords never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketlake.errors import ConfigError
from marketlake.warehouse import WarehouseKind, parse_warehouse_dsn


def test_the_default_is_chdb_inside_the_lake(tmp_path: Path) -> None:
    dsn = parse_warehouse_dsn(None, lake_root=tmp_path)
    assert dsn.kind is WarehouseKind.CHDB
    assert dsn.path == tmp_path / "_warehouse" / "chdb"
    assert dsn.database == "marketlake"
    assert dsn.name == f"chdb://{tmp_path}/_warehouse/chdb?database=marketlake"
    assert parse_warehouse_dsn("  ", lake_root=tmp_path) == dsn


def test_chdb_paths_absolute_and_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    absolute = parse_warehouse_dsn("chdb:///data/wh?database=ticks", lake_root=Path("x"))
    relative = parse_warehouse_dsn("chdb://wh", lake_root=Path("x"))
    assert (absolute.path, absolute.database) == (Path("/data/wh"), "ticks")
    assert relative.path == tmp_path / "wh"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://ch.example:8123/lake", ("ch.example", 8123, False, "default", "lake")),
        ("https://ingest:pw@ch.example/", ("ch.example", 8443, True, "ingest", "marketlake")),
        ("http://a%40b:p%3Aw@10.0.0.5:9000", ("10.0.0.5", 9000, False, "a@b", "marketlake")),
    ],
)
def test_server_urls(text: str, expected: tuple[object, ...]) -> None:
    dsn = parse_warehouse_dsn(text, lake_root=Path("x"))
    assert dsn.kind is WarehouseKind.SERVER
    assert (dsn.host, dsn.port, dsn.secure, dsn.username, dsn.database) == expected


def test_passwords_stay_out_of_names_reprs_and_masks() -> None:
    dsn = parse_warehouse_dsn("https://ingest:hunter2@ch.example:8443/lake", lake_root=Path("x"))
    assert dsn.password == "hunter2"
    assert dsn.name == "https://ch.example:8443/lake"
    assert dsn.masked == "https://ingest:***@ch.example:8443/lake"
    assert "hunter2" not in repr(dsn)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("postgresql://x@y/z", "unusable warehouse DSN"),
        ("chdb://", "name a folder"),
        ("chdb://memory", "in-memory warehouse"),
        ("http://h:8123/bad-name", "letters, digits and _"),
        ("http://h:8123/a;DROP", "letters, digits and _"),
        ("chdb:///p?database=x y", "letters, digits and _"),
        ("http:///lake", "names no host"),
        ("http://h:port/lake", "unusable warehouse DSN"),
    ],
)
def test_unusable_dsns_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_warehouse_dsn(text, lake_root=Path("x"))
