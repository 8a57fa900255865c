"""``Closing``: the ``with`` block of every object that holds a connection or a file.

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
