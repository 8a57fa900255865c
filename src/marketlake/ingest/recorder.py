"""Record partition outcomes in the manifest, in batches, and retire superseded daily files.

A done record is saved only after its Parquet file was renamed into place (the worker returns
after ``os.replace``) and fsynced with the rest of its batch. Records are buffered and saved
in one transaction per batch; a monthly
record and the superseded daily records it replaces are saved in the same batch, and the daily
files are deleted only after that batch committed. A crash before the commit leaves files the
manifest does not count; the next run redoes those partitions and overwrites them in place.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

from marketlake.manifest.abc import ManifestStore
from marketlake.manifest.models import PartitionRecord

logger = logging.getLogger(__name__)


class Recorder:
    """Buffers records and saves them every ``max_batch`` records or ``max_delay`` seconds."""

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

    def add(self, record: PartitionRecord, superseded: tuple[PartitionRecord, ...] = ()) -> None:
        """Queue ``record`` and, for a monthly partition, the daily records it supersedes."""
        self._pending.append(record)
        for daily in superseded:
            self._pending.append(replace(daily, files=(), superseded_by=record.key.zip_key))
            self._retired_files.extend(daily.files)
        if len(self._pending) >= self._max_batch or self._due():
            self.flush()

    def _due(self) -> bool:
        return time.monotonic() - self._last_flush >= self._max_delay

    def flush(self) -> None:
        """Save what is queued in one transaction, then delete retired daily files."""
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        batch, retired = self._pending, self._retired_files
        self._pending, self._retired_files = [], []
        written = [file for record in batch for file in record.files]
        if written:
            from marketlake.ingest.write import sync_files

            sync_files(self._lake_root, written)
        self._store.save(batch)
        if retired:
            from marketlake.ingest.write import remove_partition_files

            remove_partition_files(self._lake_root, retired)
            logger.info("removed %d daily files superseded by monthly files", len(retired))
