"""The lake's files on disk: flushing them, removing them, and sweeping temp leftovers.

Parquet files are written to ``<lake>/.marketlake-tmp/`` and renamed into place
(:mod:`marketlake.ingest.write`); this module holds what happens to lake files around that:
:func:`sync_files` makes a batch of written files durable before the manifest records them,
:func:`remove_partition_files` retires files a monthly file superseded, and
:func:`sweep_temp_files` removes the temp entries an interrupted write left.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from marketlake.errors import LakeError

logger = logging.getLogger(__name__)

TEMP_DIR = ".marketlake-tmp"
TEMP_SUFFIX = ".tmp"
SYNC_THREADS = 16
"""fsyncs in flight in :func:`sync_files` (concurrent fsyncs share the file system's flushes)."""


def sync_files(lake_root: Path, files: Iterable[PurePosixPath | str]) -> None:
    """Flush lake files (lake-relative paths) and their folders, up to the lake root, to disk.

    Makes files written with ``durable=False`` as durable as ``durable=True`` would have:
    call it once for a batch of files, before the manifest records them.
    """
    root = Path(lake_root).resolve()
    paths = [_inside(root, relative) for relative in files]
    if not paths:
        return
    folders = sorted(_folders_up_to(paths, str(root)))
    threads = min(SYNC_THREADS, len(paths))
    with ThreadPoolExecutor(threads, "marketlake-sync") as pool:
        _sync_in(pool, threads, paths)  # the files' data first, then the names in folders
        if os.name == "posix":
            _sync_in(pool, threads, folders)
    logger.debug("synced %d files and %d folders under %s", len(paths), len(folders), root)


def _sync_in(pool: ThreadPoolExecutor, threads: int, paths: list[str]) -> None:
    """fsync ``paths`` on ``threads`` threads, each going through its share in turn (one task
    per thread, not one per path: a future per file cost the parent more than the fsync call)."""
    shares = [paths[index::threads] for index in range(threads)]
    list(pool.map(_sync_share, [share for share in shares if share]))


def _sync_share(paths: list[str]) -> None:
    for path in paths:
        _sync_path(path)


def _folders_up_to(paths: Iterable[str], root: str) -> set[str]:
    """The folders holding ``paths`` (inside ``root``), from their own up to ``root``.

    Strings, not pathlib: thousands of files per batch (pathlib took 0.15 ms a file here).
    """
    folders = {root}
    for path in paths:
        folder = os.path.dirname(path)  # noqa: PTH120  (hot: see above)
        while folder not in folders and len(folder) > len(root):
            folders.add(folder)
            folder = os.path.dirname(folder)  # noqa: PTH120
    return folders


def _sync_path(path: str) -> None:
    try:
        fsync_path(path)
    except OSError as exc:
        raise LakeError(f"cannot flush {path} to disk: {exc}") from exc


def remove_partition_files(lake_root: Path, files: Iterable[PurePosixPath | str]) -> int:
    """Delete lake files (lake-relative paths) and their folders left empty; how many went."""
    root = Path(lake_root).resolve()
    removed = 0
    for relative in files:
        path = Path(_inside(root, relative))
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise LakeError(f"cannot remove {path}: {exc}") from exc
        _prune_empty_parents(path.parent, root)
    return removed


def sweep_temp_files(lake_root: Path, *, min_age_seconds: float = 0.0) -> tuple[Path, ...]:
    """Remove temp files and folders that interrupted writes left; the paths removed.

    Only entries of the lake's temp folder are touched. With writers running, pass a
    ``min_age_seconds`` longer than any write takes.
    """
    cutoff = time.time() - min_age_seconds
    removed = []
    folder = Path(lake_root) / TEMP_DIR
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        try:
            if path.lstat().st_mtime > cutoff:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    if removed:
        logger.info("removed %d temp entries under %s", len(removed), lake_root)
    return tuple(removed)


def fsync_path(path: Path | str) -> None:
    """Flush one file (or folder) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (names renamed into it) to disk, where folders can be opened."""
    if os.name != "posix":  # pragma: no cover - directories cannot be opened elsewhere
        return
    fsync_path(folder)


def _inside(root: Path, relative: PurePosixPath | str) -> str:
    """The path of a lake file (``relative`` to the resolved ``root``), refusing any that
    leaves the lake. Lexical: the lake's own paths hold no links to resolve."""
    base = str(root)
    path = os.path.normpath(os.path.join(base, relative))  # noqa: PTH118  (hot: one a file)
    if not path.startswith(base + os.sep):
        raise LakeError(f"{relative} is not a file inside the lake {root}")
    return path


def _prune_empty_parents(folder: Path, root: Path) -> None:
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
