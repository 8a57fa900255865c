"""Decode-only limit of ingest: zip bytes -> inflate -> parse -> Parquet, no HTTP, no manifest.

Measures, on the same zip, in a fresh process each (so peak RSS is the stage's own):

* ``inflate``: unzip only (marketlake.ingest.unzip);
* ``parse``: inflate + CSV -> typed Arrow batches (marketlake.ingest.decode);
* ``marketlake``: the full ``decode_to_lake`` (inflate + parse + quirks + Parquet zstd);
* ``pandas``: the common reference design, ``pandas.read_csv(chunksize=200_000)`` from the
  zip, each chunk appended to a zstd Parquet file (floats, not exact decimals).

Throughput is MB of CSV text per second. Usage::

    python bench/bench_decode.py ZIPFILE [--key ARCHIVE_KEY]
    python bench/bench_decode.py --generate-trades 5000000   # a synthetic um trades day
    python bench/bench_decode.py SMALL_DAILY_ZIP --small-files 300

A ZIPFILE under a folder laid out by archive key (``.../data/spot/...``) needs no ``--key``.

``--small-files N`` measures the per-file cost of small files instead: the zip (a daily file)
is decoded as N different days into one fresh lake, after a warm-up, once with per-file
fsyncs (``durable=True``) and once without, then ``sync_files`` once for those N files, as a
recorder does per manifest batch. It prints the median and 10th percentile per file.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from marketlake.catalog import ArchiveKey, get_dataset
from marketlake.ingest.unzip import iter_zip_member, read_zip_member

if TYPE_CHECKING:
    import polars as pl

PANDAS_CHUNK_ROWS = 200_000
SMALL_WARM_UP = 20
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SYNTHETIC_KEY = "data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-05.zip"
INTERLEAVED_KEY = "data/futures/um/monthly/trades/BTCUSDT/BTCUSDT-trades-2024-01.zip"


@dataclass(frozen=True)
class BenchResult:
    """One measured stage: its name, CSV bytes and rows handled, time and peak RSS."""

    name: str
    csv_bytes: int
    rows: int
    seconds: float
    peak_rss_mb: float
    output_bytes: int = 0

    @property
    def mb_per_s(self) -> float:
        """Throughput in MB (1e6 bytes) of CSV per second."""
        return self.csv_bytes / 1e6 / self.seconds if self.seconds > 0 else float("inf")

    def line(self) -> str:
        """A one-line human summary."""
        out = f", parquet {self.output_bytes / 1e6:7.1f} MB" if self.output_bytes else ""
        return (
            f"{self.name:<11} {self.mb_per_s:8.1f} MB/s  {self.seconds:7.2f} s  "
            f"{self.rows:>11,} rows  peak RSS {self.peak_rss_mb:7.0f} MB{out}"
        )


def bench_inflate(data: bytes, key: ArchiveKey) -> BenchResult:
    """Inflate only."""
    start = time.perf_counter()
    size = sum(len(chunk) for chunk in iter_zip_member(data))
    return _result("inflate", size, 0, start)


def bench_parse(data: bytes, key: ArchiveKey) -> BenchResult:
    """Inflate and parse to typed Arrow batches, nothing written."""
    start = time.perf_counter()
    from marketlake.ingest.decode import decode_csv  # here: the pandas process needs none of it

    rows = sum(batch.num_rows for batch in decode_csv(iter_zip_member(data), key))
    return _result("parse", read_zip_member(data).uncompressed_size, rows, start)


def bench_decode(data: bytes, key: ArchiveKey, work_dir: Path | None = None) -> BenchResult:
    """The whole decode stage, ``decode_to_lake``, into a scratch lake."""
    from marketlake.ingest.write import decode_to_lake

    with tempfile.TemporaryDirectory(dir=work_dir) as lake:
        start = time.perf_counter()
        written = decode_to_lake(data, key, Path(lake))
        result = _result("marketlake", read_zip_member(data).uncompressed_size, written.rows, start)
    return _with_output(result, written.bytes_written)


def bench_pandas(data: bytes, key: ArchiveKey, work_dir: Path | None = None) -> BenchResult:
    """The reference: pandas.read_csv in chunks of 200,000 rows, appended to Parquet.

    The file is written under ``work_dir`` and left there (the caller removes the folder once
    its runs are over: see ``_runs.fresh_lake``); without one, in a temp folder removed after.
    """
    if work_dir is None:
        with tempfile.TemporaryDirectory() as scratch:
            return bench_pandas(data, key, Path(scratch))
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [c.name for c in get_dataset(key.dataset).columns_for(key.market)]
    header = 0 if _has_header(data) else None
    out = work_dir / f"pandas-{uuid.uuid4().hex}.parquet"
    start = time.perf_counter()
    rows, writer = 0, None
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(archive.namelist()[0]) as f:
        for chunk in pd.read_csv(f, header=header, names=names, chunksize=PANDAS_CHUNK_ROWS):
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            writer = writer or pq.ParquetWriter(out, table.schema, compression="zstd")
            writer.write_table(table)
            rows += len(chunk)
    if writer is not None:
        writer.close()
    result = _result("pandas", read_zip_member(data).uncompressed_size, rows, start)
    return _with_output(result, out.stat().st_size if out.exists() else 0)


STAGES: dict[str, Callable[[bytes, ArchiveKey], BenchResult]] = {
    "inflate": bench_inflate,
    "parse": bench_parse,
    "marketlake": bench_decode,
    "pandas": bench_pandas,
}


def run_isolated(stage: str, zip_path: Path, key: ArchiveKey) -> BenchResult:
    """Run one stage in a fresh process, so its peak RSS is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_run_stage, stage, str(zip_path), str(key)).result()


