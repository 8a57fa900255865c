"""Manifest DSNs: which database a string names, and how to show it without its password.

    None                                 SQLite at ``<lake_root>/_manifest.sqlite``
    sqlite:///abs/path/file.sqlite       SQLite at that path
    path/to/file.sqlite                  SQLite at that path (relative to the working dir)
    postgresql://user:pw@host:5432/db    PostgreSQL (``postgres://`` too)

Anything else is a :class:`~marketlake.errors.ConfigError`. Passwords never leave this module
unmasked except to the driver: reprs, logs and error messages use :func:`mask_dsn`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from marketlake.errors import ConfigError
from marketlake.secrets import mask_dsn

DEFAULT_SQLITE_NAME = "_manifest.sqlite"
_SQLITE_PREFIX = "sqlite://"
_POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class ManifestKind(StrEnum):
    """The databases a manifest can live in."""

    SQLITE = "sqlite"
    POSTGRES = "postgres"


@dataclass(frozen=True)
class ManifestDsn:
    """A parsed manifest location: a SQLite file path or a PostgreSQL URL (secret, masked)."""

    kind: ManifestKind
    path: Path | None = None
    url: str = field(default="", repr=False)

    @property
    def masked(self) -> str:
        """The location, safe to print."""
        if self.kind is ManifestKind.SQLITE:
            return (
                f"sqlite:///{self.path}"
                if self.path and self.path.is_absolute()
                else str(self.path)
            )
        return mask_dsn(self.url)

    def __repr__(self) -> str:
        return f"ManifestDsn({self.kind.value}, {self.masked!r})"


def parse_dsn(dsn: str | None, *, lake_root: Path) -> ManifestDsn:
    """The manifest ``dsn`` names; None or empty means the SQLite file inside ``lake_root``."""
    if dsn is None or not dsn.strip():
        return ManifestDsn(ManifestKind.SQLITE, path=lake_root / DEFAULT_SQLITE_NAME)
    dsn = dsn.strip()
    scheme = _SCHEME.match(dsn)
    if scheme is None:
        return ManifestDsn(ManifestKind.SQLITE, path=Path(dsn))
    name = scheme.group(1).lower()
    if name == "sqlite":
        return _sqlite_url(dsn)
    if name in _POSTGRES_SCHEMES:
        return _postgres_url(dsn)
    raise ConfigError(
        f"unusable manifest DSN {mask_dsn(dsn)!r}: use a SQLite path, sqlite:///abs/path "
        "or postgresql://user@host/db"
    )


def _sqlite_url(dsn: str) -> ManifestDsn:
    path = dsn[len(_SQLITE_PREFIX) :]
    if not path.startswith("/") or path == "/":
        raise ConfigError(f"unusable SQLite DSN {dsn!r}: write sqlite:///absolute/path.sqlite")
    return ManifestDsn(ManifestKind.SQLITE, path=Path(path))


def _postgres_url(dsn: str) -> ManifestDsn:
    try:
        parts = urlsplit(dsn)
        _ = parts.port
    except ValueError as exc:
        raise ConfigError(f"unusable PostgreSQL DSN {mask_dsn(dsn)!r}: {exc}") from None
    return ManifestDsn(ManifestKind.POSTGRES, url=dsn)
