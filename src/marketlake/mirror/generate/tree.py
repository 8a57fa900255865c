"""The folder tree of the generated archive: the direct children of any folder, sorted.

Folders are derived from the catalog and the universe; a folder is shown only when it holds
at least one published file, and files come from :class:`Planner` without generating data.
"""

from __future__ import annotations

from collections.abc import Iterable

from marketlake.catalog import DATASETS, Market, Period
from marketlake.catalog.keys import CHECKSUM_SUFFIX, folder_of
from marketlake.mirror.generate.plans import Planner
from marketlake.mirror.universe import Instrument

DATA = "data/"


class Tree:
    """Children of folders, for one planner (one universe, seed and ``now``)."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner

    def children(self, folder: str) -> list[str]:
        """The sorted direct children of ``data/...`` folders (empty when unknown)."""
        if folder == DATA:
            return sorted({DATA + _top(m) for m in Market if self._market_has_files(m)})
        if folder == DATA + "futures/":
            return [
                DATA + m.path + "/" for m in (Market.CM, Market.UM) if self._market_has_files(m)
            ]
        for market in Market:
            for period in Period:
                base = f"{DATA}{market.path}/"
                if folder == base:
                    return sorted(
                        f"{base}{p.value}/" for p in Period if self._period_datasets(market, p)
                    )
                if folder == f"{base}{period.value}/":
                    return sorted(
                        folder_of(market, period, d) for d in self._period_datasets(market, period)
                    )
                if folder.startswith(f"{base}{period.value}/"):
                    return self._dataset_children(market, period, folder)
        return []

    def _market_has_files(self, market: Market) -> bool:
        return any(self._period_datasets(market, p) for p in Period)

    def _period_datasets(self, market: Market, period: Period) -> list[str]:
        return [
            name
            for name, spec in DATASETS.items()
            if market in spec.periods
            and period in spec.periods_for(market)
            and any(
                self._has_files(i, name, period)
                for i in self.planner.universe.symbols(market, name)
            )
        ]

    def _dataset_children(self, market: Market, period: Period, folder: str) -> list[str]:
        parts = folder[len(f"{DATA}{market.path}/{period.value}/") :].strip("/").split("/")
        dataset = parts[0]
        if dataset not in DATASETS or market not in DATASETS[dataset].periods:
            return []
        if period not in DATASETS[dataset].periods_for(market):
            return []
        symbols = self.planner.universe.symbols(market, dataset)
        if len(parts) == 1:
            return sorted(
                folder_of(market, period, dataset, i.symbol)
                for i in symbols
                if self._has_files(i, dataset, period)
            )
        instrument = next((i for i in symbols if i.symbol == parts[1]), None)
        if instrument is None or len(parts) > 3:
            return []
        if not DATASETS[dataset].has_interval:
            return [] if len(parts) == 3 else self._files(instrument, dataset, period, None)
        intervals = instrument.intervals(dataset, period)
        if len(parts) == 2:
            return sorted(
                folder_of(market, period, dataset, instrument.symbol, i)
                for i in intervals
                if self._has_interval_files(instrument, dataset, period, i)
            )
        return self._files(instrument, dataset, period, parts[2]) if parts[2] in intervals else []

    def _files(
        self, instrument: Instrument, dataset: str, period: Period, interval: str | None
    ) -> list[str]:
        keys = self.planner.keys(instrument, dataset, period, interval)
        return sorted(_with_checksums(k.zip_key for k in keys))

    def _has_files(self, instrument: Instrument, dataset: str, period: Period) -> bool:
        intervals: Iterable[str | None] = instrument.intervals(dataset, period) or (None,)
        return any(self._has_interval_files(instrument, dataset, period, i) for i in intervals)

    def _has_interval_files(
        self, instrument: Instrument, dataset: str, period: Period, interval: str | None
    ) -> bool:
        return (
            next(iter(self.planner.keys(instrument, dataset, period, interval)), None) is not None
        )


def _top(market: Market) -> str:
    return market.path.split("/")[0] + "/"


def _with_checksums(zip_keys: Iterable[str]) -> Iterable[str]:
    for key in zip_keys:
        yield key
        yield key + CHECKSUM_SUFFIX
