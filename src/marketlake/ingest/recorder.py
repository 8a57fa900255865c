"""Record partition outcomes in the manifest, in batches, and retire superseded daily files.

A done record is saved only after its Parquet file was renamed into place (the worker returns
after ``os.replace``) and fsynced with the rest of its batch. Records are buffered and saved
in one transaction per batch; a monthly record and the superseded daily records it replaces
are saved in the same batch, and the daily files are deleted only after that batch
committed. A crash before the commit leaves files the manifest does not count; the next run
redoes those partitions and overwrites them in place.

A batch is flushed (fsync, transaction, deletions) on a thread, one batch at a time, so the
event loop goes on downloading and feeding the workers while the disk catches up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from pathlib import Path

from marketlake.manifest.abc import ManifestStore
from marketlake.manifest.models import PartitionRecord

logger = logging.getLogger(__name__)


class Recorder:
    """Buffers records and saves them every ``max_batch`` records or ``max_delay`` seconds.

    Call :meth:`add` from the event loop; :meth:`close` saves what is left. A flush that
    failed raises from the next :meth:`add` (or from :meth:`close`).
    """

    def __init__(
        self, store: ManifestStore, lake_root: Path, *, max_batch: int = 500, max_delay: float = 0.5
    ) -> None:
        self._store = store
        self._lake_root = lake_root
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._pending: list[PartitionRecord] = []
        self._retired_files: list[str] = []
        self._last_flush = time.monotonic()
        self._flushing: asyncio.Task[None] | None = None

    def add(self, record: PartitionRecord, superseded: tuple[PartitionRecord, ...] = ()) -> None:
        """Queue ``record`` and, for a monthly partition, the daily records it supersedes."""
        self._raise_failed_flush()
        self._pending.append(record)
        for daily in superseded:
            self._pending.append(replace(daily, files=(), superseded_by=record.key.zip_key))
            self._retired_files.extend(daily.files)
        if self._flushing is None and (len(self._pending) >= self._max_batch or self._due()):
            self._flushing = asyncio.ensure_future(self._flush_in_thread())

    async def close(self) -> None:
        """Wait for the flush in progress, then save everything still queued."""
        flushing, self._flushing = self._flushing, None
        if flushing is not None:
            await flushing
        if self._pending:
            await self._flush_in_thread()

    def _due(self) -> bool:
        return time.monotonic() - self._last_flush >= self._max_delay

    def _raise_failed_flush(self) -> None:
        flushing = self._flushing
        if flushing is None or not flushing.done():
            return
        self._flushing = None
        flushing.result()  # raises what the flush raised

    async def _flush_in_thread(self) -> None:
        self._last_flush = time.monotonic()
        batch, retired = self._pending, self._retired_files
        self._pending, self._retired_files = [], []
        await asyncio.to_thread(self._save, batch, retired)

    def _save(self, batch: list[PartitionRecord], retired: list[str]) -> None:
        """Flush the batch's files to disk, save its records, then delete retired files."""
        written = [file for record in batch for file in record.files]
        if written:
            from marketlake.ingest.files import sync_files

            sync_files(self._lake_root, written)
        self._store.save(batch)
        if retired:
            from marketlake.ingest.files import remove_partition_files

            remove_partition_files(self._lake_root, retired)
            logger.info("removed %d daily files superseded by monthly files", len(retired))
