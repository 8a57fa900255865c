"""A bound on zip bytes held in memory at once across concurrent downloads and decodes."""

from __future__ import annotations

import asyncio


class ByteBudget:
    """Acquire ``n`` bytes before holding them; one oversized item may always run alone."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self._changed = asyncio.Condition()

    async def acquire(self, size: int) -> None:
        """Wait until ``size`` more bytes fit (or nothing else is held)."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self._used == 0 or self._used + size <= self._limit
            )
            self._used += size

    async def release(self, size: int) -> None:
        """Give back ``size`` bytes."""
        async with self._changed:
            self._used -= size
            self._changed.notify_all()
