"""Write a result frame as a table, CSV, JSON or Parquet; open the lake the options name.

Exact values stay exact: decimals are written as their digits (JSON strings), times as ISO
8601 UTC, lists (archive keys) joined by ``;`` in CSV.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from marketlake.cli._options import settings_from
from marketlake.errors import MarketlakeError

if TYPE_CHECKING:
    import polars as pl

    from marketlake.lake.sdk import Lake

TABLE_ROWS = 500
"""Rows a table shows at most (the other formats write every row)."""


class OutputFormat(StrEnum):
    """How a command writes its result."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table (for people), csv, json or parquet (needs --out)."),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write to this file [default: stdout].")
]
RestOption = Annotated[
    str | None,
    typer.Option(
        "--rest",
        help="Binance REST base URL for exchange info [default: --source, else Binance's hosts].",
    ),
]
NowOption = Annotated[
    datetime | None,
    typer.Option(
        "--now", formats=["%Y-%m-%d"], help="Today, for publication rules [default: today]."
    ),
]


def open_lake(
    config: Path | None,
    *,
    lake: Path | None = None,
    manifest: str | None = None,
    source: str | None = None,
    rest: str | None = None,
) -> Lake:
    """The lake the options, the environment and the config file name."""
    from marketlake.lake.sdk import Lake

    settings = settings_from(config, lake=lake, manifest=manifest, source=source, rest=rest)
    return Lake.from_settings(settings)


def fail(exc: MarketlakeError) -> NoReturn:
    """Print the error for people and exit with status 2."""
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {exc.message}")
    raise typer.Exit(2) from exc


def emit(
    frame: pl.DataFrame, fmt: OutputFormat, out: Path | None, *, title: str | None = None
) -> None:
    """Write ``frame`` in ``fmt`` to ``out`` (None: stdout)."""
    if fmt is OutputFormat.PARQUET:
        if out is None:
            raise typer.BadParameter("parquet output needs --out FILE", param_hint="--format")
        frame.write_parquet(out)
        return
    if fmt is OutputFormat.TABLE:
        _print_table(frame, out, title)
        return
    text = _csv(frame) if fmt is OutputFormat.CSV else _json(frame)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


def _print_table(frame: pl.DataFrame, out: Path | None, title: str | None) -> None:
    table = Table(title=title)
    for name in frame.columns:
        table.add_column(name, overflow="fold")
    for row in frame.head(TABLE_ROWS).iter_rows():
        table.add_row(*(_cell(value) for value in row))
    if out is None:
        console = Console()
        console.print(table)
        _note_cut(console, frame.height)
        return
    with out.open("w", encoding="utf-8") as handle:
        console = Console(file=handle, width=200)
        console.print(table)
        _note_cut(console, frame.height)


def _note_cut(console: Console, height: int) -> None:
    if height > TABLE_ROWS:
        console.print(f"... {height - TABLE_ROWS} more rows: use --format csv or json for all")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(_cell(v) for v in value)
    return _text(value)


def _text(value: object) -> str:
    if isinstance(value, datetime):  # tables are for people: UTC, seconds when not 0
        shape = (
            "%Y-%m-%d %H:%M" if not (value.second or value.microsecond) else "%Y-%m-%d %H:%M:%S.%f"
        )
        return value.astimezone(UTC).strftime(shape)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv(frame: pl.DataFrame) -> str:
    import polars as pl

    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    flat = frame.with_columns(pl.col(name).list.join(";") for name in lists) if lists else frame
    return flat.write_csv(datetime_format="%Y-%m-%dT%H:%M:%S%.6f%:z", date_format="%Y-%m-%d")


def _json(frame: pl.DataFrame) -> str:
    rows = list(frame.iter_rows(named=True))
    return json.dumps(rows, default=_json_value, ensure_ascii=False, indent=1) + "\n"


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
