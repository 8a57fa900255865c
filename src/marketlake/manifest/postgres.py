"""The shared manifest: PostgreSQL through psycopg 3, safe for many concurrent writers.

Writers upsert with ``INSERT ... ON CONFLICT DO UPDATE`` in primary-key order, so any number
of processes can record partitions at once. Migrations take a transaction-scoped advisory
lock, so concurrent ``db init`` runs apply each step once. psycopg is an optional dependency
(``pip install 'marketlake[postgres]'``), imported only when a PostgreSQL manifest is opened.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

from marketlake.errors import ConfigError, ManifestError
from marketlake.manifest.core import SqlManifest
from marketlake.manifest.schema import MIGRATIONS, Migration
from marketlake.secrets import mask_dsn, redact

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10
_SCHEMA_LOCK_ID = 0x6D61726B65746C6B  # "marketlk"
_ADMIN_DATABASE = "postgres"


class PostgresBackend:
    """One psycopg connection (autocommit outside explicit transactions), errors translated."""

    placeholder = "%s"

    def __init__(self, dsn: str) -> None:
        self.location = mask_dsn(dsn)
        self._dsn = dsn
        self._conn = _connect(dsn)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction: committed on success, rolled back on any exception."""
        import psycopg

        try:
            with self._conn.transaction():
                yield
        except psycopg.Error as exc:
            self._fail(exc)

    def lock_schema(self) -> None:
        """Take the manifest's advisory lock until the transaction ends."""
        self.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_ID,))

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run one statement."""
        self.fetch_all(sql, params, fetch=False)

    def execute_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement once per row (pipelined by psycopg)."""
        import psycopg

        try:
            with self._conn.cursor() as cursor:
                cursor.executemany(sql, rows)
        except psycopg.Error as exc:
            self._fail(exc)

    def fetch_all(
        self, sql: str, params: Sequence[object] = (), *, fetch: bool = True
    ) -> list[tuple[Any, ...]]:
        """Run a query and return every row (nothing when ``fetch`` is false)."""
        import psycopg

        try:
            cursor = self._conn.execute(sql, params)
            return cursor.fetchall() if fetch else []
        except psycopg.Error as exc:
            self._fail(exc)

    def table_exists(self, name: str) -> bool:
        """True if table ``name`` exists in the current schema."""
        sql = (
            "SELECT 1 FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name = %s"
        )
        return bool(self.fetch_all(sql, (name,)))

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def _fail(self, exc: Exception) -> NoReturn:
        message = redact(str(exc).strip(), self._dsn)
        raise ManifestError(f"manifest {self.location}: {message}") from exc


def open_postgres(
    dsn: str, *, auto_init: bool = False, migrations: tuple[Migration, ...] = MIGRATIONS
) -> SqlManifest:
    """A store on the PostgreSQL database ``dsn`` names (its schema made by ``db init``)."""
    store = SqlManifest(PostgresBackend(dsn), migrations=migrations)
    if auto_init:
        try:
            store.init_schema()
        except BaseException:
            store.close()
            raise
    return store


def create_database(dsn: str) -> bool:
    """Create the database ``dsn`` names unless it exists; True if it was created."""
    _require_psycopg()
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        name = conninfo_to_dict(dsn).get("dbname")
        admin_dsn = make_conninfo(dsn, dbname=_ADMIN_DATABASE)
    except psycopg.ProgrammingError as exc:
        reason = redact(str(exc).strip(), dsn)
        raise ConfigError(f"unusable PostgreSQL DSN {mask_dsn(dsn)!r}: {reason}") from None
    if not name:
        raise ConfigError(f"the DSN {mask_dsn(dsn)!r} names no database to create")
    with _connect(admin_dsn) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found:
            return False
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))
        except psycopg.errors.DuplicateDatabase:
            return False
        except psycopg.Error as exc:
            raise ManifestError(
                f"cannot create database {name!r} at {mask_dsn(dsn)}: {redact(str(exc), dsn)}"
            ) from exc
    logger.info("created database %r at %s", name, mask_dsn(dsn))
    return True


def _connect(dsn: str) -> psycopg.Connection[TupleRow]:
    """An autocommit connection; failures become errors without the password.

    ``from None``: the driver's exception may repeat connection details unmasked.
    """
    _require_psycopg()
    import psycopg

    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg.ProgrammingError as exc:
        reason = redact(str(exc).strip(), dsn)
        raise ConfigError(f"unusable PostgreSQL DSN {mask_dsn(dsn)!r}: {reason}") from None
    except psycopg.Error as exc:
        reason = redact(str(exc).strip(), dsn)
        hint = ": run `marketlake db init --create-db`" if "does not exist" in reason else ""
        raise ManifestError(f"cannot connect to manifest {mask_dsn(dsn)}: {reason}{hint}") from None


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            "a PostgreSQL manifest needs psycopg: pip install 'marketlake[postgres]'"
        ) from exc
