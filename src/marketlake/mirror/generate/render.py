"""The CSV text of one planned file, in chunks (a busy trades day is ~280 MB of text).

A monthly file is its days' rows one after the other, so it equals the concatenation of its
daily files, except where a trap says otherwise (interleaved trades, partial files, the
first upload of a regenerated file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from marketlake.catalog import Interval
from marketlake.mirror.generate import derivatives, options
from marketlake.mirror.generate.klines import KlineSource, kline_csv
from marketlake.mirror.generate.plans import FilePlan
from marketlake.mirror.generate.schedule import has_header, header_names, uses_microseconds
from marketlake.mirror.generate.text import header_row
from marketlake.mirror.generate.trades import agg_csv, agg_day, trade_day, trades_csv
from marketlake.mirror.generate.traps import INTERLEAVED_MONTHLY_TRADES, PARTIAL_DAILY
from marketlake.mirror.universe import Instrument

CHUNK_ROWS = 250_000
ORIGINAL_SHARE = 0.9
"""The first upload of a regenerated file lacked its last tenth of rows."""

_DAILY_RENDERERS: dict[str, Callable[[int, Instrument, date], bytes]] = {
    "bookTicker": derivatives.book_ticker_csv,
    "bookDepth": derivatives.book_depth_csv,
    "metrics": derivatives.metrics_csv,
    "liquidationSnapshot": derivatives.liquidation_csv,
    "BVOLIndex": options.bvol_csv,
    "EOHSummary": options.eoh_csv,
}


class Renderer:
    """Writes the CSV of planned files from one seed."""

    def __init__(self, seed: int, big: bool) -> None:
        self.seed = seed
        self.big = big
        self.klines = KlineSource(seed)

    def csv_chunks(self, plan: FilePlan) -> Iterator[bytes]:
        """The file's CSV, header first when the file has one."""
        if has_header(plan.key):
            yield header_row(header_names(plan.key))
        rows = self._rows(plan)
        if plan.original:
            yield _truncated(b"".join(rows))
        elif _is_interleaved(plan):
            yield _interleaved(b"".join(rows))
        else:
            yield from rows

    def _rows(self, plan: FilePlan) -> Iterator[bytes]:
        dataset = plan.key.dataset
        if plan.key.interval is not None:
            return self._kline_rows(plan)
        if dataset in ("trades", "aggTrades"):
            return self._trade_rows(plan)
        if dataset == "fundingRate":
            return iter([derivatives.funding_csv(self.seed, plan.instrument, list(plan.days))])
        render = _DAILY_RENDERERS[dataset]
        return (render(self.seed, plan.instrument, day) for day in plan.days)

    def _kline_rows(self, plan: FilePlan) -> Iterator[bytes]:
        key = plan.key
        interval = Interval.parse(key.interval or "")
        bars = self.klines.bars(plan.instrument, key.dataset, interval, plan.days)
        limit = PARTIAL_DAILY.get(key.zip_key)
        if limit is not None:
            bars = bars.select(slice(0, limit))
        micros = uses_microseconds(key)
        for start in range(0, len(bars), CHUNK_ROWS):
            part = bars.select(slice(start, start + CHUNK_ROWS))
            yield kline_csv(part, plan.instrument, key.dataset, interval, micros)

    def _trade_rows(self, plan: FilePlan) -> Iterator[bytes]:
        micros = uses_microseconds(plan.key)
        for day in plan.days:
            trades = trade_day(self.seed, plan.instrument, day, self.big)
            if plan.key.dataset == "trades":
                for start in range(0, len(trades), CHUNK_ROWS):
                    yield trades_csv(
                        trades, slice(start, start + CHUNK_ROWS), plan.instrument, micros
                    )
                continue
            agg = agg_day(trades, plan.instrument, day)
            for start in range(0, agg.agg_id.shape[0], CHUNK_ROWS):
                yield agg_csv(agg, slice(start, start + CHUNK_ROWS), plan.instrument, micros)


def _is_interleaved(plan: FilePlan) -> bool:
    key = plan.key
    return (
        key.dataset == "trades" and (key.market, key.symbol, key.date) in INTERLEAVED_MONTHLY_TRADES
    )


def _truncated(rows: bytes) -> bytes:
    lines = rows.splitlines(keepends=True)
    return b"".join(lines[: int(len(lines) * ORIGINAL_SHARE)])


def _interleaved(rows: bytes) -> bytes:
    """Rows of the first and second half alternating: out of id order, as some months are."""
    lines = rows.splitlines(keepends=True)
    half = (len(lines) + 1) // 2
    mixed: list[bytes] = []
    for index in range(half):
        mixed.append(lines[index])
        if half + index < len(lines):
            mixed.append(lines[half + index])
    return b"".join(mixed)
