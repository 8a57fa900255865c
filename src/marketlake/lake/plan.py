"""From a request to the stored rows that answer it: which symbols, which stored interval,
which time range, which sources, before any row is read.

A kline interval is served from the stored interval itself when a symbol has it (and the
offset is 0); otherwise it is resampled from the finest stored interval whose bars tile the
requested buckets (``1m`` into ``4h``; ``1d`` into ``1w`` or ``1M``; ``1w`` into ``2w``;
with an offset, only intervals that divide it). The choice is made per symbol, so a symbol
with ``1h`` stored is read as stored while another is resampled from ``1m``.

Every returned kline bar (stored or resampled) is a whole bucket whose open time lies in
``[start, end)``: the stored rows read are those in ``[ceil(start), ceil(end))``, with ceil
rounding up to the next bucket start.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from marketlake.catalog import Market, get_dataset
from marketlake.lake.interval import ReadInterval
from marketlake.lake.request import BarKind, ReadRequest
from marketlake.lake.resample import Resampling
from marketlake.lake.sources import Coverage, Extent, RowSource, Slice

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Part:
    """Stored rows of one source and one stored interval for some symbols, and how to turn
    them into bars.

    ``after`` maps a symbol to the first instant (epoch us) this source may contribute: the
    end of what the sources before it cover, rounded up to a bucket boundary so that a bar
    is never built from two sources.
    """

    source: int
    slice: Slice
    resampling: Resampling | None
    after: dict[str, int]


@dataclass(frozen=True)
class ReadPlan:
    """The parts of one request's answer; per symbol an estimate of its stored rows and the
    span of time (epoch microseconds, inclusive) its sources cover."""

    request: ReadRequest
    parts: tuple[Part, ...]
    rows: dict[str, int]
    spans: dict[str, tuple[int, int]]

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol with rows, sorted."""
        return tuple(sorted({s for p in self.parts for s in p.slice.symbols}))


def stored_range(request: ReadRequest) -> tuple[int | None, int | None]:
    """The range of stored time values the answer is built from (epoch microseconds)."""
    start, end = request.start_micros, request.end_micros
    interval = request.bar_interval
    if interval is None or (request.bars is not None and request.bars.kind is not BarKind.TIME):
        return start, end
    offset = request.offset
    return (
        None if start is None else interval.ceil(start, offset),
        None if end is None else interval.ceil(end, offset),
    )


def plan_read(request: ReadRequest, sources: Sequence[RowSource]) -> ReadPlan:
    """The plan of ``request`` over ``sources`` (the lake first, then in priority order).

    Each source serves each symbol from its own best stored interval; a later source only
    adds rows from the bucket after the last one the sources before it cover.
    """
    start, end = stored_range(request)
    extent = Extent(
        request.market, request.dataset, request.symbols, start, end, candidate_intervals(request)
    )
    covered = [src.coverage(extent) for src in sources]
    parts = []
    boundary: dict[str, int] = {}
    for index, found in enumerate(covered):
        groups = _groups(request, found)
        for (stored, resampling), symbols in sorted(groups.items(), key=lambda g: str(g[0][0])):
            names = tuple(sorted(symbols))
            part = Slice(request.market, request.dataset, stored, names, start, end)
            after = {s: boundary[s] for s in names if s in boundary}
            parts.append(Part(index, part, resampling, after))
        chosen = {(s, stored) for (stored, _), names in groups.items() for s in names}
        for c in found:
            if (c.symbol, c.interval) in chosen:
                edge = _after(request, c.last)
                boundary[c.symbol] = max(boundary.get(c.symbol, edge), edge)
    rows: dict[str, int] = {}
    spans: dict[str, tuple[int, int]] = {}
    for c in (c for found in covered for c in found):
        rows[c.symbol] = rows.get(c.symbol, 0) + (c.rows or 0)
        first, last = spans.get(c.symbol, (c.first, c.last))
        spans[c.symbol] = (min(first, c.first), max(last, c.last))
    return ReadPlan(request, tuple(parts), rows, spans)


def candidate_intervals(request: ReadRequest) -> tuple[str, ...] | None:
    """The stored intervals (archive spelling) that could serve a kline request; None for
    datasets without intervals."""
    if request.interval is None:
        return None
    return _candidates(request.market, request.dataset, request.interval, request.offset)


@functools.lru_cache(maxsize=512)
def _candidates(
    market: Market, dataset: str, target: ReadInterval, offset: int
) -> tuple[str, ...] | None:
    spec = get_dataset(dataset)
    if not spec.has_interval:
        return None
    published = {i for p in spec.periods_for(market) for i in spec.intervals_for(market, p)}
    return tuple(
        sorted(
            name
            for name in published
            if (name == target.archive_name and offset == 0)
            or target.aggregates(ReadInterval.parse(name), offset)
        )
    )


def _after(request: ReadRequest, last: int) -> int:
    """The first instant after ``last`` that a later source may fill: the next bucket."""
    interval = request.bar_interval
    if interval is None or (request.bars is not None and request.bars.kind is not BarKind.TIME):
        return last + 1
    return interval.bucket_end(interval.bucket_start(last, request.offset))


_GroupKey = tuple[str | None, Resampling | None]


def _groups(request: ReadRequest, coverage: list[Coverage]) -> dict[_GroupKey, set[str]]:
    """Symbols grouped by the stored interval (and resampling) that serves them."""
    stored: dict[str, set[str | None]] = {}
    for c in coverage:
        stored.setdefault(c.symbol, set()).add(c.interval)
    groups: dict[_GroupKey, set[str]] = {}
    for symbol, intervals in stored.items():
        key = _choice(request, intervals)
        if key is None:
            logger.debug("%s: no stored interval serves %s", symbol, request.interval)
            continue
        groups.setdefault(key, set()).add(symbol)
    return groups


def _choice(request: ReadRequest, intervals: set[str | None]) -> _GroupKey | None:
    """The stored interval serving ``request`` for a symbol that has ``intervals``."""
    target = request.interval
    if target is None or not get_dataset(request.dataset).has_interval:
        return (None, None) if None in intervals else None
    if request.offset == 0 and target.archive_name in intervals:
        return target.archive_name, None
    usable = [
        (ReadInterval.parse(name), name)
        for name in intervals
        if name is not None and target.aggregates(ReadInterval.parse(name), request.offset)
    ]
    if not usable:
        return None
    finest, name = min(usable, key=lambda u: (u[0].is_calendar, u[0].micros, u[0].months))
    return name, Resampling(target, finest, request.offset, request.complete_only)
