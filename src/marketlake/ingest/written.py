"""What a worker hands back for a partition it wrote (:class:`WrittenPartition`).

Apart from :mod:`marketlake.ingest.write` so that the parent, which unpickles it from every
worker's answer, does not import the decoder (its CSV parser, Parquet writer and quirks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath


@dataclass(frozen=True)
class WrittenPartition:
    """What one partition write produced.

    ``rows`` is what the lake file holds, ``rows_in_file`` what the CSV held (they differ
    only where a catalog quirk dropped duplicate rows); ``min_time``/``max_time`` span the
    dataset's time column (None for an empty file); ``reordered`` says the file was out of
    order and was sorted; ``repeated_sort_keys`` counts rows whose sort key equals the
    previous row's (duplicate ids the archive published and the lake keeps).
    """

    files: tuple[PurePosixPath, ...]
    rows: int
    rows_in_file: int
    min_time: datetime | None
    max_time: datetime | None
    bytes_written: int
    reordered: bool = False
    repeated_sort_keys: int = 0
