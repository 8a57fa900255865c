"""PNG charts with matplotlib (the ``plot`` extra), imported only when a PNG is asked for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from marketlake.cli._charts import KIND_COLORS, Candle, HeatCell, days_of, legend, symbols_of
from marketlake.errors import ConfigError

DPI = 110


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ConfigError(
            "PNG charts need matplotlib: pip install 'marketlake[plot]' (or write .html)"
        ) from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def candles_png(candles: Sequence[Candle], title: str, out: Path) -> None:
    """Candlesticks over volume bars, written to ``out``."""
    plt = _pyplot()
    figure, (price, volume) = plt.subplots(
        2, 1, sharex=True, figsize=(11, 6), gridspec_kw={"height_ratios": [3, 1]}
    )
    positions = range(len(candles))
    colors = [c.color for c in candles]
    price.vlines(positions, [c.low for c in candles], [c.high for c in candles], colors=colors)
    bottoms = [min(c.open, c.close) for c in candles]
    heights = [abs(c.close - c.open) or (c.high - c.low) * 0.01 for c in candles]
    price.bar(positions, heights, bottom=bottoms, color=colors, width=0.7)
    volume.bar(positions, [c.volume for c in candles], color=colors, width=0.7, alpha=0.6)
    price.set_title(title)
    price.set_ylabel("price")
    volume.set_ylabel("volume")
    ticks = sorted({0, len(candles) // 2, len(candles) - 1})
    volume.set_xticks(ticks, [f"{candles[i].open_time:%Y-%m-%d %H:%M}" for i in ticks])
    figure.tight_layout()
    figure.savefig(out, dpi=DPI, format="png")
    plt.close(figure)


def heatmap_png(cells: Sequence[HeatCell], title: str, out: Path) -> None:
    """The gap heatmap (symbols x days), written to ``out``."""
    plt = _pyplot()
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Patch

    days, symbols = days_of(cells), symbols_of(cells)
    image = [[(1.0, 1.0, 1.0)] * len(days) for _ in symbols]
    column = {day: index for index, day in enumerate(days)}
    for cell in cells:
        image[symbols.index(cell.symbol)][column[cell.day]] = to_rgb(KIND_COLORS[cell.kind])
    figure, axes = plt.subplots(figsize=(11, 1.5 + 0.35 * len(symbols)))
    axes.imshow(image, aspect="auto", interpolation="nearest")
    axes.set_yticks(range(len(symbols)), symbols)
    ticks = sorted({0, len(days) // 2, len(days) - 1})
    axes.set_xticks(ticks, [str(days[i]) for i in ticks])
    axes.set_title(title)
    handles = [Patch(color=color, label=kind) for kind, color in legend(cells)]
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    figure.tight_layout()
    figure.savefig(out, dpi=DPI, format="png")
    plt.close(figure)
