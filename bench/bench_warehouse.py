"""The warehouse: rows/s loaded into chDB from the lake, and the read queries beside the lake's.

Uses the read benchmarks' lake (``_read_lake.py``: 200 um symbols x 2024 of 1m klines, 105 M
rows, written by ``marketlake ingest`` from the stand-in), read-only: the warehouse's load
records go into a copy of its manifest. Everything lives in ``bench/results/cache/``.

1. **Load**: ``--repeats`` syncs of the first ``--load-symbols`` symbols into a fresh chDB
   folder each (the median rows/s; the published figure for a ClickHouse server on this kind
   of data is 2.1 M rows/s), and one of the same rows through the Arrow transport a server
   sync uses (pyarrow reads, ``insert_arrow`` sends) for reference.
2. **Full warehouse**: all symbols, then their hourly and daily rollups added (filled once
   from the table), kept between runs (a rerun is the no-op sync, also timed).
3. **Queries**: the four read queries of the read benchmark, p50 of ``--samples`` runs each,
   through ClickHouse SQL on the warehouse and through the Parquet/Polars path (``Lake``)
   in the same process; the answers are checked to agree.

Usage::

    python bench/bench_warehouse.py [--load-symbols 40] [--repeats 3] [--samples 15] [--fresh]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from _measure import CACHE_DIR, machine, median, table, write_results
from _read_lake import ReadLake, build_lake
from _read_queries import QUERIES
from _read_queries import Query as ReadQuery
from marketlake import Lake
from marketlake.manifest import open_manifest
from marketlake.warehouse import SyncReport, Warehouse, build_sync_request, open_warehouse
from marketlake.warehouse.load import UploadLoader

PUBLISHED_ROWS_PER_SECOND = 2_100_000
SYMBOL = "B00USDT"
DAY_DATE = date(2024, 6, 3)
DAY = ("2024-06-03 00:00:00", "2024-06-04 00:00:00")
YEAR = ("2024-01-01 00:00:00", "2025-01-01 00:00:00")
HALF = ("2024-01-01 00:00:00", "2024-07-01 00:00:00")
TIME = "DateTime64(6, 'UTC')"
HOURLY = (
    "SELECT symbol, toDateTime64(toStartOfHour(open_time), 6, 'UTC') AS hour,"
    " argMin(open, open_time) AS open, max(high) AS high, min(low) AS low,"
    " argMax(close, open_time) AS close, sum(volume) AS volume,"
    " sum(quote_volume) AS quote_volume, sum(count) AS count"
    " FROM um_klines_1m WHERE symbol = {s:String}"
    f" AND open_time >= {{a:{TIME}}} AND open_time < {{b:{TIME}}}"
    " GROUP BY symbol, hour ORDER BY hour"
)
DAILY_VOLUME = (
    "SELECT symbol, toDate(open_time) AS day, sum(volume) AS volume FROM um_klines_1m"
    f" WHERE open_time >= {{a:{TIME}}} AND open_time < {{b:{TIME}}}"
    " GROUP BY symbol, day ORDER BY symbol, day"
)
KLINE_COLUMNS = (
    "symbol, open_time, open, high, low, close, volume, close_time, quote_volume, count,"
    " taker_buy_volume, taker_buy_quote_volume, ignore"
)
RANGE = (
    f"SELECT {KLINE_COLUMNS} FROM um_klines_1m WHERE symbol = {{s:String}}"
    f" AND open_time >= {{a:{TIME}}} AND open_time < {{b:{TIME}}} ORDER BY open_time"
)


@dataclass(frozen=True)
class LoadRun:
    """One sync into a fresh warehouse."""

    transport: str
    rows: int
    files: int
    seconds: float
    cpu_seconds: float

    @property
    def rows_per_second(self) -> float:
        """Rows loaded per wall second."""
        return self.rows / self.seconds

    @property
    def rows_per_cpu_second(self) -> float:
        """Rows loaded per CPU second of this process (chDB's threads included)."""
        return self.rows / self.cpu_seconds


@dataclass(frozen=True)
class QueryResult:
    """p50 milliseconds of one query on both paths, and the rows each answered."""

    name: str
    lake_ms: float
    warehouse_ms: float
    rows: int
    warehouse_rollup_ms: float | None = None

    @property
    def ratio(self) -> float:
        """Warehouse time / lake time (below 1: the warehouse is faster)."""
        return self.warehouse_ms / self.lake_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load-symbols", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--skip-load", action="store_true", help="Only the queries.")
    parser.add_argument("--fresh", action="store_true", help="Load the full warehouse again.")
    args = parser.parse_args()
    spec = ReadLake()
    lake = build_lake(spec)
    work = CACHE_DIR / f"warehouse-{spec.name}"
    if args.fresh:
        shutil.rmtree(work, ignore_errors=True)
    manifest = _manifest_copy(lake, work)
    print(machine().line(), flush=True)
    symbols = ",".join(spec.symbol_names()[: args.load_symbols])
    loads = [
        _load(lake, manifest, work / "load", symbols, upload=False)
        for _ in range(0 if args.skip_load else args.repeats)
    ]
    if not args.skip_load:
        loads.append(_load(lake, manifest, work / "load", symbols, upload=True))
    full, noop = _full_warehouse(lake, manifest, work / "full")
    queries = _queries(lake, manifest, work / "full", args.samples)
    _print(loads, full, noop, queries)
    path = write_results(
        "warehouse",
        {"machine": machine(), "loads": loads, "full": full, "noop": noop, "queries": queries},
    )
    print(f"results: {path}")


