"""Durability: per-file fsyncs by default, or none and one ``sync_files`` per manifest batch."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey
from marketlake.errors import LakeError
from marketlake.ingest.files import TEMP_DIR, sync_files
from marketlake.ingest.write import decode_to_lake
from tests.ingest.decode_support import csv_zip, sample

KLINES_KEY = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2020-01-01.zip"
TRADES = ArchiveKey.parse("data/futures/um/daily/trades/ETHUSDT/ETHUSDT-trades-2024-02-01.zip")

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/fd")


@pytest.fixture
def fsynced(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths os.fsync is called on, in order (the real fsync still runs)."""
    calls: list[Path] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        calls.append(Path(f"/proc/self/fd/{fd}").readlink())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return calls


@linux_only
def test_durable_write_fsyncs_the_file_and_its_folder(tmp_path: Path, fsynced: list[Path]) -> None:
    key, data = sample(KLINES_KEY)
    written = decode_to_lake(data, key, tmp_path)
    final = tmp_path / written.files[0]
    assert len(fsynced) == 2
    assert fsynced[0].parent == tmp_path / TEMP_DIR and fsynced[0].name.endswith(".tmp")
    assert fsynced[1] == final.parent


@linux_only
def test_fast_write_skips_fsync_and_gives_the_same_bytes(
    tmp_path: Path, fsynced: list[Path]
) -> None:
    key, data = sample(KLINES_KEY)
    fast = decode_to_lake(data, key, tmp_path / "fast", durable=False)
    assert fsynced == []
    durable = decode_to_lake(data, key, tmp_path / "durable")
    assert fast == durable
    fast_bytes = (tmp_path / "fast" / fast.files[0]).read_bytes()
    assert fast_bytes == (tmp_path / "durable" / durable.files[0]).read_bytes()


@linux_only
def test_sync_files_flushes_each_file_and_every_folder_up_to_the_root(
    tmp_path: Path, fsynced: list[Path]
) -> None:
    key, data = sample(KLINES_KEY)
    first = decode_to_lake(data, key, tmp_path, durable=False)
    second = decode_to_lake(csv_zip(TRADES, "1,2.5,0.1,0.25,1706745600000,true\n"), TRADES,
                            tmp_path, durable=False)  # fmt: skip
    files = [*first.files, *second.files]
    sync_files(tmp_path, files)
    root = tmp_path.resolve()
    paths = [root / f for f in files]
    folders = {p for path in paths for p in path.parents if p.is_relative_to(root)}
    assert set(fsynced) == set(paths) | folders
    assert len(fsynced) == len(paths) + len(folders)
    assert fsynced.index(paths[0]) < fsynced.index(root)  # files before their folders


@linux_only
def test_sync_files_flushes_many_files_once_each_before_any_folder(
    tmp_path: Path, fsynced: list[Path]
) -> None:
    files = [f"symbol=S{index % 7}/day={index}.parquet" for index in range(40)]  # > 16 threads
    for relative in files:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"x")
    sync_files(tmp_path, files)
    root = tmp_path.resolve()
    paths = {root / f for f in files}
    folders = {root, *(root / f"symbol=S{index}" for index in range(7))}
    assert sorted(fsynced) == sorted(paths | folders)  # each exactly once
    assert max(fsynced.index(p) for p in paths) < min(fsynced.index(f) for f in folders)


def test_sync_files_refuses_what_is_not_a_lake_file(tmp_path: Path) -> None:
    with pytest.raises(LakeError, match="not a file inside the lake"):
        sync_files(tmp_path, ["../elsewhere.parquet"])
    with pytest.raises(LakeError, match="cannot flush"):
        sync_files(tmp_path, ["exchange=binance/missing.parquet"])
    sync_files(tmp_path, [])
