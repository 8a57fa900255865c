"""``marketlake db ...``: create and migrate the manifest database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from marketlake.errors import ConfigError, MarketlakeError
from marketlake.manifest import ManifestKind, open_manifest, parse_dsn

DEFAULT_LAKE = Path("marketlake-data")

ManifestOption = Annotated[
    str | None,
    typer.Option(
        "--manifest",
        envvar="MARKETLAKE_MANIFEST",
        help="Manifest DSN: a SQLite path, sqlite:///abs/path or postgresql://user@host/db "
        "(default: <lake>/_manifest.sqlite).",
        show_default=False,
    ),
]
LakeOption = Annotated[
    Path, typer.Option("--lake", envvar="MARKETLAKE_LAKE", help="The lake's root folder.")
]

app = typer.Typer(help="The manifest database (the lake's state).", no_args_is_help=True)


@app.command("init")
def init(
    manifest: ManifestOption = None,
    lake: LakeOption = DEFAULT_LAKE,
    create_db: Annotated[
        bool,
        typer.Option("--create-db", help="Create the PostgreSQL database first if it is missing."),
    ] = False,
) -> None:
    """Create the manifest's schema, or migrate it to this version of marketlake."""
    try:
        target = parse_dsn(manifest, lake_root=lake)
        if create_db:
            _create_database(target.kind, target.url)
        with open_manifest(manifest, lake_root=lake, auto_init=True) as store:
            version = store.schema_version()
            location = store.location
    except MarketlakeError as exc:
        fail(exc)
    typer.echo(f"manifest {location}: schema version {version}, ready")


def _create_database(kind: ManifestKind, url: str) -> None:
    if kind is not ManifestKind.POSTGRES:
        raise ConfigError("--create-db only applies to a postgresql:// manifest")
    from marketlake.manifest.postgres import create_database

    created = create_database(url)
    typer.echo("created the database" if created else "the database already exists")


def fail(exc: MarketlakeError) -> NoReturn:
    """Print ``exc``'s message to stderr and leave with exit code 1."""
    typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(code=1) from exc
