"""``marketlake ingest``: archive partitions into the Parquet lake, recorded in the manifest."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from marketlake.cli._options import (
    LakeOption,
    ManifestOption,
    SourceOption,
    settings_from,
)
from marketlake.errors import MarketlakeError

if TYPE_CHECKING:
    from marketlake.ingest.report import RunReport

_DATE = ["%Y-%m-%d"]


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def ingest(
    ctx: typer.Context,
    market: Annotated[
        str, typer.Option("--market", envvar="MARKETLAKE_MARKET", help="spot, um, cm or option.")
    ],
    dataset: Annotated[
        str,
        typer.Option(
            "--dataset", envvar="MARKETLAKE_DATASET", help="klines, trades, aggTrades, ..."
        ),
    ],
    interval: Annotated[
        str | None,
        typer.Option(
            "--interval",
            envvar="MARKETLAKE_INTERVAL",
            help="Kline intervals: 1m,1h,... or all [default: 1m].",
        ),
    ] = None,
    symbols: Annotated[
        str | None,
        typer.Option(
            "--symbols",
            envvar="MARKETLAKE_SYMBOLS",
            help="BTCUSDT,ETHUSDT, a pattern like *USDT, or * / ALL.",
        ),
    ] = None,
    start: Annotated[
        datetime | None, typer.Option("--start", envvar="MARKETLAKE_START", formats=_DATE)
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--end", envvar="MARKETLAKE_END", formats=_DATE)
    ] = None,
    lake: LakeOption = None,
    manifest: ManifestOption = None,
    source: SourceOption = None,
    workers: Annotated[
        int | None, typer.Option("--workers", envvar="MARKETLAKE_WORKERS", help="Decode processes.")
    ] = None,
    update_existing: Annotated[
        bool,
        typer.Option(
            "--update-existing",
            envvar="MARKETLAKE_UPDATE_EXISTING",
            help="Fetch again what is already done.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and report; fetch nothing.")
    ] = False,
) -> None:
    """Ingest archive partitions into the lake; reruns fetch only what is new or re-published."""
    from marketlake.cli._progress import IngestProgress
    from marketlake.ingest.request import build_request
    from marketlake.ingest.run import ingest as run_ingest
    from marketlake.ingest.run import write_report

    console = Console(stderr=True, soft_wrap=True)
    try:
        settings = settings_from(
            ctx.obj, lake=lake, manifest=manifest, source=source, workers=workers
        )
        request = build_request(
            market=market,
            dataset=dataset,
            interval=interval,
            symbols=symbols,
            start=_day(start),
            end=_day(end),
            update_existing=update_existing,
            dry_run=dry_run,
        )
        with IngestProgress(console, enabled=sys.stderr.isatty()) as progress:
            report = run_ingest(settings, request, progress)
        path = write_report(report, settings.lake)
    except MarketlakeError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    _print_summary(report, str(path))
    if not report.ok:
        raise typer.Exit(1)


def _print_summary(report: RunReport, report_path: str) -> None:
    out = Console(soft_wrap=True)  # one line per fact, never cut at 80 columns in a log
    if report.is_noop:
        out.print(
            f"nothing to do: {report.skipped} partitions already done "
            f"({report.seconds:.2f} s); report: {report_path}"
        )
        return
    verb = "would ingest" if report.dry_run else "ingested"
    out.print(
        f"{verb} {report.planned} partitions: {report.done} done, {report.failed} failed, "
        f"{report.unavailable} unavailable, {report.skipped} skipped; "
        f"{report.rows:,} rows, {report.bytes / 1e6:.1f} MB in {report.seconds:.2f} s"
    )
    for key, error in report.failures[:10]:
        out.print(f"  [red]failed[/red] {key}: {error}")
    if report.stop_reason:
        out.print(f"[red]stopped:[/red] {report.stop_reason}")
    out.print(f"report: {report_path}")
