"""Real files served as they are: a directory laid out by archive key.

``OverlayContent(directory)`` serves every file under ``directory`` at the key equal to its
path relative to it, byte for byte (its own ``.CHECKSUM`` files included, as they are on
disk). Hidden names (starting with ``.``) are not served. The ETag is the file's MD5, as S3
gives for objects uploaded in one part; ``LastModified`` is the file's mtime to the second.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG

from marketlake.errors import MirrorError
from marketlake.mirror.content import ObjectInfo

logger = logging.getLogger(__name__)

_MD5_BLOCK = 1 << 20


class OverlayContent:
    """An :class:`~marketlake.mirror.content.ArchiveContent` over a directory of real files."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        root = Path(directory).resolve()
        if not root.is_dir():
            raise MirrorError(f"overlay {root} is not a directory: pass a folder laid out by key")
        self._root = root
        self._root_text = str(root)
        logger.debug("overlay serves %s", root)
        self._etags: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        """The directory served."""
        return self._root

    def children(self, folder: str) -> list[str]:
        """The files and folders directly under ``folder``, sorted."""
        path = self._path_of(folder, folder=True)
        if path is None:
            return []
        try:
            with os.scandir(path) as entries:
                names = [_child_name(folder, entry) for entry in entries]
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise MirrorError(f"cannot list overlay folder {path}: {exc}", key=folder) from exc
        return sorted(name for name in names if name is not None)

    def stat(self, key: str) -> ObjectInfo | None:
        """The file at ``key`` (size, MD5 ETag, mtime) or None."""
        path = self._path_of(key, folder=False)
        if path is None:
            return None
        try:
            status = os.stat(path)  # noqa: PTH116  (hot: 1,000 per page; see _path_of)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise MirrorError(f"cannot stat overlay file {path}: {exc}", key=key) from exc
        if not S_ISREG(status.st_mode):
            return None
        modified = _utc_second(int(status.st_mtime))
        etag = self._etag(key, path, status.st_mtime_ns, status.st_size)
        return ObjectInfo(key=key, size=status.st_size, etag=etag, last_modified=modified)

    def read(self, key: str) -> bytes | None:
        """The bytes of the file at ``key`` or None."""
        path = self._path_of(key, folder=False)
        if path is None:
            return None
        try:
            with open(path, "rb") as handle:  # noqa: PTH123  (hot: one per request; see _path_of)
                return handle.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise MirrorError(f"cannot read overlay file {path}: {exc}", key=key) from exc

    def _path_of(self, key: str, *, folder: bool) -> str | None:
        """The path of ``key`` inside the root, or None for a key that cannot be a file here.

        A plain string: listing a page stats 1,000 keys, and pathlib's joins cost more than
        the ``stat`` calls themselves.
        """
        if folder:
            if key == "":
                return self._root_text
            if not key.endswith("/"):
                return None
            key = key[:-1]
        if not _is_servable(key):
            return None
        return f"{self._root_text}/{key}"

    def _etag(self, key: str, path: str, mtime_ns: int, size: int) -> str:
        cache_key = (key, mtime_ns, size)
        with self._lock:
            cached = self._etags.get(cache_key)
        if cached is not None:
            return cached
        digest = _md5_of(path)
        with self._lock:
            self._etags[cache_key] = digest
        return digest


def _child_name(folder: str, entry: os.DirEntry[str]) -> str | None:
    if entry.name.startswith("."):
        return None
    if entry.is_dir():
        return f"{folder}{entry.name}/"
    if entry.is_file():
        return folder + entry.name
    return None


def _is_servable(key: str) -> bool:
    """No empty part (``//``, a leading or trailing ``/``) and no part starting with ``.``
    (hidden names, ``.`` and ``..``): the key names a path inside the root."""
    if not key or key[0] in "./" or key.endswith("/"):
        return False
    return "//" not in key and "/." not in key


@functools.lru_cache(maxsize=4096)  # listed files share few distinct times
def _utc_second(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _md5_of(path: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with Path(path).open("rb") as handle:
        while block := handle.read(_MD5_BLOCK):
            digest.update(block)
    return digest.hexdigest()
