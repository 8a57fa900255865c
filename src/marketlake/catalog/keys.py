"""The archive's key grammar: parse and format archive keys.

    data/{market}/{period}/{dataset}/{SYMBOL}/[{INTERVAL}/]{SYMBOL}-{INTERVAL|dataset}-{DATE}.zip

The interval folder exists only for kline datasets, whose file names carry the interval
instead of the dataset name; the dataset is therefore taken from the folder.
"""

from __future__ import annotations

import datetime as dt
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
        spec = get_dataset(self.dataset)
        if self.period not in spec.periods_for(self.market):
            raise ArchiveKeyError(
                f"{self.dataset} has no {self.period.value} files in {self.market.value}"
            )
        if spec.has_interval != (self.interval is not None):
            raise ArchiveKeyError(
                f"{self.dataset} keys {'need' if spec.has_interval else 'take no'} interval"
            )
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
        parts = key.split("/")
        if len(parts) < 5 or parts[0] != "data" or not parts[-1].endswith(".zip"):
            raise ArchiveKeyError(f"not an archive file key: {key!r}", key=key)
        try:
            return _parse_parts(parts, key)
        except CatalogError as exc:
            raise ArchiveKeyError(
                f"not an archive file key: {key!r}: {exc.message}", key=key
            ) from exc

    def __str__(self) -> str:
        return self.zip_key


def _parse_parts(parts: list[str], key: str) -> ArchiveKey:
    market_len = 2 if parts[1] == "futures" else 1
    market = Market.parse("/".join(parts[1 : 1 + market_len]))
    rest = parts[1 + market_len :]
    period = Period.parse(rest[0])
    dataset, symbol = rest[1], rest[2]
    spec = get_dataset(dataset)
    interval = rest[3] if spec.has_interval else None
    expected_len = 5 if spec.has_interval else 4
    if len(rest) != expected_len:
        raise ArchiveKeyError("wrong number of folders", key=key)
    prefix = f"{symbol}-{interval if interval else dataset}-"
    name = rest[-1][: -len(".zip")]
    if not name.startswith(prefix):
        raise ArchiveKeyError(f"file name does not start with {prefix!r}", key=key)
    return ArchiveKey(market, period, dataset, symbol, interval, name[len(prefix) :])


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
