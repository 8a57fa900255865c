"""The embedded manifest: one SQLite file, by default ``<lake_root>/_manifest.sqlite``.

One connection per store, in WAL mode (readers never block the writer) with a busy timeout
so several processes can share the file. Every write is one ``BEGIN IMMEDIATE`` transaction:
a process killed at any point (even ``kill -9``) leaves the last committed state.
``synchronous=NORMAL`` is durable against process crashes; a power loss may forget the last
commits but never corrupts the file (those partitions are simply fetched again).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from marketlake.errors import ConfigError, ManifestError, ManifestNotInitializedError
from marketlake.manifest.core import SqlManifest
from marketlake.manifest.schema import MIGRATIONS, Migration

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 30.0


class SqliteBackend:
    """One SQLite connection with the manifest's pragmas; driver errors become ManifestError."""

    placeholder = "?"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = f"sqlite:///{path.resolve()}"
        try:
            self._conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise ManifestError(f"cannot open manifest {self.location}: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction taking the write lock at once (``BEGIN IMMEDIATE``)."""
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.rollback()
            raise

    def lock_schema(self) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already serialises writers."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run one statement."""
        try:
            self._conn.execute(sql, params)
        except (sqlite3.Error, OverflowError) as exc:
            self._fail(exc)

    def execute_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement once per row."""
        try:
            self._conn.executemany(sql, rows)
        except (sqlite3.Error, OverflowError) as exc:
            self._fail(exc)

    def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run a query and return every row."""
        try:
            return self._conn.execute(sql, params).fetchall()
        except (sqlite3.Error, OverflowError) as exc:
            self._fail(exc)

    def table_exists(self, name: str) -> bool:
        """True if table ``name`` exists."""
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return bool(self.fetch_all(sql, (name,)))

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def _fail(self, exc: Exception) -> NoReturn:
        raise ManifestError(f"manifest {self.location}: {exc}") from exc


def open_sqlite(
    path: Path, *, auto_init: bool = True, migrations: tuple[Migration, ...] = MIGRATIONS
) -> SqlManifest:
    """A store on the SQLite file ``path``; with ``auto_init`` it is created or migrated."""
    if not auto_init and not path.is_file():
        raise ManifestNotInitializedError(
            f"no manifest at sqlite:///{path}: run `marketlake db init`"
        )
    if auto_init:
        _make_parent(path)
    store = SqlManifest(SqliteBackend(path), migrations=migrations)
    logger.debug("opened manifest %s", store.location)
    if auto_init:
        try:
            if store.schema_version() != migrations[-1].version:
                store.init_schema()
        except BaseException:
            store.close()
            raise
    return store


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the manifest's folder {path.parent}: {exc}") from exc
