"""The Arrow Flight server over the lake: listing, schemas, data streams and actions.

Every call turns its input into a validated :class:`~marketlake.serve.ticket.Ticket` and asks
the one read path (through :class:`~marketlake.serve.source.LakeSource`) for a schema or a
stream of record batches; nothing here reads files or builds SQL. Each request logs one line
(method, what, rows, milliseconds, outcome); a bad request gets a clear Flight error and the
server carries on, as it does when a client disconnects mid-stream.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyarrow as pa
from pyarrow import flight

from marketlake.catalog import Market
from marketlake.errors import CatalogError, TicketError
from marketlake.serve import actions
from marketlake.serve.auth import BearerTokenMiddlewareFactory
from marketlake.serve.config import ServeConfig
from marketlake.serve.failures import to_flight_error
from marketlake.serve.inventory import StoredData
from marketlake.serve.source import LakeSource
from marketlake.serve.ticket import TICKET_VERSION, Ticket, parse_ticket, ticket_from_mapping

logger = logging.getLogger(__name__)


@dataclass
class _Request:
    """What one call logs when it ends."""

    method: str
    what: str = ""
    rows: int = 0


class LakeFlightServer(flight.FlightServerBase):  # type: ignore[misc]
    """Serves one lake over Arrow Flight; running from construction until ``shutdown()``."""

    def __init__(self, config: ServeConfig, source: LakeSource) -> None:
        middleware = {"auth": BearerTokenMiddlewareFactory(config.token)} if config.token else {}
        super().__init__(
            location=config.location,
            tls_certificates=config.certificates() or None,
            middleware=middleware or None,
        )
        self.config = config
        self._source = source
        logger.info(
            "serving %s on %s (token %s)",
            config.lake,
            config.location.rsplit(":", 1)[0] + f":{self.port}",
            "required" if config.token else "off",
        )

    def list_flights(self, context: Any, criteria: bytes) -> list[flight.FlightInfo]:
        """One flight per stored market x dataset (x interval), with rows and time range;
        ``criteria`` may name one market (``um``)."""
        with _logged("list_flights") as request:
            markets = [Market.parse(criteria.decode("utf-8", "replace"))] if criteria else None
            request.what = markets[0].value if markets else "*"
            stored = self._source.stored(markets)
            request.rows = len(stored)
            return [self._stored_info(item) for item in stored]

    def get_flight_info(self, context: Any, descriptor: flight.FlightDescriptor) -> Any:
        """The schema and the (resolved) ticket of any descriptor."""
        with _logged("get_flight_info") as request:
            ticket = self._ticket_of(descriptor, request)
            schema = self._source.schema(ticket)
            endpoint = flight.FlightEndpoint(ticket.to_json(), [])
            return flight.FlightInfo(schema, descriptor, [endpoint], -1, -1)

    def get_schema(self, context: Any, descriptor: flight.FlightDescriptor) -> Any:
        """The schema a descriptor's data would have."""
        with _logged("get_schema") as request:
            return flight.SchemaResult(self._source.schema(self._ticket_of(descriptor, request)))

    def do_get(self, context: Any, ticket: flight.Ticket) -> flight.RecordBatchStream:
        """Stream the record batches a JSON ticket asks for."""
        started = time.perf_counter()
        request = _Request("do_get")
        try:
            parsed = parse_ticket(ticket.ticket)
            request.what = _describe(parsed)
            schema, batches = self._source.stream(parsed)
        except Exception as exc:
            _log_end(request, started, "refused")
            raise to_flight_error(exc, request=request.method) from None
        counted = _counted(batches, request, started)
        return flight.RecordBatchStream(pa.RecordBatchReader.from_batches(schema, counted))

    def do_action(self, context: Any, action: flight.Action) -> list[bytes]:
        """``ping``, ``ready`` (body: a market) and ``list_actions``."""
        with _logged("do_action") as request:
            request.what = str(action.type)[:40]
            body = action.body.to_pybytes() if action.body is not None else b""
            reply = self._action(action.type, body)
            request.rows = 1
            return [reply]

    def list_actions(self, context: Any) -> list[tuple[str, str]]:
        """The actions ``do_action`` knows, with what each does."""
        with _logged("list_actions") as request:
            request.rows = len(actions.ACTIONS)
            return list(actions.ACTIONS.items())

    def _action(self, kind: str, body: bytes) -> bytes:
        now = actions.now_utc()
        if kind == "ping":
            return actions.pong(now).to_json()
        if kind == "ready":
            market = actions.market_of_body(body)
            return actions.readiness(market, self._source.stored([market]), now).to_json()
        if kind == "list_actions":
            return actions.actions_body()
        raise TicketError(f"unknown action {kind[:40]!r}: expected {', '.join(actions.ACTIONS)}")

    def _ticket_of(self, descriptor: flight.FlightDescriptor, request: _Request) -> Ticket:
        if descriptor.descriptor_type == flight.DescriptorType.CMD:
            ticket = parse_ticket(descriptor.command)
        else:
            path = [_text(part) for part in descriptor.path or []]
            ticket = _path_ticket(path, self._stored_by_path(path))
        request.what = _describe(ticket)
        return ticket

    def _stored_by_path(self, path: list[str]) -> StoredData | None:
        """What the lake holds under a path descriptor (None: nothing, or not a flight)."""
        if len(path) not in (2, 3) or path[1] == "exginfo":
            return None
        try:
            markets = [Market.parse(path[0])]
        except CatalogError:
            return None
        return next((s for s in self._source.stored(markets) if list(s.path) == path), None)

    def _stored_info(self, item: StoredData) -> flight.FlightInfo:
        ticket = _path_ticket(list(item.path), item)
        descriptor = flight.FlightDescriptor.for_path(*item.path)
        endpoint = flight.FlightEndpoint(ticket.to_json(), [])
        return flight.FlightInfo(
            self._source.schema(ticket),
            descriptor,
            [endpoint],
            item.rows,
            -1,
            app_metadata=_stored_metadata(item),
        )


