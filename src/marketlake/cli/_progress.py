"""A Rich progress bar for ingest runs: files, rows and MB/s (on a terminal only)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Self

from marketlake._closing import Closing

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from marketlake.ingest.plan import Plan
    from marketlake.ingest.report import PartitionOutcome

_MB = 1024 * 1024


class IngestProgress(Closing):
    """Shows partitions finished, rows written and download speed while a run executes.

    Disabled (output not a terminal), it draws nothing and does not even import the bar.
    """

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._rows = 0
        self._bytes = 0
        self._started = time.perf_counter()
        self._progress = _progress_bar(console) if enabled else None
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        if self._progress is not None:
            self._progress.start()
        return self

    def close(self) -> None:
        """Stop drawing the bar (the end of the ``with`` block)."""
        if self._progress is not None:
            self._progress.stop()

    def on_plan(self, plan: Plan) -> None:
        """Size the bar from the plan."""
        self._started = time.perf_counter()
        if self._progress is not None:
            total = len(plan.partitions)
            self._task = self._progress.add_task("ingest", total=total, rows=0, rate=0.0)

    def on_partition(self, outcome: PartitionOutcome) -> None:
        """Advance by one finished partition."""
        if self._progress is None or self._task is None:
            return
        self._rows += outcome.rows
        self._bytes += outcome.bytes
        elapsed = max(time.perf_counter() - self._started, 1e-6)
        rate = self._bytes / _MB / elapsed
        self._progress.update(self._task, advance=1, rows=self._rows, rate=rate)


def _progress_bar(console: Console) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files  {task.fields[rows]:>12,} rows  {task.fields[rate]:>7.1f} MB/s"),
        TimeElapsedColumn(),
        console=console,
    )
