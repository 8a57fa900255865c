"""The worker's end of the hand-off (:mod:`marketlake.ingest.handoff` describes the frames).

Kept apart from the parent's end so that a worker, which imports this module in the fork
server, does not import asyncio.
"""

from __future__ import annotations

import io
import socket
import struct
from collections.abc import Iterator
from typing import Self

from marketlake.errors import UnverifiedStreamError

LENGTH = struct.Struct(">Q")
"""A frame's length prefix: 8 bytes, big-endian; 0 starts the end frame."""
VERIFIED, UNVERIFIED = b"\x01", b"\x00"
"""The end frame's verdict byte."""
_RECEIVE_BUFFER = 1 << 20


class ZipReceiver:
    """The worker's end: the zip's bytes as they arrive, then the parent's verdict."""

    def __init__(self, sock: socket.socket) -> None:
        self._socket = sock
        self._file = io.BufferedReader(socket.SocketIO(sock, "rb"), _RECEIVE_BUFFER)
        self._verified: bool | None = None

    @classmethod
    def connect(cls, address: str, token: str) -> ZipReceiver:
        """Connect to the parent's hand-off socket and claim the stream ``token``."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(address)
            sock.sendall(token.encode("ascii") + b"\n")
        except OSError as exc:
            sock.close()
            raise UnverifiedStreamError(f"cannot reach the download to decode: {exc}") from exc
        return cls(sock)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()
        self._socket.close()

    def chunks(self) -> Iterator[bytes]:
        """The zip's bytes, frame by frame, until the end frame (which sets the verdict)."""
        while self._verified is None:
            (length,) = LENGTH.unpack(self._read(LENGTH.size))
            if length == 0:
                self._verified = self._read(1) == VERIFIED
                return
            yield self._read(length)

    def require_verified(self) -> None:
        """Read to the end of the stream; raise unless the parent verified the download."""
        for _ in self.chunks():
            pass
        if not self._verified:
            raise UnverifiedStreamError(
                "the download was not verified (retried, or its sha256 did not match): "
                "nothing written"
            )

    def _read(self, size: int) -> bytes:
        try:
            data = self._file.read(size)
        except OSError as exc:
            raise UnverifiedStreamError(f"the download stream broke: {exc}") from exc
        if len(data) < size:
            raise UnverifiedStreamError("the download stream ended before its end frame")
        return data
