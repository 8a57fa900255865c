"""Read benchmark: the Lake SDK against DuckDB and pandas on 105 million 1m kline rows.

The lake (200 um symbols x 2024 of 1m klines, 2,400 monthly files) is written by
``marketlake ingest`` from the stand-in (``_read_lake.py``) and cached. Four queries (see
``_read_queries.py``) run through the SDK, DuckDB ``read_parquet`` over the same files and
pandas, in alternating blocks (see :func:`measure`) so that load from other work falls on all
three alike; each repeat takes another symbol (and day), the same picks for every engine. Reported:
p50 per query and engine, targets, and the ratios DuckDB/SDK and pandas/SDK (> 1: the SDK
is faster). Usage::

    python bench/bench_read.py [--repeats 21] [--slow-repeats 7] [--pandas-repeats 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import duckdb

from _measure import loop_probe, machine, table, write_results
from _read_lake import ReadLake, build_lake
from _read_queries import QUERIES, Engines, Query, check_answers
from marketlake import Lake


@dataclass(frozen=True)
class QueryResult:
    """p50 (ms) of one query per engine, and its target."""

    name: str
    target_ms: float
    sdk_ms: float
    duckdb_ms: float
    pandas_ms: float
    runs: int
    sdk_all_ms: tuple[float, ...]
    loop_mops: float | None = None  # the machine's speed just before (``loop_probe``)

    @property
    def met(self) -> bool:
        return self.sdk_ms <= self.target_ms

    @property
    def vs_duckdb(self) -> float:
        return self.duckdb_ms / self.sdk_ms

    @property
    def vs_pandas(self) -> float:
        return self.pandas_ms / self.sdk_ms

    def row(self) -> list[object]:
        """The printed table's row."""
        status = "met" if self.met else "MISSED"
        engines = [self.duckdb_ms, self.vs_duckdb, self.pandas_ms, self.vs_pandas]
        return [self.name, self.sdk_ms, self.target_ms, status, *engines]


BLOCKS = 3


def _timed(function: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    function(*args)
    return (time.perf_counter() - start) * 1000


def measure(
    query: Query, lake: Lake, engines: Engines, picks: list[tuple[str, date]], pandas_runs: int
) -> QueryResult:
    """Runs of ``query`` in blocks, warm.

    Before each block the files its picks read are read once (untimed), so every engine
    meets the same warm page cache (this VM's cache does not hold the whole 4 GB lake: a cold
    file costs ~3 ms more). Engines run in alternating blocks, each block led by one untimed
    run (engines switched on every call disturb each other's threads on 2 cores), in a
    rotating order so none is always first; the alternation spreads drifting load from other
    work over all of them.
    """
    engines_of: dict[str, Callable[[str, date], object]] = {
        "sdk": lambda symbol, day: query.sdk(lake, symbol, day),
        "duckdb": lambda symbol, day: query.duckdb(engines, symbol, day),
        "pandas": lambda symbol, day: query.pandas(engines, symbol, day),
    }
    times: dict[str, list[float]] = {name: [] for name in engines_of}
    for index in range(BLOCKS):
        block = picks[index::BLOCKS]
        order = list(engines_of)[index % 3 :] + list(engines_of)[: index % 3]
        for name in order:
            chosen = block if name != "pandas" else block[: max(0, pandas_runs - len(times[name]))]
            if not chosen:
                continue
            warm_files({f for pick in chosen for f in query.files(engines, *pick)})
            engines_of[name](*chosen[0])  # untimed: lets this engine's threads take over
            times[name].extend(_timed(engines_of[name], *pick) for pick in chosen)
    return QueryResult(
        name=query.name,
        target_ms=query.target_ms,
        sdk_ms=statistics.median(times["sdk"]),
        duckdb_ms=statistics.median(times["duckdb"]),
        pandas_ms=statistics.median(times["pandas"]) if times["pandas"] else float("nan"),
        runs=len(picks),
        sdk_all_ms=tuple(round(t, 2) for t in times["sdk"]),
    )


def warm_files(paths: set[str]) -> None:
    """Read ``paths`` once so that the OS caches them."""
    for path in sorted(paths):
        with open(path, "rb") as handle:  # noqa: PTH123
            while handle.read(1 << 22):
                pass


def picks_for(spec: ReadLake, count: int, seed: int) -> list[tuple[str, date]]:
    """``count`` (symbol, day) pairs, the same for every engine."""
    chooser = random.Random(seed)
    names = spec.symbol_names()
    return [
        (chooser.choice(names), spec.start + timedelta(days=chooser.randrange(366)))
        for _ in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=21, help="repeats of the three fast queries")
    parser.add_argument(
        "--slow-repeats", type=int, default=7, help="repeats of the all-symbols query"
    )
    parser.add_argument("--pandas-repeats", type=int, default=3, help="0: no pandas runs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    spec = ReadLake(symbols=args.symbols)
    lake_dir = build_lake(spec)
    print(machine().line(), flush=True)
    results = []
    with Lake(lake_dir) as lake:
        engines = Engines(lake_dir, duckdb.connect())
        engines.connection.execute("SET TimeZone = 'UTC'")
        check_answers(lake, engines, *picks_for(spec, 1, args.seed)[0])
        for query in QUERIES:
            repeats = args.slow_repeats if query.target_ms >= 1000 else args.repeats
            probe = loop_probe()
            result = measure(
                query, lake, engines, picks_for(spec, repeats, args.seed), args.pandas_repeats
            )
            result = replace(result, loop_mops=probe)
            results.append(result)
            load = os.getloadavg()[0]
            print(
                f"{query.name}: sdk {result.sdk_ms:.1f} ms, duckdb {result.duckdb_ms:.1f} ms,"
                f" pandas {result.pandas_ms:.1f} ms (load {load:.2f},"
                f" Python loop {probe:.1f} M adds/s before)",
                flush=True,
            )
    rows = [r.row() for r in results]
    headers = [
        "query (p50)",
        "sdk ms",
        "target ms",
        "",
        "duckdb ms",
        "duckdb/sdk",
        "pandas ms",
        "pandas/sdk",
    ]
    print(table(headers, rows))
    path = write_results("read", {"machine": machine(), "lake": str(lake_dir), "results": results})
    print(f"results: {path}")


if __name__ == "__main__":
    main()
