"""``Closing`` and ``AsyncClosing``: the ``with`` / ``async with`` block of every object that
holds a connection, a file, a server or processes.

class Warehouse(Closing):
    def close(self) -> None: ...

with Warehouse(...) as warehouse:  # warehouse.close() runs at the end, even on error
    ...
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class Closing(ABC):
    """A resource usable in a ``with`` block: ``__exit__`` calls :meth:`close`."""

    __slots__ = ()

    @abstractmethod
    def close(self) -> None:
        """Release what the object holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClosing(ABC):
    """A resource usable in an ``async with`` block: ``__aexit__`` awaits :meth:`aclose`.

    Subclasses that acquire something on entry override ``__aenter__`` and return ``self``.
    """

    __slots__ = ()

    @abstractmethod
    async def aclose(self) -> None:
        """Release what the object holds."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
