"""Helpers of the gap and quality tests: lakes ingested from the stand-in, span tuples."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from marketlake.catalog import format_checksum
from marketlake.ingest.report import RunReport
from marketlake.ingest.request import IngestRequest, build_request
from marketlake.ingest.run import ingest
from marketlake.lake.gaps import GapReport
from marketlake.mirror.content import ArchiveContent, ObjectInfo
from marketlake.settings import Settings

DEAD_URL = "http://127.0.0.1:1"
"""Nothing listens on port 1: connections are refused at once."""


@dataclass(frozen=True)
class Job:
    """One ingest run: what to put in the test lake."""

    market: str
    dataset: str
    interval: str | None
    symbols: str
    start: date
    end: date


def build_lake(url: str, root: Path, jobs: Sequence[Job]) -> list[RunReport]:
    """Ingest every job from the stand-in at ``url`` into ``root``."""
    settings = Settings(lake=root, source=url, workers=1)
    return [ingest(settings, _request(job)) for job in jobs]


def _request(job: Job) -> IngestRequest:
    return build_request(
        market=job.market, dataset=job.dataset, interval=job.interval,
        symbols=job.symbols, start=job.start, end=job.end,
    )  # fmt: skip


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


Span = tuple[datetime, datetime, str, tuple[str, ...], int | None]


def spans(report: GapReport) -> list[Span]:
    """The report's gaps as plain tuples: start, end, kind, keys, missing rows."""
    return [(g.start, g.end, g.kind.value, g.keys, g.missing_rows) for g in report.gaps]


class GoneOnDownload:
    """An archive whose listing shows ``gone`` but whose download of it answers 404."""

    def __init__(self, base: ArchiveContent, gone: str) -> None:
        self.base = base
        self.gone = gone

    def children(self, folder: str) -> Sequence[str]:
        return self.base.children(folder)

    def stat(self, key: str) -> ObjectInfo | None:
        return self.base.stat(key)

    def read(self, key: str) -> bytes | None:
        return None if key == self.gone else self.base.read(key)


class CutShort:
    """An archive whose ``key`` (a zip of one CSV) holds only its first ``rows`` data rows, with
    a CHECKSUM to match: a file the exchange published short."""

    def __init__(self, base: ArchiveContent, key: str, rows: int) -> None:
        self.base = base
        self.key = key
        self.data = _first_rows(base, key, rows)

    def children(self, folder: str) -> Sequence[str]:
        return self.base.children(folder)

    def stat(self, key: str) -> ObjectInfo | None:
        info = self.base.stat(key)
        body = self.read(key)
        if info is None or body is None or key not in (self.key, self.key + ".CHECKSUM"):
            return info
        return ObjectInfo(key, len(body), hashlib.md5(body).hexdigest(), info.last_modified)

    def read(self, key: str) -> bytes | None:
        if key == self.key:
            return self.data
        if key == self.key + ".CHECKSUM":
            digest = hashlib.sha256(self.data).hexdigest()
            return format_checksum(digest, self.key.rsplit("/", 1)[-1]).encode()
        return self.base.read(key)


def _first_rows(base: ArchiveContent, key: str, rows: int) -> bytes:
    data = base.read(key)
    assert data is not None
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = archive.namelist()
        lines = archive.read(name).splitlines(keepends=True)
    header = 0 if lines[0][:1].isdigit() else 1
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, b"".join(lines[: header + rows]))
    return out.getvalue()
