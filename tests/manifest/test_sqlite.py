"""SQLite specifics: the embedded default, WAL, the read index, and surviving kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from marketlake.catalog import Market
from marketlake.errors import ConfigError, ManifestNotInitializedError
from marketlake.manifest import LATEST_VERSION, open_manifest
from tests.manifest.records import SOURCE, done, kline_key

REPO = Path(__file__).resolve().parents[2]

# Saves batches of 50 partitions forever, printing after the first commit.
WRITER = """
import sys
from datetime import date, timedelta
from pathlib import Path
from marketlake.manifest import open_manifest
from tests.manifest.records import done, kline_key

store = open_manifest(sys.argv[1], lake_root=Path("."))
for batch in range(1_000_000):
    day = date(2000, 1, 1) + timedelta(days=batch)
    store.save([done(kline_key(f"S{n}USDT", day.isoformat())) for n in range(50)])
    if batch == 0:
        print("committed", flush=True)
"""


def test_default_manifest_lives_in_the_lake_and_just_works(tmp_path: Path) -> None:
    lake = tmp_path / "new-lake"

    with open_manifest(None, lake_root=lake) as store:
        store.save([done(kline_key())])
        assert store.location == f"sqlite:///{lake / '_manifest.sqlite'}"

    assert (lake / "_manifest.sqlite").is_file()
    with open_manifest(None, lake_root=lake, auto_init=False) as reopened:
        assert reopened.schema_version() == LATEST_VERSION
        assert set(reopened.records(SOURCE, Market.SPOT, "klines")) == {kline_key()}


def test_a_missing_file_is_not_created_without_auto_init(tmp_path: Path) -> None:
    with pytest.raises(ManifestNotInitializedError, match="run `marketlake db init`"):
        open_manifest(str(tmp_path / "m.sqlite"), lake_root=tmp_path, auto_init=False)

    assert not (tmp_path / "m.sqlite").exists()


def test_an_unusable_folder_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    with pytest.raises(ConfigError, match="cannot create the manifest's folder"):
        open_manifest(None, lake_root=blocker / "lake")


def test_wal_mode_and_a_writer_waits_for_another(tmp_path: Path) -> None:
    store = open_manifest(None, lake_root=tmp_path)
    other = sqlite3.connect(
        tmp_path / "_manifest.sqlite", isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    try:
        started = time.perf_counter()
        store.save([done(kline_key())])
        waited = time.perf_counter() - started
    finally:
        release.join()
        store.close()
    assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert other.execute("SELECT symbol, attempts FROM partitions").fetchall() == [("BTCUSDT", 1)]
    assert waited >= 0.4
    other.close()


def test_files_query_uses_the_read_index(tmp_path: Path) -> None:
    with open_manifest(None, lake_root=tmp_path) as store:
        store.save([done(kline_key(f"S{n}USDT")) for n in range(50)])
    sql = (
        "EXPLAIN QUERY PLAN SELECT files FROM partitions WHERE status = 'done'"
        " AND superseded_by IS NULL AND min_time IS NOT NULL AND market = 'spot'"
        " AND dataset = 'klines' AND interval = '1m' AND symbol IN ('S1USDT')"
        " AND max_time >= 0 AND min_time < 99"
    )
    with closing(sqlite3.connect(tmp_path / "_manifest.sqlite")) as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(sql))
    assert "USING INDEX partitions_done_by_time" in plan


def test_kill_9_mid_write_leaves_only_whole_transactions(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, env=env, cwd=REPO
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == b"committed\n"
        time.sleep(0.5)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)

    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with open_manifest(str(path), lake_root=tmp_path) as store:
        saved = store.records(SOURCE, Market.SPOT, "klines")
    assert len(saved) >= 50 and len(saved) % 50 == 0
    assert {record.attempts for record in saved.values()} == {1}
