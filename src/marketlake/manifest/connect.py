"""Open the manifest a DSN names: SQLite inside the lake by default, or PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path

from marketlake.manifest.abc import ManifestStore
from marketlake.manifest.dsn import ManifestKind, parse_dsn

logger = logging.getLogger(__name__)


def open_manifest(
    dsn: str | None, *, lake_root: Path, auto_init: bool | None = None
) -> ManifestStore:
    """The store ``dsn`` names (None: ``<lake_root>/_manifest.sqlite``).

    ``auto_init`` creates or migrates the schema on open; by default SQLite does (the
    embedded manifest just works) and PostgreSQL does not (run ``marketlake db init``).
    """
    target = parse_dsn(dsn, lake_root=lake_root)
    create = target.kind is ManifestKind.SQLITE if auto_init is None else auto_init
    logger.debug("opening manifest %s", target.masked)
    if target.kind is ManifestKind.SQLITE:
        from marketlake.manifest.sqlite import open_sqlite

        assert target.path is not None
        return open_sqlite(target.path, auto_init=create)
    from marketlake.manifest.postgres import open_postgres

    return open_postgres(target.url, auto_init=create)
