"""The archive stand-in for the benchmarks: its own process, overlays, and ingest commands.

:func:`stand_in` runs ``python -m marketlake mirror serve --port 0 ...`` in a subprocess and
yields its URL (the first line it prints). Overlays are directories laid out by archive key
holding generated zips (renamed to other symbols where the generated universe lacks them)
and their ``.CHECKSUM`` siblings, served with ``--overlay DIR --overlay-only``.
:func:`ingest_argv` builds the ``marketlake ingest`` command line the benchmarks time, and
:func:`read_report` reads the run report it leaves in the lake.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import httpx

from marketlake.catalog import ArchiveKey, format_checksum, parse_checksum

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
DOWNLOAD_TIMEOUT = 300.0


@dataclass(frozen=True)
class StandIn:
    """A running stand-in process: its URL and process id."""

    url: str
    pid: int


@contextmanager
def stand_in(*options: str) -> Iterator[StandIn]:
    """Serve the stand-in (``mirror serve`` with ``options``) in its own process."""
    argv = [sys.executable, "-m", "marketlake", "mirror", "serve", "--port", "0", *options]
    with running_server(argv, name="the stand-in") as (url, pid):
        yield StandIn(url, pid)


@contextmanager
def running_server(argv: list[str], *, name: str = "the server") -> Iterator[tuple[str, int]]:
    """Run a server command in its own process; yield the URL it prints first and its pid;
    stop it afterwards (SIGTERM, then SIGKILL after ``STOP_TIMEOUT``)."""
    with tempfile.TemporaryDirectory(prefix="bench-server-") as scratch:
        out, err = Path(scratch) / "stdout", Path(scratch) / "stderr"
        with out.open("w") as out_file, err.open("w") as err_file:
            process = subprocess.Popen(argv, stdout=out_file, stderr=err_file)
        try:
            yield _first_line(process, out, err, name), process.pid
        finally:
            _stop(process)


def _first_line(process: subprocess.Popen[bytes], out: Path, err: Path, name: str) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        text = out.read_text()
        if "\n" in text:
            return text.splitlines()[0].strip()
        if process.poll() is not None:
            raise SystemExit(f"{name} exited ({process.returncode}): {err.read_text()}")
        time.sleep(0.05)
    raise SystemExit(f"{name} printed no URL within {STARTUP_TIMEOUT:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def download_verified(url: str, key: ArchiveKey) -> bytes:
    """The zip at ``key`` from the stand-in, checked against its CHECKSUM file."""
    with httpx.Client(timeout=DOWNLOAD_TIMEOUT) as client:
        checksum = client.get(f"{url}/{key.checksum_key}")
        checksum.raise_for_status()
        body = client.get(f"{url}/{key.zip_key}")
        body.raise_for_status()
    expected, name = parse_checksum(checksum.text)
    actual = hashlib.sha256(body.content).hexdigest()
    if name != key.file_name or actual != expected:
        raise SystemExit(f"{key.zip_key}: sha256 {actual} does not match CHECKSUM {expected}")
    return body.content


def fetch_all(url: str, keys: Sequence[ArchiveKey]) -> int:
    """GET every zip and CHECKSUM of ``keys`` once (warms caches); the bytes received."""
    received = 0
    with httpx.Client(timeout=DOWNLOAD_TIMEOUT) as client:
        for key in keys:
            for path in (key.zip_key, key.checksum_key):
                response = client.get(f"{url}/{path}")
                response.raise_for_status()
                received += len(response.content)
    return received


def renamed_zip(data: bytes, old: ArchiveKey, new: ArchiveKey) -> bytes:
    """``data`` with its member renamed from ``old``'s CSV name to ``new``'s (same length).

    The name appears twice (local header and central directory) and is covered by no CRC,
    so a same-length rename keeps the zip valid without recompressing it.
    """
    old_name, new_name = old.csv_name.encode(), new.csv_name.encode()
    if len(old_name) != len(new_name):
        raise ValueError(f"{new.symbol!r} must be as long as {old.symbol!r}")
    if data.count(old_name) != 2:
        raise ValueError(f"{old.csv_name} is not exactly twice in the zip")
    return data.replace(old_name, new_name)


def write_overlay_file(root: Path, key: ArchiveKey, data: bytes) -> None:
    """Write ``data`` at ``key`` under ``root`` with its ``.CHECKSUM`` sibling."""
    path = root / key.zip_key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    (root / key.checksum_key).write_text(format_checksum(sha256, key.file_name))


def with_symbol(key: ArchiveKey, symbol: str) -> ArchiveKey:
    """``key`` for another symbol."""
    return replace(key, symbol=symbol)


def bench_symbols(count: int, like: str) -> tuple[str, ...]:
    """``count`` made-up symbols as long as ``like`` (``B00USDT``...), for renamed copies."""
    if not like.endswith("USDT") or len(like) < 7:
        raise ValueError(f"cannot derive symbols from {like!r}")
    stem = len(like) - len("USDT") - 1
    return tuple(f"B{i:0{stem}d}USDT" for i in range(count))


@dataclass(frozen=True)
class IngestScope:
    """What an ingest command asks for."""

    market: str
    dataset: str
    symbols: str
    start: date
    end: date
    interval: str | None = None


def ingest_argv(
    url: str, lake: Path, scope: IngestScope, *, workers: int, dry_run: bool = False
) -> list[str]:
    """The ``marketlake ingest`` command line for ``scope`` against the stand-in at ``url``."""
    argv = [
        sys.executable, "-m", "marketlake", "ingest",
        "--market", scope.market, "--dataset", scope.dataset, "--symbols", scope.symbols,
        "--start", scope.start.isoformat(), "--end", scope.end.isoformat(),
        "--lake", str(lake), "--source", url, "--workers", str(workers),
    ]  # fmt: skip
    if scope.interval is not None:
        argv += ["--interval", scope.interval]
    if dry_run:
        argv.append("--dry-run")
    return argv


@dataclass(frozen=True)
class IngestReport:
    """The run report an ingest left in its lake (the fields the benchmarks use)."""

    seconds: float
    planned: int
    done: int
    failed: int
    skipped: int
    rows: int
    bytes: int


def read_report(lake: Path) -> IngestReport:
    """The newest run report under ``lake/_runs``."""
    reports = sorted((lake / "_runs").glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    if not reports:
        raise SystemExit(f"no run report under {lake / '_runs'}")
    raw = json.loads(reports[-1].read_text())
    return IngestReport(
        seconds=float(raw["seconds"]),
        planned=int(raw["planned"]),
        done=int(raw["done"]),
        failed=int(raw["failed"]),
        skipped=int(raw["skipped"]),
        rows=int(raw["rows"]),
        bytes=int(raw["bytes"]),
    )


def day_range(start: date, days: int) -> list[date]:
    """``days`` consecutive days from ``start``."""
    return [date.fromordinal(start.toordinal() + i) for i in range(days)]
