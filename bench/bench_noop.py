"""No-op rerun time over 10,000 done partitions (daily 1d klines, 20 symbols x 500 days).

The overlay (see ``_overlay.py``) holds 10,000 tiny generated daily 1d klines zips renamed
to 20 made-up symbols, served by the stand-in in its own process with ``--overlay DIR
--overlay-only``. The command is first run to fill a lake, which is kept in
``bench/results/cache/`` (filling it takes minutes; ``--fresh`` starts from an empty one):
this "prime" run ingests whatever the lake lacks (everything the first time, which gives a
second small-file figure, on tiny files). Then the same command is rerun (``--repeats``
times): it must list, read the manifest, plan nothing and exit. Usage::

    python bench/bench_noop.py [--symbols 20] [--days 500] [--repeats 3] [--fresh]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from _measure import CACHE_DIR, compile_bytecode, machine
from _overlay import DailyKlines, build_overlay
from _runs import (
    Expect,
    IngestCase,
    Measurement,
    Target,
    finish,
    measure_ingest,
    summarize,
    summary_table,
)
from _standin import IngestScope, read_report, stand_in
from marketlake.ingest.unzip import read_zip_member

TARGET_NOOP_SECONDS = 2.0


def run_all(args: argparse.Namespace, spec: DailyKlines, lake: Path) -> list[Measurement]:
    """The prime run, then the no-op reruns on the same lake."""
    root = build_overlay(spec)
    scope = IngestScope("um", "klines", "*", spec.start, spec.end, interval=spec.interval)
    csv_bytes = sum(
        read_zip_member((root / key.zip_key).read_bytes()).uncompressed_size
        for key in spec.archive_keys()
    )
    prime = IngestCase(
        f"prime --workers {args.workers}", scope, args.workers, spec.files, csv_bytes,
        expect=Expect.COMPLETE,
    )  # fmt: skip
    rerun = replace(prime, name="no-op rerun", csv_bytes=0, expect=Expect.NOOP)
    with stand_in("--overlay", str(root), "--overlay-only") as mirror:
        results = [_named_prime(measure_ingest(mirror.url, mirror.pid, prime, 1, lake), lake)]
        for repeat in range(1, args.repeats + 1):
            results.append(measure_ingest(mirror.url, mirror.pid, rerun, repeat, lake))
    return results


def _named_prime(prime: Measurement, lake: Path) -> Measurement:
    """The prime run, named for what it did (a cached lake leaves it little or nothing)."""
    done = read_report(lake).done
    if done == prime.files:
        return replace(prime, name=f"initial ingest{prime.name.removeprefix('prime')}")
    share = done / prime.files
    name = f"prime, {done} new files (lake cached; stand-in warmed)"
    return replace(prime, name=name, csv_bytes=round(prime.csv_bytes * share), files=done)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and write its JSON results."""
    args = _parser().parse_args(argv)
    spec = DailyKlines(args.interval, args.symbols, args.days, args.start, args.seed)
    compile_bytecode()
    host = machine()
    print(host.line())
    print(f"{spec.files} daily {spec.interval} klines files: {spec.symbols} symbols x {spec.days}")
    lake = CACHE_DIR / f"lake-{spec.folder.name}"
    if args.fresh:
        shutil.rmtree(lake, ignore_errors=True)
    results = run_all(args, spec, lake)
    summaries = summarize(results)
    noop = summaries["no-op rerun"]
    found = {
        "no-op rerun wall s (median)": Target(
            noop.wall_seconds, TARGET_NOOP_SECONDS, higher_is_better=False
        ),
        "no-op rerun wall s (best run)": Target(
            noop.best_wall_seconds, TARGET_NOOP_SECONDS, higher_is_better=False
        ),
    }
    print(f"\n{summary_table(summaries, per_file=True)}\n")
    print(f"over {spec.files:,} done partitions:")
    return finish(
        "noop", host, summaries, found, results, files=spec.files, overlay=spec, argv=sys.argv
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--days", type=int, default=500)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2022, 1, 1))
    parser.add_argument("--interval", default="1d")
    parser.add_argument("--workers", type=int, default=2, help="for the prime run")
    parser.add_argument("--fresh", action="store_true", help="fill a new lake first")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    return parser


if __name__ == "__main__":
    sys.exit(main())
