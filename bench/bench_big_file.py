"""Ingest throughput on the busy trades day (5 million rows, ~250 MB of CSV) over HTTP.

Runs ``marketlake ingest --market um --dataset trades --symbols BTCUSDT`` for the day of
``BIG_TRADES_KEY`` against the stand-in (``marketlake mirror serve`` in its own process,
caches warmed first), with ``--workers 1`` and ``--workers 4``, into a fresh lake each time,
and in the same run the decode-only limit and the pandas reference on the same zip bytes.
It also ingests ``--copies N`` renamed copies of that day at once (``--copies-workers``,
default 2 and 4), since one partition keeps the pool to one worker whatever ``--workers``
says: that is where peak memory with ``--workers 4`` shows.

MB/s is MB (1e6 bytes) of uncompressed CSV per wall second; an ingest's wall time is the
whole CLI process (start-up, listing, download, verify, decode, write, manifest), and so is a
reference's: each runs as a command of its own (``bench/_reference.py``), timed from
interpreter start to exit. Ratios are also given for the work alone (ingest report seconds
against the references' time after their imports). Peak RSS
is the peak of the summed RSS of the ingest's process tree sampled every 50 ms.
Each measurement is repeated (``--repeats``) and the median reported. Usage::

    python bench/bench_big_file.py [--repeats 3] [--workers 1,4] [--copies 4] [--copies-workers 2,4]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _measure import CACHE_DIR, compile_bytecode, machine, run_measured
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
from _standin import (
    IngestScope,
    bench_symbols,
    download_verified,
    fetch_all,
    ingest_argv,
    read_report,
    renamed_zip,
    stand_in,
    with_symbol,
    write_overlay_file,
)
from marketlake.catalog import ArchiveKey
from marketlake.ingest.unzip import read_zip_member
from marketlake.mirror.generate import BIG_TRADES_KEY, BIG_TRADES_ROWS

DEFAULT_NOW = "2024-03-10"
TARGET_VS_DECODE = 0.9
TARGET_VS_PANDAS = 1.5
TARGET_PEAK_RSS_MIB = 1536.0


def warm_generated(url: str, scope: IngestScope, key: ArchiveKey, work: Path) -> Path:
    """List as the ingest will (a dry run), fetch the zip once; the verified zip's path."""
    with fresh_lake(work) as lake:
        run = run_measured(ingest_argv(url, lake, scope, workers=1, dry_run=True))
        if run.returncode != 0:
            raise SystemExit(f"dry run failed:\n{run.stdout}{run.stderr}")
        if read_report(lake).planned != 1:
            raise SystemExit(f"{key.zip_key} is not published: pass a later --now")
    data = download_verified(url, key)
    path = CACHE_DIR / "big" / key.zip_key
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def build_copies(source: Path, key: ArchiveKey, copies: int) -> tuple[Path, list[ArchiveKey]]:
    """An overlay of ``copies`` renamed copies of the big zip (cached); its root and keys."""
    root = CACHE_DIR / f"big-copies-{copies}"
    data = source.read_bytes()
    keys = [with_symbol(key, symbol) for symbol in bench_symbols(copies, key.symbol)]
    for copy in keys:
        path = root / copy.zip_key
        if not path.exists() or path.stat().st_size != len(data):
            write_overlay_file(root, copy, renamed_zip(data, key, copy))
    return root, keys


def run_single(args: argparse.Namespace, key: ArchiveKey, work: Path) -> list[Measurement]:
    """The single-file ingests and both references, repeated, against the generated stand-in."""
    day = key.first_day
    scope = IngestScope("um", "trades", key.symbol, day, day)
    with stand_in("--seed", str(args.seed), "--now", args.now) as mirror:
        clock = time.perf_counter()
        zip_path = warm_generated(mirror.url, scope, key, work)
        print(f"stand-in {mirror.url} warmed in {time.perf_counter() - clock:.1f} s", flush=True)
        csv_bytes = read_zip_member(zip_path.read_bytes()).uncompressed_size
        cases = [
            IngestCase(f"ingest --workers {w}", scope, w, 1, csv_bytes, BIG_TRADES_ROWS)
            for w in args.workers
        ]
        return measure_repeats(mirror, cases, work, args.repeats, [(zip_path, key.zip_key)])


