"""``marketlake warehouse ...``: the lake in ClickHouse (embedded chDB or a server)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketlake.catalog import Market, get_dataset
from marketlake.cli._options import LakeOption, ManifestOption, settings_from
from marketlake.cli.db import fail
from marketlake.errors import ConfigError, MarketlakeError

if TYPE_CHECKING:
    import polars as pl

    from marketlake.manifest import ManifestStore
    from marketlake.settings import Settings
    from marketlake.warehouse import SyncReport, TableStatus

_DATE = ["%Y-%m-%d"]
_FORMATS = ("table", "csv", "json")

DsnOption = Annotated[
    str | None,
    typer.Option(
        "--dsn",
        envvar="MARKETLAKE_WAREHOUSE",
        help="chdb:///folder or http(s)://user:password@host:8123/database"
        " (default: chDB in <lake>/_warehouse/chdb).",
        show_default=False,
    ),
]

app = typer.Typer(help="The lake in ClickHouse: sync, query, status.", no_args_is_help=True)


@app.command("sync")
def sync(
    ctx: typer.Context,
    dsn: DsnOption = None,
    market: Annotated[str | None, typer.Option("--market", help="Only this market.")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Only this dataset.")] = None,
    interval: Annotated[
        str | None, typer.Option("--interval", help="Only these kline intervals: 1m,1h,...")
    ] = None,
    symbols: Annotated[
        str | None, typer.Option("--symbols", help="BTCUSDT,ETHUSDT or patterns like *USDT.")
    ] = None,
    start: Annotated[
        datetime | None, typer.Option("--start", formats=_DATE, help="First day (UTC).")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--end", formats=_DATE, help="Last day, included.")
    ] = None,
    rollups: Annotated[
        bool, typer.Option("--rollups", help="Create hourly and daily OHLCV rollups of klines.")
    ] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the tables in scope and load them again.")
    ] = False,
    lake: LakeOption = None,
    manifest: ManifestOption = None,
) -> None:
    """Load what the lake serves into the warehouse; replace what ingest re-published."""
    from marketlake.warehouse import build_sync_request, open_warehouse, parse_warehouse_dsn

    try:
        settings = settings_from(ctx.obj, lake=lake, manifest=manifest, warehouse=dsn)
        parse_warehouse_dsn(settings.warehouse, lake_root=settings.lake)  # refused before all
        request = build_sync_request(
            market=market,
            dataset=dataset,
            interval=interval,
            symbols=symbols,
            start=start.date() if start else None,
            end=end.date() if end else None,
            rollups=rollups,
            rebuild=rebuild,
        )
        with (
            _open_store(settings) as store,
            open_warehouse(settings.warehouse, lake_root=settings.lake, create=True) as warehouse,
        ):
            report = warehouse.sync(store, request, lake_root=settings.lake)
            location = warehouse.dsn.masked
    except MarketlakeError as exc:
        fail(exc)
    _print_report(report, location)


@app.command("query")
def query(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(help="ClickHouse SQL; bind values as {name:Type}.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A bound parameter NAME=VALUE (repeatable)."),
    ] = None,
    output: Annotated[
        str, typer.Option("--format", help="table, csv or json (one object per line).")
    ] = "table",
    dsn: DsnOption = None,
    lake: LakeOption = None,
) -> None:
    """Run SQL on the warehouse and print the answer."""
    from marketlake.warehouse import open_warehouse

    try:
        if output not in _FORMATS:
            raise ConfigError(f"--format {output!r}: use one of {', '.join(_FORMATS)}")
        settings = settings_from(ctx.obj, lake=lake, warehouse=dsn)
        with open_warehouse(settings.warehouse, lake_root=settings.lake) as warehouse:
            frame = warehouse.query(sql, _parameters(param or []))
    except MarketlakeError as exc:
        fail(exc)
    _print_frame(frame, output)


@app.command("status")
def status(
    ctx: typer.Context,
    dsn: DsnOption = None,
    market: Annotated[str | None, typer.Option("--market", help="Only this market.")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Only this dataset.")] = None,
    lake: LakeOption = None,
    manifest: ManifestOption = None,
) -> None:
    """What each warehouse holds against the lake (from the manifest)."""
    from marketlake.warehouse import parse_warehouse_dsn, warehouse_status

    try:
        settings = settings_from(ctx.obj, lake=lake, manifest=manifest, warehouse=dsn)
        chosen = Market.parse(market) if market else None
        if dataset:
            get_dataset(dataset)
        default = parse_warehouse_dsn(settings.warehouse, lake_root=settings.lake).name
        with _open_store(settings) as store:
            rows = warehouse_status(
                store,
                warehouse=default if settings.warehouse else None,
                default=default,
                market=chosen,
                dataset=dataset,
            )
    except MarketlakeError as exc:
        fail(exc)
    console = Console()
    for table in _status_tables(rows):
        console.print(table)


def _open_store(settings: Settings) -> ManifestStore:
    """The lake's manifest: an existing SQLite file is migrated on open, nothing is created."""
    from marketlake.manifest import ManifestKind, open_manifest, parse_dsn

    target = parse_dsn(settings.manifest, lake_root=settings.lake)
    exists = (
        target.kind is ManifestKind.SQLITE and target.path is not None and target.path.is_file()
    )
    return open_manifest(
        settings.manifest, lake_root=settings.lake, auto_init=None if exists else False
    )


