"""The ``marketlake`` command line: thin Typer commands over the library."""

from __future__ import annotations

import importlib
import sys
from functools import cache
from pathlib import Path
from typing import Annotated

import typer

from marketlake._entry import first_command
from marketlake.cli._logging import LogFormat, configure_logging
from marketlake.errors import MarketlakeError
from marketlake.settings import command_defaults, read_config

COMMANDS_WITH_DEFAULTS = ("ingest", "status", "serve", "query", "symbols", "gaps", "export")

COMMANDS = (
    "mirror", "db", "status", "demo", "ingest", "serve", "flight", "warehouse", "query",
    "symbols", "gaps", "export", "plot",
)  # fmt: skip
"""Every command, in the order ``--help`` lists them: each is the module of its name under
``marketlake.cli``, holding a function of that name, or for a group, its ``app``."""

GROUPS = frozenset(("mirror", "db", "flight", "warehouse", "plot"))
"""The commands that are groups of subcommands."""


def build_app(only: str | None = None) -> typer.Typer:
    """The command line with every command, or with ``only`` that one (the modules of the
    others are not imported: a command starts 0.1-0.2 s sooner)."""
    app = typer.Typer(
        name="marketlake",
        help="Binance's public market-data archive as an exact, incremental Parquet lake.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_root)
    for name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f"marketlake.cli.{name}")
        if name in GROUPS:
            app.add_typer(module.app, name=name)
        else:
            app.command(name)(getattr(module, name))
    return app


def requested_command(argv: list[str]) -> str | None:
    """The command ``argv`` (without the program name) runs, if it names a known one."""
    command = first_command(argv)
    return command if command in COMMANDS else None


@cache
def full_app() -> typer.Typer:
    """The command line with every command (for tests and documentation)."""
    return build_app()


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    build_app(requested_command(sys.argv[1:]))()
