"""Read a stream ahead on a worker thread, a bounded number of items at most.

The read path releases the GIL while it decodes Parquet, so the next pieces of an answer are
read while gRPC sends the previous ones. The queue is bounded (back-pressure: a slow client
slows the reader, memory stays flat), and when the consumer stops early (a client that
disconnects mid-stream) the worker notices within a fraction of a second, closes the
source iterator and exits.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _Done:
    pass


_DONE = _Done()


class _Worker(Generic[_T]):
    """Pulls ``source`` into ``slots`` until it ends, fails, or ``stop`` is set."""

    def __init__(self, source: Iterator[_T], depth: int) -> None:
        self.source = source
        self.slots: queue.Queue[_T | _Failed | _Done] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="flight-read-ahead", daemon=True)

    def _run(self) -> None:
        try:
            for item in self.source:
                if not self._put(item):
                    return
            self._put(_DONE)
        except BaseException as exc:
            self._put(_Failed(exc))
        finally:
            close = getattr(self.source, "close", None)
            if close is not None:
                close()

    def _put(self, item: _T | _Failed | _Done) -> bool:
        while not self.stop.is_set():
            try:
                self.slots.put(item, timeout=POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False


def read_ahead(source: Iterator[_T], depth: int) -> Iterator[_T]:
    """The items of ``source`` in order, produced up to ``depth`` items ahead on a thread."""
    worker = _Worker(source, depth)
    worker.thread.start()
    try:
        while True:
            item = worker.slots.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        worker.stop.set()
