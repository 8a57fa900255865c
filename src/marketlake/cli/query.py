"""``marketlake query "SQL"``: DuckDB SQL over the lake's views, parameters bound."""

from __future__ import annotations

from typing import Annotated

import typer

from marketlake.cli._options import LakeOption, ManifestOption
from marketlake.cli._output import FormatOption, OutOption, OutputFormat, emit, fail, open_lake
from marketlake.errors import MarketlakeError


def query(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(help="A SELECT over views like um_klines_1m.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A value for the next ? placeholder (repeatable)."),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    out: OutOption = None,
    lake: LakeOption = None,
    manifest: ManifestOption = None,
) -> None:
    """Run SQL (DuckDB) over the lake's views, e.g. um_klines_1m, spot_trades.

    Views are named market_dataset[_interval]; --param values are bound to ? placeholders,
    never pasted into the SQL.
    """
    try:
        with open_lake(ctx.obj, lake=lake, manifest=manifest) as opened:
            frame = opened.sql(sql, list(param) if param else None)
    except MarketlakeError as exc:
        fail(exc)
    emit(frame, fmt, out)
