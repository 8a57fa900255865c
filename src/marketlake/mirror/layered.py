"""Two archive trees seen as one: an overlay over a base.

``LayeredContent(overlay, base)`` serves the overlay's object where both have one, and lists
the union of both trees (merged children, no duplicates), so real sample files can sit on
top of the generated universe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from heapq import merge

from marketlake.mirror.content import ArchiveContent, ObjectInfo


class LayeredContent:
    """An :class:`~marketlake.mirror.content.ArchiveContent`: ``overlay`` over ``base``."""

    def __init__(self, overlay: ArchiveContent, base: ArchiveContent) -> None:
        self._overlay = overlay
        self._base = base

    @property
    def base(self) -> ArchiveContent:
        """The lower layer (usually the generated universe)."""
        return self._base

    def children(self, folder: str) -> Sequence[str]:
        """The sorted union of both layers' children of ``folder``."""
        top = self._overlay.children(folder)
        bottom = self._base.children(folder)
        if not top:
            return bottom
        if not bottom:
            return top
        return _unique(merge(top, bottom))

    def stat(self, key: str) -> ObjectInfo | None:
        """The overlay's object at ``key``, else the base's."""
        info = self._overlay.stat(key)
        return info if info is not None else self._base.stat(key)

    def read(self, key: str) -> bytes | None:
        """The overlay's bytes at ``key``, else the base's."""
        data = self._overlay.read(key)
        return data if data is not None else self._base.read(key)


def _unique(names: Iterable[str]) -> list[str]:
    """Sorted names with adjacent duplicates dropped."""
    unique: list[str] = []
    for name in names:
        if not unique or unique[-1] != name:
            unique.append(name)
    return unique
