"""The lake's directory layout: the one place that knows where a partition's file lives.

Hive-style, so DuckDB, Polars and pyarrow read the lake without marketlake::

    <lake>/exchange=binance/market=<m>/dataset=<d>/[interval=<i>/]symbol=<S>/
        year=<YYYY>/month=<MM>/<zip file name with .parquet>

for example ``.../symbol=BTCUSDT/year=2024/month=01/BTCUSDT-1m-2024-01-05.parquet`` for a
daily file and ``BTCUSDT-1m-2024-01.parquet`` for the monthly file that later supersedes
the month's dailies (both sit in the same month folder). Paths are relative to the lake
root and use ``/``; symbols are kept as the archive spells them, non-ASCII included.
"""

from __future__ import annotations

import functools
from pathlib import PurePosixPath

from marketlake.catalog import ArchiveKey, Market, get_dataset
from marketlake.errors import CatalogError

EXCHANGE = "binance"
PARQUET_SUFFIX = ".parquet"
_FORBIDDEN = ("/", "\\", "=", "%", "\x00")


def dataset_root(market: Market, dataset: str, interval: str | None = None) -> PurePosixPath:
    """The folder of one dataset in one market (and of one interval, for kline datasets)."""
    return PurePosixPath(_dataset_root_text(market, dataset, interval))


def symbol_root(
    market: Market, dataset: str, symbol: str, interval: str | None = None
) -> PurePosixPath:
    """The folder holding every file of one symbol of a dataset (and interval)."""
    return PurePosixPath(_symbol_root_text(market, dataset, symbol, interval))


def partition_dir(key: ArchiveKey) -> PurePosixPath:
    """The month folder that holds the file of ``key``."""
    return PurePosixPath(_partition_dir_text(key))


def partition_file_name(key: ArchiveKey) -> str:
    """The Parquet file name of ``key``: the zip's name with ``.parquet``."""
    return key.file_name.removesuffix(".zip") + PARQUET_SUFFIX


def partition_path(key: ArchiveKey) -> PurePosixPath:
    """The lake-relative path of the Parquet file built from the archive file ``key``."""
    return PurePosixPath(f"{_partition_dir_text(key)}/{partition_file_name(key)}")


# The folders are put together as text and made a path once: an ingest asks for one path per
# file, and joining path objects segment by segment cost more than writing a small file's
# Parquet footer.


@functools.cache
def _dataset_root_text(market: Market, dataset: str, interval: str | None) -> str:
    spec = get_dataset(dataset)
    spec.periods_for(market)  # refuses a market that does not publish this dataset
    if interval is not None and not spec.has_interval:
        raise CatalogError(f"{dataset} has no intervals, got interval {interval!r}")
    segments = [
        _segment("exchange", EXCHANGE),
        _segment("market", market.value),
        _segment("dataset", dataset),
    ]
    if interval is not None:
        segments.append(_segment("interval", interval))
    return "/".join(segments)


def _symbol_root_text(market: Market, dataset: str, symbol: str, interval: str | None) -> str:
    return f"{_dataset_root_text(market, dataset, interval)}/{_segment('symbol', symbol)}"


def _partition_dir_text(key: ArchiveKey) -> str:
    day = key.first_day
    return (
        f"{_symbol_root_text(key.market, key.dataset, key.symbol, key.interval)}"
        f"/{_segment('year', f'{day.year:04d}')}/{_segment('month', f'{day.month:02d}')}"
    )


def _segment(name: str, value: str) -> str:
    """One ``name=value`` folder; refuses values that would break the hive layout."""
    if not value or value in (".", "..") or any(c in value for c in _FORBIDDEN):
        raise CatalogError(f"{name} {value!r} cannot be a lake folder name")
    return f"{name}={value}"
