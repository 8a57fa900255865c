"""Start and stop a Flight server over a lake: :func:`start_server` returns a running handle.

::

    with start_server(ServeConfig(lake=Path("marketlake-data"), port=0)) as running:
        print(running.uri)      # grpc+tcp://127.0.0.1:41234
        ...                     # serve until the block ends
"""

from __future__ import annotations

import logging

from marketlake._closing import Closing
from marketlake.errors import ConfigError
from marketlake.serve.config import ServeConfig
from marketlake.serve.server import LakeFlightServer
from marketlake.serve.source import LakeSource

logger = logging.getLogger(__name__)


class RunningServer(Closing):
    """A Flight server that is accepting calls, and the lake it reads."""

    def __init__(self, config: ServeConfig, server: LakeFlightServer, source: LakeSource) -> None:
        self.config = config
        self.server = server
        self.source = source

    @property
    def port(self) -> int:
        """The port the server listens on (the one picked when the config said 0)."""
        port: int = self.server.port
        return port

    @property
    def uri(self) -> str:
        """The URI clients connect to, e.g. ``grpc+tcp://127.0.0.1:8815``."""
        return self.config.location.rsplit(":", 1)[0] + f":{self.port}"

    def close(self) -> None:
        """Stop accepting calls, end the running ones, close the lake."""
        try:
            self.server.shutdown()
        finally:
            self.source.close()
        logger.info("stopped serving %s", self.uri)


def start_server(config: ServeConfig) -> RunningServer:
    """Open the lake and start serving it; the server runs on gRPC's own threads."""
    source = LakeSource.from_config(config)
    try:
        server = LakeFlightServer(config, source)
    except Exception as exc:
        source.close()
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"cannot serve on {config.location}: {exc}") from exc
    return RunningServer(config, server, source)
