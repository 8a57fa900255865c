"""``marketlake plot ...``: look at the lake. Candlesticks with volume, and a gap heatmap.

The file's suffix picks the format: ``.html`` (a self-contained page, inline SVG, no
JavaScript), ``.svg``, or ``.png`` (matplotlib, the ``plot`` extra).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from marketlake.cli._options import LakeOption, ManifestOption, SourceOption
from marketlake.cli._output import NowOption, fail, open_lake
from marketlake.errors import ConfigError, LakeError, MarketlakeError

app = typer.Typer(
    help="Charts of the lake: candlesticks with volume, and a gap heatmap.", no_args_is_help=True
)

_DATE = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]
SUFFIXES = (".html", ".svg", ".png")
MarketOption = Annotated[
    str, typer.Option("--market", envvar="MARKETLAKE_MARKET", help="spot, um, cm or option.")
]
OutFile = Annotated[Path, typer.Option("--out", "-o", help="chart.html, chart.svg or chart.png.")]
StartOption = Annotated[datetime | None, typer.Option("--start", formats=_DATE)]
EndOption = Annotated[datetime | None, typer.Option("--end", formats=_DATE)]


@app.command("candles")
def candles(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Option("--symbol", help="One symbol, e.g. BTCUSDT.")],
    out: OutFile,
    market: MarketOption = "um",
    interval: Annotated[str, typer.Option("--interval", help="Any bar length.")] = "1h",
    start: StartOption = None,
    end: EndOption = None,
    lake: LakeOption = None,
    manifest: ManifestOption = None,
) -> None:
    """A candlestick chart of a symbol's bars in [--start, --end), volume below."""
    from marketlake.cli import _charts

    try:
        _check_suffix(out)
        with open_lake(ctx.obj, lake=lake, manifest=manifest) as opened:
            frame = opened.klines(symbol, market=market, interval=interval, start=start, end=end)
        bars = _charts.candles_of(frame)
        if not bars:
            raise LakeError(f"no {interval} bars of {market} {symbol} in the lake for that range")
        title = f"{market} {symbol} {interval}"
        if out.suffix == ".png":
            from marketlake.cli._png import candles_png

            candles_png(bars, title, out)
        else:
            from marketlake.cli._svg import candles_svg

            _write_svg(out, title, candles_svg(bars), f"{len(bars)} bars, UTC")
    except MarketlakeError as exc:
        fail(exc)
    Console(stderr=True, soft_wrap=True).print(f"wrote {len(bars)} bars to {out}")


@app.command("gaps")
def gaps(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option("--dataset", help="klines, trades, ...")],
    symbols: Annotated[str, typer.Option("--symbols", "--symbol", help="A,B,...")],
    out: OutFile,
    market: MarketOption = "um",
    interval: Annotated[str | None, typer.Option("--interval")] = None,
    start: StartOption = None,
    end: EndOption = None,
    now: NowOption = None,
    offline: Annotated[bool, typer.Option("--offline", help="Do not ask the archive.")] = False,
    lake: LakeOption = None,
    manifest: ManifestOption = None,
    source: SourceOption = None,
) -> None:
    """A heatmap of each symbol's days, coloured by why rows are missing (or green)."""
    from marketlake.cli import _charts

    names = [s.strip() for s in symbols.split(",") if s.strip()]
    days = {"start": _day(start), "end": _day(end), "now": _day(now)}
    try:
        _check_suffix(out)
        with open_lake(ctx.obj, lake=lake, manifest=manifest, source=source) as opened:
            reports = [
                opened.gap_report(market, dataset, name, interval, **days, online=not offline)
                for name in names
            ]
        cells = _charts.heat_cells(reports)
        if not cells:
            raise ConfigError("no day to draw: check --symbols, --start and --end")
        title = f"{market} {dataset}{' ' + interval if interval else ''} gaps"
        if out.suffix == ".png":
            from marketlake.cli._png import heatmap_png

            heatmap_png(cells, title, out)
        else:
            from marketlake.cli._svg import heatmap_svg

            caption = f"{len(names)} symbols x {len(_charts.days_of(cells))} days, UTC"
            _write_svg(out, title, heatmap_svg(cells), caption)
    except MarketlakeError as exc:
        fail(exc)
    Console(stderr=True, soft_wrap=True).print(f"wrote {len(cells)} cells to {out}")


def _check_suffix(out: Path) -> None:
    if out.suffix.lower() not in SUFFIXES:
        raise ConfigError(f"--out {out}: the name must end in {', '.join(SUFFIXES)}")


def _write_svg(out: Path, title: str, svg: str, caption: str) -> None:
    from marketlake.cli._svg import page

    text = svg if out.suffix.lower() == ".svg" else page(title, svg, caption)
    out.write_text(text, encoding="utf-8")


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None
