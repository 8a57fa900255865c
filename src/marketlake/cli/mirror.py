"""``marketlake mirror ...``: the local stand-in for data.binance.vision."""

from __future__ import annotations

import typer

app = typer.Typer(help="The local stand-in for the Binance archive.", no_args_is_help=True)
