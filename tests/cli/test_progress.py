"""The ingest progress bar: counts files, rows and MB on a terminal; silent elsewhere."""

from __future__ import annotations

import io

from rich.console import Console

from marketlake.cli._progress import IngestProgress
from marketlake.ingest.plan import Plan
from marketlake.ingest.report import PartitionOutcome
from marketlake.manifest.models import PartitionStatus


def _outcome(rows: int) -> PartitionOutcome:
    return PartitionOutcome(key="k", status=PartitionStatus.DONE, rows=rows, bytes=2 * 1024 * 1024)


def test_on_a_terminal_the_bar_counts_files_and_rows() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with IngestProgress(console, enabled=True) as progress:
        progress.on_plan(Plan(partitions=(), skipped=0))
        progress.on_partition(_outcome(1_440))
        progress.on_partition(_outcome(1_440))
    text = out.getvalue()
    assert "2,880 rows" in text
    assert "2/0" in text


def test_elsewhere_it_draws_nothing() -> None:
    out = io.StringIO()
    with IngestProgress(Console(file=out), enabled=False) as progress:
        progress.on_plan(Plan(partitions=(), skipped=0))
        progress.on_partition(_outcome(10))
    assert out.getvalue() == ""
