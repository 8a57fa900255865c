"""Which files exist at ``now``, and what each one covers.

A key exists when its symbol publishes the dataset (and interval), the period overlaps the
symbol's window, the file is not one of the never-published days, and its publication day
is on or before ``now``. Nothing here generates data: listings stay cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from marketlake.catalog import ArchiveKey, Period
from marketlake.catalog.keys import month_last_day
from marketlake.errors import ArchiveKeyError
from marketlake.mirror.generate.schedule import publication_day, publication_time, regeneration_time
from marketlake.mirror.generate.traps import PARTIAL_MONTHLY, regeneration_of, unpublished_keys
from marketlake.mirror.universe import (
    Instrument,
    Universe,
)


@dataclass(frozen=True)
class FilePlan:
    """One published zip: its key, symbol, data days and the version served at ``now``."""

    key: ArchiveKey
    instrument: Instrument
    days: tuple[date, ...]
    modified: datetime
    original: bool

    @property
    def version(self) -> str:
        """Tells the first upload from a regenerated one (for caching)."""
        return "original" if self.original else self.modified.isoformat()


class Planner:
    """Resolves keys and folders of the generated archive at one ``now``."""

    def __init__(self, universe: Universe, seed: int, now: date) -> None:
        self.universe = universe
        self.seed = seed
        self.now = now

    @cached_property
    def _unpublished(self) -> frozenset[str]:
        return unpublished_keys()

    def plan(self, key: ArchiveKey) -> FilePlan | None:
        """The file at ``key`` as published at ``now``, or None when there is none."""
        instrument = self.universe.find(key.market, key.dataset, key.symbol)
        if instrument is None:
            return None
        if key.interval is not None and key.interval not in instrument.intervals(
            key.dataset, key.period
        ):
            return None
        days = self._days(instrument, key)
        if not days or key.zip_key in self._unpublished:
            return None
        if publication_day(self.seed, key) > self.now:
            return None
        return self._versioned(key, instrument, days)

    def _versioned(
        self, key: ArchiveKey, instrument: Instrument, days: tuple[date, ...]
    ) -> FilePlan:
        regeneration = regeneration_of(key.zip_key)
        if regeneration is not None and regeneration.on <= self.now:
            modified = regeneration_time(self.seed, key, regeneration.on)
            return FilePlan(key, instrument, days, modified, original=False)
        original = regeneration is not None
        return FilePlan(key, instrument, days, publication_time(self.seed, key), original)

    def original_plan(self, key: ArchiveKey) -> FilePlan | None:
        """The first upload of a regenerated file, whatever ``now`` is."""
        plan = self.plan(key)
        if plan is None:
            return None
        return FilePlan(key, plan.instrument, plan.days, publication_time(self.seed, key), True)

    def _days(self, instrument: Instrument, key: ArchiveKey) -> tuple[date, ...]:
        first, last = instrument.window(key.dataset, key.interval)
        start, end = (
            max(first, key.first_day),
            key.last_day if last is None else min(last, key.last_day),
        )
        days = tuple(start + timedelta(days=i) for i in range((end - start).days + 1))
        limit = PARTIAL_MONTHLY.get((key.market, key.dataset, key.symbol, key.date))
        return days if limit is None else days[:limit]

    def keys(
        self, instrument: Instrument, dataset: str, period: Period, interval: str | None
    ) -> Iterator[ArchiveKey]:
        """Every published key of one symbol (and interval) folder, oldest first."""
        first, last = instrument.window(dataset, interval)
        end = self.now if last is None else min(last, self.now)
        for label in _labels(first, end, period):
            key = ArchiveKey(instrument.market, period, dataset, instrument.symbol, interval, label)
            if key.zip_key not in self._unpublished and publication_day(self.seed, key) <= self.now:
                yield key


def _labels(first: date, last: date, period: Period) -> Iterator[str]:
    if period is Period.DAILY:
        for offset in range((last - first).days + 1):
            yield (first + timedelta(days=offset)).isoformat()
        return
    month = first.replace(day=1)
    while month <= last:
        yield month.strftime("%Y-%m")
        month = month_last_day(month) + timedelta(days=1)


def parse_key(key: str) -> ArchiveKey | None:
    """The archive key of a zip or CHECKSUM key, or None when it is not one."""
    try:
        return ArchiveKey.parse(key)
    except ArchiveKeyError:
        return None
