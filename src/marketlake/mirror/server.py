"""The stand-in for data.binance.vision over real HTTP: start it, serve, stop it.

    with run_mirror(seed=7, overlay="samples/archive") as mirror:
        httpx.get(f"{mirror.base_url}/data/spot/daily/klines/BTCUSDT/1d/...zip")

:class:`MirrorServer` runs a threading HTTP/1.1 server (see :mod:`.handler` for what it
answers) in a background daemon thread; :func:`run_mirror` builds the content (generated
universe, optionally with an overlay of real files on top) and serves it for a ``with``
block. ``marketlake mirror serve`` runs the same server in its own process.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from types import TracebackType

from marketlake.errors import MirrorError
from marketlake.mirror.content import ArchiveContent
from marketlake.mirror.exchange_info import exchange_info_of
from marketlake.mirror.faults import FaultInjector, FaultSpec, FaultStats
from marketlake.mirror.handler import MirrorHttpServer, ServeContext
from marketlake.mirror.layered import LayeredContent
from marketlake.mirror.overlay import OverlayContent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MirrorStats:
    """Requests the server has answered and the faults it injected."""

    requests: int
    faults: FaultStats


class MirrorServer:
    """The stand-in listening on ``host:port`` (port 0: a free one), served from a thread."""

    def __init__(
        self,
        content: ArchiveContent,
        *,
        faults: FaultSpec | str | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        spec = FaultSpec.parse(faults) if isinstance(faults, str) else faults
        self._context = ServeContext(
            content=content,
            faults=FaultInjector(spec, seed),
            exchange_info=exchange_info_of(content),
        )
        try:
            self._httpd = MirrorHttpServer((host, port), self._context)
        except OSError as exc:
            raise MirrorError(f"cannot listen on {host}:{port}: {exc}: pick another port") from exc
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        """The port the server listens on (the free one chosen when asked for 0)."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://host:port``, with no trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def content(self) -> ArchiveContent:
        """What the server serves."""
        return self._context.content

    def stats(self) -> MirrorStats:
        """A snapshot of the request and fault counters."""
        return MirrorStats(self._httpd.request_count, self._context.faults.stats())

    def start(self) -> MirrorServer:
        """Start serving in a background daemon thread; returns self."""
        if self._thread is not None:
            raise MirrorError("the mirror is already running")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"marketlake-mirror-{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info("mirror serving at %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop accepting, close open connections and release the port."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.close_connections()
        self._httpd.server_close()
        logger.info("mirror at %s stopped", self.base_url)

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def build_content(
    content: ArchiveContent | None = None,
    *,
    seed: int = 0,
    now: date | None = None,
    big: bool = True,
    overlay: str | os.PathLike[str] | None = None,
) -> ArchiveContent:
    """``content`` (default: the generated universe) with ``overlay``'s real files on top."""
    base = content if content is not None else generated_archive(seed=seed, now=now, big=big)
    if overlay is None:
        return base
    return LayeredContent(OverlayContent(overlay), base)


def generated_archive(
    *, seed: int = 0, now: date | None = None, big: bool = True
) -> ArchiveContent:
    """The generated universe for ``seed`` as of ``now`` (imported only when asked for)."""
    from marketlake.mirror.generate import GeneratedArchive

    return GeneratedArchive(seed=seed, now=now, big=big)


@contextmanager
def run_mirror(
    content: ArchiveContent | None = None,
    *,
    seed: int = 0,
    now: date | None = None,
    big: bool = True,
    overlay: str | os.PathLike[str] | None = None,
    faults: FaultSpec | str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[MirrorServer]:
    """Serve ``content`` (default: generated from ``seed`` and ``now``) for a ``with`` block.

    ``big`` generates the busy trades day (``BIG_TRADES_KEY``) at full size; ``overlay`` is a
    directory of real files laid out by key, served on top; ``faults`` a :class:`FaultSpec`
    or its text; ``seed`` also seeds the faults.
    """
    served = build_content(content, seed=seed, now=now, big=big, overlay=overlay)
    with MirrorServer(served, faults=faults, seed=seed, host=host, port=port) as mirror:
        yield mirror
