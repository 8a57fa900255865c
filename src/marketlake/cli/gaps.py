"""``marketlake gaps``: the spans a symbol's dataset misses in the lake, and why."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from marketlake.cli._options import LakeOption, ManifestOption, SourceOption
from marketlake.cli._output import (
    FormatOption,
    NowOption,
    OutOption,
    OutputFormat,
    emit,
    fail,
    open_lake,
)
from marketlake.errors import MarketlakeError, ReadRequestError

if TYPE_CHECKING:
    import polars as pl

_DATE = ["%Y-%m-%d"]
GAP_TABLE = ("symbol", "start", "end", "kind", "missing_rows", "detail", "keys")
QUALITY_TABLE = (
    "key", "status", "rows", "expected_rows", "missing_rows", "duplicates", "dropped_duplicates",
    "out_of_order", "id_gaps", "missing_ids", "missing_trade_ids", "ids_missing_before",
)  # fmt: skip


def gaps(
    ctx: typer.Context,
    market: Annotated[
        str, typer.Option("--market", envvar="MARKETLAKE_MARKET", help="spot, um, cm or option.")
    ],
    dataset: Annotated[
        str, typer.Option("--dataset", envvar="MARKETLAKE_DATASET", help="klines, trades, ...")
    ],
    symbols: Annotated[
        str, typer.Option("--symbols", "--symbol", envvar="MARKETLAKE_SYMBOLS", help="A,B,...")
    ],
    interval: Annotated[
        str | None, typer.Option("--interval", help="Kline interval [default: 1m].")
    ] = None,
    start: Annotated[datetime | None, typer.Option("--start", formats=_DATE)] = None,
    end: Annotated[datetime | None, typer.Option("--end", formats=_DATE)] = None,
    now: NowOption = None,
    quality: Annotated[
        bool, typer.Option("--quality", help="Write the per-partition quality, not the gaps.")
    ] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Do not ask the archive.")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
    out: OutOption = None,
    lake: LakeOption = None,
    manifest: ManifestOption = None,
    source: SourceOption = None,
) -> None:
    """Classified gaps (and partition quality) of symbols' datasets in the lake.

    Each missing span over [--start, --end] is before_listing, after_delisting,
    not_yet_published, unavailable (404), discontinued, inside_file, not_ingested or unknown.
    A table also shows each partition's quality; --quality writes that instead of the gaps.
    """
    import polars as pl

    names = [s.strip() for s in symbols.split(",") if s.strip()]
    days = {"start": _day(start), "end": _day(end), "now": _day(now)}
    try:
        if not names:
            raise ReadRequestError("give at least one symbol")
        with open_lake(ctx.obj, lake=lake, manifest=manifest, source=source) as opened:
            reports = [
                opened.gap_report(market, dataset, name, interval, **days, online=not offline)
                for name in names
            ]
    except MarketlakeError as exc:
        fail(exc)
    spans = pl.concat([r.gaps_frame() for r in reports])
    parts = pl.concat([_with_symbol(r.quality_frame(), r.target.symbol) for r in reports])
    if fmt is not OutputFormat.TABLE:
        emit(parts if quality else spans, fmt, out)
        return
    file_names = pl.col("keys").list.eval(pl.element().str.split("/").list.last())
    quality_table = parts.select(
        "symbol", pl.col("key").str.split("/").list.last().alias("file"), *QUALITY_TABLE[1:]
    )
    if quality:
        emit(quality_table, fmt, out, title="partition quality")
        return
    gap_table = spans.select(GAP_TABLE).with_columns(file_names.alias("files")).drop("keys")
    emit(gap_table, fmt, out, title=f"gaps of {market} {dataset} (UTC)")
    emit(quality_table, fmt, None, title="partition quality")


def _with_symbol(frame: pl.DataFrame, symbol: str) -> pl.DataFrame:
    import polars as pl

    return frame.insert_column(0, pl.Series("symbol", [symbol] * frame.height, pl.String))


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None
