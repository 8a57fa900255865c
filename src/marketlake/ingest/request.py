"""What a user asked ingest to do, validated against the catalog."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date

from marketlake.catalog import Market, get_dataset
from marketlake.catalog.intervals import DAILY_KLINE_INTERVALS, MONTHLY_ONLY_INTERVALS, Interval
from marketlake.errors import ConfigError

ALL_WORDS = frozenset({"*", "ALL", "all"})
DEFAULT_INTERVAL = "1m"


@dataclass(frozen=True)
class SymbolSelection:
    """Which symbols to ingest: explicit names and/or shell-style patterns (``*USDT``)."""

    patterns: tuple[str, ...]

    @classmethod
    def parse(cls, text: str | None, market: Market) -> SymbolSelection:
        """From ``BTCUSDT,ETHUSDT``, ``*USDT``, ``*``/``ALL``; None gives the market's default."""
        if text is None or not text.strip():
            return cls(("*USDT",) if market in (Market.SPOT, Market.UM) else ("*",))
        items = tuple(part.strip() for part in text.split(",") if part.strip())
        if any(item in ALL_WORDS for item in items):
            return cls(("*",))
        return cls(items)

    @property
    def explicit(self) -> tuple[str, ...]:
        """The names given without wildcards."""
        return tuple(p for p in self.patterns if not any(c in p for c in "*?["))

    def matches(self, symbol: str) -> bool:
        """True when ``symbol`` is selected."""
        return any(fnmatch.fnmatchcase(symbol, pattern) for pattern in self.patterns)


@dataclass(frozen=True)
class IngestRequest:
    """One run's scope: market, dataset, intervals, symbols, dates, how to treat done work."""

    market: Market
    dataset: str
    intervals: tuple[str | None, ...]
    symbols: SymbolSelection
    start: date | None = None
    end: date | None = None
    update_existing: bool = False
    dry_run: bool = False

    def covers(self, first_day: date, last_day: date) -> bool:
        """True when the range [first_day, last_day] lies wholly inside the request's dates."""
        return (self.start is None or first_day >= self.start) and (
            self.end is None or last_day <= self.end
        )

    def overlaps(self, first_day: date, last_day: date) -> bool:
        """True when the range [first_day, last_day] meets the request's dates."""
        return (self.start is None or last_day >= self.start) and (
            self.end is None or first_day <= self.end
        )


def parse_intervals(text: str | None, dataset: str) -> tuple[str | None, ...]:
    """Intervals for a kline dataset (``1m,1h``; ``all``); ``(None,)`` for other datasets."""
    spec = get_dataset(dataset)
    if not spec.has_interval:
        if text:
            raise ConfigError(f"dataset {dataset} has no intervals; drop --interval")
        return (None,)
    if text is None or not text.strip():
        return (DEFAULT_INTERVAL,)
    if text.strip() in ALL_WORDS:
        return (*DAILY_KLINE_INTERVALS, *MONTHLY_ONLY_INTERVALS)
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    known = set(DAILY_KLINE_INTERVALS) | set(MONTHLY_ONLY_INTERVALS)
    for name in names:
        Interval.parse(name)
        if name not in known:
            raise ConfigError(
                f"the archive has no {name} klines; it has {', '.join(sorted(known))}"
            )
    return names


def build_request(
    *,
    market: str,
    dataset: str,
    interval: str | None = None,
    symbols: str | None = None,
    start: date | None = None,
    end: date | None = None,
    update_existing: bool = False,
    dry_run: bool = False,
) -> IngestRequest:
    """A validated request from user-facing values."""
    parsed_market = Market.parse(market)
    get_dataset(dataset).columns_for(parsed_market)
    if start is not None and end is not None and start > end:
        raise ConfigError(f"--start {start} is after --end {end}")
    return IngestRequest(
        market=parsed_market,
        dataset=dataset,
        intervals=parse_intervals(interval, dataset),
        symbols=SymbolSelection.parse(symbols, parsed_market),
        start=start,
        end=end,
        update_existing=update_existing,
        dry_run=dry_run,
    )
