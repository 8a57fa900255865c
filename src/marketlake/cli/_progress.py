"""A Rich progress bar for ingest runs: files, rows and MB/s."""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from marketlake.ingest.plan import Plan
    from marketlake.ingest.report import PartitionOutcome

_MB = 1024 * 1024


class IngestProgress:
    """Shows partitions finished, rows written and download speed while a run executes."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._rows = 0
        self._bytes = 0
        self._started = time.perf_counter()
        self._progress = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files  {task.fields[rows]:>12,} rows  {task.fields[rate]:>7.1f} MB/s"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def on_plan(self, plan: Plan) -> None:
        """Size the bar from the plan."""
        self._started = time.perf_counter()
        self._task = self._progress.add_task("ingest", total=len(plan.partitions), rows=0, rate=0.0)

    def on_partition(self, outcome: PartitionOutcome) -> None:
        """Advance by one finished partition."""
        if self._task is None:
            return
        self._rows += outcome.rows
        self._bytes += outcome.bytes
        elapsed = max(time.perf_counter() - self._started, 1e-6)
        rate = self._bytes / _MB / elapsed
        self._progress.update(self._task, advance=1, rows=self._rows, rate=rate)
