"""Write one partition's batches as a Parquet file in the lake, atomically.

``decode_to_lake`` is the whole decode stage for one verified zip: unzip -> decode ->
quirks -> write; ``decode_stream_to_lake`` the same for a zip still arriving, which is
renamed into place only once ``before_commit`` (the download's verdict) allows it. The output
is a pure function of the input bytes and key: the same zip always gives the same file, byte
for byte, so workers can run it in any process.

Writing goes to a temp file ``<name>.<pid>.<random>.tmp`` in the lake's hidden
``.marketlake-tmp`` folder (same file system as the lake), which is renamed over the final
name (``os.replace``): readers see the old file or the new one, never a partial one. Temp
files stay out of the partition folders because Polars refuses a folder holding files of two
extensions. A crash leaves at most such temp entries; ``files.sweep_temp_files`` removes them.

Durability against power loss: by default (``durable=True``) the temp file is fsynced before
the rename and the partition's folder after it, which costs two disk flushes (several
milliseconds) per file. A caller that records many files in one manifest transaction passes
``durable=False`` and calls ``files.sync_files`` once for the whole batch before committing it.

The file's encoding choices live in :mod:`marketlake.ingest.parquet`; its schema metadata
names dataset, market, schema version, source key and, when given, the zip's sha256.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from marketlake.catalog import ArchiveKey, Dataset, get_dataset
from marketlake.catalog.arrow import lake_schema
from marketlake.errors import LakeError
from marketlake.ingest.decode import decode_csv
from marketlake.ingest.files import TEMP_DIR, TEMP_SUFFIX, fsync_dir, fsync_path
from marketlake.ingest.parquet import ParquetSink, release_arrow_memory
from marketlake.ingest.quirks import DuplicateRows, SortOrder, plain_values, sorted_batches
from marketlake.ingest.unzip import ZipChunks, iter_streamed_member, read_zip_member
from marketlake.ingest.written import WrittenPartition
from marketlake.lake.layout import partition_path

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)


def decode_to_lake(
    data: bytes | memoryview,
    key: ArchiveKey,
    lake_root: Path,
    *,
    sha256: str | None = None,
    durable: bool = True,
) -> WrittenPartition:
    """Decode a verified archive zip held in memory into its lake file.

    ``durable=False`` skips the per-file fsyncs: call ``files.sync_files`` before recording.
    """
    member = read_zip_member(data)
    if member.name != key.csv_name:
        logger.warning("%s: zip member is %r, expected %r", key, member.name, key.csv_name)
    batches = decode_csv(ZipChunks(data), key)
    return write_partition(batches, key, lake_root, sha256=sha256, durable=durable)


def decode_stream_to_lake(
    raw: Iterable[bytes],
    key: ArchiveKey,
    lake_root: Path,
    *,
    sha256: str | None = None,
    durable: bool = True,
    before_commit: Callable[[], None],
) -> WrittenPartition:
    """Decode an archive zip while its bytes arrive in ``raw`` into its lake file.

    The zip is checked whole once ``raw`` ends; ``before_commit`` is called after the file is
    complete and before it is renamed into place: when it raises, nothing is written.
    """
    batches = decode_csv(iter_streamed_member(raw), key)
    return write_partition(
        batches, key, lake_root, sha256=sha256, durable=durable, before_commit=before_commit
    )


def write_partition(
    batches: Iterable[pa.RecordBatch],
    key: ArchiveKey,
    lake_root: Path,
    *,
    sha256: str | None = None,
    durable: bool = True,
    before_commit: Callable[[], None] | None = None,
) -> WrittenPartition:
    """Write ``batches`` (lake schema of ``key``) as the partition's Parquet file, atomically.

    ``durable=False`` skips the per-file fsyncs: call ``files.sync_files`` before recording.
    ``before_commit`` runs before the rename into place; what it raises leaves nothing behind.
    """
    relative = partition_path(key)
    final = Path(lake_root) / relative
    spec = get_dataset(key.dataset)
    schema = _file_schema(key, sha256)
    temp = _temp_path(Path(lake_root) / TEMP_DIR, final.name)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        temp.parent.mkdir(exist_ok=True)
        summary = _write_stream(batches, spec, schema, temp)
        if not summary.in_order:
            summary = _rewrite_sorted(temp, final, spec, schema, summary)
            temp = summary.path
        if before_commit is not None:
            before_commit()
        size = _commit(temp, final, durable=durable)
    except BaseException as exc:
        _close(batches)
        _remove_quietly(temp)
        if isinstance(exc, (OSError, _arrow_error())):
            raise LakeError(f"cannot write {final}: {exc}", key=key.zip_key) from exc
        raise
    return summary.result(relative, size)


@dataclass(frozen=True)
class _Summary:
    """What streaming one partition into a Parquet file found."""

    path: Path
    rows: int
    rows_in_file: int
    min_time: datetime | None
    max_time: datetime | None
    in_order: bool
    repeated_sort_keys: int
    reordered: bool = False

    def result(self, relative: PurePosixPath, size: int) -> WrittenPartition:
        return WrittenPartition(
            files=(relative,),
            rows=self.rows,
            rows_in_file=self.rows_in_file,
            min_time=self.min_time,
            max_time=self.max_time,
            bytes_written=size,
            reordered=self.reordered,
            repeated_sort_keys=self.repeated_sort_keys,
        )


def _write_stream(
    batches: Iterable[pa.RecordBatch], spec: Dataset, schema: pa.Schema, path: Path
) -> _Summary:
    """Stream ``batches`` through the dataset's quirks into a Parquet file at ``path``."""
    duplicates = DuplicateRows() if spec.duplicated_rows else None
    order = SortOrder(spec.sort_column) if spec.sort_column else None
    times = _TimeRange(spec.time_column)
    rows_in_file = 0
    with ParquetSink(path, schema) as sink:
        for batch in batches:
            rows_in_file += batch.num_rows
            kept = duplicates.filter(batch) if duplicates else batch
            times.observe(kept)
            if order:
                order.observe(kept)
            sink.write(kept)
    if duplicates and duplicates.rows_kept != rows_in_file:
        logger.info("%s: dropped %d duplicate rows", path.name, rows_in_file - sink.rows)
    return _Summary(
        path=path,
        rows=sink.rows,
        rows_in_file=rows_in_file,
        min_time=times.low,
        max_time=times.high,
        in_order=order.in_order if order else True,
        repeated_sort_keys=order.repeated_keys if order else 0,
    )


