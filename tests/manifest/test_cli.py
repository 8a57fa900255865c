"""``marketlake db init`` and ``marketlake status`` through Typer's test runner."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import typer
from typer.testing import CliRunner

from marketlake.cli import db
from marketlake.cli.status import status
from marketlake.manifest import LATEST_VERSION, open_manifest
from tests.conftest import database_url
from tests.manifest.records import done, failed, kline_key, unavailable

runner = CliRunner(env={"COLUMNS": "200"})
cli = typer.Typer()  # registered the way the lead registers them in marketlake.cli
cli.add_typer(db.app, name="db")
cli.command("status")(status)


def table_lines(output: str) -> list[str]:
    """Output lines with table borders removed and spacing collapsed."""
    return [" ".join(re.sub("[│┃]", " ", line).split()) for line in output.splitlines()]


def test_db_init_creates_the_embedded_manifest(tmp_path: Path) -> None:
    lake = tmp_path / "lake"

    result = runner.invoke(cli, ["db", "init", "--lake", str(lake)])

    assert result.exit_code == 0, result.output
    path = lake / "_manifest.sqlite"
    assert result.output == f"manifest sqlite:///{path}: schema version {LATEST_VERSION}, ready\n"
    with open_manifest(None, lake_root=lake, auto_init=False) as store:
        assert store.schema_version() == LATEST_VERSION


def test_db_init_reads_the_manifest_from_the_environment(pg_manifest_dsn: str) -> None:
    result = runner.invoke(cli, ["db", "init"], env={"MARKETLAKE_MANIFEST": pg_manifest_dsn})

    assert result.exit_code == 0, result.output
    assert f"manifest {pg_manifest_dsn}: schema version {LATEST_VERSION}, ready" in result.output
    with open_manifest(pg_manifest_dsn, lake_root=Path()) as store:
        assert store.schema_version() == LATEST_VERSION


def test_db_init_create_db_makes_the_database(pg_server_dsn: str) -> None:
    name = f"marketlake_cli_{uuid.uuid4().hex[:8]}"
    dsn = database_url(pg_server_dsn, name)
    try:
        first = runner.invoke(cli, ["db", "init", "--manifest", dsn, "--create-db"])
        again = runner.invoke(cli, ["db", "init", "--manifest", dsn, "--create-db"])
    finally:
        with psycopg.connect(pg_server_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == "created the database"
    assert again.output.splitlines() == [
        "the database already exists",
        f"manifest {dsn}: schema version {LATEST_VERSION}, ready",
    ]


def test_db_init_refuses_create_db_for_sqlite(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["db", "init", "--lake", str(tmp_path), "--create-db"])

    assert result.exit_code == 1
    assert "error: --create-db only applies to a postgresql:// manifest" in result.output


def test_status_prints_counts_and_latest_failures(tmp_path: Path) -> None:
    when = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)
    with open_manifest(None, lake_root=tmp_path) as store:
        store.save(
            [
                done(kline_key(date="2024-01-01")),
                done(kline_key(date="2024-01-02")),
                failed(kline_key(date="2024-01-03"), "checksum mismatch: got 9f0c", when),
                unavailable(kline_key(date="2024-01-04")),
            ]
        )

    result = runner.invoke(cli, ["status", "--lake", str(tmp_path)])

    assert result.exit_code == 0, result.output
    lines = table_lines(result.output)
    assert "market dataset done failed unavailable superseded total" in lines
    assert "spot klines 2 1 1 0 4" in lines
    assert "all 2 1 1 0 4" in lines
    failure = "2024-06-01 12:30:00 data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-03.zip 1"
    assert f"{failure} checksum mismatch: got 9f0c" in lines


def test_status_filters_by_market_and_dataset(tmp_path: Path) -> None:
    with open_manifest(None, lake_root=tmp_path) as store:
        store.save([done(kline_key())])

    result = runner.invoke(
        cli,
        ["status", "--market", "um", "--dataset", "klines"],
        env={"MARKETLAKE_LAKE": str(tmp_path)},
    )

    assert result.exit_code == 0, result.output
    lines = table_lines(result.output)
    assert "all 0 0 0 0 0" in lines
    assert not any(line.startswith("spot") for line in lines)
    assert "Latest failures" not in result.output


def test_status_without_a_manifest_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["status", "--lake", str(tmp_path / "empty")])

    assert result.exit_code == 1
    expected = f"error: no manifest at sqlite:///{tmp_path / 'empty' / '_manifest.sqlite'}"
    assert f"{expected}: run `marketlake db init`" in result.output
    assert not (tmp_path / "empty").exists()


def test_status_rejects_an_unknown_market(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["status", "--market", "forex", "--lake", str(tmp_path)])

    assert result.exit_code == 1
    assert "error: unknown market 'forex'" in result.output
