"""What exists in the archive: markets, datasets, intervals, columns, keys, publication rules.

The single source of truth the stand-in, planner, decoder and reader all share.
"""

from marketlake.catalog.columns import Column, Kind
from marketlake.catalog.datasets import DATASETS, Dataset, datasets_of, get_dataset
from marketlake.catalog.intervals import Interval
from marketlake.catalog.keys import (
    ArchiveKey,
    folder_of,
    format_checksum,
    month_last_day,
    parse_checksum,
)
from marketlake.catalog.markets import Market, Period

__all__ = [
    "DATASETS",
    "ArchiveKey",
    "Column",
    "Dataset",
    "Interval",
    "Kind",
    "Market",
    "Period",
    "datasets_of",
    "folder_of",
    "format_checksum",
    "get_dataset",
    "month_last_day",
    "parse_checksum",
]
