"""Flight benchmark: ``marketlake serve`` against a bare pyarrow.flight server, same run.

1. **Throughput**: ``do_get`` of ~10 million um 1m kline rows (20 symbols x 2023, read from the
   lake through the read path) over loopback, against a bare ``pyarrow.flight`` server that
   streams the very same table from memory. Target: >= 0.8 of the bare server's rows/s.
   Measured twice in the same run: **cold** (``--cache-mb 0``: every request decodes Parquet)
   and **warm** (``--cache-mb 2048``, the default, after one warm-up request: decoded files
   come from the server's cache).
2. **Latency**: one symbol, one day of 1m bars (1,440 rows), end to end through
   ``FlightClient.get_symbol`` into Polars (connection reused). Target: p50 <= 10 ms.
3. **8 concurrent clients**: 8 threads, each with its own connection, (a) each streaming one
   symbol's year (525,600 rows) and (b) each making one-day requests; aggregate rows/s and p50.

Both servers run in their own processes; the client is this process. The lake is written by
``marketlake ingest`` from the stand-in (an overlay of monthly 1m zips renamed to 20 made-up
symbols, the way ``bench/_overlay.py`` does for dailies) and cached under
``bench/results/cache/``. Usage::

    python bench/bench_flight.py [--repeats 5] [--latency-requests 200]
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import pyarrow as pa
from pyarrow import flight

from _flight_lake import SYMBOLS, YEAR, build_lake
from _measure import CACHE_DIR, machine, median, table, write_results
from _standin import running_server

if TYPE_CHECKING:
    from marketlake.lake.read import LakeReader
    from marketlake.lake.request import ReadRequest

WARM_CACHE_MB = 2048
"""The warm server's decoded-file cache (``marketlake serve``'s default)."""
REFERENCE_FILE = CACHE_DIR / f"flight-reference-{len(SYMBOLS)}x{YEAR}.arrow"
CLIENTS = 8
WHOLE_TICKET = {
    "v": 1,
    "kind": "market",
    "market": "um",
    "interval": 1,
    "begin": f"{YEAR}-01-01",
    "end": f"{YEAR + 1}-01-01",
}


# -- servers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A server process: the URI it printed and its pid."""

    uri: str
    pid: int

    @property
    def port(self) -> int:
        """Its port."""
        return int(self.uri.rsplit(":", 1)[1])

    def cpu_seconds(self) -> float:
        """User + system CPU the server has used so far."""
        times = psutil.Process(self.pid).cpu_times()
        return times.user + times.system

    def peak_rss(self) -> int:
        """The server's peak resident memory so far (VmHWM), in bytes."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0


@contextmanager
def server_process(argv: list[str]) -> Iterator[Served]:
    """Run a server command; yield its URI (the first line it prints) and pid; SIGTERM it."""
    with running_server(argv, name="the Flight server") as (uri, pid):
        yield Served(uri, pid)


def lake_server(lake: Path, cache_mb: int = 0) -> list[str]:
    """``marketlake serve`` over ``lake`` on a free port, keeping ``cache_mb`` MiB decoded."""
    return [
        *(sys.executable, "-m", "marketlake", "serve", "--lake", str(lake), "--port", "0"),
        *("--cache-mb", str(cache_mb)),
    ]


def bare_server(reference: Path) -> list[str]:
    """This script as a bare pyarrow.flight server of ``reference`` (held in memory)."""
    return [sys.executable, __file__, "--bare", str(reference)]


class BareServer(flight.FlightServerBase):  # type: ignore[misc]
    """Streams one in-memory table for any ticket: the ceiling of Flight over loopback."""

    def __init__(self, data: pa.Table) -> None:
        super().__init__("grpc+tcp://127.0.0.1:0")
        self.data = data

    def do_get(self, context: object, ticket: flight.Ticket) -> flight.RecordBatchStream:
        return flight.RecordBatchStream(self.data)


def run_bare(reference: Path) -> None:
    """Serve ``reference`` from memory until SIGTERM (the ``--bare`` mode)."""
    with pa.OSFile(str(reference)) as source:  # read into memory (not a memory map)
        data = pa.ipc.open_file(source).read_all()
    server = BareServer(data)
    print(f"grpc+tcp://127.0.0.1:{server.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.shutdown()


# -- measurements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """One timed do_get: rows, Arrow bytes, seconds, and the CPU seconds of both ends."""

    rows: int
    nbytes: int
    seconds: float
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    @property
    def rows_per_second(self) -> float:
        """Rows per second."""
        return self.rows / self.seconds

    @property
    def mb_per_second(self) -> float:
        """Arrow MB (1e6 B) per second."""
        return self.nbytes / 1e6 / self.seconds


def timed_get(uri: str, ticket: dict[str, object]) -> Stream:
    """Stream ``ticket`` from ``uri``, counting rows and bytes, discarding batches."""
    client = flight.connect(uri)
    try:
        clock = time.perf_counter()
        reader = client.do_get(flight.Ticket(json.dumps(ticket).encode()))
        rows = nbytes = 0
        for chunk in reader:
            rows += chunk.data.num_rows
            nbytes += chunk.data.nbytes
        return Stream(rows, nbytes, time.perf_counter() - clock)
    finally:
        client.close()


def measured_get(served: Served, ticket: dict[str, object]) -> Stream:
    """:func:`timed_get` with the CPU seconds the server and this process spent on it."""
    server_before, client_before = served.cpu_seconds(), time.process_time()
    stream = timed_get(served.uri, ticket)
    return replace(
        stream,
        server_cpu=served.cpu_seconds() - server_before,
        client_cpu=time.process_time() - client_before,
    )


def save_reference(uri: str) -> Path:
    """The whole answer, once, as an Arrow IPC file for the bare server (cached)."""
    if REFERENCE_FILE.exists():
        return REFERENCE_FILE
    client = flight.connect(uri)
    reader = client.do_get(flight.Ticket(json.dumps(WHOLE_TICKET).encode()))
    partial = REFERENCE_FILE.with_suffix(".partial")
    with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, reader.schema) as writer:
        for chunk in reader:
            writer.write_batch(chunk.data)
    client.close()
    partial.replace(REFERENCE_FILE)
    return REFERENCE_FILE


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def one_day_tickets(count: int, seed: int = 1) -> list[tuple[str, date]]:
    """``count`` random (symbol, day) pairs of the lake."""
    rng = random.Random(seed)
    first = date(YEAR, 1, 1)
    return [(rng.choice(SYMBOLS), first + timedelta(days=rng.randrange(365))) for _ in range(count)]


def latencies(port: int, requests: list[tuple[str, date]]) -> list[float]:
    """Seconds per one-day request through FlightClient.get_symbol (Polars), one connection."""
    from marketlake import FlightClient

    found = []
    with FlightClient("127.0.0.1", port) as client:
        client.get_symbol("um", SYMBOLS[0], 1, 0, date(YEAR, 1, 1), date(YEAR, 1, 2))  # warm up
        for symbol, day in requests:
            clock = time.perf_counter()
            frame = client.get_symbol("um", symbol, 1, 0, day, day + timedelta(days=1))
            found.append(time.perf_counter() - clock)
            if frame.height != 1440:
                raise SystemExit(f"{symbol} {day}: {frame.height} rows, expected 1440")
    return found


def concurrently(work: Callable[[int], object]) -> float:
    """Run ``work(i)`` for i in 0..CLIENTS-1 on threads at once; the wall seconds."""
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    clock = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"a concurrent client failed: {errors[0]!r}")
    return time.perf_counter() - clock


# -- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """Everything measured in one run."""

    rows: int
    nbytes: int
    lake_streams: list[Stream]
    warm_streams: list[Stream]
    bare_streams: list[Stream]
    read_path_streams: list[Stream]
    warm_read_path_streams: list[Stream]
    latency_seconds: list[float]
    warm_latency_seconds: list[float]
    concurrent_year_seconds: float
    concurrent_year_rows: int
    concurrent_latency_seconds: list[float]
    server_peak_rss: int
    warm_peak_rss: int

    @property
    def ratio(self) -> float:
        """Median cold lake rows/s over median bare rows/s."""
        lake = median([s.rows_per_second for s in self.lake_streams])
        return lake / median([s.rows_per_second for s in self.bare_streams])

    @property
    def warm_ratio(self) -> float:
        """Median warm (cached) lake rows/s over median bare rows/s."""
        lake = median([s.rows_per_second for s in self.warm_streams])
        return lake / median([s.rows_per_second for s in self.bare_streams])


def read_path_alone(lake: Path, repeats: int, cache_mb: int = 0) -> list[Stream]:
    """The same answer straight from ``LakeReader.record_batches`` in this process, no Flight:
    the ceiling the read path puts on any server (with a cache: after one warm-up read)."""
    from marketlake.lake.read import LakeReader
    from marketlake.serve.source import read_request
    from marketlake.serve.ticket import ticket_from_mapping

    request = read_request(ticket_from_mapping(WHOLE_TICKET))
    with LakeReader.open(lake, cache_bytes=cache_mb * 2**20) as reader:
        if cache_mb:
            _read_all(reader, request)
        return [_read_all(reader, request) for _ in range(repeats)]


def _read_all(reader: LakeReader, request: ReadRequest) -> Stream:
    clock, cpu_before = time.perf_counter(), time.process_time()
    rows = nbytes = 0
    for batch in reader.record_batches(request):
        rows += batch.num_rows
        nbytes += batch.nbytes
    seconds = time.perf_counter() - clock
    return Stream(rows, nbytes, seconds, server_cpu=time.process_time() - cpu_before)


def throughput(servers: list[Served], repeats: int) -> list[list[Stream]]:
    """Interleaved whole-answer streams from each server (one warm-up each first)."""
    for served in servers:
        timed_get(served.uri, WHOLE_TICKET)
    streams: list[list[Stream]] = [[] for _ in servers]
    for _ in range(repeats):
        for served, found in zip(servers, streams, strict=True):
            found.append(measured_get(served, WHOLE_TICKET))
    return streams


def concurrent_years(port: int) -> tuple[float, int]:
    """8 clients at once, each streaming one symbol's year; wall seconds and rows."""
    rows = [0] * CLIENTS

    def work(index: int) -> None:
        ticket = {**WHOLE_TICKET, "kind": "symbol", "symbol": SYMBOLS[index]}
        rows[index] = timed_get(f"grpc+tcp://127.0.0.1:{port}", ticket).rows

    return concurrently(work), sum(rows)


