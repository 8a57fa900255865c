"""What a reader asked for: one frozen, validated :class:`ReadRequest`.

The SDK, the CLI and the Flight server all turn their inputs into a ``ReadRequest`` with
:meth:`ReadRequest.build` and hand it to :mod:`marketlake.lake.read`. Every value a user
gives is validated here, before anything touches a file or a query: symbols are archive
names (letters and digits of any script, ``_``), intervals follow
:mod:`marketlake.lake.interval`, times are UTC instants. Anything else (quotes, spaces,
``;``, SQL) is refused with a :class:`~marketlake.errors.ReadRequestError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from marketlake.catalog import Dataset, Market, get_dataset
from marketlake.errors import CatalogError, ReadRequestError
from marketlake.lake.interval import ReadInterval, parse_offset, to_micros

SYMBOL_PATTERN = re.compile(r"^[^\W_]\w{0,47}$")
"""An archive symbol: a letter or digit of any script, then letters, digits or ``_``."""
ALL_SYMBOLS = frozenset({"*", "all", "ALL"})
KLINE_DEFAULT_INTERVAL = "1m"
BAR_DATASETS = frozenset({"trades", "aggTrades"})
MAX_SYMBOLS = 100_000
_DATE_TEXT = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]00:?00)?$"
)


class BarKind(StrEnum):
    """How trades are cut into bars."""

    TIME = "time"
    VOLUME = "volume"
    TICK = "tick"


@dataclass(frozen=True)
class Bars:
    """Bars built from trades: every ``interval`` (time), every ``threshold`` of base volume
    (volume), or every ``count`` trades (tick)."""

    kind: BarKind
    interval: ReadInterval | None = None
    threshold: Decimal | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        given = {
            BarKind.TIME: self.interval,
            BarKind.VOLUME: self.threshold,
            BarKind.TICK: self.count,
        }
        if given[self.kind] is None or sum(v is not None for v in given.values()) != 1:
            raise ReadRequestError(
                f"{self.kind.value} bars take exactly their own size: an interval for time bars,"
                " a threshold for volume bars, a count for tick bars"
            )
        if self.threshold is not None and not (self.threshold.is_finite() and self.threshold > 0):
            raise ReadRequestError(f"volume bar threshold must be positive, got {self.threshold}")
        if self.count is not None and not 0 < self.count <= 10_000_000:
            raise ReadRequestError(f"tick bar count must be 1..10,000,000, got {self.count}")

    @classmethod
    def parse(cls, kind: str | BarKind, size: object) -> Bars:
        """Bars of ``kind`` (``time``/``volume``/``tick``) and their size."""
        try:
            bar_kind = BarKind(kind)
        except ValueError:
            raise ReadRequestError(f"bar kind {kind!r} must be time, volume or tick") from None
        if bar_kind is BarKind.TIME:
            return cls(bar_kind, interval=ReadInterval.parse(size))  # type: ignore[arg-type]
        if bar_kind is BarKind.VOLUME:
            return cls(bar_kind, threshold=_decimal(size))
        if isinstance(size, bool) or not isinstance(size, int):
            raise ReadRequestError(f"tick bars need an integer count of trades, got {size!r}")
        return cls(bar_kind, count=size)


def chosen_bars(
    interval: object | None, volume: object | None, ticks: object | None
) -> tuple[BarKind, object]:
    """The one bar size given (``interval`` for time bars, ``volume`` or ``ticks``) and its
    kind; ReadRequestError unless exactly one is given."""
    given = [
        (kind, size)
        for kind, size in (
            (BarKind.TIME, interval),
            (BarKind.VOLUME, volume),
            (BarKind.TICK, ticks),
        )
        if size is not None
    ]
    if len(given) != 1:
        raise ReadRequestError("give exactly one of interval=, volume= or ticks=")
    return given[0]


@dataclass(frozen=True)
class ReadRequest:
    """One read of the lake, validated.

    ``symbols`` None means every symbol; ``interval`` is the bar length of a kline dataset
    (stored or resampled); ``bars`` turns trades/aggTrades into bars; ``start``/``end`` bound
    the time column to ``[start, end)`` (for bars: the bar's open time); ``columns`` projects
    the answer; ``exact=False`` gives float64 instead of decimals.
    """

    market: Market
    dataset: str
    symbols: tuple[str, ...] | None = None
    interval: ReadInterval | None = None
    offset: int = 0
    start: datetime | None = None
    end: datetime | None = None
    complete_only: bool = False
    exact: bool = True
    bars: Bars | None = None
    columns: tuple[str, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        spec = _dataset(self.market, self.dataset)
        if spec.has_interval and self.interval is None:
            raise ReadRequestError(f"{self.dataset} needs an interval, e.g. 1m")
        if not spec.has_interval and self.interval is not None:
            raise ReadRequestError(f"{self.dataset} has no interval; use bars for trade bars")
        if self.bars is not None and self.dataset not in BAR_DATASETS:
            raise ReadRequestError(f"bars are built from trades or aggTrades, not {self.dataset}")
        if self.offset and self.bar_interval is None:
            raise ReadRequestError("offset needs an interval (klines or time bars)")
        if self.complete_only and self.dataset in BAR_DATASETS:
            raise ReadRequestError("complete_only applies to klines, not to trade bars")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ReadRequestError(f"start {self.start} must be before end {self.end}")

    @property
    def bar_interval(self) -> ReadInterval | None:
        """The time-bucket length: the kline interval, or the time bars' interval."""
        if self.interval is not None:
            return self.interval
        return self.bars.interval if self.bars is not None else None

    @property
    def start_micros(self) -> int | None:
        """``start`` in epoch microseconds."""
        return None if self.start is None else to_micros(self.start)

    @property
    def end_micros(self) -> int | None:
        """``end`` in epoch microseconds."""
        return None if self.end is None else to_micros(self.end)

    @classmethod
    def build(
        cls,
        *,
        market: Market | str,
        dataset: str,
        symbols: str | Iterable[str] | None = None,
        interval: str | int | timedelta | ReadInterval | None = None,
        offset: str | int | timedelta | None = None,
        start: datetime | date | str | None = None,
        end: datetime | date | str | None = None,
        complete_only: bool = False,
        exact: bool = True,
        bars: Bars | None = None,
        columns: Iterable[str] | None = None,
    ) -> ReadRequest:
        """A request from user inputs, each validated (raises ``ReadRequestError``)."""
        parsed_market = parse_market(market)
        spec = _dataset(parsed_market, dataset)
        if interval is None and spec.has_interval:
            interval = KLINE_DEFAULT_INTERVAL
        read_interval = None if interval is None else ReadInterval.parse(interval)
        bar_interval = read_interval or (bars.interval if bars is not None else None)
        return cls(
            market=parsed_market,
            dataset=dataset,
            symbols=parse_symbols(symbols),
            interval=read_interval,
            offset=parse_offset(offset, bar_interval),
            start=parse_time(start, "start"),
            end=parse_time(end, "end"),
            complete_only=_flag(complete_only, "complete_only"),
            exact=_flag(exact, "exact"),
            bars=bars,
            columns=_columns(columns),
        )


def parse_market(value: Market | str) -> Market:
    """A market from its name (``um``) or its archive path (``futures/um``)."""
    if isinstance(value, Market):
        return value
    if not isinstance(value, str):
        raise ReadRequestError(f"market {value!r} must be spot, um, cm or option")
    try:
        return Market.parse(value)
    except CatalogError as exc:
        raise ReadRequestError(exc.message) from exc


def parse_symbols(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """Sorted unique symbols; None (also ``"*"``/``"all"``) means every symbol.

    A string may hold several symbols separated by commas.
    """
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    names: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise ReadRequestError(f"symbol {item!r} must be a string")
        name = item.strip()
        if name in ALL_SYMBOLS:
            return None
        if not SYMBOL_PATTERN.match(name):
            raise ReadRequestError(
                f"symbol {item!r} is not an archive symbol (letters, digits and _ only)"
            )
        names.add(name)
    if not names or len(names) > MAX_SYMBOLS:
        raise ReadRequestError(f"give 1 to {MAX_SYMBOLS} symbols, or None for every symbol")
    return tuple(sorted(names))


def parse_time(value: datetime | date | str | None, name: str = "time") -> datetime | None:
    """A UTC instant from a datetime (naive means UTC), a date (its midnight) or ISO text."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _DATE_TEXT.match(text):
            raise ReadRequestError(
                f"{name} {value!r} is not a date or time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS"
            )
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ReadRequestError(f"{name} {value!r} is not a valid date: {exc}") from exc
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ReadRequestError(f"{name} {value!r} must be a datetime, a date or ISO text")


def _dataset(market: Market, dataset: object) -> Dataset:
    if not isinstance(dataset, str):
        raise ReadRequestError(f"dataset {dataset!r} must be a dataset name")
    try:
        spec = get_dataset(dataset)
        spec.periods_for(market)
    except CatalogError as exc:
        raise ReadRequestError(exc.message) from exc
    return spec


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ReadRequestError(f"{value!r} must be a decimal number (int, str or Decimal)")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ReadRequestError(f"{value!r} is not a decimal number") from None


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ReadRequestError(f"{name} must be True or False, got {value!r}")
    return value


def _columns(value: Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = tuple(value) if not isinstance(value, str) else (value,)
    for name in names:
        if not isinstance(name, str) or not re.match(r"^[a-z_][a-z0-9_]{0,63}$", name):
            raise ReadRequestError(f"column {name!r} is not a column name")
    if not names:
        raise ReadRequestError("columns must name at least one column")
    return names
