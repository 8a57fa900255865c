"""``marketlake export``: a dataset's rows (or resampled bars) to one CSV or Parquet file.

Rows stream from the read path in record batches straight into the file: an export of a
year of trades never sits in memory whole. Decimals keep their digits in both formats.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from marketlake.cli._options import LakeOption, ManifestOption
from marketlake.cli._output import fail, open_lake
from marketlake.errors import LakeError, MarketlakeError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa

_DATE = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]


class ExportFormat(StrEnum):
    """The file formats of an export."""

    CSV = "csv"
    PARQUET = "parquet"


def export(
    ctx: typer.Context,
    market: Annotated[
        str, typer.Option("--market", envvar="MARKETLAKE_MARKET", help="spot, um, cm or option.")
    ],
    dataset: Annotated[
        str, typer.Option("--dataset", envvar="MARKETLAKE_DATASET", help="klines, trades, ...")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write.")],
    symbols: Annotated[
        str | None,
        typer.Option("--symbols", envvar="MARKETLAKE_SYMBOLS", help="A,B,... [default: all]."),
    ] = None,
    interval: Annotated[
        str | None, typer.Option("--interval", help="Klines: any interval (resampled if needed).")
    ] = None,
    start: Annotated[datetime | None, typer.Option("--start", formats=_DATE)] = None,
    end: Annotated[datetime | None, typer.Option("--end", formats=_DATE, help="Exclusive.")] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.CSV,
    floats: Annotated[
        bool, typer.Option("--float", help="Decimals as float64 (analysis view).")
    ] = False,
    lake: LakeOption = None,
    manifest: ManifestOption = None,
) -> None:
    """Export rows (or resampled bars) to one CSV or Parquet file, streamed."""
    from marketlake.lake.read import schema_of
    from marketlake.lake.request import ReadRequest

    try:
        request = ReadRequest.build(
            market=market, dataset=dataset, symbols=symbols, interval=interval,
            start=start, end=end, exact=not floats,
        )  # fmt: skip
        with open_lake(ctx.obj, lake=lake, manifest=manifest) as opened:
            batches = opened.reader.record_batches(request)
            rows = write_batches(batches, schema_of(request), out, fmt)
    except MarketlakeError as exc:
        fail(exc)
    Console(stderr=True, soft_wrap=True).print(f"wrote {rows:,} rows to {out}")


def write_batches(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, out: Path, fmt: ExportFormat
) -> int:
    """Stream ``batches`` of ``schema`` into ``out``; the number of rows written (an empty
    answer still writes the header, or the Parquet schema)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rows = 0
    try:
        writer: pq.ParquetWriter | pacsv.CSVWriter = (
            pq.ParquetWriter(out, schema, compression="zstd")
            if fmt is ExportFormat.PARQUET
            else pacsv.CSVWriter(out, schema)
        )
        with writer:
            for batch in batches:
                writer.write_batch(batch)
                rows += batch.num_rows
    except (OSError, pa.ArrowException) as exc:
        raise LakeError(f"cannot write {out}: {exc}") from exc
    return rows