def generate_trades_zip(rows: int, path: Path, *, seed: int = 7, interleaved: bool = False) -> Path:
    """A synthetic um trades file (header, 6 columns) of ``rows`` rows, zipped at ``path``.

    ``interleaved`` alternates blocks of the first and second half of the ids, like the
    archive's interleaved monthly trades, so the decoder must sort it.
    """
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    price = 420_000 + np.cumsum(rng.integers(-3, 4, rows))  # tenths of a dollar
    qty = rng.geometric(0.02, rows)  # thousandths
    frame = pl.DataFrame(
        {
            "id": np.arange(3_960_000_000, 3_960_000_000 + rows, dtype=np.int64),
            "p": price.astype(np.int64),
            "q": qty.astype(np.int64),
            "time": 1_704_412_800_000 + np.sort(rng.integers(0, 86_400_000, rows)),
            "is_buyer_maker": rng.integers(0, 2, rows).astype(bool),
        }
    )
    if interleaved:
        frame = frame[_interleaved_order(rows)]
    text = frame.select(
        pl.col("id"),
        _decimal_text(pl.col("p"), 1).alias("price"),
        _decimal_text(pl.col("q"), 3).alias("qty"),
        _decimal_text(pl.col("p") * pl.col("q"), 4).alias("quote_qty"),
        pl.col("time"),
        pl.col("is_buyer_maker").cast(pl.String),
    ).write_csv()
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        key = ArchiveKey.parse(INTERLEAVED_KEY if interleaved else SYNTHETIC_KEY)
        archive.writestr(key.csv_name, text)
    return path


def _interleaved_order(rows: int, block: int = 50_000) -> list[int]:
    half = rows // 2
    order: list[int] = []
    for start in range(0, half, block):
        order.extend(range(start, min(start + block, half)))
        order.extend(range(half + start, min(half + start + block, rows)))
    order.extend(range(half + len(range(0, half, block)) * block, rows))
    return order


def bench_small_files(data: bytes, key: ArchiveKey, count: int) -> list[str]:
    """Per-file wall and CPU times of ``decode_to_lake`` on ``count`` daily keys, both modes."""
    from marketlake.ingest.files import sync_files
    from marketlake.ingest.write import decode_to_lake

    keys = _daily_keys(key, count + SMALL_WARM_UP)
    lines = []
    with tempfile.TemporaryDirectory() as scratch:
        for durable in (True, False):
            lake = Path(scratch) / f"lake-{durable}"
            for warm in keys[:SMALL_WARM_UP]:
                decode_to_lake(data, warm, lake, durable=durable)
            walls: list[float] = []
            cpus: list[float] = []
            files: list[PurePosixPath] = []
            for day in keys[SMALL_WARM_UP:]:
                wall, cpu = time.perf_counter(), time.process_time()
                written = decode_to_lake(data, day, lake, durable=durable)
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
                files.extend(written.files)
            mode = "durable" if durable else "no fsync"
            lines.append(f"small files, {mode:<8} {_per_file(walls, cpus)}")
        start = time.perf_counter()
        sync_files(lake, files)
        seconds = time.perf_counter() - start
    lines.append(
        f"sync_files of the {count} files: {seconds * 1e3:.1f} ms "
        f"({seconds / count * 1e3:.3f} ms per file)"
    )
    return lines