def concurrent_latencies(port: int, per_client: int) -> list[float]:
    """8 clients at once, each making ``per_client`` one-day requests; every latency."""
    found: list[list[float]] = [[] for _ in range(CLIENTS)]

    def work(index: int) -> None:
        found[index] = latencies(port, one_day_tickets(per_client, seed=100 + index))

    concurrently(work)
    return [value for values in found for value in values]


def run(repeats: int, requests: int) -> Results:
    """Build (or reuse) the lake, start the three servers, measure."""
    lake = build_lake()
    alone = read_path_alone(lake, max(1, repeats // 2))
    warm_alone = read_path_alone(lake, max(1, repeats // 2), WARM_CACHE_MB)
    with server_process(lake_server(lake)) as served:
        reference = save_reference(served.uri)
        with (
            server_process(lake_server(lake, WARM_CACHE_MB)) as warm,
            server_process(bare_server(reference)) as bare,
        ):
            lake_streams, warm_streams, bare_streams = throughput([served, warm, bare], repeats)
            warm_rss = warm.peak_rss()
            warm_latency = latencies(warm.port, one_day_tickets(requests))
        peak_rss = served.peak_rss()
        latency = latencies(served.port, one_day_tickets(requests))
        year_seconds, year_rows = concurrent_years(served.port)
        loaded = concurrent_latencies(served.port, max(10, requests // CLIENTS))
    return Results(
        rows=lake_streams[0].rows,
        nbytes=lake_streams[0].nbytes,
        lake_streams=lake_streams,
        warm_streams=warm_streams,
        bare_streams=bare_streams,
        read_path_streams=alone,
        warm_read_path_streams=warm_alone,
        latency_seconds=latency,
        warm_latency_seconds=warm_latency,
        concurrent_year_seconds=year_seconds,
        concurrent_year_rows=year_rows,
        concurrent_latency_seconds=loaded,
        server_peak_rss=peak_rss,
        warm_peak_rss=warm_rss,
    )


def cpu(streams: list[Stream], name: str) -> float:
    """The median of one CPU field over ``streams``."""
    return median([getattr(s, name) for s in streams])


def report(results: Results) -> str:
    """The results as a table with the targets."""
    ms = 1000.0
    p50 = percentile(results.latency_seconds, 0.5) * ms
    loaded_p50 = percentile(results.concurrent_latency_seconds, 0.5) * ms
    warm = f"warm, --cache-mb {WARM_CACHE_MB}"
    rows = [
        ("do_get, serve cold, --cache-mb 0 (rows/s)", _rate(results.lake_streams), ""),
        (f"do_get, serve {warm} (rows/s)", _rate(results.warm_streams), ""),
        ("do_get, bare pyarrow.flight from memory", _rate(results.bare_streams), ""),
        ("ratio serve / bare, cold", f"{results.ratio:.2f}", ">= 0.8"),
        ("ratio serve / bare, warm", f"{results.warm_ratio:.2f}", ">= 0.8"),
        ("read path alone, no Flight, cold (rows/s)", _alone(results.read_path_streams), ""),
        ("read path alone, no Flight, warm (rows/s)", _alone(results.warm_read_path_streams), ""),
        ("server CPU s per stream, cold / warm / bare", _cpus(results, "server_cpu"), ""),
        ("client CPU s per stream, cold / warm / bare", _cpus(results, "client_cpu"), ""),
        ("serve peak RSS, cold (MiB)", f"{results.server_peak_rss / 2**20:,.0f}", ""),
        ("serve peak RSS, warm (MiB)", f"{results.warm_peak_rss / 2**20:,.0f}", ""),
        ("one symbol one day, cold, p50 (ms)", f"{p50:.1f}", "<= 10"),
        (
            "one symbol one day, cold, p90 (ms)",
            f"{percentile(results.latency_seconds, 0.9) * ms:.1f}",
            "",
        ),
        (
            "one symbol one day, warm, p50 / p90 (ms)",
            f"{percentile(results.warm_latency_seconds, 0.5) * ms:.1f}"
            f" / {percentile(results.warm_latency_seconds, 0.9) * ms:.1f}",
            "",
        ),
        (
            f"{CLIENTS} clients x one symbol-year at once (rows/s)",
            f"{results.concurrent_year_rows / results.concurrent_year_seconds:,.0f}",
            "",
        ),
        (f"{CLIENTS} clients, one-day requests, p50 (ms)", f"{loaded_p50:.1f}", ""),
    ]
    header = f"{results.rows:,} rows, {results.nbytes / 1e6:,.0f} MB of Arrow per stream"
    return header + "\n" + table(("measure", "median", "target"), rows)


def _rate(streams: list[Stream]) -> str:
    rows = median([s.rows_per_second for s in streams])
    return f"{rows:,.0f} ({median([s.mb_per_second for s in streams]):,.0f} MB/s)"


def _alone(streams: list[Stream]) -> str:
    rows = median([s.rows_per_second for s in streams])
    return f"{rows:,.0f} (CPU {cpu(streams, 'server_cpu'):.2f} s)"


def _cpus(results: Results, name: str) -> str:
    found = (results.lake_streams, results.warm_streams, results.bare_streams)
    return " / ".join(f"{cpu(streams, name):.2f}" for streams in found)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with --bare, be the bare server)."""
    args = _parser().parse_args(argv)
    if args.bare:
        run_bare(Path(args.bare))
        return 0
    print(machine().line(), flush=True)
    results = run(args.repeats, args.latency_requests)
    print(report(results))
    path = write_results(
        "flight",
        {
            "machine": machine(),
            "results": results,
            "ratio": results.ratio,
            "warm_ratio": results.warm_ratio,
        },
    )
    print(f"results: {path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--latency-requests", type=int, default=200)
    parser.add_argument("--bare", help=argparse.SUPPRESS)
    return parser


if __name__ == "__main__":
    sys.exit(main())
