"""Hand verified zips to the decode pool: small ones in batches, large ones as streams.

Small zips are queued and sent to the workers several at a time: a batch leaves when a lane
is free (``lanes`` batches are in the pool at once), carrying its share of what has queued
(see :func:`batch_files`) up to ``batch_bytes`` bytes, so a busy pool gets full batches, an
idle one gets each zip at once, and the last batches of a run are small enough that no worker
waits long for another to finish. Large zips are decoded while they download: each download
attempt streams into a :class:`~marketlake.ingest.handoff.ZipStream` read by a worker running a
:class:`~marketlake.ingest.worker.StreamJob`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from marketlake.catalog import ArchiveKey
from marketlake.ingest.handoff import HandoffServer, ZipStream
from marketlake.ingest.pool import DecodePool
from marketlake.ingest.worker import (
    DecodeJob,
    DecodeOutcome,
    StreamJob,
    run_decode_batch,
    run_stream_job,
)
from marketlake.source import VerifiedFile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchLimits:
    """How small zips are batched: ``lanes`` batches in the pool at once, each of at most
    ``files`` zips and ``bytes`` bytes (a larger zip goes alone)."""

    lanes: int
    files: int
    bytes: int


_Waiting = tuple[DecodeJob, "asyncio.Future[DecodeOutcome]"]


def batch_files(queued: int, limits: BatchLimits) -> int:
    """How many of ``queued`` zips the next batch takes: an even share per lane, at most
    ``limits.files``, at least one.

    While downloads run ahead of the workers the queue is long and batches are full; as it
    drains at the end of a run they shrink, so the workers finish together (with full batches
    one worker went on alone for up to a whole batch, 0.1-0.2 s of small files).
    """
    share = -(-queued // max(1, limits.lanes))
    return max(1, min(limits.files, share))


class Dispatcher:
    """Sends decode work to a :class:`DecodePool` for one run's lake."""

    def __init__(
        self, pool: DecodePool, handoff: HandoffServer, lake_root: Path, limits: BatchLimits
    ) -> None:
        self._pool = pool
        self._handoff = handoff
        self._lake_root = str(lake_root)
        self._limits = limits
        self._queue: deque[_Waiting] = deque()
        self._busy_lanes = 0

    async def decode(self, verified: VerifiedFile) -> DecodeOutcome:
        """Decode a verified zip held in memory (batched with others)."""
        job = DecodeJob(verified.key, self._lake_root, verified.sha256, verified.data)
        waiter: asyncio.Future[DecodeOutcome] = asyncio.get_running_loop().create_future()
        self._queue.append((job, waiter))
        self._send_batches()
        return await waiter

    def stream_opener(self, key: ArchiveKey) -> Callable[[str], DecodingStream]:
        """The body-sink factory for ``ArchiveClient.stream_verified`` of ``key``."""
        return functools.partial(self._open_stream, key)

    def _open_stream(self, key: ArchiveKey, expected_sha256: str) -> DecodingStream:
        stream = self._handoff.open()
        job = StreamJob(key, self._lake_root, expected_sha256, self._handoff.address, stream.token)
        decoding = asyncio.ensure_future(self._pool.run(run_stream_job, job))
        decoding.add_done_callback(lambda _: self._handoff.forget(stream))
        return DecodingStream(stream, decoding)

    def _send_batches(self) -> None:
        while self._queue and self._busy_lanes < self._limits.lanes:
            batch = self._take_batch()
            self._busy_lanes += 1
            jobs = [job for job, _ in batch]
            decoding = asyncio.ensure_future(self._pool.run(run_decode_batch, jobs))
            decoding.add_done_callback(functools.partial(self._batch_done, batch))

    def _take_batch(self) -> list[_Waiting]:
        files = batch_files(len(self._queue), self._limits)
        batch = [self._queue.popleft()]
        size = len(batch[0][0].data)
        while self._queue and len(batch) < files:
            size += len(self._queue[0][0].data)
            if size > self._limits.bytes:
                break
            batch.append(self._queue.popleft())
        return batch

    def _batch_done(
        self, batch: list[_Waiting], decoding: asyncio.Future[list[DecodeOutcome]]
    ) -> None:
        self._busy_lanes -= 1
        for index, (_, waiter) in enumerate(batch):
            if waiter.done():  # its partition was cancelled
                continue
            if decoding.cancelled():
                waiter.cancel()
            elif (error := decoding.exception()) is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(decoding.result()[index])
        self._send_batches()


class DecodingStream:
    """A download streaming into a worker: the body sink, and the worker's outcome."""

    def __init__(self, stream: ZipStream, decoding: asyncio.Future[DecodeOutcome]) -> None:
        self._stream = stream
        self._decoding = decoding
        decoding.add_done_callback(_retrieve)

    def write(self, chunk: bytes) -> None:
        """The next bytes of the zip."""
        self._stream.write(chunk)

    def close(self, *, verified: bool) -> None:
        """The download ended: the worker keeps its file only when ``verified``."""
        self._stream.close(verified=verified)

    async def outcome(self) -> DecodeOutcome:
        """What the worker made of the stream (once the download was verified)."""
        return await self._decoding


def _retrieve(decoding: asyncio.Future[DecodeOutcome]) -> None:
    """Mark the outcome of a stream nobody waits for (an abandoned attempt) as seen."""
    if not decoding.cancelled() and decoding.exception() is not None:
        logger.debug("decoding an abandoned stream failed: %r", decoding.exception())
