"""Warehouse DSNs: which ClickHouse a string names, and how to show it without its password.

    None                                   embedded chDB at ``<lake_root>/_warehouse/chdb``
    chdb:///abs/path                       embedded chDB in that folder
    chdb://rel/path                        embedded chDB, relative to the working directory
    http://user:pw@host:8123/db            a ClickHouse server over HTTP (https:// for TLS)

The database inside is ``marketlake`` unless a server URL names another one (its path) or a
chDB DSN says ``?database=NAME``. A warehouse is identified (in the manifest, in ``status``)
by :attr:`WarehouseDsn.name`: the location without user or password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from marketlake.errors import ConfigError
from marketlake.secrets import mask_dsn

DEFAULT_DATABASE = "marketlake"
DEFAULT_CHDB_FOLDER = Path("_warehouse") / "chdb"
_CHDB_PREFIX = "chdb://"
_HTTP_PORTS = {"http": 8123, "https": 8443}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class WarehouseKind(StrEnum):
    """Where the warehouse runs: in this process (chDB) or on a ClickHouse server."""

    CHDB = "chdb"
    SERVER = "server"


@dataclass(frozen=True)
class WarehouseDsn:
    """A parsed warehouse location; the password is kept out of reprs and names."""

    kind: WarehouseKind
    database: str = DEFAULT_DATABASE
    path: Path | None = None
    host: str = ""
    port: int = 0
    secure: bool = False
    username: str = "default"
    password: str = field(default="", repr=False)

    @property
    def name(self) -> str:
        """The warehouse's identity: its location and database, without credentials."""
        if self.kind is WarehouseKind.CHDB:
            return f"chdb://{self.path}?database={self.database}"
        scheme = "https" if self.secure else "http"
        return f"{scheme}://{self.host}:{self.port}/{self.database}"

    @property
    def masked(self) -> str:
        """The location with the user name and a masked password, safe to print."""
        if self.kind is WarehouseKind.CHDB:
            return self.name
        scheme = "https" if self.secure else "http"
        secret = ":***" if self.password else ""
        return f"{scheme}://{self.username}{secret}@{self.host}:{self.port}/{self.database}"

    def __repr__(self) -> str:
        return f"WarehouseDsn({self.masked!r})"


def parse_warehouse_dsn(dsn: str | None, *, lake_root: Path) -> WarehouseDsn:
    """The warehouse ``dsn`` names; None or empty means embedded chDB inside the lake."""
    if dsn is None or not dsn.strip():
        return WarehouseDsn(WarehouseKind.CHDB, path=(lake_root / DEFAULT_CHDB_FOLDER).absolute())
    text = dsn.strip()
    if text.startswith(_CHDB_PREFIX):
        return _chdb(text)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in _HTTP_PORTS:
        return _server(text, scheme)
    raise ConfigError(
        f"unusable warehouse DSN {mask_dsn(text)!r}: use chdb:///path/to/folder or "
        "http(s)://user:password@host:8123/database"
    )


def _chdb(text: str) -> WarehouseDsn:
    location, _, query = text[len(_CHDB_PREFIX) :].partition("?")
    if not location or location in ("/", "memory", ":memory:"):
        raise ConfigError(
            f"unusable chDB DSN {text!r}: name a folder, e.g. chdb:///data/warehouse "
            "(an in-memory warehouse would forget what the manifest says it holds)"
        )
    database = _database(parse_qs(query).get("database", [DEFAULT_DATABASE])[-1], text)
    return WarehouseDsn(WarehouseKind.CHDB, database=database, path=Path(location).absolute())


def _server(text: str, scheme: str) -> WarehouseDsn:
    try:
        parts = urlsplit(text)
        port = parts.port or _HTTP_PORTS[scheme]
    except ValueError as exc:
        raise ConfigError(f"unusable warehouse DSN {mask_dsn(text)!r}: {exc}") from None
    if not parts.hostname:
        raise ConfigError(f"warehouse DSN {mask_dsn(text)!r} names no host")
    return WarehouseDsn(
        WarehouseKind.SERVER,
        database=_database(parts.path.strip("/") or DEFAULT_DATABASE, mask_dsn(text)),
        host=parts.hostname,
        port=port,
        secure=scheme == "https",
        username=unquote(parts.username) if parts.username else "default",
        password=unquote(parts.password) if parts.password else "",
    )


def _database(name: str, shown: str) -> str:
    if _IDENTIFIER.match(name) is None:
        raise ConfigError(
            f"warehouse DSN {shown!r}: database {name!r} must be letters, digits and _"
        )
    return name
