"""Decode workers: long-lived processes that turn verified zip bytes into lake files.

Workers write without fsync; the recorder fsyncs a batch's files once, before the manifest
transaction that records them as done (durability per batch, not per file).

Importing pyarrow costs more than decoding a small file, so workers are started once per run
and kept. Zip bytes reach a worker through shared memory (one copy, no pickling of large
buffers); where shared memory is unavailable (a small /dev/shm) they are sent pickled.
A worker never raises across the process boundary: it returns a :class:`DecodeOutcome`.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from marketlake.catalog import ArchiveKey
from marketlake.errors import MarketlakeError

if TYPE_CHECKING:
    from marketlake.ingest.write import WrittenPartition

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecodeJob:
    """One verified zip to decode: in shared memory (``shm_name``) or inline (``data``)."""

    key: ArchiveKey
    lake_root: str
    sha256: str
    size: int
    shm_name: str | None = None
    data: bytes | None = None


@dataclass(frozen=True)
class DecodeOutcome:
    """What a worker made of a job: the written partition, or the reason it failed."""

    written: WrittenPartition | None
    error: str | None = None
    error_type: str | None = None


def _decode(job: DecodeJob, data: bytes | memoryview) -> DecodeOutcome:
    from marketlake.ingest.write import decode_to_lake

    try:
        written = decode_to_lake(
            data, job.key, Path(job.lake_root), sha256=job.sha256, durable=False
        )
    except MarketlakeError as exc:
        return DecodeOutcome(None, exc.message, type(exc).__name__)
    except Exception as exc:  # a bug or an untranslated library error: fail the partition loudly
        logger.exception("unexpected error decoding %s", job.key)
        return DecodeOutcome(None, f"internal error: {type(exc).__name__}: {exc}", "InternalError")
    return DecodeOutcome(written)


def run_decode_job(job: DecodeJob) -> DecodeOutcome:
    """Decode one job (runs inside a worker process)."""
    if job.data is not None:
        return _decode(job, job.data)
    assert job.shm_name is not None
    shm = _attach(job.shm_name)
    buffer = shm.buf
    assert buffer is not None
    view = buffer[: job.size]
    try:
        return _decode(job, view)
    finally:
        view.release()
        shm.close()


def _attach(name: str) -> SharedMemory:
    """Attach to the parent's segment; the parent alone unlinks it.

    Workers share the parent's resource tracker (forkserver), so an attach registers nothing
    new there; on Python 3.13+ tracking is switched off explicitly.
    """
    if sys.version_info >= (3, 13):
        return SharedMemory(name=name, track=False)  # type: ignore[call-arg,unused-ignore]
    return SharedMemory(name=name)


def _warm_up() -> None:
    import marketlake.ingest.write  # noqa: F401  (pyarrow and the decoder, once per worker)


def _ready() -> None:
    """A no-op job: one per worker starts the workers before the first zip arrives."""


class DecodePool:
    """A pool of decode processes, started once and reused for every partition of a run."""

    def __init__(self, workers: int) -> None:
        context = multiprocessing.get_context("forkserver")
        self._executor: Executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_warm_up
        )
        for _ in range(workers):
            self._executor.submit(_ready)

    @property
    def executor(self) -> Executor:
        """The executor jobs are submitted to."""
        return self._executor

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


SHARED_MEMORY_MIN_BYTES = 4 * 1024 * 1024
"""Zips smaller than this travel pickled: a shared-memory segment costs more than the copy."""


class SharedBytes:
    """Zip bytes handed to a worker: in shared memory when large, inline when small.

    Shared memory is unlinked by :meth:`release` once the job is over.
    """

    def __init__(self, data: bytes) -> None:
        self.size = len(data)
        self._shm: SharedMemory | None = None
        self._inline: bytes | None = data
        if self.size < SHARED_MEMORY_MIN_BYTES:
            return
        try:
            self._shm = SharedMemory(create=True, size=self.size)
        except OSError as exc:
            logger.debug("shared memory unavailable (%s); sending bytes inline", exc)
            return
        buffer = self._shm.buf
        assert buffer is not None
        buffer[: self.size] = data
        self._inline = None

    def job(self, key: ArchiveKey, lake_root: Path, sha256: str) -> DecodeJob:
        """The decode job for these bytes."""
        name = self._shm.name if self._shm is not None else None
        return DecodeJob(key, str(lake_root), sha256, self.size, name, self._inline)

    def release(self) -> None:
        """Free the shared memory."""
        if self._shm is not None:
            self._shm.close()
            self._shm.unlink()
            self._shm = None
        self._inline = None
