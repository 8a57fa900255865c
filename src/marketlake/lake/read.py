"""The one read path: the SDK, the CLI and the Flight server all read through :class:`LakeReader`.

    reader = LakeReader.open(Path("marketlake-data"))
    request = ReadRequest.build(market="um", dataset="klines", symbols="BTCUSDT",
                                interval="1h", start="2024-01-01", end="2024-02-01")
    frame = reader.read(request)                 # polars.DataFrame
    lazy = reader.scan(request)                  # polars.LazyFrame
    for batch in reader.record_batches(request): # pyarrow.RecordBatch, streamed
        ...
    schema = schema_of(request)                  # pyarrow.Schema, no I/O

A read is planned first (:mod:`marketlake.lake.plan`: symbols, stored interval, files from
the manifest), then each part is scanned from its row sources (:mod:`.sources`), stitched,
resampled or cut into bars, and conformed to :func:`schema_of`. ``record_batches`` answers
in pieces (a few symbols, or a time window of one symbol, at a time), so a large answer is
never held whole.

A long-running reader (the Flight server) may keep decoded files in memory:
``LakeReader.open(root, cache_bytes=2 * 2**30)`` (:mod:`marketlake.lake.cache`; answers are
the same with or without it). The default, 0, keeps nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from marketlake._closing import Closing
from marketlake.catalog import get_dataset
from marketlake.errors import LakeError
from marketlake.lake.cache import DecodedFileCache
from marketlake.lake.chunks import split_request
from marketlake.lake.files import FileIndex
from marketlake.lake.frames import after, conform, empty_frame
from marketlake.lake.plan import Part, ReadPlan, plan_read
from marketlake.lake.request import ReadRequest
from marketlake.lake.schema import SYMBOL, output_schema
from marketlake.lake.sources import LakeRows, RowSource, collect_rows
from marketlake.manifest.abc import ManifestStore

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

logger = logging.getLogger(__name__)

MANIFEST_FILE = "_manifest.sqlite"
BATCH_ROWS = 65_536


def schema_of(request: ReadRequest) -> pa.Schema:
    """The Arrow schema of ``request``'s answer, without reading anything."""
    return output_schema(request)


class LakeReader(Closing):
    """The read path over one lake: a manifest-backed file index and row sources.

    ``sources`` are consulted after the lake, in order (e.g. a recent-rows store).
    The reader owns the manifest connection when opened with :meth:`open`.
    ``cache_bytes`` > 0 keeps up to that many bytes of decoded files (``cache`` shares one).
    """

    def __init__(
        self,
        root: Path,
        manifest: ManifestStore,
        *,
        sources: Sequence[RowSource] = (),
        archive: str | None = None,
        owns_manifest: bool = False,
        cache_bytes: int = 0,
        cache: DecodedFileCache | None = None,
    ) -> None:
        self.root = Path(root)
        self.manifest = manifest
        self.index = FileIndex(self.root, manifest, source=archive)
        if cache is None and cache_bytes > 0:
            cache = DecodedFileCache(cache_bytes)
        self.cache = cache
        self.sources: tuple[RowSource, ...] = (LakeRows(self.index, cache=cache), *sources)
        self._owns_manifest = owns_manifest

    @classmethod
    def open(
        cls,
        root: Path | str,
        *,
        manifest: str | None = None,
        sources: Sequence[RowSource] = (),
        cache_bytes: int = 0,
    ) -> LakeReader:
        """A reader over the lake at ``root`` (manifest: its SQLite file, or the DSN given),
        keeping up to ``cache_bytes`` of decoded files (0: none)."""
        from marketlake.manifest import open_manifest

        lake = Path(root)
        if manifest is None and not (lake / MANIFEST_FILE).is_file():
            raise LakeError(
                f"no lake at {lake}: {lake / MANIFEST_FILE} does not exist"
                " (run `marketlake ingest` first, or pass the manifest DSN)"
            )
        store = open_manifest(manifest, lake_root=lake)
        return cls(lake, store, sources=sources, owns_manifest=True, cache_bytes=cache_bytes)

    def close(self) -> None:
        """Close the manifest connection if this reader opened it."""
        if self._owns_manifest:
            self.manifest.close()

    def with_sources(self, *sources: RowSource) -> LakeReader:
        """The same lake with more row sources after it (sharing the manifest connection)."""
        return LakeReader(
            self.root, self.manifest, sources=(*self.sources[1:], *sources), cache=self.cache
        )

    def plan(self, request: ReadRequest) -> ReadPlan:
        """Which stored rows answer ``request`` (one manifest query per source)."""
        output_schema(request)  # refuses unknown columns before any I/O
        return plan_read(request, self.sources)

    def scan(self, request: ReadRequest) -> pl.LazyFrame:
        """``request``'s answer as a lazy frame, typed as :func:`schema_of` says."""
        return self._scan_plan(self.plan(request))

    def read(self, request: ReadRequest) -> pl.DataFrame:
        """``request``'s answer."""
        plan = self.plan(request)
        return collect_rows(self._scan_plan(plan), streaming=_aggregates(plan))

    def record_batches(
        self, request: ReadRequest, *, max_rows: int = 1_000_000
    ) -> Iterator[pa.RecordBatch]:
        """``request``'s answer in record batches of ``schema_of(request)``, read piece by piece
        (each piece about ``max_rows`` stored rows at most)."""
        schema = output_schema(request)
        plan = self.plan(request)
        for piece in split_request(plan, max_rows):
            piece_plan = plan if piece == request else self.plan(piece)
            lazy = self._scan_plan(piece_plan)
            table = collect_rows(lazy, streaming=_aggregates(piece_plan)).to_arrow()
            if table.schema != schema:
                table = table.cast(schema)  # Polars exports large_string; the schema says string
            yield from table.to_batches(max_chunksize=BATCH_ROWS)

    def _scan_plan(self, plan: ReadPlan) -> pl.LazyFrame:
        import polars as pl

        request = plan.request
        frames = [
            conform(frame, request)
            for part in plan.parts
            if (frame := self._scan_part(request, part)) is not None
        ]
        if not frames:
            return empty_frame(request)
        if len(frames) == 1:
            return frames[0]
        order = [c for c in (SYMBOL, _time_column(request)) if c in frames[0].collect_schema()]
        return pl.concat(frames).sort(order, maintain_order=True)

    def _scan_part(self, request: ReadRequest, part: Part) -> pl.LazyFrame | None:
        frame = self.sources[part.source].scan(part.slice)
        if frame is None:
            return None
        frame = after(frame, part.after, get_dataset(request.dataset).time_column)
        return _shape(frame, request, part)


def _aggregates(plan: ReadPlan) -> bool:
    """Whether the answer is bars built from stored rows (resampled klines, trade bars)."""
    return plan.request.bars is not None or any(p.resampling is not None for p in plan.parts)


def _time_column(request: ReadRequest) -> str:
    """The time column answers are ordered by (after ``symbol``)."""
    if request.bars is not None or request.interval is not None:
        return "open_time"
    return get_dataset(request.dataset).time_column


def _shape(lazy: pl.LazyFrame, request: ReadRequest, part: Part) -> pl.LazyFrame:
    """Resample klines or cut trades into bars, as the request asks."""
    if part.resampling is not None:
        from marketlake.lake.resample import resample

        return resample(lazy, part.resampling)
    if request.bars is not None:
        from marketlake.lake.bars import trade_bars

        return trade_bars(lazy, request.market, request.dataset, request.bars, request.offset)
    return lazy


__all__ = ["LakeReader", "ReadRequest", "schema_of"]
