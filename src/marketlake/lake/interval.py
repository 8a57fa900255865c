"""Bar lengths a reader may ask for, and where their buckets start.

An interval is a count and a unit: ``s`` seconds, ``m`` minutes, ``h`` hours, ``d`` days,
``w`` weeks, ``M`` (or the archive's ``mo``) calendar months; a bare integer is minutes.
``60m`` and ``1h`` are the same interval, named ``1h``. Weeks start on Monday 00:00 UTC
(as Binance's ``1w`` bars do); every other fixed interval counts from the Unix epoch; months
are calendar months (``3M`` are quarters from January).

Bucket start = ``floor((t - offset) / interval) * interval + offset`` for fixed intervals
(with the Monday origin for weeks) and ``month_floor(t - offset) + offset`` for months.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from marketlake.errors import ReadRequestError

MICROS = {"s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}
MICROS["w"] = 7 * MICROS["d"]
WEEK = MICROS["w"]
MONDAY_ORIGIN = 4 * MICROS["d"]
"""1970-01-05, the first Monday after the epoch, in microseconds since the epoch."""
EPOCH_MONTH = 1970 * 12
"""Month intervals are counted from January 1970 (``3M`` gives quarters from January)."""
MAX_COUNT = 100_000
_PATTERN = re.compile(r"^(\d{1,6})(s|m|h|d|w|M|mo)$")
_UNITS_BY_SIZE = ("w", "d", "h", "m", "s")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, order=True)
class ReadInterval:
    """A bar length: fixed microseconds, or calendar months (``micros`` is then 0)."""

    micros: int
    months: int

    @classmethod
    def parse(cls, value: str | int | timedelta | ReadInterval) -> ReadInterval:
        """From ``"4h"``, ``"1w"``, ``"1M"``/``"1mo"``, ``15`` (minutes) or a timedelta."""
        if isinstance(value, ReadInterval):
            return value
        if isinstance(value, bool):
            raise ReadRequestError(f"interval {value!r} is not an interval")
        if isinstance(value, int):
            return cls._checked(value * MICROS["m"], 0, value)
        if isinstance(value, timedelta):
            return cls._checked(_timedelta_micros(value), 0, value)
        if not isinstance(value, str):
            raise ReadRequestError(f"interval {value!r} is not an interval such as 1m, 4h or 1d")
        return _parse_text(value)

    @classmethod
    def _from_text(cls, value: str) -> ReadInterval:
        match = _PATTERN.match(value)
        if match is None:
            raise ReadRequestError(
                f"interval {value!r} is not an interval: use a count and a unit such as 1m,"
                " 4h, 1d, 1w or 1M (months), or an integer number of minutes"
            )
        count, unit = int(match.group(1)), match.group(2)
        if unit in ("M", "mo"):
            return cls._checked(0, count, value)
        return cls._checked(count * MICROS[unit], 0, value)

    @classmethod
    def _checked(cls, micros: int, months: int, given: object) -> ReadInterval:
        too_long = micros > MAX_COUNT * MICROS["d"] or months > 1200
        if (micros <= 0 and months <= 0) or too_long:
            raise ReadRequestError(f"interval {given!r} must be positive and at most 1200 months")
        if micros and micros % MICROS["s"]:
            raise ReadRequestError(f"interval {given!r} must be a whole number of seconds")
        return cls(micros=micros, months=months)

    @property
    def is_calendar(self) -> bool:
        """True for month intervals, whose length varies."""
        return self.months > 0

    @property
    def name(self) -> str:
        """The canonical spelling: ``1m``, ``4h``, ``1d``, ``1w``, ``1M``."""
        if self.is_calendar:
            return f"{self.months}M"
        for unit in _UNITS_BY_SIZE:
            if self.micros % MICROS[unit] == 0:
                return f"{self.micros // MICROS[unit]}{unit}"
        raise AssertionError("intervals are whole seconds")  # pragma: no cover

    @property
    def archive_name(self) -> str:
        """How the archive spells this interval (``1mo`` for a month)."""
        return f"{self.months}mo" if self.is_calendar else self.name

    @property
    def origin(self) -> int:
        """Where buckets are counted from, in epoch microseconds: Monday for whole weeks."""
        return MONDAY_ORIGIN if not self.is_calendar and self.micros % WEEK == 0 else 0

    def aggregates(self, finer: ReadInterval, offset: int = 0) -> bool:
        """True when whole bars of ``finer`` (epoch-aligned) make up this interval's buckets."""
        if finer.is_calendar:
            return self.is_calendar and self.months % finer.months == 0 and offset == 0
        if offset % finer.micros:
            return False
        if self.is_calendar:
            return MICROS["d"] % finer.micros == 0
        return self.micros % finer.micros == 0 and (self.origin - finer.origin) % finer.micros == 0

    def bucket_start(self, micros: int, offset: int = 0) -> int:
        """The start of the bucket holding the instant ``micros`` (epoch microseconds)."""
        if self.is_calendar:
            return _month_floor(micros - offset, self.months) + offset
        origin = self.origin + offset
        return (micros - origin) // self.micros * self.micros + origin

    def bucket_end(self, start: int) -> int:
        """The exclusive end of the bucket starting at ``start``."""
        if not self.is_calendar:
            return start + self.micros
        moment = from_micros(start)
        index = moment.year * 12 + moment.month - 1 + self.months
        return to_micros(moment.replace(year=index // 12, month=index % 12 + 1))

    def ceil(self, micros: int, offset: int = 0) -> int:
        """The first bucket start at or after ``micros``."""
        start = self.bucket_start(micros, offset)
        return start if start == micros else self.bucket_end(start)

    def __str__(self) -> str:
        return self.name


@functools.lru_cache(maxsize=1024)
def _parse_text(value: str) -> ReadInterval:
    """Parsed interval texts (a read parses the same few names again and again)."""
    return ReadInterval._from_text(value)


def parse_offset(value: str | int | timedelta | None, interval: ReadInterval | None) -> int:
    """An offset in microseconds from ``"30m"``, minutes (int) or a timedelta; < the interval."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value == 0):
        return 0
    if isinstance(value, str) and value.strip() in ("0", ""):
        return 0
    length = ReadInterval.parse(value)
    if length.is_calendar:
        raise ReadRequestError(f"offset {value!r} must be a fixed length, not months")
    if interval is None:
        raise ReadRequestError(f"offset {value!r} needs an interval to shift")
    limit = interval.micros if not interval.is_calendar else 28 * MICROS["d"]
    if length.micros >= limit:
        raise ReadRequestError(f"offset {value!r} must be shorter than the interval {interval}")
    return length.micros


def to_micros(moment: datetime) -> int:
    """Epoch microseconds of an aware datetime."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    """The UTC datetime of epoch microseconds."""
    return _EPOCH + timedelta(microseconds=micros)


def _month_floor(micros: int, months: int) -> int:
    moment = from_micros(micros)
    index = (moment.year * 12 + moment.month - 1 - EPOCH_MONTH) // months * months + EPOCH_MONTH
    return to_micros(datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC))


def _timedelta_micros(value: timedelta) -> int:
    return value // timedelta(microseconds=1)
