"""``marketlake serve``: the lake over Arrow Flight until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from marketlake.cli._options import LakeOption, ManifestOption, SourceOption, settings_from
from marketlake.cli._signals import wait_for_stop_signal
from marketlake.cli.db import fail
from marketlake.errors import MarketlakeError

TOKEN_ENV = "MARKETLAKE_FLIGHT_TOKEN"


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; 0.0.0.0 exposes it to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port; 0 picks a free one.")] = 8815,
    lake: LakeOption = None,
    manifest: ManifestOption = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar=TOKEN_ENV,
            help=f"Require this bearer token on every call (better: set ${TOKEN_ENV}).",
            show_default=False,
        ),
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM certificate: serve over TLS.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key.")] = None,
    source: SourceOption = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Answer exginfo from the lake alone (no exchange or listing calls)."
        ),
    ] = False,
    cache_mb: Annotated[
        int,
        typer.Option(
            "--cache-mb",
            min=0,
            help="MiB of decoded lake files kept in memory for hot data; 0 turns it off.",
        ),
    ] = 2048,
    access_log: Annotated[
        bool,
        typer.Option("--access-log/--no-access-log", help="Log one line per request (INFO)."),
    ] = True,
) -> None:
    """Serve the lake over Arrow Flight; the first stdout line is the server's URI."""
    from marketlake.serve import ServeConfig, start_server

    if access_log:
        logging.getLogger("marketlake.serve.server").setLevel(logging.INFO)
    try:
        settings = settings_from(ctx.obj, lake=lake, manifest=manifest, source=source)
        config = ServeConfig(
            settings=settings,
            host=host,
            port=port,
            token=token,
            tls_cert=tls_cert,
            tls_key=tls_key,
            online=not offline,
            cache_mb=cache_mb,
        )
        server = start_server(config)
    except MarketlakeError as exc:
        fail(exc)
    try:
        typer.echo(server.uri)
        wait_for_stop_signal()
    finally:
        server.close()
