"""Zip bytes handed from a download in the parent to the worker decoding them, as they arrive.

The parent listens on a Unix socket (:class:`HandoffServer`); each large download attempt
opens a :class:`ZipStream` (the source layer's body sink) under a random token and submits a
stream job naming it. The worker connects, sends the token, and reads frames
(:class:`~marketlake.ingest.receiver.ZipReceiver`)::

    data:  8-byte big-endian length n > 0, then n bytes of the zip
    end:   8 zero bytes, then one byte: 1 = the download is complete and its sha256 equals
           the CHECKSUM, 0 = it is not (an attempt that will be retried, or a mismatch)

A connection that ends before the end frame counts as 0. The worker decodes while data
arrives but renames its file into place only after reading 1. Bytes that arrive before the
worker connects wait in the parent (the run's byte budget bounds them); once the worker has
gone (it failed, or finished), what the parent still has for it is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import socket
import tempfile
from collections import deque
from pathlib import Path
from typing import Self

from marketlake._closing import AsyncClosing
from marketlake.ingest.receiver import LENGTH, UNVERIFIED, VERIFIED

logger = logging.getLogger(__name__)

_TOKEN_BYTES = 16
_SEND_BUFFER_HIGH = 8 << 20
"""Bytes the socket transport may hold before the sender waits: large, so that a zip moves in
a few hundred socket writes rather than a pause and resume per frame."""
_SOCKET_SEND_BUFFER = 4 << 20
"""The kernel's send buffer asked for the hand-off socket (Linux caps it at ``wmem_max``).
With the default 208 KiB, a 1 MiB frame took several sends, and each wait for the worker cost
a trip through the event loop: 4 MiB cut the parent's CPU for the 68.6 MB zip from 0.175 to
0.151 s (eight interleaved pairs)."""


class ZipStream:
    """One download attempt's bytes on their way to the worker that decodes them.

    Frames wait in a queue (no copies) and a sender task moves them to the socket as fast as
    the worker reads, so the transport's own buffer stays small.
    """

    def __init__(self, token: str) -> None:
        self.token = token
        self.claimed = False
        self._queue: deque[bytes] = deque()
        self._more = asyncio.Event()
        self._ended = False
        self._sender: asyncio.Task[None] | None = None

    def write(self, chunk: bytes) -> None:
        """Forward the next bytes of the zip (queued until the worker takes them)."""
        if chunk and not self._ended:
            self._queue.extend((LENGTH.pack(len(chunk)), chunk))
            self._more.set()

    def close(self, *, verified: bool) -> None:
        """End the stream: the worker may keep its file only when ``verified``."""
        if not self._ended:
            self._queue.extend((LENGTH.pack(0), VERIFIED if verified else UNVERIFIED))
            self._ended = True
            self._more.set()

    def attach(self, writer: asyncio.StreamWriter) -> None:
        """The worker connected: send what is queued, and the rest as it comes."""
        self.claimed = True
        _enlarge_send_buffer(writer)
        self._sender = asyncio.ensure_future(self._send(writer))

    def drop(self) -> None:
        """The worker is gone or the run is over: send nothing more."""
        self._queue.clear()
        self._ended = True
        self._more.set()
        if self._sender is not None:
            self._sender.cancel()

    async def _send(self, writer: asyncio.StreamWriter) -> None:
        writer.transport.set_write_buffer_limits(high=_SEND_BUFFER_HIGH)
        try:
            while self._queue or not self._ended:
                if not self._queue:
                    self._more.clear()
                    await self._more.wait()
                    continue
                writer.write(self._queue.popleft())
                await writer.drain()
        except ConnectionError:  # the worker stopped reading (it failed, or finished early)
            logger.debug("hand-off stream %s closed by its worker", self.token[:8])
            self._queue.clear()
        finally:
            writer.close()


class HandoffServer(AsyncClosing):
    """The Unix socket decode workers connect to for the zips streamed to them (``async with``)."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._server: asyncio.AbstractServer | None = None
        self._streams: dict[str, ZipStream] = {}

    @property
    def address(self) -> str:
        """The socket's path."""
        if self._folder is None:
            raise RuntimeError("HandoffServer is not started: use `async with`")
        return str(self._folder / "handoff.sock")

    async def __aenter__(self) -> Self:
        self._folder = Path(tempfile.mkdtemp(prefix="marketlake-"))
        self._server = await asyncio.start_unix_server(self._on_connect, self.address)
        return self

    async def aclose(self) -> None:
        """End every stream still open, stop listening, remove the socket's folder."""
        for stream in self._streams.values():  # workers still reading see the stream end
            stream.drop()
        self._streams.clear()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def open(self) -> ZipStream:
        """A new stream, waiting for the worker that will present its token."""
        stream = ZipStream(secrets.token_hex(_TOKEN_BYTES))
        self._streams[stream.token] = stream
        return stream

    def forget(self, stream: ZipStream) -> None:
        """The stream's job is over: drop what the worker did not take."""
        if self._streams.pop(stream.token, None) is not None:
            stream.drop()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            writer.close()
            return
        stream = self._streams.get(line.strip().decode("ascii", errors="replace"))
        if stream is None or stream.claimed:
            logger.debug("hand-off connection with an unknown or claimed token; closed")
            writer.close()
            return
        stream.attach(writer)


def _enlarge_send_buffer(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_SEND_BUFFER)
    except OSError as exc:  # a platform without the option: the default buffer works too
        logger.debug("hand-off send buffer left as it is: %s", exc)