def _rewrite_sorted(
    unsorted: Path, final: Path, spec: Dataset, schema: pa.Schema, found: _Summary
) -> _Summary:
    """Sort the finished temp file by the dataset's sort column into a new temp file."""
    assert spec.sort_column is not None
    target = _temp_path(unsorted.parent, final.name)
    work_dir = target.with_name(target.name.removesuffix(TEMP_SUFFIX) + ".sort" + TEMP_SUFFIX)
    order = SortOrder(spec.sort_column)
    try:
        work_dir.mkdir()
        release_arrow_memory()
        with ParquetSink(target, schema) as sink:
            for batch in sorted_batches(unsorted, spec.sort_column, schema, work_dir=work_dir):
                order.observe(batch)
                sink.write(batch)
    except BaseException:
        _remove_quietly(target)
        raise
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
        _remove_quietly(unsorted)
    if not order.in_order or sink.rows != found.rows:
        _remove_quietly(target)
        raise LakeError(f"sorting {unsorted} by {spec.sort_column} lost its order or rows")
    return _Summary(
        path=target,
        rows=found.rows,
        rows_in_file=found.rows_in_file,
        min_time=found.min_time,
        max_time=found.max_time,
        in_order=True,
        repeated_sort_keys=order.repeated_keys,
        reordered=True,
    )


class _TimeRange:
    """Running minimum and maximum of the dataset's time column."""

    def __init__(self, column: str) -> None:
        self.column = column
        self.low: datetime | None = None
        self.high: datetime | None = None

    def observe(self, batch: pa.RecordBatch) -> None:
        import pyarrow.compute as pc

        low, high = pc.min_max(plain_values(batch.column(self.column))).values()
        if not low.is_valid:
            return
        low_time, high_time = _as_utc(low.as_py()), _as_utc(high.as_py())
        self.low = low_time if self.low is None else min(self.low, low_time)
        self.high = high_time if self.high is None else max(self.high, high_time)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _as_utc(value: int | datetime | date) -> datetime:
    """A lake timestamp's microseconds (or a date, at midnight) as an aware UTC datetime."""
    if isinstance(value, int):
        return _EPOCH + timedelta(microseconds=value)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


_lake_schema = functools.cache(lake_schema)


def _file_schema(key: ArchiveKey, sha256: str | None) -> pa.Schema:
    """The lake schema with the file's provenance added to its metadata."""
    schema = _lake_schema(key.dataset, key.market)
    metadata = dict(schema.metadata or {})
    metadata[b"marketlake.source_key"] = key.zip_key.encode()
    if sha256 is not None:
        metadata[b"marketlake.sha256"] = sha256.lower().encode()
    return schema.with_metadata(metadata)


def _temp_path(folder: Path, name: str) -> Path:
    """A unique temp name for the file ``name`` in the temp ``folder``."""
    token = f"{os.getpid()}.{secrets.token_hex(4)}"
    return folder / f"{name}.{token}{TEMP_SUFFIX}"


def _commit(temp: Path, final: Path, *, durable: bool) -> int:
    """Rename ``temp`` over ``final`` (fsyncing file and folder if ``durable``); its size."""
    if durable:
        fsync_path(temp)
    size = temp.stat().st_size
    temp.replace(final)
    if durable:
        fsync_dir(final.parent)
    return size


def _close(batches: Iterable[pa.RecordBatch]) -> None:
    """Close a generator of batches left part-way, so that its parse threads stop now."""
    close = getattr(batches, "close", None)
    if close is not None:
        close()


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:  # pragma: no cover - left for sweep_temp_files
        logger.warning("cannot remove temp file %s: %s", path, exc)


def _arrow_error() -> type[Exception]:
    import pyarrow as pa

    error: type[Exception] = pa.ArrowException
    return error
