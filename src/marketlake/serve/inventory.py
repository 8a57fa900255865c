"""What the lake holds per market x dataset (x interval), from the manifest (no directory walks).

One ``ManifestStore.files`` query per market and dataset the catalog knows; partitions are
grouped by interval and summed into :class:`StoredData`: row counts, symbol counts and the time
range of the rows. ``list_flights`` and the ``ready`` action are built on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from marketlake.catalog import Interval, Market, datasets_of
from marketlake.manifest import ManifestStore, PartitionFiles


@dataclass(frozen=True)
class StoredData:
    """The rows the lake holds for one market, dataset and (for klines) interval."""

    market: Market
    dataset: str
    interval: str | None
    symbols: tuple[str, ...]
    partitions: int
    rows: int
    first: datetime
    last: datetime

    @property
    def name(self) -> str:
        """``market/dataset[/interval]``, e.g. ``um/klines/1m``: the flight's path."""
        return "/".join(self.path)

    @property
    def path(self) -> tuple[str, ...]:
        """The flight descriptor's path segments."""
        base = (self.market.value, self.dataset)
        return (*base, self.interval) if self.interval is not None else base


def stored_data(store: ManifestStore, markets: Iterable[Market] | None = None) -> list[StoredData]:
    """Everything the manifest records as done, grouped per market x dataset x interval."""
    found: list[StoredData] = []
    for market in markets if markets is not None else tuple(Market):
        for spec in datasets_of(market):
            found.extend(_group(market, spec.name, store.files(market, spec.name)))
    return found


def _group(market: Market, dataset: str, files: list[PartitionFiles]) -> list[StoredData]:
    by_interval: defaultdict[str | None, list[PartitionFiles]] = defaultdict(list)
    for partition in files:
        by_interval[partition.key.interval].append(partition)
    return [
        _summary(market, dataset, interval, parts)
        for interval, parts in sorted(by_interval.items(), key=lambda item: _order(item[0]))
    ]


def _summary(
    market: Market, dataset: str, interval: str | None, parts: list[PartitionFiles]
) -> StoredData:
    return StoredData(
        market=market,
        dataset=dataset,
        interval=interval,
        symbols=tuple(sorted({p.key.symbol for p in parts})),
        partitions=len(parts),
        rows=sum(p.rows or 0 for p in parts),
        first=min(p.min_time for p in parts),
        last=max(p.max_time for p in parts),
    )


def _order(interval: str | None) -> tuple[int, str]:
    if interval is None:
        return (0, "")
    parsed = Interval.parse(interval)
    return (parsed.seconds + parsed.months * 31 * 86400, interval)
