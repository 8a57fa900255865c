"""CSV text cut at line ends into blocks, and blocks parsed in file order by a few threads.

:func:`text_blocks` turns a stream of byte chunks into blocks of about ``block_size`` bytes,
each ending at a line end (the last one at the end of the text), so that every block parses
on its own. :func:`parsed_blocks` parses them: inline when the text is one block, otherwise
in a small thread pool with at most ``threads + 1`` blocks in flight, so memory stays bounded
whatever the file's size. Results are handed out in block order, so nothing downstream
depends on thread timing. For a text of several blocks, the blocks themselves are made
(inflated and cut) on another thread, ``PREFETCH_BLOCKS`` ahead (:func:`prefetched`), so that
inflating overlaps with the caller's own work instead of adding to it.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import pyarrow.csv as pa_csv

T = TypeVar("T")

PARSE_THREADS = 2
"""Threads parsing the blocks of a file of more than one block."""

PREFETCH_BLOCKS = 2
"""Blocks made ahead by the prefetch thread of a file of more than one block (0: none)."""

_POLL_SECONDS = 0.05


class InvalidRows:
    """Arrow's invalid-row handler: remembers the first row of the wrong width, then fails."""

    def __init__(self) -> None:
        self.first: pa_csv.InvalidRow | None = None

    def record(self, row: pa_csv.InvalidRow) -> str:
        """Remember ``row`` and tell Arrow to raise."""
        if self.first is None:
            self.first = row
        return "error"


class TextBlock:
    """Whole lines of CSV text, parsed as one unit, with the handler for its bad rows."""

    def __init__(self, text: bytes | memoryview) -> None:
        self.text = text
        self.invalid_rows = InvalidRows()

    def field(self, row: int, index: int) -> str | None:
        """Field ``index`` of the block's data row ``row`` (1-based, blank lines not counted)."""
        lines = (line.rstrip(b"\r") for line in bytes(self.text).split(b"\n"))
        data_lines = (line for line in lines if line)
        line = next(itertools.islice(data_lines, row - 1, None), None)
        if line is None:
            return None
        fields = line.split(b",")
        return fields[index].decode("utf-8", errors="replace") if index < len(fields) else None


def text_blocks(first: bytes, rest: Iterator[bytes], block_size: int) -> Iterator[TextBlock]:
    """The text ``first`` + ``rest`` as blocks of whole lines, about ``block_size`` bytes each.

    A block is longer only when one line is; the last block holds what is left.
    """
    parts: list[bytes] = []
    size = 0
    for chunk in itertools.chain((first,), rest):
        parts.append(chunk)
        size += len(chunk)
        if size >= block_size:
            data = parts[0] if len(parts) == 1 else b"".join(parts)
            start = yield from _cut(data, block_size)
            tail = data[start:]
            parts, size = ([tail] if tail else []), len(tail)
    if size:
        yield TextBlock(b"".join(parts))


def _cut(data: bytes, block_size: int) -> Generator[TextBlock, None, int]:
    """Blocks cut from the front of ``data``; returns where the uncut rest starts."""
    view = memoryview(data)
    start = 0
    while len(data) - start >= block_size:
        end = data.rfind(b"\n", start, start + block_size) + 1
        if end <= start:  # a line longer than a block: cut at its end, if it is here yet
            end = data.find(b"\n", start + block_size) + 1
            if end == 0:
                break
        yield TextBlock(view[start:end])
        start = end
    return start


def parsed_blocks(
    parse: Callable[[TextBlock], T], blocks: Iterator[TextBlock], threads: int
) -> Generator[tuple[TextBlock, Callable[[], T]], None, None]:
    """``(block, result)`` for each block in order; ``result()`` returns or raises ``parse``'s.

    One block, or ``threads`` 0, is parsed in the calling thread, when ``result`` is called.
    """
    head = list(itertools.islice(blocks, 2))
    if len(head) < 2 or threads < 1:
        for block in itertools.chain(head, blocks):
            yield block, _deferred(parse, block)
        return
    if not PREFETCH_BLOCKS:
        yield from _parsed_in_threads(parse, itertools.chain(head, blocks), threads)
        return
    with contextlib.closing(prefetched(blocks, PREFETCH_BLOCKS)) as rest:
        yield from _parsed_in_threads(parse, itertools.chain(head, rest), threads)


_Entry = tuple[T] | BaseException | None
"""What the prefetch thread hands over: ``(item,)``, the error it met, or None at the end."""


def prefetched(items: Iterator[T], depth: int) -> Generator[T, None, None]:
    """``items``, produced on a thread up to ``depth`` ahead of the consumer, in order.

    What producing raises is raised here, in its place. Closing the generator stops the
    thread (and closes ``items``) before it returns.
    """
    entries: queue.Queue[_Entry[T]] = queue.Queue(depth)
    stop = threading.Event()
    thread = threading.Thread(
        target=_produce, args=(items, entries, stop), name="marketlake-prefetch", daemon=True
    )
    thread.start()
    try:
        while (entry := entries.get()) is not None:
            if isinstance(entry, BaseException):
                raise entry
            yield entry[0]
    finally:
        stop.set()
        thread.join()


def _produce(items: Iterator[T], entries: queue.Queue[_Entry[T]], stop: threading.Event) -> None:
    """Put each item (then None, or the error met) until ``stop`` is set."""
    try:
        for item in items:
            if not _put(entries, (item,), stop):
                return
        _put(entries, None, stop)
    except BaseException as exc:  # handed to the consumer, raised there
        _put(entries, exc, stop)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _put(entries: queue.Queue[_Entry[T]], entry: _Entry[T], stop: threading.Event) -> bool:
    """Put ``entry`` unless the consumer stopped first; whether it was put."""
    while not stop.is_set():
        try:
            entries.put(entry, timeout=_POLL_SECONDS)
        except queue.Full:
            continue
        return True
    return False


def _deferred(parse: Callable[[TextBlock], T], block: TextBlock) -> Callable[[], T]:
    return lambda: parse(block)


def _parsed_in_threads(
    parse: Callable[[TextBlock], T], blocks: Iterator[TextBlock], threads: int
) -> Iterator[tuple[TextBlock, Callable[[], T]]]:
    """Blocks parsed by ``threads`` threads, at most ``threads + 1`` of them submitted at once."""
    pending: deque[tuple[TextBlock, Future[T]]] = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="marketlake-csv") as pool:
        try:
            for block in blocks:
                pending.append((block, pool.submit(parse, block)))
                if len(pending) > threads:
                    done, future = pending.popleft()
                    yield done, future.result
            while pending:
                done, future = pending.popleft()
                yield done, future.result
        finally:
            for _, future in pending:
                future.cancel()
