"""The server's one door to data: tickets mapped onto the lake's read path.

A data ticket becomes a :class:`~marketlake.lake.request.ReadRequest` and is answered by
:meth:`LakeReader.record_batches <marketlake.lake.read.LakeReader.record_batches>` (which
stitches archive and recent rows through its ``RowSource`` seam); ``exginfo`` is the
symbols table of ``Lake.symbols``. Batches are read ahead on a thread while the
previous ones are sent (bounded, so a large answer is never held whole); what the lake holds
comes from the manifest (:mod:`marketlake.serve.inventory`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Generic, TypeVar

import pyarrow as pa

from marketlake.catalog import Market
from marketlake.lake.read import schema_of
from marketlake.lake.request import ReadRequest
from marketlake.lake.sdk import Lake
from marketlake.serve.config import ServeConfig
from marketlake.serve.inventory import StoredData, stored_data
from marketlake.serve.readahead import read_ahead
from marketlake.serve.ticket import Ticket

logger = logging.getLogger(__name__)

READ_AHEAD_BATCHES = 8
_K = TypeVar("_K")
_V = TypeVar("_V")


def read_request(ticket: Ticket) -> ReadRequest:
    """The read a data ticket asks for (``exginfo`` tickets have none)."""
    assert ticket.dataset is not None, "exginfo tickets are not reads"
    return ReadRequest.build(
        market=ticket.market,
        dataset=ticket.dataset,
        symbols=ticket.symbols,
        interval=ticket.interval,
        offset=ticket.offset if ticket.offset else None,
        start=ticket.begin,
        end=ticket.end,
        complete_only=ticket.complete_only,
        bars=ticket.bars.to_bars() if ticket.bars is not None else None,
    )


class LakeSource:
    """Schemas, record batches and the inventory of one lake, for the Flight server.

    Thread-safe: the server calls it from many threads at once (the manifest store
    serialises its own queries; the read path keeps no per-request state).
    """

    def __init__(
        self,
        lake: Lake,
        *,
        online: bool = True,
        exginfo_ttl: float = 300.0,
        read_rows: int = 1_000_000,
    ) -> None:
        self.lake = lake
        self._symbols = _TtlCache[Market, pa.Table](exginfo_ttl)
        self._online = online
        self._read_rows = read_rows

    @classmethod
    def from_config(cls, config: ServeConfig) -> LakeSource:
        """Open the lake (and its manifest) a server config names."""
        lake = Lake.from_settings(config.settings, cache_bytes=config.cache_bytes)
        return cls(
            lake,
            online=config.online,
            exginfo_ttl=config.exginfo_ttl,
            read_rows=config.read_rows,
        )

    def close(self) -> None:
        """Close the manifest connection."""
        self.lake.close()

    def stored(self, markets: list[Market] | None = None) -> list[StoredData]:
        """What the lake holds per market x dataset (x interval), from the manifest."""
        return stored_data(self.lake.manifest, markets)

    def schema(self, ticket: Ticket) -> pa.Schema:
        """The schema of a ticket's answer (no data is read, except for ``exginfo``)."""
        if ticket.kind == "exginfo":
            return self.symbols(ticket.market).schema
        return schema_of(read_request(ticket))

    def stream(self, ticket: Ticket) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        """The schema and the record batches of a ticket's answer.

        The first batch is read here, so a request the read path refuses fails the call
        rather than the stream; the rest are read ahead while earlier ones are sent.
        """
        if ticket.kind == "exginfo":
            table = self.symbols(ticket.market)
            return table.schema, iter(table.to_batches())
        request = read_request(ticket)
        schema = schema_of(request)
        batches = self.lake.reader.record_batches(request, max_rows=self._read_rows)
        first = next(batches, None)
        if first is None:
            return schema, iter(())
        return schema, read_ahead(chain([first], batches), READ_AHEAD_BATCHES)

    def symbols(self, market: Market) -> pa.Table:
        """The symbols table of ``market`` (``Lake.symbols``), cached for a while."""
        return self._symbols.get(
            market, lambda: self.lake.symbols(market, online=self._online).to_arrow()
        )


class _TtlCache(Generic[_K, _V]):
    """Values kept ``ttl`` seconds; one computation at a time per cache."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._values: dict[_K, tuple[float, _V]] = {}
        self._lock = threading.Lock()

    def get(self, key: _K, compute: Callable[[], _V]) -> _V:
        with self._lock:
            held = self._values.get(key)
            if held is not None and time.monotonic() - held[0] < self.ttl:
                return held[1]
            value = compute()
            self._values[key] = (time.monotonic(), value)
            return value
