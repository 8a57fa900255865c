"""The decode pool: long-lived worker processes, started warm and without stalling the run.

Importing pyarrow costs more than decoding a small file, so workers are started once per run
and kept. They are forked by multiprocessing's fork server, which
:func:`~marketlake.ingest.forkserver.start_forkserver` starts early (the command line calls
it before its own imports) with the decoder's modules preloaded: pyarrow is imported once,
in the server, while the parent plans, and each worker forks from it ready to decode.
:class:`DecodePool` creates its processes on a thread, so the event loop goes on listing
and downloading meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Self, TypeVar

from marketlake._closing import AsyncClosing
from marketlake.ingest.forkserver import CONTEXT, start_forkserver
from marketlake.ingest.worker import ready, warm_up

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _start_executor(workers: int) -> Executor:
    executor = ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context(CONTEXT), initializer=warm_up
    )
    for _ in range(workers):
        executor.submit(ready)  # creates the processes now, not on the first real job
    return executor


class DecodePool(AsyncClosing):
    """A pool of decode processes, started once and reused for every partition of a run.

    Use as ``async with``: the processes start on a thread; :meth:`run` waits for them.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._starting: asyncio.Future[Executor] | None = None

    async def __aenter__(self) -> Self:
        start_forkserver()
        self._starting = asyncio.ensure_future(asyncio.to_thread(_start_executor, self.workers))
        return self

    async def aclose(self) -> None:
        """Shut the worker processes down (once they have started), dropping queued jobs."""
        if self._starting is None:
            return
        executor = await asyncio.shield(self._starting)
        executor.shutdown(wait=True, cancel_futures=True)

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` in a worker process."""
        if self._starting is None:
            raise RuntimeError("DecodePool is not started: use `async with`")
        executor = await asyncio.shield(self._starting)
        return await asyncio.get_running_loop().run_in_executor(executor, function, *args)
