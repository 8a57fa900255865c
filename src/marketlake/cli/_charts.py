"""Chart data for ``marketlake plot``: candles with volume, and a day-by-symbol gap heatmap.

Drawing lives in :mod:`._svg` (self-contained HTML/SVG, no JavaScript) and :mod:`._png`
(matplotlib, the optional ``plot`` extra); this module turns lake answers into plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from marketlake.lake.gaps import GapReport

PRESENT = "present"
KIND_COLORS = {
    PRESENT: "#2e7d32",
    "inside_file": "#f57c00",
    "unavailable": "#c62828",
    "not_ingested": "#9e9e9e",
    "unknown": "#6d4c41",
    "not_yet_published": "#64b5f6",
    "before_listing": "#eceff1",
    "after_delisting": "#cfd8dc",
    "discontinued": "#b0bec5",
}
"""Heatmap colour of each gap kind (and of a day with every row present)."""
UP, DOWN = "#26a69a", "#ef5350"


@dataclass(frozen=True)
class Candle:
    """One bar, as floats for drawing (the lake's exact values are not needed to look)."""

    open_time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float

    @property
    def color(self) -> str:
        """Green when the bar closed at or above its open, red otherwise."""
        return UP if self.close >= self.open else DOWN


@dataclass(frozen=True)
class HeatCell:
    """One symbol's day: the kind of gap that misses most of it, and how much is missing."""

    symbol: str
    day: date
    kind: str
    missing: float


def candles_of(frame: pl.DataFrame) -> list[Candle]:
    """Candles from a klines answer (``exact=False`` or exact: cast to float here)."""
    import polars as pl

    names = ("open", "high", "low", "close", "volume")
    floats = frame.select("open_time", *(pl.col(n).cast(pl.Float64) for n in names))
    return [Candle(*row) for row in floats.iter_rows()]


def heat_cells(reports: Iterable[GapReport]) -> list[HeatCell]:
    """One cell per symbol and day of each report's range."""
    cells: list[HeatCell] = []
    for report in reports:
        day = report.start
        while day <= report.end:
            cells.append(_cell(report, day))
            day += timedelta(days=1)
    return cells


def _cell(report: GapReport, day: date) -> HeatCell:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    end = start + timedelta(days=1)
    missing: dict[str, float] = {}
    for gap in report.gaps:
        overlap = (min(gap.end, end) - max(gap.start, start)).total_seconds()
        if overlap > 0:
            missing[gap.kind.value] = missing.get(gap.kind.value, 0.0) + overlap
    if not missing:
        return HeatCell(report.target.symbol, day, PRESENT, 0.0)
    kind = max(missing, key=lambda k: missing[k])
    return HeatCell(report.target.symbol, day, kind, min(1.0, sum(missing.values()) / 86_400))


def days_of(cells: Sequence[HeatCell]) -> list[date]:
    """The sorted days the cells cover."""
    return sorted({c.day for c in cells})


def symbols_of(cells: Sequence[HeatCell]) -> list[str]:
    """The symbols of the cells, in first-seen order."""
    return list(dict.fromkeys(c.symbol for c in cells))


def legend(cells: Sequence[HeatCell]) -> list[tuple[str, str]]:
    """``(kind, colour)`` of the kinds that appear, in :data:`KIND_COLORS` order."""
    seen = {c.kind for c in cells}
    return [(kind, color) for kind, color in KIND_COLORS.items() if kind in seen]