def run_copies(args: argparse.Namespace, key: ArchiveKey, work: Path) -> list[Measurement]:
    """``--copies`` big files at once (``--copies-workers``) from an overlay-only stand-in."""
    source = CACHE_DIR / "big" / key.zip_key
    root, keys = build_copies(source, key, args.copies)
    csv_bytes = read_zip_member(source.read_bytes()).uncompressed_size * args.copies
    scope = IngestScope("um", "trades", "*", key.first_day, key.first_day)
    rows = BIG_TRADES_ROWS * args.copies
    cases = [
        IngestCase(
            f"ingest {args.copies} files --workers {w}", scope, w, args.copies, csv_bytes, rows
        )
        for w in args.copies_workers
    ]
    with stand_in("--overlay", str(root), "--overlay-only") as mirror:
        fetch_all(mirror.url, keys)
        return measure_repeats(mirror, cases, work, args.repeats)


def targets(summaries: dict[str, Summary]) -> dict[str, Target]:
    """The figures the targets are about.

    Each ratio is given twice, always like for like: whole commands (an ingest command against
    a decode-only or pandas command, each from interpreter start to exit), and the work alone
    (the ingest report's ``seconds`` against the references' time once their imports are
    done). Best runs (the least disturbed by other load) are given for context; CPU seconds are in
    the table.
    """
    found: dict[str, Target] = {}
    one, decode, pandas = (
        summaries.get(n) for n in ("ingest --workers 1", "decode-only", "pandas")
    )
    for reference, target, label in ((decode, TARGET_VS_DECODE, "decode-only"),
                                     (pandas, TARGET_VS_PANDAS, "pandas")):  # fmt: skip
        if one is None or reference is None:
            continue
        found[f"ingest w1 / {label}, whole commands (MB/s)"] = Target(
            one.mb_per_s / reference.mb_per_s, target, higher_is_better=True
        )
        found[f"(best runs) ingest w1 / {label}, whole commands"] = Target(
            one.best_mb_per_s / reference.best_mb_per_s, target, higher_is_better=True
        )
        if one.in_process_seconds and reference.in_process_seconds:
            found[f"(work alone) ingest w1 / {label}"] = Target(
                reference.in_process_seconds / one.in_process_seconds,
                target,
                higher_is_better=True,
            )
    for name, summary in summaries.items():
        if name.startswith("ingest") and name.endswith("--workers 4"):
            found[f"peak RSS MiB, {name}"] = Target(
                summary.peak_tree_rss_mib, TARGET_PEAK_RSS_MIB, higher_is_better=False
            )
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and write its JSON results."""
    args = _parser().parse_args(argv)
    key = ArchiveKey.parse(BIG_TRADES_KEY)
    compile_bytecode()
    host = machine()
    print(host.line())
    work = Path(tempfile.mkdtemp(prefix="bench-big-"))
    try:
        results = run_single(args, key, work)
        if args.copies:
            results += run_copies(args, key, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summaries = summarize(results)
    found = targets(summaries)
    print(f"\n{summary_table(summaries, per_file=False)}\n")
    return finish("big_file", host, summaries, found, results, key=key.zip_key, argv=sys.argv)


def _workers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=_workers, default=(1, 4), help="e.g. 1,4")
    parser.add_argument("--copies", type=int, default=4, help="big files at once; 0 skips")
    parser.add_argument(
        "--copies-workers", type=_workers, default=(2, 4), help="--workers for the copies"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--now", default=DEFAULT_NOW, help="the stand-in's today")
    return parser


if __name__ == "__main__":
    sys.exit(main())
