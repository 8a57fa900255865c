"""Gap reports as Polars DataFrames (times UTC microseconds, keys as lists)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from marketlake.lake.gaps import GapReport

GAP_COLUMNS = ("start", "end", "kind", "detail", "keys", "missing_rows")


def gaps_frame(report: GapReport) -> pl.DataFrame:
    """One row per gap, with the target's market, dataset, symbol and interval."""
    import polars as pl

    target = report.target
    moment = pl.Datetime("us", "UTC")
    return pl.DataFrame(
        {
            "market": [target.market.value] * len(report.gaps),
            "dataset": [target.dataset] * len(report.gaps),
            "symbol": [target.symbol] * len(report.gaps),
            "interval": [target.interval] * len(report.gaps),
            "start": [g.start for g in report.gaps],
            "end": [g.end for g in report.gaps],
            "kind": [g.kind.value for g in report.gaps],
            "detail": [g.detail for g in report.gaps],
            "keys": [list(g.keys) for g in report.gaps],
            "missing_rows": [g.missing_rows for g in report.gaps],
        },
        schema={
            "market": pl.String, "dataset": pl.String, "symbol": pl.String,
            "interval": pl.String, "start": moment, "end": moment, "kind": pl.String,
            "detail": pl.String, "keys": pl.List(pl.String), "missing_rows": pl.Int64,
        },
    )  # fmt: skip


def quality_frame(report: GapReport) -> pl.DataFrame:
    """One row per partition of the report."""
    import polars as pl

    moment = pl.Datetime("us", "UTC")
    integers = (
        "rows", "rows_in_file", "dropped_duplicates", "expected_rows", "missing_rows",
        "duplicates", "out_of_order", "first_id", "last_id", "id_gaps", "missing_ids",
        "missing_trade_ids", "ids_missing_before",
    )  # fmt: skip
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "key": pl.String, "period": pl.String, "date": pl.String, "status": pl.String,
        **dict.fromkeys(integers, pl.Int64), "first_time": moment, "last_time": moment,
    }  # fmt: skip
    rows = [{name: getattr(q, name) for name in schema} for q in report.quality]
    return pl.DataFrame(rows, schema=schema)
