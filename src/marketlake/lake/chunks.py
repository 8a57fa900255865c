"""Cutting a large read into pieces that answer it together, for streaming.

Symbols are grouped until a group holds about ``max_rows`` stored rows; a symbol holding more
is read in time windows whose edges are bucket starts, so resampled bars are never split.
Volume and tick bars depend on where the read starts, so their symbols are never windowed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace

from marketlake.lake.interval import from_micros
from marketlake.lake.plan import ReadPlan, stored_range
from marketlake.lake.request import BarKind, ReadRequest


def split_request(plan: ReadPlan, max_rows: int) -> Iterator[ReadRequest]:
    """Requests whose answers, concatenated in order, are ``plan.request``'s answer."""
    request = plan.request
    if sum(plan.rows.values()) <= max_rows:
        yield request
        return
    group: list[str] = []
    held = 0
    for symbol in plan.symbols:
        rows = plan.rows.get(symbol, 0)
        if group and held + rows > max_rows:
            yield replace(request, symbols=tuple(group))
            group, held = [], 0
        if rows > max_rows and _can_window(request):
            yield from _windows(plan, symbol, -(-rows // max_rows))
            continue
        group.append(symbol)
        held += rows
    if group:
        yield replace(request, symbols=tuple(group))


def _can_window(request: ReadRequest) -> bool:
    return request.bars is None or request.bars.kind is BarKind.TIME


def _windows(plan: ReadPlan, symbol: str, count: int) -> Iterator[ReadRequest]:
    """``symbol``'s part of the request in ``count`` time windows of about equal rows."""
    request = plan.request
    first, last = plan.spans[symbol]
    start, end = stored_range(request)
    low = first if start is None else max(first, start)
    high = last + 1 if end is None else min(last + 1, end)
    step = max(1, (high - low) // count)
    edges = [low + i * step for i in range(1, count)]
    interval = request.bar_interval
    if interval is not None:
        edges = [interval.ceil(edge, request.offset) for edge in edges]
    lowest, highest = request.start_micros, request.end_micros
    inside = {
        edge
        for edge in edges
        if (lowest is None or edge > lowest) and (highest is None or edge < highest)
    }
    bounds = [lowest, *sorted(inside), highest]
    for left, right in itertools.pairwise(bounds):
        yield replace(
            request,
            symbols=(symbol,),
            start=None if left is None else from_micros(left),
            end=None if right is None else from_micros(right),
        )
