"""``marketlake flight ...``: quick queries against a running ``marketlake serve``."""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from marketlake.cli.db import fail
from marketlake.cli.serve import TOKEN_ENV
from marketlake.errors import MarketlakeError

if TYPE_CHECKING:
    import polars as pl

    from marketlake.serve.client import FlightClient

_T = TypeVar("_T")

app = typer.Typer(help="Query a running `marketlake serve` Flight server.", no_args_is_help=True)


class OutputFormat(StrEnum):
    """How query results are written."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


@dataclass(frozen=True)
class _Connection:
    host: str
    port: int
    token: str | None
    tls: bool
    tls_root_certs: Path | None

    def client(self) -> FlightClient:
        from marketlake.serve.client import FlightClient

        return FlightClient(
            self.host, self.port, self.token, self.tls, tls_root_certs=self.tls_root_certs
        )


@app.callback()
def _connection(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Server address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Server port.")] = 8815,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar=TOKEN_ENV, help="Bearer token.", show_default=False),
    ] = None,
    tls: Annotated[bool, typer.Option("--tls", help="Connect over TLS.")] = False,
    tls_root_certs: Annotated[
        Path | None, typer.Option("--tls-root-certs", help="PEM roots to trust (self-signed).")
    ] = None,
) -> None:
    ctx.meta["flight"] = _Connection(
        host, port, token, tls or tls_root_certs is not None, tls_root_certs
    )


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table, csv, json (lines) or parquet.")
]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")]
BeginOption = Annotated[
    str | None, typer.Option("--begin", help="ISO date/time [default: end - 90 days].")
]
EndOption = Annotated[str | None, typer.Option("--end", help="ISO date/time [default: now].")]
OffsetOption = Annotated[str, typer.Option("--offset", help="Bar offset: minutes or e.g. 30m.")]
CompleteOption = Annotated[
    bool, typer.Option("--complete-only", help="Only bars whose source bars are all present.")
]
DatasetOption = Annotated[
    str, typer.Option("--dataset", help="Kline dataset: klines, markPriceKlines, ...")
]


@app.command("list")
def list_data(
    ctx: typer.Context, output: FormatOption = OutputFormat.TABLE, out: OutOption = None
) -> None:
    """What the server holds: one row per market x dataset (x interval)."""
    _emit(_run(ctx, lambda client: client.list_available_data()), output, out)


@app.command()
def ping(ctx: typer.Context) -> None:
    """Check the server answers; prints its version and clock."""
    pong = _run(ctx, lambda client: client.ping())
    typer.echo(f"ok: marketlake {pong.version}, server time {pong.time.isoformat()}")


@app.command()
def ready(
    ctx: typer.Context, market: Annotated[str, typer.Argument(help="spot, um, cm, option.")]
) -> None:
    """Per dataset of MARKET: rows present and how fresh the last row is (exit 1 if none)."""
    state = _run(ctx, lambda client: client.ready(market))
    for item in state.datasets:
        typer.echo(
            f"{item.name}\trows={item.rows}\tlast={item.last.isoformat()}\tlag_s={item.lag_seconds:.0f}"
        )
    typer.echo(f"{state.market.value}: {'ready' if state.ready else 'no data'}")
    if not state.ready:
        raise typer.Exit(1)


@app.command()
def actions(ctx: typer.Context) -> None:
    """The actions the server offers."""
    for action in _run(ctx, lambda client: client.list_actions()):
        typer.echo(f"{action.name}\t{action.description}")


@app.command()
def schema(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="e.g. um/klines/1m or um/exginfo.")],
) -> None:
    """The Arrow schema of a flight."""
    typer.echo(str(_run(ctx, lambda client: client.get_schema(name))))


@dataclass(frozen=True, kw_only=True)
class _BarFlags:
    """The flags the bar commands (``symbol``, ``market``) share, in their ``--help`` order."""

    offset: OffsetOption = "0"
    begin: BeginOption = None
    end: EndOption = None
    complete_only: CompleteOption = False
    dataset: DatasetOption = "klines"
    output: FormatOption = OutputFormat.TABLE
    out: OutOption = None


def _with_bar_flags(command: Callable[..., None]) -> Callable[..., None]:
    """``command(..., *, flags: _BarFlags)`` as a typer command with the bar flags as options.

    Typer reads a command's options from its signature: the wrapper's signature is the
    command's own parameters followed by the fields of :class:`_BarFlags`.
    """
    own = inspect.signature(command, eval_str=True)
    names = [field.name for field in fields(_BarFlags)]

    @functools.wraps(command)
    def run(**given: Any) -> None:
        flags = _BarFlags(**{name: given.pop(name) for name in names})
        command(**given, flags=flags)

    shared = inspect.signature(_BarFlags, eval_str=True).parameters.values()
    parameters = [p for p in own.parameters.values() if p.name != "flags"]
    run.__signature__ = own.replace(parameters=[*parameters, *shared])  # type: ignore[attr-defined]
    return run


@app.command()
@_with_bar_flags
def symbol(
    ctx: typer.Context,
    market: Annotated[str, typer.Argument(help="spot, um, cm.")],
    symbols: Annotated[str, typer.Argument(help="One symbol or several: BTCUSDT,ETHUSDT.")],
    interval: Annotated[str, typer.Argument(help="Minutes (1..60) or e.g. 4h, 1d.")],
    *,
    flags: _BarFlags,
) -> None:
    """Bars of one or more symbols."""
    names = [s.strip() for s in symbols.split(",") if s.strip()]
    frame = _run(
        ctx,
        lambda client: client.get_symbol(
            market, names, _number(interval), _number(flags.offset), flags.begin, flags.end,
            dataset=flags.dataset, complete_only=flags.complete_only,
        ),
    )  # fmt: skip
    _emit(frame, flags.output, flags.out)


@app.command()
@_with_bar_flags
def market(
    ctx: typer.Context,
    market: Annotated[str, typer.Argument(help="spot, um, cm.")],
    interval: Annotated[str, typer.Argument(help="Minutes (1..60) or e.g. 4h, 1d.")],
    *,
    flags: _BarFlags,
) -> None:
    """Bars of every symbol of a market."""
    frame = _run(
        ctx,
        lambda client: client.get_market(
            market, _number(interval), _number(flags.offset), flags.begin, flags.end,
            dataset=flags.dataset, complete_only=flags.complete_only,
        ),
    )  # fmt: skip
    _emit(frame, flags.output, flags.out)


@app.command()
def bars(
    ctx: typer.Context,
    market: Annotated[str, typer.Argument(help="spot, um, cm.")],
    symbols: Annotated[str, typer.Argument(help="One symbol or several: BTCUSDT,ETHUSDT.")],
    *,
    interval: Annotated[
        str | None, typer.Option("--interval", help="Time bars: minutes or e.g. 4h.")
    ] = None,
    volume: Annotated[
        str | None, typer.Option("--volume", help="Volume bars: base volume per bar, e.g. 250.5.")
    ] = None,
    ticks: Annotated[int | None, typer.Option("--ticks", help="Tick bars: trades per bar.")] = None,
    source: Annotated[str, typer.Option("--source", help="trades or aggTrades.")] = "aggTrades",
    offset: OffsetOption = "0",
    begin: BeginOption = None,
    end: EndOption = None,
    output: FormatOption = OutputFormat.TABLE,
    out: OutOption = None,
) -> None:
    """Bars built from trades: give one of --interval, --volume or --ticks."""
    names = [s.strip() for s in symbols.split(",") if s.strip()]
    frame = _run(
        ctx,
        lambda client: client.get_bars(
            market, names, source=source,
            interval=_number(interval) if interval is not None else None,
            volume=volume, ticks=ticks, offset=_number(offset), begin=begin, end=end,
        ),
    )  # fmt: skip
    _emit(frame, output, out)


@app.command()
def exginfo(
    ctx: typer.Context,
    market: Annotated[str, typer.Argument(help="spot, um, cm, option.")],
    output: FormatOption = OutputFormat.TABLE,
    out: OutOption = None,
) -> None:
    """The symbols table of a market."""
    _emit(_run(ctx, lambda client: client.get_exginfo(market)), output, out)


@app.command()
def get(
    ctx: typer.Context,
    ticket: Annotated[
        str, typer.Argument(help='A JSON ticket, e.g. \'{"v":1,"kind":"trades",...}\'.')
    ],
    output: FormatOption = OutputFormat.TABLE,
    out: OutOption = None,
) -> None:
    """Redeem any JSON ticket (any dataset; see docs/flight.md)."""
    try:
        body = json.loads(ticket)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="TICKET") from None
    if not isinstance(body, dict):
        raise typer.BadParameter("a ticket is a JSON object", param_hint="TICKET")
    _emit(_run(ctx, lambda client: client.read(body)), output, out)


def _run(ctx: typer.Context, call: Callable[[FlightClient], _T]) -> _T:
    connection: _Connection = ctx.meta["flight"]
    try:
        with connection.client() as client:
            return call(client)
    except MarketlakeError as exc:
        fail(exc)


def _number(text: str) -> int | str:
    """Minutes as an int when the text is a bare number (the ticket's int form)."""
    return int(text) if text.strip().isdigit() else text.strip()


def _emit(frame: pl.DataFrame, output: OutputFormat, out: Path | None) -> None:
    import polars as pl

    if output is OutputFormat.PARQUET:
        if out is None:
            raise typer.BadParameter("--format parquet needs --out FILE", param_hint="--out")
        frame.write_parquet(out)
        typer.echo(f"wrote {frame.height} rows to {out}", err=True)
        return
    if output is OutputFormat.TABLE:
        with pl.Config(tbl_rows=40, tbl_cols=-1, tbl_width_chars=200):
            text = str(frame)
    else:
        text = frame.write_csv() if output is OutputFormat.CSV else frame.write_ndjson()
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.write_text(text)
        typer.echo(f"wrote {frame.height} rows to {out}", err=True)
