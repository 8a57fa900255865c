"""The ``marketlake`` command line: thin Typer commands over the library."""

from __future__ import annotations

from typing import Annotated

import typer

from marketlake.cli import db, demo, ingest, mirror, status
from marketlake.cli._logging import LogFormat, configure_logging

app = typer.Typer(
    name="marketlake",
    help="Binance's public market-data archive as an exact, incremental Parquet lake.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(mirror.app, name="mirror")
app.add_typer(db.app, name="db")
app.command("status")(status.status)
app.command("demo")(demo.demo)
app.command("ingest")(ingest.ingest)


@app.callback()
def _root(
    log_level: Annotated[
        str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")
    ] = "WARNING",
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help="text for people, json for machines.")
    ] = LogFormat.TEXT,
) -> None:
    configure_logging(log_level, log_format)


def main() -> None:
    """Entry point of the ``marketlake`` console script."""
    app()