def _manifest_copy(lake: Path, work: Path) -> str:
    """A copy of the lake's manifest (the lake is shared read-only), refreshed when stale."""
    work.mkdir(parents=True, exist_ok=True)
    original, copy = lake / "_manifest.sqlite", work / "manifest.sqlite"
    if not copy.exists() or copy.stat().st_mtime < original.stat().st_mtime:
        shutil.copyfile(original, copy)
        shutil.rmtree(work / "full", ignore_errors=True)
    return f"sqlite:///{copy}"


def _sync(
    lake: Path,
    manifest: str,
    folder: Path,
    *,
    symbols: str | None = None,
    upload: bool = False,
    rollups: bool = False,
) -> tuple[SyncReport, float, float]:
    request = build_sync_request(symbols=symbols, rollups=rollups)
    with (
        open_manifest(manifest, lake_root=lake) as store,
        open_warehouse(f"chdb://{folder}", lake_root=lake, create=True) as warehouse,
    ):
        clock, cpu = time.perf_counter(), _cpu()
        loader = UploadLoader() if upload else None
        report = warehouse.sync(store, request, lake_root=lake, loader=loader)
        return report, time.perf_counter() - clock, _cpu() - cpu


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load(lake: Path, manifest: str, folder: Path, symbols: str, *, upload: bool) -> LoadRun:
    shutil.rmtree(folder, ignore_errors=True)
    report, seconds, cpu = _sync(lake, manifest, folder, symbols=symbols, upload=upload)
    shutil.rmtree(folder, ignore_errors=True)
    transport = "arrow upload" if upload else "chdb reads parquet"
    run = LoadRun(transport, report.rows, report.loaded, seconds, cpu)
    print(f"load ({transport}): {run.rows:,} rows in {seconds:.2f} s ({cpu:.2f} cpu s)", flush=True)
    return run


def _full_warehouse(lake: Path, manifest: str, folder: Path) -> tuple[list[LoadRun], float]:
    """Sync every symbol, then add the rollups (the faster order for a first bulk load: the
    rollups are filled once from the table instead of on every insert), unless done before;
    then time the no-op rerun."""
    runs = []
    report, seconds, cpu = _sync(lake, manifest, folder)
    if not report.is_noop:
        runs.append(LoadRun("full warehouse", report.rows, report.loaded, seconds, cpu))
        print(f"full warehouse: {report.rows:,} rows in {seconds:.1f} s", flush=True)
        _, seconds, cpu = _sync(lake, manifest, folder, rollups=True)
        runs.append(LoadRun("+ rollups (backfill)", report.rows, 0, seconds, cpu))
        print(f"rollups added in {seconds:.1f} s", flush=True)
    again, noop_seconds, _ = _sync(lake, manifest, folder, rollups=True)
    assert again.is_noop, again
    return runs, noop_seconds


