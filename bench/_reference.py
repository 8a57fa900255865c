"""The references ingest is compared with, run over zips on disk, each as a command of its own.

* ``marketlake``: the decode-only limit, ``decode_to_lake`` (inflate + parse + Parquet with
  the lake's exact types) of each zip into one scratch lake: no HTTP, no manifest, one process;
* ``pandas``: ``bench_decode.bench_pandas``, ``pandas.read_csv(chunksize=200_000)`` ->
  Parquet, the common design.

Each run is a fresh ``python bench/_reference.py STAGE SCRATCH < ITEMS.json`` process, writing
into a new folder under ``SCRATCH`` that it leaves for the benchmark to remove at its end (see
``_runs.fresh_lake``: deleting files slows the runs that follow), and gives two times:

* ``seconds``, the work itself: reading each zip from disk and the stage, timed inside the
  process once its imports are done and its scratch lake exists (no interpreter start, no
  imports);
* ``process_seconds``, the whole command as a user runs it: from starting the interpreter to
  its exit, with the imports the stage needs (pyarrow and marketlake; pandas too for pandas),
  the same span as an ingest's wall time, which is a whole ``marketlake ingest`` command.

(``bench_decode.bench_decode`` makes a new lake per call, which costs more than a small file's
decode, so it is not used here.)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marketlake.catalog import ArchiveKey

STAGES = ("marketlake", "pandas")

Stage = Callable[[bytes, "ArchiveKey"], tuple[int, int]]
"""Does one file: (zip bytes, key) -> (CSV bytes, rows)."""


@dataclass(frozen=True)
class StageRun:
    """One reference run over some zips: CSV bytes and rows handled, time (of the work, and of
    the whole command), CPU of the work, peak RSS."""

    stage: str
    files: int
    csv_bytes: int
    rows: int
    seconds: float
    cpu_seconds: float
    peak_rss: int
    process_seconds: float = 0.0


def run_reference(stage: str, zips: Sequence[tuple[Path, str]], scratch: Path) -> StageRun:
    """Run ``stage`` over ``(zip path, archive key)`` pairs as a command of its own, writing
    under ``scratch``."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; known: {STAGES}")
    items = json.dumps([(str(path), key) for path, key in zips])
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, str(Path(__file__)), stage, str(scratch)],
        input=items,
        capture_output=True,
        text=True,
        check=False,
    )
    process_seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"reference {stage} failed ({run.returncode}):\n{run.stderr}")
    fields = json.loads(run.stdout.splitlines()[-1])
    return StageRun(**{**fields, "process_seconds": process_seconds})


def _run(stage: str, items: list[tuple[str, str]], scratch_parent: Path) -> StageRun:
    if stage == "pandas":
        import pandas  # noqa: F401  (imported before the clock starts)
    import pyarrow.parquet  # noqa: F401

    from marketlake.catalog import ArchiveKey

    keys = [ArchiveKey.parse(key) for _, key in items]
    scratch = Path(tempfile.mkdtemp(dir=scratch_parent, prefix=f"reference-{stage}-"))
    do_file = _stage_function(stage, scratch)
    csv_bytes = rows = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for (path, _), key in zip(items, keys, strict=True):
        file_bytes, file_rows = do_file(Path(path).read_bytes(), key)
        csv_bytes += file_bytes
        rows += file_rows
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return StageRun(stage, len(items), csv_bytes, rows, seconds, cpu, peak)


def _stage_function(stage: str, scratch: Path) -> Stage:
    from bench_decode import bench_pandas
    from marketlake.ingest.unzip import read_zip_member
    from marketlake.ingest.write import decode_to_lake

    def decode_only(data: bytes, key: ArchiveKey) -> tuple[int, int]:
        written = decode_to_lake(data, key, scratch)
        return read_zip_member(data).uncompressed_size, written.rows

    def pandas(data: bytes, key: ArchiveKey) -> tuple[int, int]:
        result = bench_pandas(data, key, work_dir=scratch)
        return result.csv_bytes, result.rows

    return decode_only if stage == "marketlake" else pandas


if __name__ == "__main__":
    stage_name, scratch_folder = sys.argv[1], Path(sys.argv[2])
    pairs = [(path, key) for path, key in json.loads(sys.stdin.read())]
    print(json.dumps(asdict(_run(stage_name, pairs, scratch_folder))))
