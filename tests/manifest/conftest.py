"""Fixtures of the manifest tests: the same store contract on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from marketlake.manifest import ManifestStore, open_manifest


@pytest.fixture(params=["sqlite", "postgres"])
def manifest_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A DSN to an empty manifest location, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'manifest.sqlite'}"
    dsn: str = request.getfixturevalue("pg_manifest_dsn")
    return dsn


@pytest.fixture
def store(manifest_dsn: str, tmp_path: Path) -> Iterator[ManifestStore]:
    """An initialised, empty store on each backend."""
    with open_manifest(manifest_dsn, lake_root=tmp_path, auto_init=True) as opened:
        yield opened
