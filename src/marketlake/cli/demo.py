"""``marketlake demo``: the main job, offline, against the bundled archive stand-in.

Starts the stand-in on a free 127.0.0.1 port, ingests a few recent days of USD-M 1m klines and
spot trades into ``./marketlake-demo``, then prints the run summaries and a sample query.
Running it again is a no-op that says so: the manifest knows what is done.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from marketlake.errors import MarketlakeError
from marketlake.settings import Settings

DEMO_LAKE = Path("marketlake-demo")
DEMO_JOBS = (
    ("um", "klines", "1m", "BTCUSDT,ETHUSDT"),
    ("spot", "trades", None, "BTCUSDT"),
)


def demo(
    lake: Annotated[Path, typer.Option("--lake", help="Where the demo lake goes.")] = DEMO_LAKE,
    days: Annotated[int, typer.Option("--days", min=1, max=31, help="How many days.")] = 3,
) -> None:
    """Start the stand-in, ingest a few days into ./marketlake-demo, print a summary and a query."""
    from marketlake.ingest.request import build_request
    from marketlake.ingest.run import ingest, write_report
    from marketlake.mirror import run_mirror

    out = Console(soft_wrap=True)  # lines and the frame's rows kept whole when not a terminal
    end = datetime.now(UTC).date() - timedelta(days=2)
    start = end - timedelta(days=days - 1)
    try:
        with run_mirror() as mirror:
            out.print(f"archive stand-in serving at {mirror.base_url}")
            settings = Settings(lake=lake, source=mirror.base_url, workers=2)
            for market, dataset, interval, symbols in DEMO_JOBS:
                request = build_request(
                    market=market, dataset=dataset, interval=interval, symbols=symbols,
                    start=start, end=end,
                )  # fmt: skip
                report = ingest(settings, request)
                write_report(report, lake)
                out.print(
                    f"{market} {dataset}{' ' + interval if interval else ''} {symbols}: "
                    f"{report.done} partitions done, {report.skipped} already done, "
                    f"{report.failed} failed, {report.rows:,} rows in {report.seconds:.2f} s"
                )
    except MarketlakeError as exc:
        out.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    _sample_query(out, lake)


def _sample_query(out: Console, lake: Path) -> None:
    import polars as pl

    klines = lake / "exchange=binance" / "market=um" / "dataset=klines" / "interval=1m"
    frame = (
        pl.scan_parquet(klines / "**" / "*.parquet", hive_partitioning=True)
        .group_by("symbol")
        .agg(
            pl.len().alias("bars"),
            pl.col("open_time").min().alias("first"),
            pl.col("open_time").max().alias("last"),
            pl.col("high").max().alias("high"),
            pl.col("low").min().alias("low"),
            pl.col("volume").sum().alias("volume"),
        )
        .sort("symbol")
        .collect()
    )
    out.print("\nsample query: 1m bars per symbol in the lake (polars over the Parquet files)")
    out.print(frame)
    out.print(f"\nlake: {lake.resolve()}  (manifest: {lake / '_manifest.sqlite'})")
