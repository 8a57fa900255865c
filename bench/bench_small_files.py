"""Ingest throughput on many small files: daily 1m klines, 20 symbols x 60 days (1,200 files).

The generated universe lacks 20 um symbols sharing 60 days, so the files are generated
1m klines renamed to 20 made-up symbols (see ``_overlay.py``), served by the stand-in in
its own process with ``--overlay DIR --overlay-only``. Each repeat runs
``marketlake ingest --market um --dataset klines --interval 1m --symbols '*'`` into a fresh
lake (files/s = files / wall seconds of the whole CLI process), then, on the same zips read
from disk, the decode-only limit and the pandas reference (one process, no HTTP). Usage::

    python bench/bench_small_files.py [--symbols 20] [--days 60] [--workers 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from _measure import compile_bytecode, machine, run_measured
from _overlay import DailyKlines, build_overlay
from _runs import (
    IngestCase,
    Measurement,
    Summary,
    Target,
    finish,
    fresh_lake,
    measure_repeats,
    summarize,
    summary_table,
)
from _standin import IngestScope, ingest_argv, stand_in
from marketlake.ingest.unzip import read_zip_member

TARGET_FILES_PER_S = 300.0


def csv_bytes_of(root: Path, spec: DailyKlines) -> int:
    """Uncompressed CSV bytes of every zip of the overlay."""
    return sum(
        read_zip_member((root / key.zip_key).read_bytes()).uncompressed_size
        for key in spec.archive_keys()
    )


def warm(url: str, scope: IngestScope, work: Path) -> None:
    """List everything once (the stand-in hashes each file for its ETag on first sight)."""
    with fresh_lake(work) as lake:
        run = run_measured(ingest_argv(url, lake, scope, workers=1, dry_run=True))
    if run.returncode != 0:
        raise SystemExit(f"dry run failed:\n{run.stdout}{run.stderr}")


def run_all(args: argparse.Namespace, spec: DailyKlines, work: Path) -> list[Measurement]:
    """The ingests and the references, repeated."""
    root = build_overlay(spec)
    scope = IngestScope("um", "klines", "*", spec.start, spec.end, interval=spec.interval)
    csv_bytes = csv_bytes_of(root, spec)
    cases = [
        IngestCase(f"ingest --workers {w}", scope, w, spec.files, csv_bytes) for w in args.workers
    ]
    zips = [(root / key.zip_key, key.zip_key) for key in spec.archive_keys()]
    with stand_in("--overlay", str(root), "--overlay-only") as mirror:
        warm(mirror.url, scope, work)
        return measure_repeats(mirror, cases, work, args.repeats, zips)


def targets(summaries: dict[str, Summary]) -> dict[str, Target]:
    """files/s of every ingest against the target, and against pandas."""
    found: dict[str, Target] = {}
    pandas = summaries.get("pandas")
    for name, summary in summaries.items():
        if not name.startswith("ingest"):
            continue
        found[f"files/s, {name}"] = Target(
            summary.files_per_s, TARGET_FILES_PER_S, higher_is_better=True
        )
        found[f"(best run) files/s, {name}"] = Target(
            summary.best_files_per_s, TARGET_FILES_PER_S, higher_is_better=True
        )
        if pandas:
            found[f"{name} / pandas (files/s)"] = Target(
                summary.files_per_s / pandas.files_per_s, 1.0, higher_is_better=True
            )
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and write its JSON results."""
    args = _parser().parse_args(argv)
    spec = DailyKlines(args.interval, args.symbols, args.days, args.start, args.seed)
    compile_bytecode()
    host = machine()
    print(host.line())
    print(f"{spec.files} daily {spec.interval} klines files: {spec.symbols} symbols x {spec.days}")
    work = Path(tempfile.mkdtemp(prefix="bench-small-"))
    try:
        results = run_all(args, spec, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summaries = summarize(results)
    found = targets(summaries)
    print(f"\n{summary_table(summaries, per_file=True)}\n")
    return finish(
        "small_files",
        host,
        summaries,
        found,
        results,
        files=spec.files,
        overlay=spec,
        argv=sys.argv,
    )


def _workers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--interval", default="1m")
    parser.add_argument("--workers", type=_workers, default=(2,), help="e.g. 1,2,4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    return parser


if __name__ == "__main__":
    sys.exit(main())
