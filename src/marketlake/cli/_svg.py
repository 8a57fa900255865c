"""Self-contained HTML pages with inline SVG charts: no JavaScript, no external files.

Hovering a candle or a heatmap cell shows its values (SVG ``<title>`` elements).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from marketlake.cli._charts import KIND_COLORS, Candle, HeatCell, days_of, legend, symbols_of

WIDTH = 1000
PRICE_HEIGHT, VOLUME_HEIGHT, MARGIN = 360, 110, 60
CELL_HEIGHT = 18


def page(title: str, svg: str, caption: str = "") -> str:
    """An HTML document holding ``svg``."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:24px}p{color:#555}</style></head>"
        f"<body><h1>{escape(title)}</h1>\n{svg}\n<p>{escape(caption)}</p></body></html>\n"
    )


def candles_svg(candles: Sequence[Candle]) -> str:
    """Candlesticks over volume bars, one slot per bar."""
    low = min(c.low for c in candles)
    high = max(c.high for c in candles)
    top_volume = max(c.volume for c in candles) or 1.0
    slot = (WIDTH - 2 * MARGIN) / len(candles)
    body = max(1.0, slot * 0.7)

    def y(price: float) -> float:
        span = (high - low) or 1.0
        return MARGIN + (high - price) / span * PRICE_HEIGHT

    parts = [_svg_open(WIDTH, PRICE_HEIGHT + VOLUME_HEIGHT + 2 * MARGIN + 20)]
    volume_base = MARGIN + PRICE_HEIGHT + 20 + VOLUME_HEIGHT
    for index, c in enumerate(candles):
        x = MARGIN + index * slot + slot / 2
        tip = (f"{c.open_time:%Y-%m-%d %H:%M} UTC  O {c.open:g}  H {c.high:g}  L {c.low:g}  "
               f"C {c.close:g}  V {c.volume:g}")  # fmt: skip
        top, bottom = sorted((y(c.open), y(c.close)))
        bar = c.volume / top_volume * VOLUME_HEIGHT
        parts.append(
            f'<g class="candle"><title>{escape(tip)}</title>'
            f'<line x1="{x:.2f}" y1="{y(c.high):.2f}" x2="{x:.2f}" y2="{y(c.low):.2f}" '
            f'stroke="{c.color}"/>'
            f'<rect x="{x - body / 2:.2f}" y="{top:.2f}" width="{body:.2f}" '
            f'height="{max(1.0, bottom - top):.2f}" fill="{c.color}"/>'
            f'<rect class="volume" x="{x - body / 2:.2f}" y="{volume_base - bar:.2f}" '
            f'width="{body:.2f}" height="{bar:.2f}" fill="{c.color}" opacity="0.5"/></g>'
        )
    parts += [
        _text(4, MARGIN + 4, f"{high:g}"),
        _text(4, MARGIN + PRICE_HEIGHT, f"{low:g}"),
        _text(4, volume_base - VOLUME_HEIGHT + 10, f"vol {top_volume:g}"),
        _text(MARGIN, volume_base + 16, f"{candles[0].open_time:%Y-%m-%d %H:%M}"),
        _text(WIDTH - MARGIN - 110, volume_base + 16, f"{candles[-1].open_time:%Y-%m-%d %H:%M}"),
        "</svg>",
    ]
    return "\n".join(parts)


def heatmap_svg(cells: Sequence[HeatCell]) -> str:
    """A row per symbol, a column per day, coloured by the kind that misses most of it."""
    days, symbols = days_of(cells), symbols_of(cells)
    left = 20 + 8 * max(len(s) for s in symbols)
    width = max(4.0, (WIDTH - left - 20) / len(days))
    height = CELL_HEIGHT * len(symbols) + 60 + 18 * len(KIND_COLORS)
    column = {day: index for index, day in enumerate(days)}
    row = {symbol: index for index, symbol in enumerate(symbols)}
    parts = [_svg_open(int(left + width * len(days) + 20), height)]
    for symbol in symbols:
        parts.append(_text(4, 30 + row[symbol] * CELL_HEIGHT + 13, symbol))
    for cell in cells:
        tip = f"{cell.symbol} {cell.day}: {cell.kind}, {cell.missing:.0%} missing"
        parts.append(
            f'<rect class="cell" x="{left + column[cell.day] * width:.2f}" '
            f'y="{30 + row[cell.symbol] * CELL_HEIGHT}" width="{width:.2f}" '
            f'height="{CELL_HEIGHT - 2}" fill="{KIND_COLORS[cell.kind]}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    base = 30 + CELL_HEIGHT * len(symbols)
    parts += [_text(left, base + 14, str(days[0])), _text(left + width * len(days) - 70,
              base + 14, str(days[-1]))]  # fmt: skip
    for index, (kind, color) in enumerate(legend(cells)):
        y = base + 34 + index * 18
        parts.append(f'<rect x="{left}" y="{y - 11}" width="12" height="12" fill="{color}"/>')
        parts.append(_text(left + 18, y, kind))
    parts.append("</svg>")
    return "\n".join(parts)


def _svg_open(width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="12">'
    )


def _text(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" fill="#333">{escape(text)}</text>'