def _parameters(items: list[str]) -> dict[str, object]:
    parameters: dict[str, object] = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise ConfigError(f"--param {item!r}: write NAME=VALUE")
        parameters[name.strip()] = value
    return parameters


def _print_report(report: SyncReport, location: str) -> None:
    out = Console()
    table = Table(title=f"warehouse {location}")
    table.add_column("table")
    for heading in ("loaded", "rows", "replaced", "removed", "current"):
        table.add_column(heading, justify="right")
    table.add_column("rollups")
    for t in report.tables:
        numbers = (t.loaded, t.rows, t.replaced, t.removed, t.current)
        table.add_row(t.table, *(f"{n:,}" for n in numbers), ", ".join(t.rollups))
    out.print(table)
    if report.is_noop:
        out.print(f"nothing to do: the warehouse matches the lake ({report.seconds:.2f} s)")
        return
    rate = report.rows / report.seconds if report.seconds else 0.0
    out.print(
        f"loaded {report.loaded} partitions ({report.rows:,} rows, {rate:,.0f} rows/s),"
        f" removed {report.removed}, in {report.seconds:.2f} s"
    )


def _print_frame(frame: pl.DataFrame, output: str) -> None:
    if output == "csv":
        sys.stdout.write(frame.write_csv())
        return
    if output == "json":
        sys.stdout.write(frame.write_ndjson())
        return
    table = Table()
    for name in frame.columns:
        table.add_column(name)
    for row in frame.iter_rows():
        table.add_row(*("" if value is None else str(value) for value in row))
    Console().print(table)


def _status_tables(rows: tuple[TableStatus, ...]) -> list[Table]:
    """One table per warehouse: its tables against the lake."""
    tables: dict[str, Table] = {}
    for row in rows:
        table = tables.get(row.warehouse)
        if table is None:
            table = tables[row.warehouse] = _status_table(row.warehouse)
        numbers = (row.lake_partitions, row.lake_rows, row.loaded, row.rows)
        flags = (row.pending, row.stale, row.loading)
        when = row.last_load.strftime("%Y-%m-%d %H:%M:%S") if row.last_load else ""
        table.add_row(row.table, *(f"{n:,}" for n in (*numbers, *flags)), when)
    return list(tables.values())


def _status_table(warehouse: str) -> Table:
    table = Table(title=f"warehouse {warehouse}")
    table.add_column("table")
    for heading in ("lake parts", "lake rows", "loaded", "rows", "pending", "stale", "loading"):
        table.add_column(heading, justify="right")
    table.add_column("last load (UTC)")
    return table
