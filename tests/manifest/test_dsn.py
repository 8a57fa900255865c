"""Parsing manifest DSNs and keeping their passwords out of sight."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketlake.errors import ConfigError
from marketlake.manifest import ManifestDsn, ManifestKind, mask_dsn, parse_dsn
from marketlake.secrets import redact

LAKE = Path("/data/lake")


@pytest.mark.parametrize(
    ("dsn", "path"),
    [
        (None, LAKE / "_manifest.sqlite"),
        ("", LAKE / "_manifest.sqlite"),
        ("sqlite:///srv/state/manifest.sqlite", Path("/srv/state/manifest.sqlite")),
        ("state/manifest.sqlite", Path("state/manifest.sqlite")),
        ("/abs/m.db", Path("/abs/m.db")),
    ],
)
def test_sqlite_locations(dsn: str | None, path: Path) -> None:
    assert parse_dsn(dsn, lake_root=LAKE) == ManifestDsn(ManifestKind.SQLITE, path=path)


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://lake@db.internal:5432/marketlake",
        "postgres://lake:pw@db/marketlake?sslmode=require",
    ],
)
def test_postgres_locations(dsn: str) -> None:
    assert parse_dsn(dsn, lake_root=LAKE) == ManifestDsn(ManifestKind.POSTGRES, url=dsn)


@pytest.mark.parametrize(
    ("dsn", "reason"),
    [
        ("mysql://root:hunter2@db/lake", "unusable manifest DSN 'mysql://root:***@db/lake'"),
        ("sqlite://relative.sqlite", "write sqlite:///absolute/path.sqlite"),
        ("postgresql://u:hunter2@db:notaport/x", "unusable PostgreSQL DSN 'postgresql://u:***@db"),
    ],
)
def test_unusable_dsns_are_config_errors(dsn: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_dsn(dsn, lake_root=LAKE)

    assert reason in str(raised.value)
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    ("dsn", "masked"),
    [
        ("postgresql://bob:hunter2@db:5432/lake", "postgresql://bob:***@db:5432/lake"),
        ("postgresql://bob:p%40ss%3Aw@db/lake", "postgresql://bob:***@db/lake"),
        ("postgresql://bob:a@b@db/lake", "postgresql://bob:***@db/lake"),
        ("postgresql://bob@db/lake?password=hunter2&sslmode=require",
         "postgresql://bob@db/lake?password=***&sslmode=require"),
        ("host=db user=bob password='hun ter2' dbname=lake",
         "host=db user=bob password=*** dbname=lake"),
        ("postgresql://bob@db/lake", "postgresql://bob@db/lake"),
        ("sqlite:///tmp/m.sqlite", "sqlite:///tmp/m.sqlite"),
    ],
)  # fmt: skip
def test_mask_dsn(dsn: str, masked: str) -> None:
    assert mask_dsn(dsn) == masked


def test_repr_and_masked_never_show_the_password() -> None:
    target = parse_dsn("postgresql://bob:hunter2@db/lake", lake_root=LAKE)

    assert repr(target) == "ManifestDsn(postgres, 'postgresql://bob:***@db/lake')"
    assert target.masked == "postgresql://bob:***@db/lake"
    assert "hunter2" not in str(target)


def test_redact_removes_plain_and_encoded_passwords_from_messages() -> None:
    dsn = "postgresql://bob:p%40ss@db/lake"
    message = f"failed for {dsn}: password p@ss or p%40ss rejected"

    assert redact(message, dsn) == (
        "failed for postgresql://bob:***@db/lake: password *** or *** rejected"
    )
