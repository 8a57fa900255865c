"""The ``marketlake`` command line: thin Typer commands over the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from marketlake.cli import (
    db,
    demo,
    export,
    flight,
    gaps,
    ingest,
    mirror,
    plot,
    query,
    serve,
    status,
    symbols,
    warehouse,
)
from marketlake.cli._logging import LogFormat, configure_logging
from marketlake.errors import MarketlakeError
from marketlake.settings import command_defaults, read_config

COMMANDS_WITH_DEFAULTS = ("ingest", "status", "serve", "query", "symbols", "gaps", "export")

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
app.command("serve")(serve.serve)
app.add_typer(flight.app, name="flight")
app.add_typer(warehouse.app, name="warehouse")
app.command("query")(query.query)
app.command("symbols")(symbols.symbols)
app.command("gaps")(gaps.gaps)
app.command("export")(export.export)
app.add_typer(plot.app, name="plot")


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="MARKETLAKE_CONFIG",
            help="TOML config file [default: ./marketlake.toml if present].",
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")
    ] = "WARNING",
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help="text for people, json for machines.")
    ] = LogFormat.TEXT,
) -> None:
    configure_logging(log_level, log_format)
    try:
        data = read_config(config)
    except MarketlakeError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    ctx.obj = config
    ctx.default_map = {name: command_defaults(data, name) for name in COMMANDS_WITH_DEFAULTS}


def main() -> None:
    """Entry point of the ``marketlake`` console script."""
    app()
