"""The references ingest is compared with, run over zips on disk in a fresh process each time.

* ``marketlake``: the decode-only limit, ``decode_to_lake`` (inflate + parse + Parquet with
  the lake's exact types), no HTTP, no manifest, one process;
* ``pandas``: ``pandas.read_csv(chunksize=200_000)`` -> Parquet, the common design.

Both come from ``bench_decode.py``. Imports are done before the clock starts; the time
covers reading each zip from disk and the stage itself.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

STAGES = ("marketlake", "pandas")


@dataclass(frozen=True)
class StageRun:
    """One reference run over some zips: CSV bytes and rows handled, time, CPU, peak RSS."""

    stage: str
    files: int
    csv_bytes: int
    rows: int
    seconds: float
    cpu_seconds: float
    peak_rss: int


def run_reference(stage: str, zips: Sequence[tuple[Path, str]]) -> StageRun:
    """Run ``stage`` over ``(zip path, archive key)`` pairs in a fresh process."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; known: {STAGES}")
    items = [(str(path), key) for path, key in zips]
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_run, stage, items).result()


def _run(stage: str, items: list[tuple[str, str]]) -> StageRun:
    import pandas  # noqa: F401  (imported before the clock starts)
    import pyarrow.parquet  # noqa: F401

    from bench_decode import STAGES as DECODE_STAGES
    from marketlake.catalog import ArchiveKey

    measure = DECODE_STAGES[stage]
    keys = [ArchiveKey.parse(key) for _, key in items]
    csv_bytes = rows = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for (path, _), key in zip(items, keys, strict=True):
        result = measure(Path(path).read_bytes(), key)
        csv_bytes += result.csv_bytes
        rows += result.rows
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return StageRun(stage, len(items), csv_bytes, rows, seconds, cpu, peak)
