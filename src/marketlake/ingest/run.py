"""Run an ingest: plan, then fetch -> verify -> decode -> write -> record, concurrently.

Downloads run as asyncio tasks in this process (keep-alive, bounded concurrency, retries in the
source layer); decoding runs in a pool of long-lived worker processes. Small zips are verified
whole, then handed to the workers in batches; zips of at least ``RunTuning.stream_min_bytes``
are decoded while they download and kept only once the download is verified
(:mod:`marketlake.ingest.dispatch`). Zip bytes held in memory are bounded by a
:class:`ByteBudget`. Outcomes are recorded in the manifest in batches by the
:class:`Recorder`. A 418 (banned) stops the run: nothing more is fetched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from marketlake.catalog.arrow import SCHEMA_VERSION
from marketlake.errors import BannedError, MarketlakeError, NotFoundError
from marketlake.ingest.budget import ByteBudget
from marketlake.ingest.files import TEMP_DIR, remove_partition_files, sweep_temp_files
from marketlake.ingest.plan import Plan, PlannedPartition, build_plan
from marketlake.ingest.recorder import Recorder
from marketlake.ingest.report import PartitionOutcome, RunReport, RunTally
from marketlake.ingest.request import IngestRequest
from marketlake.manifest import open_manifest
from marketlake.manifest.abc import ManifestStore
from marketlake.manifest.models import PartitionRecord, PartitionStatus
from marketlake.settings import Settings
from marketlake.source import ArchiveClient, ArchiveListing, SourceConfig

if TYPE_CHECKING:
    from marketlake.ingest.dispatch import Dispatcher
    from marketlake.ingest.worker import DecodeOutcome
    from marketlake.ingest.written import WrittenPartition

logger = logging.getLogger(__name__)

MIB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class RunTuning:
    """How a run uses memory and its workers (not what it ingests); the defaults suit most runs.

    ``byte_budget`` bounds the zip bytes held at once; zips of at least ``stream_min_bytes``
    are decoded while they download; smaller ones go to the workers in batches of at most
    ``batch_files`` zips and ``batch_bytes`` bytes, ``batch_lanes`` batches per worker at a time.
    """

    byte_budget: int = 768 * MIB
    stream_min_bytes: int = 4 * MIB
    batch_files: int = 32
    batch_bytes: int = 8 * MIB
    batch_lanes: float = 1.5


class RunObserver(Protocol):
    """Receives progress: the plan once, then one outcome per partition (for progress bars)."""

    def on_plan(self, plan: Plan) -> None:
        """The run's plan is known."""

    def on_partition(self, outcome: PartitionOutcome) -> None:
        """One partition finished (done, failed or unavailable)."""


class _SilentObserver:
    def on_plan(self, plan: Plan) -> None:
        pass

    def on_partition(self, outcome: PartitionOutcome) -> None:
        pass


@dataclass
class _RunContext:
    settings: Settings
    tuning: RunTuning
    client: ArchiveClient
    dispatcher: Dispatcher
    recorder: Recorder
    budget: ByteBudget
    observer: RunObserver
    tally: RunTally
    downloads: asyncio.Semaphore
    stop_reason: str | None = None


@dataclass(frozen=True)
class _Fetched:
    """A verified download (whole or streamed) and what its worker made of it."""

    sha256: str
    outcome: DecodeOutcome


def _done_record(
    source: str, planned: PlannedPartition, sha256: str, written: WrittenPartition
) -> PartitionRecord:
    remote = planned.remote.zip
    return PartitionRecord(
        source=source,
        key=planned.key,
        status=PartitionStatus.DONE,
        rows=written.rows,
        rows_in_file=written.rows_in_file,
        min_time=written.min_time,
        max_time=written.max_time,
        files=tuple(str(path) for path in written.files),
        sha256=sha256,
        etag=remote.etag,
        size=remote.size,
        source_last_modified=remote.last_modified,
        schema_version=SCHEMA_VERSION,
    )


def _problem_record(
    source: str, planned: PlannedPartition, status: PartitionStatus, error: str
) -> PartitionRecord:
    remote = planned.remote.zip
    return PartitionRecord(
        source=source,
        key=planned.key,
        status=status,
        etag=remote.etag,
        size=remote.size,
        source_last_modified=remote.last_modified,
        schema_version=SCHEMA_VERSION,
        error=error,
    )


async def _fetch(ctx: _RunContext, planned: PlannedPartition) -> _Fetched:
    """Download, verify and decode one partition: streamed when large, else whole.

    Only ``concurrency`` partitions download at once, each its CHECKSUM then its zip, so the
    first zips reach the workers at once instead of after every CHECKSUM of the run.
    """
    key = planned.key
    if planned.remote.zip.size >= ctx.tuning.stream_min_bytes:
        async with ctx.downloads:
            opener = ctx.dispatcher.stream_opener(key)
            streamed, stream = await ctx.client.stream_verified(key, opener)
        return _Fetched(streamed.sha256, await stream.outcome())
    async with ctx.downloads:
        verified = await ctx.client.fetch_verified(key)
    return _Fetched(verified.sha256, await ctx.dispatcher.decode(verified))


def _finish(
    ctx: _RunContext, planned: PlannedPartition, record: PartitionRecord, nbytes: int
) -> None:
    superseded = planned.supersedes if record.status is PartitionStatus.DONE else ()
    ctx.recorder.add(record, superseded)
    outcome = PartitionOutcome(
        key=planned.key.zip_key,
        status=record.status,
        rows=record.rows or 0,
        bytes=nbytes,
        error=record.error,
    )
    ctx.tally.add(outcome)
    ctx.observer.on_partition(outcome)
    if record.status is PartitionStatus.FAILED:
        logger.warning("failed %s: %s", planned.key.zip_key, record.error)


