"""Kline intervals as the archive spells them, and their lengths."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from marketlake.errors import CatalogError

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PATTERN = re.compile(r"^(\d+)(s|m|h|d|w|mo)$")


@dataclass(frozen=True, order=True)
class Interval:
    """A bar length: fixed seconds (``1s``..``1w``) or calendar months (``1mo``)."""

    seconds: int
    months: int
    name: str

    @classmethod
    def parse(cls, text: str) -> Interval:
        """An interval from its archive spelling; ``1M`` is refused (the archive says ``1mo``)."""
        match = _PATTERN.match(text)
        if match is None or int(match.group(1)) == 0:
            raise CatalogError(
                f"unknown interval {text!r}: use a count and unit such as 1m, 4h, 1d, 1w or 1mo"
            )
        count, unit = int(match.group(1)), match.group(2)
        if unit == "mo":
            return cls(seconds=0, months=count, name=text)
        return cls(seconds=count * _UNIT_SECONDS[unit], months=0, name=text)

    @property
    def is_calendar(self) -> bool:
        """True for month-based intervals, whose length varies."""
        return self.months > 0

    @property
    def timedelta(self) -> timedelta:
        """The fixed length; calendar intervals have none."""
        if self.is_calendar:
            raise CatalogError(f"interval {self.name} has no fixed length")
        return timedelta(seconds=self.seconds)

    @property
    def microseconds(self) -> int:
        """The fixed length in microseconds, the lake's time unit."""
        return int(self.timedelta.total_seconds()) * 1_000_000

    def bar_end(self, open_time: datetime) -> datetime:
        """The exclusive end of the bar opening at ``open_time``."""
        if not self.is_calendar:
            return open_time + self.timedelta
        month_index = open_time.year * 12 + open_time.month - 1 + self.months
        return open_time.replace(year=month_index // 12, month=month_index % 12 + 1, day=1)

    def __str__(self) -> str:
        return self.name


DAILY_KLINE_INTERVALS: tuple[str, ...] = (
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d",
)  # fmt: skip
MONTHLY_ONLY_INTERVALS: tuple[str, ...] = ("3d", "1w", "1mo")
