"""Decode jobs: what the worker processes of a :class:`~marketlake.ingest.pool.DecodePool` run.

Workers write without fsync; the recorder fsyncs a batch's files once, before the manifest
transaction that records them as done (durability per batch, not per file).

Two kinds of job reach a worker:

* a batch of :class:`DecodeJob`: small verified zips, pickled with the job (several per call,
  so that handing a file over costs less than decoding it);
* one :class:`StreamJob`: a large zip the parent is still downloading, whose bytes the worker
  reads from the parent's hand-off socket as they arrive (:mod:`marketlake.ingest.handoff`,
  :mod:`marketlake.ingest.receiver`).
  The worker decodes while they come and renames its file into place only after the parent
  reports the download complete and its sha256 equal to the CHECKSUM.

A worker never raises across the process boundary: each job gives a :class:`DecodeOutcome`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from marketlake.catalog import ArchiveKey
from marketlake.errors import MarketlakeError
from marketlake.ingest.forkserver import PRELOAD_MODULES

if TYPE_CHECKING:
    from marketlake.ingest.written import WrittenPartition

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecodeJob:
    """One verified zip, held in memory, to decode into the lake."""

    key: ArchiveKey
    lake_root: str
    sha256: str
    data: bytes


@dataclass(frozen=True)
class StreamJob:
    """One zip to decode while it downloads: its bytes come from the hand-off at ``address``.

    ``sha256`` is the CHECKSUM's (the file's metadata names it); the parent checks the
    download against it and says so at the end of the stream.
    """

    key: ArchiveKey
    lake_root: str
    sha256: str
    address: str
    token: str


@dataclass(frozen=True)
class DecodeOutcome:
    """What a worker made of a job: the written partition, or the reason it failed."""

    written: WrittenPartition | None
    error: str | None = None
    error_type: str | None = None


def run_decode_batch(jobs: Sequence[DecodeJob]) -> list[DecodeOutcome]:
    """Decode each job of a batch (runs inside a worker process); one outcome per job."""
    from marketlake.ingest.write import decode_to_lake

    def decode(job: DecodeJob) -> WrittenPartition:
        lake = Path(job.lake_root)
        return decode_to_lake(job.data, job.key, lake, sha256=job.sha256, durable=False)

    return [_outcome(job.key, functools.partial(decode, job)) for job in jobs]


def run_stream_job(job: StreamJob) -> DecodeOutcome:
    """Decode a zip as it streams in from the parent (runs inside a worker process)."""
    from marketlake.ingest.receiver import ZipReceiver
    from marketlake.ingest.write import decode_stream_to_lake

    def decode() -> WrittenPartition:
        with ZipReceiver.connect(job.address, job.token) as receiver:
            return decode_stream_to_lake(
                receiver.chunks(),
                job.key,
                Path(job.lake_root),
                sha256=job.sha256,
                durable=False,
                before_commit=receiver.require_verified,
            )

    return _outcome(job.key, decode)


def _outcome(key: ArchiveKey, decode: Callable[[], WrittenPartition]) -> DecodeOutcome:
    try:
        written = decode()
    except MarketlakeError as exc:
        return DecodeOutcome(None, exc.message, type(exc).__name__)
    except Exception as exc:  # a bug or an untranslated library error: fail the partition loudly
        logger.exception("unexpected error decoding %s", key)
        return DecodeOutcome(None, f"internal error: {type(exc).__name__}: {exc}", "InternalError")
    return DecodeOutcome(written)


def warm_up() -> None:
    """Import what decoding needs (a no-op where the fork server preloaded it)."""
    import importlib

    for name in PRELOAD_MODULES:
        importlib.import_module(name)


def ready() -> None:
    """A no-op job: one per worker starts the workers before the first zip arrives."""
