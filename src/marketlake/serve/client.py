"""``FlightClient``: read a ``marketlake serve`` server from Python, as Polars (or Arrow).

::

    from marketlake import FlightClient

    with FlightClient("127.0.0.1", 8815, token="s3cret") as client:
        client.ping()
        bars = client.get_symbol("um", "BTCUSDT", "4h", begin="2024-01-01", end="2024-02-01")
        table = client.get_market("um", 15, arrow=True)

Every method raises :mod:`marketlake.errors` classes only: ``TicketError`` for a request the
server refused, ``FlightAuthError`` for a missing or wrong token, ``FlightUnavailableError``
when the server cannot be reached.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

import polars as pl
import pyarrow as pa
from pyarrow import flight

from marketlake._closing import Closing
from marketlake.errors import ReadRequestError, TicketError
from marketlake.lake.request import BarKind, chosen_bars
from marketlake.serve.actions import Pong, Readiness
from marketlake.serve.auth import bearer_header
from marketlake.serve.config import DEFAULT_HOST, DEFAULT_PORT
from marketlake.serve.failures import from_flight_error
from marketlake.serve.ticket import TICKET_VERSION

TimeArg = datetime | date | str | int | None
IntervalArg = int | str
_T = TypeVar("_T")
_AVAILABLE_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "name": pl.String,
    "market": pl.String,
    "dataset": pl.String,
    "interval": pl.String,
    "symbols": pl.Int64,
    "partitions": pl.Int64,
    "rows": pl.Int64,
    "first": pl.Datetime("us", "UTC"),
    "last": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class ActionInfo:
    """One action the server offers."""

    name: str
    description: str


class FlightClient(Closing):
    """A connection to a ``marketlake serve`` Arrow Flight server.

    ``token`` is sent as ``authorization: Bearer <token>``. With ``tls=True`` the server's
    certificate is checked against ``tls_root_certs`` (PEM bytes or a file; the system roots
    when None). ``timeout`` bounds every call, in seconds.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        token: str | None = None,
        tls: bool = False,
        *,
        tls_root_certs: bytes | Path | None = None,
        timeout: float | None = None,
    ) -> None:
        scheme = "grpc+tls" if tls else "grpc+tcp"
        self.location = f"{scheme}://{host}:{port}"
        roots = tls_root_certs.read_bytes() if isinstance(tls_root_certs, Path) else tls_root_certs
        self._client = flight.FlightClient(self.location, tls_root_certs=roots)
        headers = [bearer_header(token)] if token else []
        self._options = flight.FlightCallOptions(timeout=timeout, headers=headers)

    def __repr__(self) -> str:
        return f"FlightClient({self.location!r})"

    def close(self) -> None:
        """Close the connection."""
        self._client.close()

    # -- metadata ---------------------------------------------------------------------------

    def list_available_data(self, market: str | None = None) -> pl.DataFrame:
        """One row per stored market x dataset (x interval): rows, symbols and time range."""

        def listing() -> list[Any]:
            criteria = market.encode() if market else b""
            return list(self._client.list_flights(criteria, self._options))

        rows = [json.loads(info.app_metadata) for info in self._call("list_flights", listing)]
        data = {name: [row.get(name) for row in rows] for name in _AVAILABLE_COLUMNS}
        for name in ("first", "last"):
            data[name] = [datetime.fromisoformat(text) for text in data[name]]
        return pl.DataFrame(data, schema=_AVAILABLE_COLUMNS)

    def get_schema(self, name: str | Mapping[str, object]) -> pa.Schema:
        """The Arrow schema of a stored flight (``"um/klines/1m"``, ``"um/exginfo"``) or of a
        ticket given as a mapping."""
        descriptor = _descriptor(name)
        result = self._call(
            "get_schema", lambda: self._client.get_schema(descriptor, self._options)
        )
        schema: pa.Schema = result.schema
        return schema

    def ping(self) -> Pong:
        """The server's version and clock (a liveness check)."""
        return Pong.from_json(self._action("ping", b""))

    def ready(self, market: str) -> Readiness:
        """Per dataset of ``market``: rows present, the last row's time and its lag."""
        return Readiness.from_json(self._action("ready", market.encode()))

    def list_actions(self) -> tuple[ActionInfo, ...]:
        """The actions the server offers, with what each does."""
        found = self._call("list_actions", lambda: list(self._client.list_actions(self._options)))
        return tuple(ActionInfo(str(a.type), str(a.description)) for a in found)

    # -- data -------------------------------------------------------------------------------

    @overload
    def get_market(
        self, market: str, interval: IntervalArg, offset: IntervalArg = 0, begin: TimeArg = None,
        end: TimeArg = None, *, dataset: str = ..., complete_only: bool = ...,
        arrow: Literal[False] = ...,
    ) -> pl.DataFrame: ...  # fmt: skip
    @overload
    def get_market(
        self, market: str, interval: IntervalArg, offset: IntervalArg = 0, begin: TimeArg = None,
        end: TimeArg = None, *, dataset: str = ..., complete_only: bool = ...,
        arrow: Literal[True],
    ) -> pa.Table: ...  # fmt: skip
    def get_market(
        self, market: str, interval: IntervalArg, offset: IntervalArg = 0, begin: TimeArg = None,
        end: TimeArg = None, *, dataset: str = "klines", complete_only: bool = False,
        arrow: bool = False,
    ) -> pl.DataFrame | pa.Table:  # fmt: skip
        """Bars of every symbol of ``market`` (``interval``: minutes 1..60 or e.g. ``"4h"``)."""
        ticket = _bars_ticket("market", market, None, interval, offset, dataset, complete_only)
        return self._read({**ticket, **_range(begin, end)}, arrow=arrow)

    @overload
    def get_symbol(
        self, market: str, symbol: str | Sequence[str], interval: IntervalArg,
        offset: IntervalArg = 0, begin: TimeArg = None, end: TimeArg = None, *,
        dataset: str = ..., complete_only: bool = ..., arrow: Literal[False] = ...,
    ) -> pl.DataFrame: ...  # fmt: skip
    @overload
    def get_symbol(
        self, market: str, symbol: str | Sequence[str], interval: IntervalArg,
        offset: IntervalArg = 0, begin: TimeArg = None, end: TimeArg = None, *,
        dataset: str = ..., complete_only: bool = ..., arrow: Literal[True],
    ) -> pa.Table: ...  # fmt: skip
    def get_symbol(  # noqa: PLR0917 (the positional order is the documented API)
        self, market: str, symbol: str | Sequence[str], interval: IntervalArg,
        offset: IntervalArg = 0, begin: TimeArg = None, end: TimeArg = None, *,
        dataset: str = "klines", complete_only: bool = False, arrow: bool = False,
    ) -> pl.DataFrame | pa.Table:  # fmt: skip
        """Bars of one symbol (or several) of ``market``."""
        ticket = _bars_ticket("symbol", market, symbol, interval, offset, dataset, complete_only)
        return self._read({**ticket, **_range(begin, end)}, arrow=arrow)

    @overload
    def get_exginfo(self, market: str, *, arrow: Literal[False] = ...) -> pl.DataFrame: ...
    @overload
    def get_exginfo(self, market: str, *, arrow: Literal[True]) -> pa.Table: ...
    def get_exginfo(self, market: str, *, arrow: bool = False) -> pl.DataFrame | pa.Table:
        """The symbols table of ``market``: one row per symbol ever seen."""
        return self._read({"v": TICKET_VERSION, "kind": "exginfo", "market": market}, arrow=arrow)

    @overload
    def get_dataset(
        self, market: str, dataset: str, symbols: str | Sequence[str] | None = None,
        begin: TimeArg = None, end: TimeArg = None, *, arrow: Literal[False] = ...,
    ) -> pl.DataFrame: ...  # fmt: skip
    @overload
    def get_dataset(
        self, market: str, dataset: str, symbols: str | Sequence[str] | None = None,
        begin: TimeArg = None, end: TimeArg = None, *, arrow: Literal[True],
    ) -> pa.Table: ...  # fmt: skip
    def get_dataset(
        self,
        market: str,
        dataset: str,
        symbols: str | Sequence[str] | None = None,
        begin: TimeArg = None,
        end: TimeArg = None,
        *,
        arrow: bool = False,
    ) -> pl.DataFrame | pa.Table:
        """Rows of any non-kline dataset (``trades``, ``fundingRate``, ``metrics``, ...)."""
        ticket: dict[str, object] = {"v": TICKET_VERSION, "kind": dataset, "market": market}
        if symbols is not None:
            ticket["symbols"] = [symbols] if isinstance(symbols, str) else list(symbols)
        return self._read({**ticket, **_range(begin, end)}, arrow=arrow)

    @overload
    def get_bars(
        self, market: str, symbols: str | Sequence[str] | None = None, *,
        source: str = ..., interval: IntervalArg | None = ..., volume: str | int | None = ...,
        ticks: int | None = ..., offset: IntervalArg = ..., begin: TimeArg = ...,
        end: TimeArg = ..., arrow: Literal[False] = ...,
    ) -> pl.DataFrame: ...  # fmt: skip
    @overload
    def get_bars(
        self, market: str, symbols: str | Sequence[str] | None = None, *,
        source: str = ..., interval: IntervalArg | None = ..., volume: str | int | None = ...,
        ticks: int | None = ..., offset: IntervalArg = ..., begin: TimeArg = ...,
        end: TimeArg = ..., arrow: Literal[True],
    ) -> pa.Table: ...  # fmt: skip
    def get_bars(
        self, market: str, symbols: str | Sequence[str] | None = None, *,
        source: str = "aggTrades", interval: IntervalArg | None = None,
        volume: str | int | None = None, ticks: int | None = None, offset: IntervalArg = 0,
        begin: TimeArg = None, end: TimeArg = None, arrow: bool = False,
    ) -> pl.DataFrame | pa.Table:  # fmt: skip
        """Bars built on the server from ``source`` (``trades`` or ``aggTrades``): exactly one
        of ``interval`` (time bars, shifted by ``offset``), ``volume`` (a bar per that much
        base volume, as a string such as ``"250.5"`` or an integer) or ``ticks`` (a bar per
        that many trades); volume and tick bars are counted from ``begin``."""
        try:
            by, size = chosen_bars(interval, volume, ticks)
        except ReadRequestError as exc:
            raise TicketError(exc.message) from None
        ticket: dict[str, object] = {
            "v": TICKET_VERSION,
            "kind": source,
            "market": market,
            "bars": {"by": by.value, "size": size},
        }
        if by is BarKind.TIME and offset:
            ticket["offset"] = offset
        if symbols is not None:
            ticket["symbols"] = [symbols] if isinstance(symbols, str) else list(symbols)
        return self._read({**ticket, **_range(begin, end)}, arrow=arrow)

    def read(self, ticket: Mapping[str, object], *, arrow: bool = False) -> pl.DataFrame | pa.Table:
        """Redeem any ticket given as a mapping (see ``docs/flight.md`` for its fields)."""
        return self._read(ticket, arrow=arrow)

    def stream(self, ticket: Mapping[str, object]) -> Iterator[pa.RecordBatch]:
        """The record batches of a ticket, one at a time (for answers too big to hold)."""
        reader = self._call("do_get", lambda: self._client.do_get(_ticket(ticket), self._options))
        finished = False
        try:
            while True:
                try:
                    chunk = reader.read_chunk()
                except StopIteration:
                    finished = True
                    return
                except (flight.FlightError, pa.ArrowException, OSError) as exc:
                    finished = True
                    raise from_flight_error(exc, where="do_get") from None
                yield chunk.data
        finally:
            if not finished:
                reader.cancel()  # the caller stopped early: tell the server now

    def _read(self, ticket: Mapping[str, object], *, arrow: bool) -> pl.DataFrame | pa.Table:
        def fetch() -> pa.Table:
            return self._client.do_get(_ticket(ticket), self._options).read_all()

        table = self._call("do_get", fetch)
        if arrow:
            return table
        frame = pl.from_arrow(table, rechunk=False)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def _action(self, kind: str, body: bytes) -> bytes:
        def run() -> bytes:
            results = list(self._client.do_action(flight.Action(kind, body), self._options))
            return b"".join(r.body.to_pybytes() for r in results)

        return self._call(kind, run)

    def _call(self, where: str, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except (flight.FlightError, pa.ArrowException, OSError) as exc:
            raise from_flight_error(exc, where=where) from None


def _bars_ticket(  # noqa: PLR0917 (private: both bar methods pass the same values)
    kind: str,
    market: str,
    symbol: str | Sequence[str] | None,
    interval: IntervalArg,
    offset: IntervalArg,
    dataset: str,
    complete_only: bool,
) -> dict[str, object]:
    ticket: dict[str, object] = {
        "v": TICKET_VERSION,
        "kind": kind,
        "market": market,
        "dataset": dataset,
        "interval": interval,
        "offset": offset,
        "complete_only": complete_only,
    }
    if symbol is not None:
        ticket["symbols"] = [symbol] if isinstance(symbol, str) else list(symbol)
    return ticket


def _range(begin: TimeArg, end: TimeArg) -> dict[str, object]:
    found: dict[str, object] = {}
    for name, value in (("begin", begin), ("end", end)):
        if value is not None:
            found[name] = _time_text(value)
    return found


def _time_text(value: datetime | date | str | int) -> str | int:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _ticket(ticket: Mapping[str, object]) -> flight.Ticket:
    return flight.Ticket(json.dumps(dict(ticket), separators=(",", ":")).encode())


def _descriptor(name: str | Mapping[str, object]) -> Any:
    if isinstance(name, str):
        return flight.FlightDescriptor.for_path(*name.split("/"))
    return flight.FlightDescriptor.for_command(json.dumps(dict(name)).encode())