def _queries(lake: Path, manifest: str, folder: Path, samples: int) -> list[QueryResult]:
    """The read benchmark's four queries (``_read_queries.QUERIES``, its SDK side as is)
    beside the same questions in ClickHouse SQL (and from the rollups where one applies)."""
    dsn = f"chdb://{folder}"
    with (
        Lake(lake, manifest=manifest) as sdk,
        open_warehouse(dsn, lake_root=lake) as warehouse,
    ):
        day, year, hourly, daily = (_lake_side(q, sdk) for q in QUERIES)
        return [
            _compare(samples, QUERIES[0].name, day, _sql(warehouse, RANGE, DAY)),
            _compare(samples, QUERIES[1].name, year, _sql(warehouse, RANGE, YEAR)),
            _compare(
                samples,
                QUERIES[2].name,
                hourly,
                _sql(warehouse, HOURLY, YEAR),
                _rollup(warehouse, "um_klines_1m_hourly", YEAR, SYMBOL),
            ),
            _compare(
                samples,
                QUERIES[3].name,
                daily,
                _sql(warehouse, DAILY_VOLUME, HALF, symbol=None),
                _rollup(warehouse, "um_klines_1m_daily", HALF, None),
            ),
        ]


Query = Callable[[], int]


def _lake_side(query: ReadQuery, sdk: Lake) -> Query:
    return lambda: query.sdk(sdk, SYMBOL, DAY_DATE)


def _sql(
    warehouse: Warehouse, sql: str, span: tuple[str, str], *, symbol: str | None = SYMBOL
) -> Query:
    parameters: dict[str, object] = {"a": span[0], "b": span[1]}
    if symbol is not None:
        parameters["s"] = symbol
    return lambda: warehouse.query(sql, parameters).height


def _rollup(warehouse: Warehouse, view: str, span: tuple[str, str], symbol: str | None) -> Query:
    where = f"open_time >= {{a:{TIME}}} AND open_time < {{b:{TIME}}}"
    if symbol is not None:
        where += " AND symbol = {s:String}"
    sql = f"SELECT symbol, open_time, open, high, low, close, volume FROM {view} WHERE {where}"
    return _sql(warehouse, sql + " ORDER BY symbol, open_time", span, symbol=symbol)


def _compare(
    samples: int, name: str, lake: Query, warehouse: Query, rollup: Query | None = None
) -> QueryResult:
    """p50 of each path, the paths taking turns (a neighbour's burst hits all of them)."""
    rows = lake()
    paths = [lake, warehouse, *([rollup] if rollup else [])]
    counts = {path() for path in paths}  # also warms caches (file metadata, marks) once
    if counts != {rows}:
        raise SystemExit(f"{name}: the paths disagree on the row count: {counts}")
    timings: list[list[float]] = [[] for _ in paths]
    for _ in range(samples):
        for path, spent in zip(paths, timings, strict=True):
            clock = time.perf_counter()
            path()
            spent.append((time.perf_counter() - clock) * 1000)
    p50 = [median(spent) for spent in timings]
    result = QueryResult(name, p50[0], p50[1], rows, p50[2] if rollup else None)
    print(f"{name}: lake {p50[0]:.1f} ms, warehouse {p50[1]:.1f} ms", flush=True)
    return result


def _print(
    loads: list[LoadRun], full: list[LoadRun], noop: float, queries: list[QueryResult]
) -> None:
    chdb = [run.rows_per_second for run in loads if run.transport == "chdb reads parquet"]
    print()
    print(table(
        ["load", "rows", "files", "seconds", "M rows/s", "cpu s", "M rows/cpu s"],
        [[r.transport, r.rows, r.files, r.seconds, r.rows_per_second / 1e6, r.cpu_seconds,
          r.rows_per_cpu_second / 1e6]
         for r in [*loads, *full]],
    ))  # fmt: skip
    print(
        f"median chDB load: {median(chdb) / 1e6:.2f} M rows/s"
        f" (published server figure {PUBLISHED_ROWS_PER_SECOND / 1e6:.1f} M rows/s);"
        f" no-op sync {noop:.2f} s"
    )
    print()
    print(table(
        ["query (p50)", "rows", "lake ms", "warehouse ms", "rollup ms", "warehouse / lake"],
        [[q.name, q.rows, q.lake_ms, q.warehouse_ms,
          "" if q.warehouse_rollup_ms is None else q.warehouse_rollup_ms, q.ratio]
         for q in queries],
    ))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
