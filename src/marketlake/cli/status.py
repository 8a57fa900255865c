"""``marketlake status``: what the manifest says is done, failed or unavailable."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketlake.catalog import Market, get_dataset
from marketlake.cli.db import DEFAULT_LAKE, LakeOption, ManifestOption, fail
from marketlake.errors import MarketlakeError
from marketlake.manifest import ManifestSummary, PartitionStatus, open_manifest


def status(
    market: Annotated[
        str | None, typer.Option("--market", help="Only this market (spot, um, cm, option).")
    ] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Only this dataset.")] = None,
    manifest: ManifestOption = None,
    lake: LakeOption = DEFAULT_LAKE,
    failures: Annotated[
        int, typer.Option("--failures", min=0, help="How many of the latest failures to list.")
    ] = 10,
) -> None:
    """Show done / failed / unavailable partitions per market and dataset, and recent failures."""
    try:
        chosen_market = Market.parse(market) if market else None
        if dataset:
            get_dataset(dataset)
        with open_manifest(manifest, lake_root=lake, auto_init=False) as store:
            summary = store.summary(chosen_market, dataset, failures=failures)
            location = store.location
    except MarketlakeError as exc:
        fail(exc)
    console = Console()
    console.print(f"manifest {location}")
    console.print(counts_table(summary))
    if summary.latest_failures:
        console.print(failures_table(summary))


def counts_table(summary: ManifestSummary) -> Table:
    """Partitions per market/dataset and status, with a total row."""
    table = Table(title="Partitions")
    table.add_column("market")
    table.add_column("dataset")
    for heading in ("done", "failed", "unavailable", "superseded", "total"):
        table.add_column(heading, justify="right")
    for counts in summary.datasets:
        numbers = (counts.done, counts.failed, counts.unavailable, counts.superseded, counts.total)
        table.add_row(counts.market.value, counts.dataset, *map(str, numbers))
    totals = [summary.count(status) for status in PartitionStatus]
    superseded = sum(counts.superseded for counts in summary.datasets)
    table.add_section()
    table.add_row("all", "", *map(str, (*totals, superseded, sum(totals))))
    return table


def failures_table(summary: ManifestSummary) -> Table:
    """The latest failures, newest first, with their reasons."""
    table = Table(title="Latest failures")
    table.add_column("updated (UTC)", no_wrap=True)
    table.add_column("partition", overflow="fold")
    table.add_column("attempts", justify="right")
    table.add_column("error", overflow="fold")
    for record in summary.latest_failures:
        table.add_row(
            record.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
            record.key.zip_key,
            str(record.attempts),
            record.error or "",
        )
    return table
