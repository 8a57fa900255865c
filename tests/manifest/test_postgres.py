"""PostgreSQL specifics: many writers at once, creating the database, errors without secrets."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from marketlake.catalog import Market
from marketlake.errors import ConfigError, ManifestError, ManifestNotInitializedError
from marketlake.manifest import LATEST_VERSION, PartitionRecord, open_manifest
from marketlake.manifest.postgres import create_database
from tests.conftest import database_url
from tests.manifest.records import SOURCE, done, kline_key

SECRET = "s3cr3t-p4ss"


def days(symbol: str, count: int) -> list[PartitionRecord]:
    """``count`` done daily partitions of ``symbol`` from 2021-01-01 on."""
    return [
        done(kline_key(symbol, f"2021-{1 + n // 28:02d}-{1 + n % 28:02d}")) for n in range(count)
    ]


def save_together(dsn: str, batches: Sequence[Sequence[PartitionRecord]], tmp: Path) -> None:
    """Save each batch from its own thread and connection, all starting at the same moment."""
    start = threading.Barrier(len(batches))
    errors: list[BaseException] = []

    def write(batch: Sequence[PartitionRecord]) -> None:
        try:
            with open_manifest(dsn, lake_root=tmp) as store:
                start.wait()
                for offset in range(0, len(batch), 25):
                    store.save(batch[offset : offset + 25])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_concurrent_writers_all_land(pg_manifest_dsn: str, tmp_path: Path) -> None:
    open_manifest(pg_manifest_dsn, lake_root=tmp_path, auto_init=True).close()
    batches = [days(symbol, 200) for symbol in ("AUSDT", "BUSDT", "CUSDT", "DUSDT")]

    save_together(pg_manifest_dsn, batches, tmp_path)

    with open_manifest(pg_manifest_dsn, lake_root=tmp_path) as store:
        stored = store.records(SOURCE, Market.SPOT, "klines")
    assert set(stored) == {r.key for batch in batches for r in batch}
    assert {r.attempts for r in stored.values()} == {1}


def test_concurrent_writers_of_the_same_partitions_lose_no_attempt(
    pg_manifest_dsn: str, tmp_path: Path
) -> None:
    open_manifest(pg_manifest_dsn, lake_root=tmp_path, auto_init=True).close()
    batch = days("BTCUSDT", 150)

    save_together(pg_manifest_dsn, [batch, list(reversed(batch)), batch], tmp_path)

    with open_manifest(pg_manifest_dsn, lake_root=tmp_path) as store:
        stored = store.records(SOURCE, Market.SPOT, "klines")
    assert len(stored) == 150
    assert {r.attempts for r in stored.values()} == {3}


def test_concurrent_db_init_applies_the_schema_once(pg_manifest_dsn: str, tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def init() -> None:
        try:
            open_manifest(pg_manifest_dsn, lake_root=tmp_path, auto_init=True).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=init) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with psycopg.connect(pg_manifest_dsn) as conn:
        applied = conn.execute("SELECT version FROM manifest_schema").fetchall()
    assert sorted(applied) == [(v,) for v in range(1, LATEST_VERSION + 1)]


def test_postgres_is_not_initialised_implicitly(pg_manifest_dsn: str, tmp_path: Path) -> None:
    with open_manifest(pg_manifest_dsn, lake_root=tmp_path) as store:
        assert store.schema_version() == 0
        with pytest.raises(ManifestNotInitializedError) as raised:
            store.save([done(kline_key())])
    assert str(raised.value) == (f"no manifest at {pg_manifest_dsn}: run `marketlake db init`")


def test_create_database_creates_once(pg_server_dsn: str) -> None:
    name = f"marketlake_create_{uuid.uuid4().hex[:8]}"
    dsn = database_url(pg_server_dsn, name)
    try:
        assert create_database(dsn) is True
        assert create_database(dsn) is False
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (name,)
    finally:
        with psycopg.connect(pg_server_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_create_database_needs_a_database_name() -> None:
    with pytest.raises(ConfigError, match="names no database"):
        create_database(f"postgresql://bob:{SECRET}@127.0.0.1:1/")


def test_unreachable_server_error_masks_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    dsn = f"postgresql://bob:{SECRET}@127.0.0.1:1/lake"

    with pytest.raises(ManifestError) as raised:
        open_manifest(dsn, lake_root=tmp_path)

    message = str(raised.value)
    assert message.startswith("cannot connect to manifest postgresql://bob:***@127.0.0.1:1/lake: ")
    assert SECRET not in message and SECRET not in caplog.text
    assert raised.value.__cause__ is None


def with_password(dsn: str) -> tuple[str, str, str]:
    """``dsn`` with a password (its own, or SECRET on a trust server), the password, the user."""
    parts = urlsplit(dsn)
    user = parts.username or "postgres"
    if parts.password:
        return dsn, parts.password, user
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{SECRET}@{host}")), SECRET, user


def test_a_malformed_postgres_dsn_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        open_manifest(f"postgresql://bob:{SECRET}@127.0.0.1:1/lake?colour=blue", lake_root=tmp_path)

    assert str(raised.value) == (
        "unusable PostgreSQL DSN 'postgresql://bob:***@127.0.0.1:1/lake?colour=blue':"
        ' invalid URI query parameter: "colour"'
    )


def test_missing_database_suggests_create_db(pg_server_dsn: str, tmp_path: Path) -> None:
    missing, password, user = with_password(database_url(pg_server_dsn, "marketlake_no_such_db"))

    with pytest.raises(ManifestError) as raised:
        open_manifest(missing, lake_root=tmp_path)

    assert 'database "marketlake_no_such_db" does not exist' in str(raised.value)
    assert str(raised.value).endswith("run `marketlake db init --create-db`")
    assert password not in str(raised.value)
    assert f"{user}:***@" in str(raised.value)
