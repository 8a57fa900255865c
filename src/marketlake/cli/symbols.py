"""``marketlake symbols``: one row per symbol of a market ever seen, delisted ones included."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from marketlake.cli._options import LakeOption, ManifestOption, SourceOption
from marketlake.cli._output import (
    FormatOption,
    NowOption,
    OutOption,
    OutputFormat,
    RestOption,
    emit,
    fail,
    open_lake,
)
from marketlake.errors import MarketlakeError

TABLE_COLUMNS = (
    "symbol", "status", "delisted", "base_asset", "quote_asset", "contract_type", "tick_size",
    "lot_size", "min_notional", "archive_first", "archive_last", "lake_first", "lake_last",
)  # fmt: skip
"""The columns a table shows (csv, json and parquet write them all)."""


def symbols(
    ctx: typer.Context,
    market: Annotated[
        str, typer.Option("--market", envvar="MARKETLAKE_MARKET", help="spot, um, cm or option.")
    ] = "um",
    offline: Annotated[
        bool, typer.Option("--offline", help="Ask neither the exchange nor the archive.")
    ] = False,
    now: NowOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    out: OutOption = None,
    lake: LakeOption = None,
    manifest: ManifestOption = None,
    source: SourceOption = None,
    rest: RestOption = None,
) -> None:
    """One row per symbol of a market ever seen, delisted ones included.

    Exchange status, assets, tick/lot size, min notional, contract, and the first and last
    day in the archive and in the lake.
    """
    try:
        with open_lake(ctx.obj, lake=lake, manifest=manifest, source=source, rest=rest) as opened:
            frame = opened.symbols(market, now=_day(now), online=not offline)
    except MarketlakeError as exc:
        fail(exc)
    if fmt is OutputFormat.TABLE:
        frame = frame.select(TABLE_COLUMNS)
    emit(frame, fmt, out, title=f"{market} symbols")


def _day(value: datetime | None) -> str | None:
    return value.date().isoformat() if value is not None else None
