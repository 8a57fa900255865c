"""Options shared by several commands (lake, manifest, source, config)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from marketlake.settings import Settings, resolve_settings

LakeOption = Annotated[
    Path | None,
    typer.Option(
        "--lake", envvar="MARKETLAKE_LAKE", help="Lake directory [default: ./marketlake-data]."
    ),
]
ManifestOption = Annotated[
    str | None,
    typer.Option(
        "--manifest",
        help="Manifest DSN: a SQLite path or postgresql://... [default: SQLite in the lake].",
    ),
]
SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source", help="Archive base URL (a mirror or the stand-in) [default: the real archive]."
    ),
]


def settings_from(config: Path | None, **flags: object) -> Settings:
    """Settings from defaults < config file < MARKETLAKE_* environment < these flags."""
    return resolve_settings({k: v for k, v in flags.items() if v is not None}, config=config)
