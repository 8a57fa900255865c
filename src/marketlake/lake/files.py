"""The read index: which lake files hold a market/dataset/interval/symbol's rows in a time range.

Files come from the manifest (done, not superseded partitions with their time range), never
from listing directories, so a point lookup costs one indexed query however large the lake
grows. Daily files a monthly file replaced are superseded in the manifest, so each row is in
exactly one file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from marketlake.catalog import Market, get_dataset
from marketlake.lake.interval import from_micros, to_micros
from marketlake.manifest.abc import ManifestStore
from marketlake.manifest.models import PartitionFiles

logger = logging.getLogger(__name__)

NO_INTERVAL = ""
"""How the manifest stores the interval of a dataset that has none (see manifest/rows.py)."""


@dataclass(frozen=True)
class LakeFile:
    """One Parquet file of the lake and the rows it holds.

    ``min_time``/``max_time`` bound the dataset's time column (epoch microseconds, inclusive).
    """

    path: Path
    symbol: str
    interval: str | None
    min_time: int
    max_time: int
    rows: int | None


class FileIndex:
    """Lake files from the manifest; the manifest connection stays open for the index's life."""

    def __init__(self, root: Path, manifest: ManifestStore, *, source: str | None = None) -> None:
        self.root = root
        self.manifest = manifest
        self.source = source

    def files(
        self,
        market: Market,
        dataset: str,
        *,
        interval: str | None = None,
        symbols: Iterable[str] | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> list[LakeFile]:
        """Files of ``dataset`` whose rows meet ``[start, end)`` (epoch us), by symbol and time.

        ``interval`` None on a kline dataset returns every stored interval's files (a query
        the manifest's index serves less well: name the interval where it is known).
        """
        if interval is None and not get_dataset(dataset).has_interval:
            interval = NO_INTERVAL  # the manifest's spelling: keeps the query on its index
        found = self.manifest.files(
            market,
            dataset,
            interval=interval,
            symbols=symbols,
            start=None if start is None else from_micros(start),
            end=None if end is None else from_micros(end),
            source=self.source,
        )
        return [file for entry in found for file in self._lake_files(entry)]

    def _lake_files(self, entry: PartitionFiles) -> list[LakeFile]:
        """The files of one partition (one today; a partition may be written as several)."""
        low, high = to_micros(entry.min_time), to_micros(entry.max_time)
        rows = entry.rows if len(entry.files) == 1 else None
        return [
            LakeFile(self.root / path, entry.key.symbol, entry.key.interval, low, high, rows)
            for path in entry.files
        ]