def _path_ticket(path: list[str], stored: StoredData | None = None) -> Ticket:
    """The ticket a path descriptor names: ``[market, dataset[, interval]]`` or
    ``[market, "exginfo"]``: every symbol over the stored time range (``stored``), else over
    the default range (the 90 days up to now)."""
    if len(path) not in (2, 3):
        raise TicketError("a path descriptor is [market, dataset] or [market, dataset, interval]")
    body: dict[str, object] = {"v": TICKET_VERSION, "kind": path[1], "market": path[0]}
    if len(path) == 3:
        body["interval"] = path[2]
    if stored is not None:
        body["begin"] = stored.first.isoformat()
        body["end"] = (stored.last + timedelta(microseconds=1)).isoformat()
    return ticket_from_mapping(body)


def _stored_metadata(item: StoredData) -> bytes:
    return json.dumps(
        {
            "name": item.name,
            "market": item.market.value,
            "dataset": item.dataset,
            "interval": item.interval,
            "symbols": len(item.symbols),
            "partitions": item.partitions,
            "rows": item.rows,
            "first": item.first.isoformat(),
            "last": item.last.isoformat(),
        },
        separators=(",", ":"),
    ).encode()


def _text(part: bytes | str) -> str:
    return part.decode("utf-8", "replace") if isinstance(part, bytes) else part


def _describe(ticket: Ticket) -> str:
    symbols = "*" if ticket.symbols is None else ",".join(ticket.symbols[:3])
    if ticket.symbols is not None and len(ticket.symbols) > 3:
        symbols += f",+{len(ticket.symbols) - 3}"
    parts = [ticket.kind, ticket.market.value]
    if ticket.kind != "exginfo":
        shape = ticket.interval or "-"
        if ticket.bars is not None:
            shape = f"{ticket.bars.by}:{ticket.bars.size}"
        parts += [str(ticket.dataset), symbols, shape]
    return " ".join(parts)


@contextmanager
def _logged(method: str) -> Iterator[_Request]:
    started = time.perf_counter()
    request = _Request(method)
    try:
        yield request
    except Exception as exc:
        _log_end(request, started, "refused")
        raise to_flight_error(exc, request=method) from None
    _log_end(request, started, "ok")


def _counted(
    batches: Iterator[pa.RecordBatch], request: _Request, started: float
) -> Iterator[pa.RecordBatch]:
    """Pass ``batches`` through, counting rows; log once when the stream ends in any way."""
    outcome = "cancelled"
    try:
        for batch in batches:
            request.rows += batch.num_rows
            yield batch
        outcome = "ok"
    except Exception as exc:
        outcome = "failed"
        raise to_flight_error(exc, request=request.method) from None
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # stops the read-ahead thread now, not when garbage collected
        _log_end(request, started, outcome)


def _log_end(request: _Request, started: float, outcome: str) -> None:
    elapsed = (time.perf_counter() - started) * 1000
    logger.info(
        "%s %s rows=%d ms=%.1f %s", request.method, request.what, request.rows, elapsed, outcome
    )
