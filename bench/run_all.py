"""Run every ingest benchmark in turn (a few minutes; the first run also builds caches).

Each benchmark prints its table and writes its JSON into ``bench/results/``. Usage::

    python bench/run_all.py [--repeats 3] [--only big_file,small_files,noop]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BENCHMARKS = ("big_file", "small_files", "noop")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks; the first non-zero exit code, else 0."""
    args = _parser().parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; known: {', '.join(BENCHMARKS)}")
    for name in chosen:
        command = [
            sys.executable,
            str(BENCH_DIR / f"bench_{name}.py"),
            "--repeats",
            str(args.repeats),
        ]
        print(f"\n=== {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(command)
        print(
            f"=== bench_{name}.py: exit {code} after {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        if code != 0:
            return code
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    return parser


if __name__ == "__main__":
    sys.exit(main())
