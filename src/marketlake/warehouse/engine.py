"""One ClickHouse connection through clickhouse-connect, embedded chDB or a server alike.

Every statement of the warehouse goes through :class:`Engine`: values are bound server-side
(``{name:Type}`` placeholders, never formatted into the SQL), the session is in UTC, and the
driver's exceptions become :mod:`marketlake.errors` ones at this boundary. clickhouse-connect
(and chDB) are imported only when a warehouse is opened.

chDB runs one engine per process: a second warehouse on another folder can only be opened
once the first is closed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from marketlake.errors import (
    ConfigError,
    WarehouseAuthError,
    WarehouseError,
    WarehouseQueryError,
    WarehouseUnavailableError,
)
from marketlake.secrets import MASK
from marketlake.warehouse.dsn import WarehouseDsn, WarehouseKind

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10
SEND_RECEIVE_TIMEOUT_SECONDS = 600
SESSION_SETTINGS = {"session_timezone": "UTC"}
STRICT_INSERT = {"input_format_null_as_default": 0, "insert_null_as_default": 0}
"""Refuse a NULL bound for a non-Nullable column instead of storing 0 (ClickHouse's default)."""

_AUTH_CODES = frozenset({164, 192, 193, 194, 195, 497, 516})
"""READONLY, UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, IP_ADDRESS_NOT_ALLOWED,
ACCESS_DENIED, AUTHENTICATION_FAILED."""
_AUTH_STATUSES = ("HTTP status 401", "HTTP status 403")
_ONE_ENGINE = "already initialized with path"


class Engine:
    """A clickhouse-connect client for one warehouse DSN; driver errors translated."""

    def __init__(self, client: Any, dsn: WarehouseDsn) -> None:
        self._client = client
        self.dsn = dsn

    @property
    def reads_local_files(self) -> bool:
        """True when ClickHouse runs in this process and can read lake files by path."""
        return self.dsn.kind is WarehouseKind.CHDB

    def command(
        self,
        sql: str,
        parameters: Mapping[str, object] | None = None,
        settings: Mapping[str, object] | None = None,
    ) -> None:
        """Run one statement (DDL, INSERT ... SELECT, DELETE)."""
        try:
            self._client.command(sql, parameters=_params(parameters), settings=_opt(settings))
        except Exception as exc:  # every clickhouse-connect error: translated below
            self._fail(exc, sql)

    def rows(
        self, sql: str, parameters: Mapping[str, object] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""
        try:
            result = self._client.query(sql, parameters=_params(parameters))
        except Exception as exc:
            self._fail(exc, sql)
        return [tuple(row) for row in result.result_rows]

    def arrow(self, sql: str, parameters: Mapping[str, object] | None = None) -> pa.Table:
        """Run a query and return its answer as an Arrow table."""
        try:
            return self._client.query_arrow(sql, parameters=_params(parameters))
        except Exception as exc:
            self._fail(exc, sql)

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        """Insert an Arrow table whose column names are ``table``'s."""
        try:
            self._client.insert_arrow(table, data, settings=dict(STRICT_INSERT))
        except Exception as exc:
            self._fail(exc, f"INSERT INTO {table}")

    def use(self, database: str) -> None:
        """Make ``database`` the default for unqualified table names."""
        self._client.database = database

    def close(self) -> None:
        """Close the connection (for chDB: release the process's engine)."""
        self._client.close()

    def _fail(self, exc: Exception, sql: str) -> NoReturn:
        raise translate(exc, self.dsn, doing=_first_words(sql)) from exc


def connect(dsn: WarehouseDsn) -> Engine:
    """Open a clickhouse-connect client for ``dsn`` (no database selected yet)."""
    try:
        import clickhouse_connect
    except ImportError as exc:
        raise ConfigError(
            "the warehouse needs clickhouse-connect and chdb: pip install 'marketlake[warehouse]'"
        ) from exc
    logger.debug("opening warehouse %s", dsn.masked)
    try:
        client = clickhouse_connect.get_client(**_client_arguments(dsn))
    except Exception as exc:
        raise translate(exc, dsn, doing="connect") from exc
    return Engine(client, dsn)


def translate(exc: Exception, dsn: WarehouseDsn, *, doing: str) -> WarehouseError:
    """The marketlake error for a clickhouse-connect (or chDB) exception."""
    from clickhouse_connect.driver.exceptions import OperationalError

    text = str(exc).replace(dsn.password, MASK) if dsn.password else str(exc)
    code = getattr(exc, "code", None)
    if code in _AUTH_CODES or any(status in text for status in _AUTH_STATUSES):
        return WarehouseAuthError(
            f"warehouse {dsn.masked} refused user {dsn.username!r} ({doing}): {_brief(text)};"
            " check the user and password in the DSN and the user's grants"
        )
    if _ONE_ENGINE in text:
        return WarehouseError(
            f"cannot open {dsn.masked}: chDB runs one engine per process and another warehouse"
            " folder is open in this process; close it first"
        )
    if isinstance(exc, OperationalError) and code is None:
        return WarehouseUnavailableError(
            f"warehouse {dsn.masked} cannot be reached ({doing}): {_brief(text)};"
            " is the server running and the host and port right?"
        )
    return WarehouseQueryError(f"warehouse {dsn.masked} refused {doing}: {_brief(text)}")


def _client_arguments(dsn: WarehouseDsn) -> dict[str, Any]:
    if dsn.kind is WarehouseKind.CHDB:
        assert dsn.path is not None
        return {"interface": "chdb", "path": str(dsn.path), "settings": dict(SESSION_SETTINGS)}
    return {
        "interface": "https" if dsn.secure else "http",
        "host": dsn.host,
        "port": dsn.port,
        "username": dsn.username,
        "password": dsn.password,
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "send_receive_timeout": SEND_RECEIVE_TIMEOUT_SECONDS,
        "settings": dict(SESSION_SETTINGS),
        "query_retries": 1,
    }


def _params(parameters: Mapping[str, object] | None) -> dict[str, object] | None:
    return dict(parameters) if parameters else None


def _opt(settings: Mapping[str, object] | None) -> dict[str, object] | None:
    return dict(settings) if settings else None


def _first_words(sql: str) -> str:
    words = sql.split()
    return " ".join(words[:3]) + (" ..." if len(words) > 3 else "")


def _brief(text: str, limit: int = 600) -> str:
    """The driver's message on one line, cut to ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