async def _fetch_and_decode(ctx: _RunContext, planned: PlannedPartition) -> PartitionRecord:
    source = ctx.settings.archive_id
    try:
        fetched = await _fetch(ctx, planned)
    except NotFoundError as exc:
        return _problem_record(source, planned, PartitionStatus.UNAVAILABLE, exc.message)
    except BannedError as exc:
        ctx.stop_reason = f"banned by the server (HTTP 418) at {planned.key.zip_key}"
        return _problem_record(source, planned, PartitionStatus.FAILED, exc.message)
    except MarketlakeError as exc:
        return _problem_record(source, planned, PartitionStatus.FAILED, exc.message)
    outcome = fetched.outcome
    if outcome.written is None:
        message = f"{outcome.error_type}: {outcome.error}"
        return _problem_record(source, planned, PartitionStatus.FAILED, message)
    return _done_record(source, planned, fetched.sha256, outcome.written)


async def _process(ctx: _RunContext, planned: PlannedPartition) -> None:
    size = planned.remote.zip.size
    await ctx.budget.acquire(size)
    try:
        if ctx.stop_reason is not None:
            ctx.tally.not_attempted += 1
            return
        record = await _fetch_and_decode(ctx, planned)
        _finish(ctx, planned, record, size if record.status is PartitionStatus.DONE else 0)
    finally:
        await ctx.budget.release(size)


def _remove_leftovers(lake: Path, superseded_files: tuple[str, ...]) -> None:
    """Delete daily files a monthly file replaced but a killed run did not get to delete."""
    leftovers = [f for f in superseded_files if (lake / f).exists()]
    if leftovers:
        remove_partition_files(lake, leftovers)
        logger.info("removed %d superseded daily files left by an interrupted run", len(leftovers))


def _source_config(settings: Settings) -> SourceConfig:
    return SourceConfig(
        download_url=settings.download_url,
        listing_url=settings.listing_url,
        concurrency=settings.concurrency,
    )


async def _execute(
    settings: Settings,
    store: ManifestStore,
    plan: Plan,
    client: ArchiveClient,
    observer: RunObserver,
    *,
    tuning: RunTuning,
) -> RunTally:
    tally = RunTally(planned=len(plan.partitions), skipped=plan.skipped)
    if not plan.partitions:
        return tally
    from marketlake.ingest.dispatch import BatchLimits, Dispatcher
    from marketlake.ingest.handoff import HandoffServer
    from marketlake.ingest.pool import DecodePool

    recorder = Recorder(store, settings.lake)
    workers = min(settings.workers, len(plan.partitions))
    lanes = max(1, round(workers * tuning.batch_lanes))
    limits = BatchLimits(lanes, tuning.batch_files, tuning.batch_bytes)
    async with DecodePool(workers) as pool, HandoffServer() as handoff:
        dispatcher = Dispatcher(pool, handoff, settings.lake, limits)
        budget = ByteBudget(tuning.byte_budget)
        downloads = asyncio.Semaphore(settings.concurrency)
        ctx = _RunContext(
            settings, tuning, client, dispatcher, recorder, budget, observer, tally, downloads
        )
        try:
            await asyncio.gather(*(_process(ctx, p) for p in plan.partitions))
        finally:
            await recorder.close()
    tally.stop_reason = ctx.stop_reason
    return tally


async def ingest_async(
    settings: Settings,
    request: IngestRequest,
    observer: RunObserver | None = None,
    *,
    tuning: RunTuning | None = None,
) -> RunReport:
    """Ingest what ``request`` names into the lake of ``settings``; return the run report."""
    watcher = observer or _SilentObserver()
    started, clock = datetime.now(UTC), time.perf_counter()
    if not request.dry_run:
        from marketlake.ingest.forkserver import start_forkserver

        start_forkserver()  # workers fork from it warm, once the plan needs them
    settings.lake.mkdir(parents=True, exist_ok=True)
    with open_manifest(settings.manifest, lake_root=settings.lake) as store:
        async with ArchiveClient(_source_config(settings)) as client:
            plan = await build_plan(ArchiveListing(client), store, settings.archive_id, request)
            watcher.on_plan(plan)
            if request.dry_run:
                tally = RunTally(planned=len(plan.partitions), skipped=plan.skipped)
            else:
                sweep_temp_files(settings.lake)  # a no-op rerun too: a killed run's leftovers
                _remove_leftovers(settings.lake, plan.superseded_files)
                run_tuning = tuning or RunTuning()
                tally = await _execute(settings, store, plan, client, watcher, tuning=run_tuning)
            stats = client.stats
    return RunReport.build(
        request=request,
        settings=settings,
        plan=plan,
        tally=tally,
        source_stats=stats,
        started_at=started,
        seconds=time.perf_counter() - clock,
    )


def ingest(
    settings: Settings,
    request: IngestRequest,
    observer: RunObserver | None = None,
    *,
    tuning: RunTuning | None = None,
) -> RunReport:
    """Synchronous :func:`ingest_async`."""
    return asyncio.run(ingest_async(settings, request, observer, tuning=tuning))


def write_report(report: RunReport, lake: Path) -> Path:
    """Write ``report`` as JSON under ``<lake>/_runs/`` and return its path."""
    return report.write(lake / "_runs", temp_folder=lake / TEMP_DIR)
