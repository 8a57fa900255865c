"""What a run did: per-partition outcomes, running tallies, and the JSON run report."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from marketlake.manifest.models import PartitionStatus
from marketlake.secrets import mask_dsn

if TYPE_CHECKING:
    from marketlake.ingest.plan import Plan
    from marketlake.ingest.request import IngestRequest
    from marketlake.settings import Settings
    from marketlake.source import SourceStats

MAX_FAILURES_IN_REPORT = 50


@dataclass(frozen=True)
class PartitionOutcome:
    """How one partition ended in this run."""

    key: str
    status: PartitionStatus
    rows: int
    bytes: int
    error: str | None = None


@dataclass
class RunTally:
    """Counts gathered while a run executes."""

    planned: int = 0
    skipped: int = 0
    done: int = 0
    failed: int = 0
    unavailable: int = 0
    not_attempted: int = 0
    rows: int = 0
    bytes: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    stop_reason: str | None = None

    def add(self, outcome: PartitionOutcome) -> None:
        """Count one finished partition."""
        if outcome.status is PartitionStatus.DONE:
            self.done += 1
            self.rows += outcome.rows
            self.bytes += outcome.bytes
        elif outcome.status is PartitionStatus.UNAVAILABLE:
            self.unavailable += 1
        else:
            self.failed += 1
            if len(self.failures) < MAX_FAILURES_IN_REPORT:
                self.failures.append((outcome.key, outcome.error or "unknown error"))


@dataclass(frozen=True)
class RunReport:
    """The JSON-serialisable report written under the lake after every run."""

    run_id: str
    started_at: str
    seconds: float
    market: str
    dataset: str
    intervals: list[str | None]
    symbols: int
    dry_run: bool
    lake: str
    manifest: str | None
    source: str
    planned: int
    done: int
    failed: int
    unavailable: int
    skipped: int
    not_attempted: int
    rows: int
    bytes: int
    requests: int
    retries: int
    failures: list[tuple[str, str]]
    stop_reason: str | None

    @property
    def is_noop(self) -> bool:
        """True when there was nothing to do."""
        return self.planned == 0

    @property
    def ok(self) -> bool:
        """True when nothing failed and the run was not stopped."""
        return self.failed == 0 and self.stop_reason is None

    @classmethod
    def build(
        cls,
        *,
        request: IngestRequest,
        settings: Settings,
        plan: Plan,
        tally: RunTally,
        source_stats: SourceStats,
        started_at: datetime,
        seconds: float,
    ) -> RunReport:
        """Assemble the report of a finished run."""
        return cls(
            run_id=uuid.uuid4().hex[:12],
            started_at=started_at.isoformat(),
            seconds=round(seconds, 3),
            market=request.market.value,
            dataset=request.dataset,
            intervals=list(request.intervals),
            symbols=len(plan.symbols),
            dry_run=request.dry_run,
            lake=str(settings.lake),
            manifest=mask_dsn(settings.manifest) if settings.manifest else None,
            source=settings.download_url,
            planned=tally.planned,
            done=tally.done,
            failed=tally.failed,
            unavailable=tally.unavailable,
            skipped=tally.skipped,
            not_attempted=tally.not_attempted,
            rows=tally.rows,
            bytes=tally.bytes,
            requests=source_stats.requests,
            retries=source_stats.retries,
            failures=list(tally.failures),
            stop_reason=tally.stop_reason,
        )

    def to_json(self) -> str:
        """The report as indented JSON."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    def write(self, folder: Path, *, temp_folder: Path) -> Path:
        """Write the report atomically into ``folder``; return the file's path.

        The text goes first to a temp file in ``temp_folder`` (on the same file system), then
        is renamed into place: a run killed meanwhile leaves its temp file where the next
        run's sweep removes it, not among the reports.
        """
        folder.mkdir(parents=True, exist_ok=True)
        temp_folder.mkdir(parents=True, exist_ok=True)
        stamp = self.started_at.replace(":", "").replace("-", "")[:15]
        path = folder / f"{stamp}-{self.run_id}.json"
        temp = temp_folder / f"{path.name}.tmp"
        temp.write_text(self.to_json(), encoding="utf-8")
        temp.replace(path)
        return path
