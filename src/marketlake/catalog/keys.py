"""The archive's key grammar: parse and format archive keys.

    data/{market}/{period}/{dataset}/{SYMBOL}/[{INTERVAL}/]{SYMBOL}-{INTERVAL|dataset}-{DATE}.zip

The interval folder exists only for kline datasets, whose file names carry the interval
instead of the dataset name; the dataset is therefore taken from the folder.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from marketlake.catalog.datasets import get_dataset
from marketlake.catalog.markets import Market, Period
from marketlake.errors import ArchiveKeyError, CatalogError

CHECKSUM_SUFFIX = ".CHECKSUM"
_DAILY_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTHLY_DATE = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True, order=True)
class ArchiveKey:
    """One archive file (one partition): market, period, dataset, symbol, interval, date.

    ``date`` is the period's text as in the file name: ``YYYY-MM-DD`` or ``YYYY-MM``.
    """

    market: Market
    period: Period
    dataset: str
    symbol: str
    interval: str | None
    date: str

    def __post_init__(self) -> None:
        _check_shape(self.market, self.period, self.dataset, self.interval is not None)
        pattern = _DAILY_DATE if self.period is Period.DAILY else _MONTHLY_DATE
        if not pattern.match(self.date):
            raise ArchiveKeyError(f"date {self.date!r} does not fit a {self.period.value} key")

    @property
    def folder(self) -> str:
        """The listing folder holding this file, ending in ``/``."""
        return folder_of(self.market, self.period, self.dataset, self.symbol, self.interval)

    @property
    def file_name(self) -> str:
        """The zip's file name."""
        middle = self.interval if self.interval is not None else self.dataset
        return f"{self.symbol}-{middle}-{self.date}.zip"

    @property
    def zip_key(self) -> str:
        """The key of the zip file."""
        return self.folder + self.file_name

    @property
    def checksum_key(self) -> str:
        """The key of the zip's ``.CHECKSUM`` sibling."""
        return self.zip_key + CHECKSUM_SUFFIX

    @property
    def csv_name(self) -> str:
        """The name of the single CSV member inside the zip."""
        return self.file_name[: -len(".zip")] + ".csv"

    @property
    def first_day(self) -> dt.date:
        """The first UTC day this file covers."""
        if self.period is Period.DAILY:
            return dt.date.fromisoformat(self.date)
        return dt.date.fromisoformat(self.date + "-01")

    @property
    def last_day(self) -> dt.date:
        """The last UTC day this file covers (inclusive)."""
        if self.period is Period.DAILY:
            return self.first_day
        return month_last_day(self.first_day)

    @classmethod
    def parse(cls, key: str) -> ArchiveKey:
        """An archive key from its text (zip or CHECKSUM key)."""
        if key.endswith(CHECKSUM_SUFFIX):
            key = key[: -len(CHECKSUM_SUFFIX)]
        folder, _, name = key.rpartition("/")
        if not name.endswith(".zip"):
            raise ArchiveKeyError(f"not an archive file key: {key!r}", key=key)
        try:
            market, period, dataset, symbol, interval = _parse_folder(folder)
        except CatalogError as exc:
            message = f"not an archive file key: {key!r}: {exc.message}"
            raise ArchiveKeyError(message, key=key) from exc
        prefix = f"{symbol}-{interval if interval else dataset}-"
        if not name.startswith(prefix):
            raise ArchiveKeyError(f"file name of {key!r} does not start with {prefix!r}", key=key)
        return cls(market, period, dataset, symbol, interval, name[len(prefix) : -len(".zip")])

    def __str__(self) -> str:
        return self.zip_key


@functools.lru_cache(maxsize=256)
def _check_shape(market: Market, period: Period, dataset: str, has_interval: bool) -> None:
    """Refuse a dataset/period/interval combination the archive does not have (cached)."""
    spec = get_dataset(dataset)
    if period not in spec.periods_for(market):
        raise ArchiveKeyError(f"{dataset} has no {period.value} files in {market.value}")
    if spec.has_interval != has_interval:
        needs = "need" if spec.has_interval else "take no"
        raise ArchiveKeyError(f"{dataset} keys {needs} interval")


@functools.lru_cache(maxsize=4096)
def _parse_folder(folder: str) -> tuple[Market, Period, str, str, str | None]:
    """Market, period, dataset, symbol and interval of a symbol's folder (cached: one folder
    holds thousands of files)."""
    parts = folder.split("/")
    if len(parts) < 4 or parts[0] != "data":
        raise ArchiveKeyError(f"not an archive folder: {folder!r}")
    market_len = 2 if parts[1] == "futures" else 1
    market = Market.parse("/".join(parts[1 : 1 + market_len]))
    rest = parts[1 + market_len :]
    period = Period.parse(rest[0])
    dataset = rest[1] if len(rest) > 1 else ""
    spec = get_dataset(dataset)
    if len(rest) != (4 if spec.has_interval else 3):
        raise ArchiveKeyError(f"wrong number of folders in {folder!r}")
    interval = rest[3] if spec.has_interval else None
    _check_shape(market, period, dataset, spec.has_interval)
    return market, period, dataset, rest[2], interval


def folder_of(
    market: Market,
    period: Period,
    dataset: str,
    symbol: str | None = None,
    interval: str | None = None,
) -> str:
    """A listing folder: a dataset's folder, a symbol's, or a symbol's interval folder."""
    folder = f"data/{market.path}/{period.value}/{dataset}/"
    if symbol is not None:
        folder += f"{symbol}/"
        if interval is not None:
            folder += f"{interval}/"
    return folder


def month_last_day(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    next_month = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return dt.date.fromordinal(next_month.toordinal() - 1)


def format_checksum(sha256_hex: str, file_name: str) -> str:
    """A CHECKSUM file's exact content: hex, two spaces, file name, no newline."""
    return f"{sha256_hex}  {file_name}"


def parse_checksum(content: str) -> tuple[str, str]:
    """``(sha256 hex, file name)`` from a CHECKSUM file's content."""
    digest, sep, name = content.strip().partition("  ")
    if not sep or len(digest) != 64 or not name:
        raise ArchiveKeyError(f"not a CHECKSUM file: {content[:120]!r}")
    try:
        int(digest, 16)
    except ValueError:
        raise ArchiveKeyError(f"CHECKSUM digest is not hex: {digest!r}") from None
    return digest.lower(), name