def _daily_keys(key: ArchiveKey, count: int) -> list[ArchiveKey]:
    first = date.fromisoformat(key.date)
    days = (first + timedelta(days=offset) for offset in range(count))
    return [replace(key, date=day.isoformat()) for day in days]


def _per_file(walls: list[float], cpus: list[float]) -> str:
    def ms(values: list[float], quantile: float) -> float:
        return sorted(values)[int(quantile * (len(values) - 1))] * 1e3

    return (
        f"wall median {ms(walls, 0.5):6.2f} ms  p10 {ms(walls, 0.1):6.2f} ms   "
        f"cpu median {ms(cpus, 0.5):6.2f} ms  p10 {ms(cpus, 0.1):6.2f} ms"
    )


def _run_small_files(zip_path: str, key: str, count: int) -> list[str]:
    return bench_small_files(Path(zip_path).read_bytes(), ArchiveKey.parse(key), count)


def main(argv: list[str] | None = None) -> int:
    """Command line entry: measure every stage on one zip and print a table."""
    args = _parser().parse_args(argv)
    if args.generate_trades:
        kind = "interleaved" if args.interleaved else "trades"
        zip_path = RESULTS_DIR / f"synthetic-{kind}-{args.generate_trades}.zip"
        if not zip_path.exists():  # in a child, so later stages do not inherit its memory
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                job = pool.submit(
                    generate_trades_zip,
                    args.generate_trades,
                    zip_path,
                    interleaved=args.interleaved,
                )
                job.result()
        key = ArchiveKey.parse(INTERLEAVED_KEY if args.interleaved else SYNTHETIC_KEY)
    elif args.zipfile:
        zip_path = Path(args.zipfile)
        key = ArchiveKey.parse(args.key or _key_from_path(zip_path))
    else:
        _parser().error("give a ZIPFILE or --generate-trades N")
    print(f"{key}: {zip_path.stat().st_size / 1e6:.1f} MB zip")
    if args.small_files:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            small = pool.submit(_run_small_files, str(zip_path), str(key), args.small_files)
            print("\n".join(small.result()))
        return 0
    for stage in args.stages.split(","):
        print(run_isolated(stage, zip_path, key).line(), flush=True)
    return 0


def _run_stage(stage: str, zip_path: str, key: str) -> BenchResult:
    data = Path(zip_path).read_bytes()
    return STAGES[stage](data, ArchiveKey.parse(key))


def _result(name: str, csv_bytes: int, rows: int, start: float) -> BenchResult:
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return BenchResult(name, csv_bytes, rows, seconds, peak)


def _with_output(result: BenchResult, output_bytes: int) -> BenchResult:
    return BenchResult(
        result.name, result.csv_bytes, result.rows, result.seconds, result.peak_rss_mb, output_bytes
    )


def _has_header(data: bytes) -> bool:
    first = next(iter_zip_member(data, chunk_size=65536), b"")[:1]
    return bool(first) and not (first.isdigit() or first == b"-")


def _decimal_text(units: pl.Expr, scale: int) -> pl.Expr:
    import polars as pl

    factor = 10**scale
    whole = (units // factor).cast(pl.String)
    part = (units % factor).cast(pl.String).str.zfill(scale)
    return pl.concat_str([whole, pl.lit("."), part])


def _key_from_path(path: Path) -> str:
    parts = path.resolve().parts
    if "data" not in parts:
        raise SystemExit(f"{path} is not under an archive-key folder: pass --key")
    return "/".join(parts[len(parts) - 1 - parts[::-1].index("data") :])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zipfile", nargs="?")
    parser.add_argument("--key", help="the archive key of ZIPFILE (data/...zip)")
    parser.add_argument("--generate-trades", type=int, metavar="ROWS")
    parser.add_argument(
        "--interleaved", action="store_true", help="generated ids out of order (a sort test)"
    )
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument(
        "--small-files", type=int, metavar="N", help="per-file cost over N days of a daily zip"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
