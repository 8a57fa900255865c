"""``marketlake mirror ...``: the local stand-in for data.binance.vision."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from marketlake.cli._signals import wait_for_stop_signal
from marketlake.errors import MarketlakeError

if TYPE_CHECKING:  # the stand-in is imported by its commands only: other commands start faster
    from marketlake.mirror import ArchiveContent

app = typer.Typer(help="The local stand-in for the Binance archive.", no_args_is_help=True)

SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the generated universe.")]
NowOption = Annotated[
    str | None, typer.Option("--now", help="The stand-in's today, YYYY-MM-DD [default: today].")
]
OverlayOption = Annotated[
    Path | None,
    typer.Option("--overlay", help="Directory of real files laid out by key, served on top."),
]
OverlayOnlyOption = Annotated[
    bool, typer.Option("--overlay-only", help="Serve only the overlay, no generated files.")
]
BigOption = Annotated[
    bool, typer.Option("--big/--no-big", help="Generate the busy trades day at full size.")
]


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port; 0 picks a free one.")] = 0,
    seed: SeedOption = 0,
    now: NowOption = None,
    overlay: OverlayOption = None,
    overlay_only: OverlayOnlyOption = False,
    big: BigOption = True,
    faults: Annotated[
        str | None,
        typer.Option("--faults", help="Fault spec, e.g. '5xx=0.05,reset=0.02,429=0.01:1'."),
    ] = None,
) -> None:
    """Serve the stand-in over HTTP until SIGINT/SIGTERM; the first stdout line is its URL."""
    from marketlake.mirror import MirrorServer

    try:
        content = _content(seed, now, overlay, overlay_only=overlay_only, big=big)
        server = MirrorServer(content, faults=faults, seed=seed, host=host, port=port)
    except MarketlakeError as exc:
        _fail(exc)
    with server:
        typer.echo(server.base_url)
        wait_for_stop_signal()


@app.command("ls")
def list_keys(
    prefix: Annotated[str, typer.Argument(help="Key prefix, e.g. data/spot/daily/klines/.")] = "",
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Every key below, not just one level.")
    ] = False,
    seed: SeedOption = 0,
    now: NowOption = None,
    overlay: OverlayOption = None,
    overlay_only: OverlayOnlyOption = False,
    big: BigOption = True,
) -> None:
    """List what the stand-in serves under PREFIX (folders, then files with size and date)."""
    from marketlake.mirror.listing import iter_entries

    try:
        content = _content(seed, now, overlay, overlay_only=overlay_only, big=big)
        for name, is_folder in iter_entries(content, prefix, "" if recursive else "/", ""):
            typer.echo(_ls_line(content, name, is_folder=is_folder))
    except MarketlakeError as exc:
        _fail(exc)


def _ls_line(content: ArchiveContent, name: str, *, is_folder: bool) -> str:
    from marketlake.mirror.listing import iso_timestamp

    info = None if is_folder else content.stat(name)
    if info is None:
        return f"{'PRE':>35} {name}"
    return f"{iso_timestamp(info.last_modified)} {info.size:>10} {name}"


def _content(
    seed: int, now: str | None, overlay: Path | None, *, overlay_only: bool, big: bool
) -> ArchiveContent:
    from marketlake.mirror import OverlayContent, build_content

    if overlay_only:
        if overlay is None:
            raise typer.BadParameter("--overlay-only needs --overlay DIR")
        return OverlayContent(overlay)
    return build_content(seed=seed, now=_day(now), big=big, overlay=overlay)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a YYYY-MM-DD date", param_hint="--now") from None


def _fail(exc: MarketlakeError) -> NoReturn:
    typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(code=1) from exc
