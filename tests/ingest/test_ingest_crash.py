"""kill -9 at any point, rerun: lake and manifest end identical to an uninterrupted run."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey, Market, Period
from marketlake.ingest.request import build_request
from marketlake.ingest.run import ingest
from marketlake.mirror import OverlayContent, run_mirror
from marketlake.mirror.generate import GeneratedArchive
from marketlake.settings import Settings

FIRST_DAY = date(2024, 1, 1)
DAYS = 45  # January's monthly file plus 14 daily files of February


def _keys() -> list[ArchiveKey]:
    daily = [
        ArchiveKey(Market.UM, Period.DAILY, "klines", symbol, "1m", str(FIRST_DAY + timedelta(d)))
        for symbol in ("BTCUSDT", "ETHUSDT")
        for d in range(DAYS)
    ]
    monthly = [
        ArchiveKey(Market.UM, Period.MONTHLY, "klines", symbol, "1m", "2024-01")
        for symbol in ("BTCUSDT", "ETHUSDT")
    ]
    return daily + monthly


@pytest.fixture(scope="module")
def mirror_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A stand-in serving generated files copied into an overlay (a fixed, quick-to-list set)."""
    generated = GeneratedArchive(seed=7, now=date(2024, 3, 20), big=False)
    root = tmp_path_factory.mktemp("overlay")
    for key in _keys():
        for name in (key.zip_key, key.checksum_key):
            data = generated.read(name)
            assert data is not None, name
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
    with run_mirror(OverlayContent(root)) as mirror:
        yield mirror.base_url


ARGS = ["--market", "um", "--dataset", "klines", "--interval", "1m", "--symbols", "BTCUSDT,ETHUSDT"]


def _lake_state(lake: Path) -> dict[str, str]:
    """Every file under the lake (but run reports and the manifest) with its sha256."""
    return {
        str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(lake.rglob("*"))
        if p.is_file() and "_runs" not in p.parts and not p.name.startswith("_manifest")
    }


def _manifest_state(lake: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(lake / "_manifest.sqlite") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(partitions)")]
        volatile = {"attempts", "updated_at"}
        kept = [c for c in columns if c not in volatile]
        return sorted(db.execute(f"SELECT {', '.join(kept)} FROM partitions").fetchall())


def _done_rows(lake: Path) -> int:
    try:
        with sqlite3.connect(lake / "_manifest.sqlite", timeout=0.1) as db:
            return int(
                db.execute("SELECT count(*) FROM partitions WHERE status='done'").fetchone()[0]
            )
    except sqlite3.Error:
        return 0


def _ingest_then_kill(url: str, lake: Path, done_before_kill: int) -> None:
    command = [sys.executable, "-m", "marketlake", "ingest", *ARGS, "--lake", str(lake)]
    process = subprocess.Popen(
        [*command, "--source", url, "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while _done_rows(lake) < done_before_kill and process.poll() is None:
        assert time.monotonic() < deadline, "the ingest made no progress"
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture(scope="module")
def reference(mirror_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("reference")
    request = build_request(market="um", dataset="klines", interval="1m", symbols="BTCUSDT,ETHUSDT")
    report = ingest(Settings(lake=lake, source=mirror_url, workers=2), request)
    assert report.done == len(_keys()) - 2 * 31  # January comes from its monthly files
    return lake


@pytest.mark.parametrize("done_before_kill", [0, 1, 9, 25])
def test_a_killed_run_rerun_ends_identical_to_an_uninterrupted_one(
    mirror_url: str, reference: Path, tmp_path: Path, done_before_kill: int
) -> None:
    lake = tmp_path / "lake"
    _ingest_then_kill(mirror_url, lake, done_before_kill)
    request = build_request(market="um", dataset="klines", interval="1m", symbols="BTCUSDT,ETHUSDT")
    report = ingest(Settings(lake=lake, source=mirror_url, workers=2), request)
    assert report.failed == 0
    assert _lake_state(lake) == _lake_state(reference)
    assert _manifest_state(lake) == _manifest_state(reference)
    assert not [p for p in lake.rglob("*") if p.name.endswith(".tmp")]
